//! The OpenAPI 3.1 document served at `/openapi.json`. Operations come from the handlers'
//! annotations; the rules here complete them so the document states what the code does:
//! the error responses every route can give (as `application/problem+json`), and the
//! validation limits, taken from the same constants the validators use.

use serde_json::{json, Map, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use webhooks_core::catalog::EventType;
use webhooks_core::filter::MAX_FILTER_LEN;
use webhooks_core::notify::{MAX_HISTORY, MAX_RECIPIENTS};
use webhooks_core::operational::OPERATIONAL_TYPES;
use webhooks_core::services::{MAX_PAGE, MAX_STATS_HOURS};
use webhooks_core::validation::{self as v, UrlPolicy};
use webhooks_core::{EndpointId, MessageId};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pp-svc-webhooks admin API",
        description = "Manage webhook endpoints of an enseigne and browse their delivery log. \
                       Errors are application/problem+json (RFC 9457): a machine `code` for the \
                       problem and, for invalid requests, `errors[]` naming each field with its \
                       own `code` and `params`."
    ),
    tags(
        (name = "endpoints", description = "Endpoints, secrets and test events"),
        (name = "delivery log", description = "Messages, attempts, payloads, replay"),
        (name = "catalog", description = "Event types"),
        (name = "notifications", description = "Mails about failing and disabled endpoints and failed messages"),
        (name = "ingest", description = "Publishing events (service token)")
    )
)]
pub(crate) struct ApiDoc;

/// The security schemes: an admin's token (tenant from its claims) and a service token
/// for publishing.
pub(crate) fn add_security(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for name in ["bearer", "service"] {
        components.add_security_scheme(
            name,
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as served: `base` completed by the rules of this module, with each event
/// type's `event_data` schema as a component `EventData_<type>` (OpenAPI 3.1 schemas are
/// JSON Schema), for the catalog `types` and the URL `policy` this deployment enforces.
pub fn document(base: utoipa::openapi::OpenApi, types: &[EventType], policy: UrlPolicy) -> Value {
    let mut doc = serde_json::to_value(base).unwrap_or_default();
    let schemas = &mut doc["components"]["schemas"];
    for t in types {
        if let Some(mut schema) = t.schema.clone() {
            if let Some(o) = schema.as_object_mut() {
                o.remove("$schema");
            }
            schemas[format!("EventData_{}", t.name)] = schema;
        }
    }
    constrain_bodies(schemas, types, policy);
    schemas["ApiError"]["properties"]["code"]["enum"] = json!(crate::problem::PROBLEM_CODES);
    schemas["FieldError"]["properties"]["code"]["enum"] = json!(webhooks_core::error::FIELD_CODES);
    doc["components"]["responses"] = problem_responses();
    add_links(&mut doc["paths"]);
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths {
            for op in item
                .as_object_mut()
                .into_iter()
                .flat_map(|m| m.values_mut())
            {
                complete_responses(path, op);
                constrain_params(path, op, types);
            }
        }
    }
    doc
}

/// The shared error responses, referenced by every operation they apply to.
fn problem_responses() -> Value {
    let problem = |description: &str| {
        json!({
            "description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
        })
    };
    json!({
        "Invalid": problem("Invalid request (`code` validation): `errors[]` names each field with its `code`"),
        "Unauthenticated": problem("No valid bearer token (`code` unauthenticated)"),
        "Forbidden": problem("The token may not use this route (`code` forbidden)"),
        "NotFound": problem("No such resource in the caller's tenant (`code` not_found)"),
        "TooLarge": problem("The body is over 512 KiB, or the event over 256 KiB (`code` too_large)"),
        "Unavailable": problem("Busy, or out of time (`code` busy or timeout, AWS): retry shortly"),
    })
}

/// Errors are problem documents; adds the error statuses the extractors and services give
/// on every route of this shape.
fn complete_responses(path: &str, op: &mut Value) {
    let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
    let has_body = op.get("requestBody").is_some();
    let has_query = (op["parameters"].as_array().into_iter().flatten()).any(|p| p["in"] == "query");
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    for (status, response) in responses.iter_mut() {
        if status.as_str() >= "400" {
            if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                if let Some(json) = content.remove("application/json") {
                    content.insert("application/problem+json".into(), json);
                }
            }
        }
    }
    for (status, name, applies) in [
        ("400", "Invalid", has_body || has_query),
        ("401", "Unauthenticated", secured),
        ("403", "Forbidden", secured),
        ("404", "NotFound", path.contains('{')),
        ("413", "TooLarge", has_body),
        ("503", "Unavailable", secured),
    ] {
        if applies {
            let reference = json!({"$ref": format!("#/components/responses/{name}")});
            responses.entry(status).or_insert(reference);
        }
    }
}

/// OpenAPI links from the test route, the one admin call that creates a message, to the
/// routes that read it: clients (and generated tests) follow them.
fn add_links(paths: &mut Value) {
    let ids = json!({"id": "$request.path.id", "msg_id": "$response.body#/message_id"});
    let links = json!({
        "GetAttempts": {"operationId": "list_attempts", "parameters": ids},
        "Replay": {"operationId": "replay", "parameters": ids},
        "GetMessage": {"operationId": "get_message", "parameters": {"msg_id": "$response.body#/message_id"}},
    });
    if let Some(accepted) = paths.pointer_mut("/~1v1~1endpoints~1{id}~1test/post/responses/202") {
        accepted["links"] = links;
    }
}

/// A regular expression matching, case-insensitively, the names in `names` and the names
/// starting with `prefixes` (letters, digits and `-`): JSON Schema patterns have no flags.
fn any_case(names: &[&str], prefixes: &[&str]) -> String {
    let spell = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                c if c.is_ascii_alphabetic() => {
                    format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                }
                c => c.to_string(),
            })
            .collect()
    };
    let names = names.iter().map(|n| format!("{}$", spell(n)));
    let prefixes = prefixes.iter().map(|p| spell(p));
    format!("^({})", names.chain(prefixes).collect::<Vec<_>>().join("|"))
}

/// No control characters (Unicode category Cc), as the validators require.
const PRINTABLE: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*$";

/// The limits of request bodies, as the validators (`webhooks_core::validation`) apply them.
fn constrain_bodies(schemas: &mut Value, types: &[EventType], policy: UrlPolicy) {
    let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
    let url = json!({
        "type": "string",
        "maxLength": v::MAX_URL_LEN,
        "pattern": v::url_pattern(policy),
        "description": if policy.allow_private {
            "An absolute http(s) URL without credentials or fragment (IPv6 literals such as \
             `http://[::1]:3000/` are accepted too)."
        } else {
            "An absolute https URL without credentials or fragment, whose host is not a \
             loopback, private, link-local or otherwise non-public address (names are \
             checked again when resolved, at each delivery)."
        },
    });
    let event_types = json!({
        "type": "array", "minItems": 1, "maxItems": v::MAX_EVENT_TYPES,
        "items": {"type": "string", "enum": names},
        "description": "Event types this endpoint receives (listed twice counts once).",
    });
    let headers = json!({
        "type": "object",
        "maxProperties": v::MAX_HEADERS,
        "propertyNames": {
            "pattern": format!("^[!#$%&'*+.^_`|~0-9A-Za-z-]{{1,{}}}$", v::MAX_HEADER_NAME_LEN),
            "not": {"pattern": any_case(v::RESERVED_HEADERS, v::RESERVED_PREFIXES)},
        },
        "additionalProperties": {
            "type": "string", "maxLength": v::MAX_HEADER_VALUE_LEN, "pattern": "^[\\t\\x20-\\x7e]*$",
        },
        "description": "Extra headers sent with every request. Names are case-insensitive \
                        (two names differing only in case are refused); the signature headers, \
                        `host`, `content-*` and hop-by-hop headers are reserved.",
    });
    let filter = json!({
        "type": "string", "format": "cel", "maxLength": MAX_FILTER_LEN,
        "description": "A CEL expression over `event_type` and `event_data`, true for the \
                        events to send; it must compile (a syntax error or another variable is \
                        refused with `filter.syntax` or `filter.unknown_variable`). Omit it, or \
                        send null, for no filter.",
    });
    let description = json!({"type": "string", "maxLength": v::MAX_DESCRIPTION_CHARS});
    let endpoint = Map::from_iter([
        ("url".to_owned(), url),
        ("description".to_owned(), description),
        ("event_types".to_owned(), event_types),
        ("headers".to_owned(), headers),
    ]);
    for (name, nullable) in [("EndpointIn", false), ("EndpointPatch", true)] {
        let props = &mut schemas[name]["properties"];
        for (field, schema) in &endpoint {
            props[field] = if nullable {
                json!({"oneOf": [schema, {"type": "null"}]})
            } else {
                schema.clone()
            };
        }
        props["filter"] = json!({"oneOf": [filter, {"type": "null"}]});
    }

    // One shape per event type, so a type whose contract is enforced (`enforce`) refuses
    // data that breaks its schema.
    let event = &mut schemas["InboundEvent"];
    let description = event["description"].take();
    let mut props = event["properties"].take();
    props["tenant_id"] = json!({"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"});
    props["event_id"] = json!({
        "type": ["string", "null"], "minLength": 1, "maxLength": v::MAX_EVENT_ID_LEN, "pattern": PRINTABLE,
        "description": "The publisher's idempotency key: a second event with the same id is accepted and not sent again.",
    });
    let shapes = types.iter().map(|t| {
        let mut props = props.clone();
        props["event_type"] = json!({"const": t.name});
        props["event_data"] = match (&t.schema, t.enforce) {
            (Some(_), true) => {
                json!({"$ref": format!("#/components/schemas/EventData_{}", t.name)})
            }
            _ => json!({"type": "object"}),
        };
        json!({
            "type": "object", "properties": props, "additionalProperties": false,
            "required": ["tenant_id", "event_type", "event_data"],
        })
    });
    *event = json!({"description": description, "oneOf": shapes.collect::<Vec<_>>()});

    // A recovery goes on from a cursor of the same shape as the listings' (constrain_params).
    schemas["RecoverIn"]["properties"]["cursor"] = json!({
        "type": ["string", "null"], "pattern": cursor_pattern(),
        "description": "`next_cursor` of an earlier call with the same `since`: go on from there.",
    });

    let trial = &mut schemas["FilterTrial"]["properties"];
    trial["filter"] = filter;
    trial["event_type"] = json!({"type": "string", "enum": names});
    trial["event_data"] = json!({"type": "object"});

    let email = "[^\\s\\x00-\\x1f\\x7f-\\x9f<>,]";
    let domain = "[^\\s\\x00-\\x1f\\x7f-\\x9f<>,@]";
    let settings = &mut schemas["NotificationSettings"]["properties"];
    settings["recipients"] = json!({
        "type": "array", "maxItems": MAX_RECIPIENTS,
        "items": {"type": "string", "maxLength": 254, "pattern": format!(
            "^{email}+@[^\\s\\x00-\\x1f\\x7f-\\x9f<>,@.]{domain}*\\.{domain}*[^\\s\\x00-\\x1f\\x7f-\\x9f<>,@.]$"
        )},
    });
    settings["events"] =
        json!({"type": "array", "items": {"type": "string", "enum": OPERATIONAL_TYPES}});
}

/// The 26 characters of a ULID, as ids and cursors spell them.
const ULID: &str = "[0-7][0-9A-HJKMNP-TV-Z]{25}";

/// A cursor: the message id a page or a recovery goes on after.
fn cursor_pattern() -> String {
    format!("^{}{ULID}$", MessageId::PREFIX)
}

/// Path and query parameters: id shapes, enums and ranges.
fn constrain_params(path: &str, op: &mut Value, types: &[EventType]) {
    let ulid = ULID;
    let params = op.get_mut("parameters").and_then(Value::as_array_mut);
    for p in params.into_iter().flatten() {
        let name = p["name"].as_str().unwrap_or_default();
        let schema = match name {
            "id" => json!({"type": "string", "pattern": format!("^{}{ulid}$", EndpointId::PREFIX)}),
            "msg_id" => {
                json!({"type": "string", "pattern": format!("^{}{ulid}$", MessageId::PREFIX)})
            }
            "name" => {
                json!({"type": "string", "enum": types.iter().map(|t| &t.name).collect::<Vec<_>>()})
            }
            "cursor" => json!({
                "type": "string", "pattern": cursor_pattern(),
                "description": "`next_cursor` of the previous page: the page starts after this message.",
            }),
            "limit" if path == "/v1/notifications/history" => {
                json!({"type": "integer", "minimum": 1, "maximum": MAX_HISTORY, "default": 50})
            }
            "limit" => json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 20}),
            "hours" => {
                json!({"type": "integer", "minimum": 1, "maximum": MAX_STATS_HOURS, "default": 24})
            }
            "status" if path == "/v1/messages" => {
                json!({"type": "string", "enum": ["failed"], "default": "failed"})
            }
            "status" => json!({"type": "string", "enum": ["pending", "delivered", "failed"]}),
            "event_id" => {
                json!({"type": "string", "minLength": 1, "maxLength": v::MAX_EVENT_ID_LEN, "pattern": PRINTABLE})
            }
            _ => continue,
        };
        // Keep the annotation's words; the schema is the rule.
        p["schema"] = schema;
    }
}
