//! Input validation with field-level errors: endpoint DTOs and inbound events.

use crate::catalog::{Catalog, Violation};
use crate::error::{CoreError, FieldError};
use crate::ids::TenantId;
use crate::model::{EndpointIn, EndpointPatch, Headers, InboundEvent};
use crate::net::{forbidden_host_name, forbidden_reason};
use serde::de::DeserializeOwned;

pub const MAX_URL_LEN: usize = 2048;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_EVENT_TYPES: usize = 50;
/// Largest accepted inbound event, in bytes of JSON.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;
pub const MAX_EVENT_ID_LEN: usize = 255;
pub const MAX_HEADERS: usize = 10;
pub const MAX_HEADER_NAME_LEN: usize = 64;
pub const MAX_HEADER_VALUE_LEN: usize = 1000;
/// Header names an endpoint may not set: the signature headers, what the HTTP client owns,
/// and hop-by-hop headers.
pub const RESERVED_HEADERS: &[&str] = &[
    "host",
    "user-agent",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "expect",
];
/// Reserved name prefixes: `webhook-*` (Standard Webhooks), `pp-svc-webhooks-*` (native
/// signature), `content-*` (the body is ours), `proxy-*` and `sec-*`.
pub const RESERVED_PREFIXES: &[&str] =
    &["webhook-", "pp-svc-webhooks-", "content-", "proxy-", "sec-"];

/// Deserializes a JSON body, naming the offending field on failure.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CoreError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // serde reports a missing or unknown field at the parent's path; name the field itself.
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| {
                message.starts_with("missing field") || message.starts_with("unknown field")
            })
            .map(str::to_owned)
            .unwrap_or(if path == "." { "body".to_owned() } else { path });
        let detail = strip_position(&message);
        FieldError::new(field, "json.invalid", detail.clone())
            .with("detail", detail)
            .into()
    })
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// What endpoint URLs may point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Reject plain `http://` URLs.
    pub require_https: bool,
    /// Allow loopback, private and other non-public targets (local development only).
    pub allow_private: bool,
}

/// A regular expression (ECMA-262, for the API document) for the URLs [`check_url`]
/// accepts under `policy`, but for two kinds it also accepts and the expression leaves out:
/// IPv6 literals (`[::1]`) and hosts spelled in ways the URL standard rewrites (`0x7f.1`).
/// Every string it matches parses. Host names end in a label that is not a number (such a
/// name reads as an IPv4 address) and has no `0x` prefix; `--` never occurs, so no label is
/// malformed punycode.
pub fn url_pattern(policy: UrlPolicy) -> String {
    let scheme = if policy.require_https {
        "https"
    } else {
        "https?"
    };
    let label = "[A-Za-z0-9]+(-[A-Za-z0-9]+)*";
    let last = "([A-Za-z]|([1-9][0-9]*|0[0-9]+)[A-Za-z]|0[A-WYZa-wyz])[A-Za-z0-9]*(-[A-Za-z0-9]+)*";
    let octet = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    let chars = "A-Za-z0-9._~%!$&'()*+,;=:@/-";
    format!(
        "^{scheme}://(({label}\\.)*{last}|{octet}(\\.{octet}){{3}})(:[1-9][0-9]{{0,3}})?(/[{chars}]*)?(\\?[{chars}?]*)?$"
    )
}

/// Checks an endpoint URL: absolute http(s), a host, no credentials, at most 2,048 chars,
/// and — unless private targets are allowed — not a literal non-public address. Host
/// names are checked again, after resolution, when each request is sent. The error names
/// the field `url`.
pub fn check_url(url: &str, policy: UrlPolicy) -> Result<(), FieldError> {
    let err = |code: &str, message: String| FieldError::new("url", format!("url.{code}"), message);
    if url.len() > MAX_URL_LEN {
        return Err(FieldError::too_long("url", MAX_URL_LEN));
    }
    let parsed = url::Url::parse(url).map_err(|e| {
        err("not_absolute", format!("must be an absolute URL ({e})")).with("detail", e.to_string())
    })?;
    match parsed.scheme() {
        "https" => {}
        "http" if !policy.require_https => {}
        "http" => return Err(err("https_required", "must use https".into())),
        _ => return Err(err("scheme", "must be an http(s) URL".into())),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(err("no_host", "must have a host".into()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(err("credentials", "must not contain credentials".into()));
    }
    if parsed.fragment().is_some() {
        return Err(err("fragment", "must not contain a fragment".into()));
    }
    if !policy.allow_private {
        // `url` has already normalised odd IPv4 spellings (decimal, octal, hex).
        let reason = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => forbidden_reason(ip.into()),
            Some(url::Host::Ipv6(ip)) => forbidden_reason(ip.into()),
            Some(url::Host::Domain(d)) => forbidden_host_name(d),
            None => None,
        };
        if let Some(reason) = reason {
            return Err(err(
                "non_public",
                format!("must not point at a non-public address ({reason})"),
            )
            .with("range", reason));
        }
    }
    Ok(())
}

fn check_event_types(
    types: &[String],
    catalog: &Catalog,
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    if types.is_empty() || types.len() > MAX_EVENT_TYPES {
        errors.push(
            FieldError::new(
                "event_types",
                "event_types.count",
                format!("must list between 1 and {MAX_EVENT_TYPES} event types"),
            )
            .with("min", 1)
            .with("max", MAX_EVENT_TYPES),
        );
    }
    let mut out: Vec<String> = Vec::with_capacity(types.len());
    for (i, t) in types.iter().enumerate() {
        if !catalog.contains(t) {
            errors.push(
                FieldError::new(
                    format!("event_types[{i}]"),
                    "event_types.unknown",
                    format!("unknown event type {t:?}"),
                )
                .with("value", t.as_str()),
            );
        } else if !out.contains(t) {
            out.push(t.clone());
        }
    }
    out
}

/// RFC 9110 token characters, the only ones a header name may use.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Checks an endpoint's extra headers; returns them with lower-case names.
fn check_headers(headers: &Headers, errors: &mut Vec<FieldError>) -> Headers {
    if headers.len() > MAX_HEADERS {
        errors.push(
            FieldError::new(
                "headers",
                "headers.too_many",
                format!("at most {MAX_HEADERS} headers"),
            )
            .with("max", MAX_HEADERS),
        );
    }
    let mut out = Headers::new();
    for (name, value) in headers {
        let field = format!("headers.{name}");
        let lower = name.to_ascii_lowercase();
        let problem = if !is_token(name) || name.len() > MAX_HEADER_NAME_LEN {
            Some(
                FieldError::new(
                    field,
                    "headers.name_invalid",
                    format!(
                    "header names are 1 to {MAX_HEADER_NAME_LEN} letters, digits or !#$%&'*+-.^_`|~"
                ),
                )
                .with("max", MAX_HEADER_NAME_LEN),
            )
        } else if RESERVED_HEADERS.contains(&lower.as_str())
            || RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p))
        {
            Some(FieldError::new(
                field,
                "headers.reserved",
                "this header is set by the service and cannot be overridden",
            ))
        } else if value.len() > MAX_HEADER_VALUE_LEN
            || !value
                .bytes()
                .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        {
            Some(FieldError::new(
                field,
                "headers.value_invalid",
                format!("header values are at most {MAX_HEADER_VALUE_LEN} printable ASCII characters"),
            )
            .with("max", MAX_HEADER_VALUE_LEN))
        } else if out.contains_key(&lower) {
            Some(FieldError::new(
                field,
                "headers.duplicate",
                "duplicate header name (names are case-insensitive)",
            ))
        } else {
            None
        };
        match problem {
            Some(e) => errors.push(e),
            None => {
                out.insert(lower, value.trim().to_owned());
            }
        }
    }
    out
}

/// A filter that compiles, trimmed; an empty one means none.
fn check_filter(filter: Option<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    let f = filter
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())?;
    match crate::filter::Filter::compile(&f) {
        Ok(_) => Some(f),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

fn check_description(d: &str, errors: &mut Vec<FieldError>) {
    if d.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::too_long("description", MAX_DESCRIPTION_CHARS));
    }
}

/// Validates a creation request; returns it normalised (event types de-duplicated).
pub fn validate_endpoint_in(
    mut input: EndpointIn,
    catalog: &Catalog,
    policy: UrlPolicy,
) -> Result<EndpointIn, CoreError> {
    let mut errors = Vec::new();
    if let Err(e) = check_url(&input.url, policy) {
        errors.push(e);
    }
    check_description(&input.description, &mut errors);
    input.event_types = check_event_types(&input.event_types, catalog, &mut errors);
    input.headers = check_headers(&input.headers, &mut errors);
    input.filter = check_filter(input.filter.take(), &mut errors);
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(CoreError::Validation(errors))
    }
}

/// Validates the fields a patch sets; returns it normalised.
pub fn validate_endpoint_patch(
    mut patch: EndpointPatch,
    catalog: &Catalog,
    policy: UrlPolicy,
) -> Result<EndpointPatch, CoreError> {
    let mut errors = Vec::new();
    if let Some(url) = &patch.url {
        if let Err(e) = check_url(url, policy) {
            errors.push(e);
        }
    }
    if let Some(d) = &patch.description {
        check_description(d, &mut errors);
    }
    if let Some(types) = &patch.event_types {
        patch.event_types = Some(check_event_types(types, catalog, &mut errors));
    }
    if let Some(headers) = &patch.headers {
        patch.headers = Some(check_headers(headers, &mut errors));
    }
    if let Some(filter) = patch.filter.take() {
        patch.filter = Some(check_filter(filter, &mut errors));
    }
    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(CoreError::Validation(errors))
    }
}

/// A decoded, checked inbound event.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidEvent {
    pub tenant: TenantId,
    pub event_type: String,
    pub event_id: Option<String>,
    pub event_data: serde_json::Value,
    /// How `event_data` breaks its type's schema, when the type only documents it
    /// (`enforce: false`): delivered anyway, these are logged and counted.
    pub violations: Vec<FieldError>,
}

/// Decodes and checks an inbound event (README, Try it) from its raw bytes.
pub fn decode_event(bytes: &[u8], catalog: &Catalog) -> Result<ValidEvent, CoreError> {
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(CoreError::TooLarge {
            field: "body",
            limit: MAX_EVENT_BYTES,
        });
    }
    let ev: InboundEvent = decode_json(bytes)?;
    validate_event(ev, catalog)
}

/// A publisher's `event_id`: 1 to 255 printable characters (as published, and as searched).
pub fn check_event_id(id: &str) -> Result<(), FieldError> {
    if id.is_empty() || id.chars().count() > MAX_EVENT_ID_LEN || id.chars().any(char::is_control) {
        return Err(FieldError::new(
            "event_id",
            "event_id.invalid",
            format!("must be 1–{MAX_EVENT_ID_LEN} printable characters"),
        )
        .with("max", MAX_EVENT_ID_LEN));
    }
    Ok(())
}

/// Checks an already-decoded inbound event.
pub fn validate_event(ev: InboundEvent, catalog: &Catalog) -> Result<ValidEvent, CoreError> {
    let mut errors = Vec::new();
    let tenant = TenantId::parse(&ev.tenant_id)
        .map_err(|_| {
            errors.push(FieldError::new(
                "tenant_id",
                "tenant_id.invalid",
                "must be 1–64 characters of A-Z a-z 0-9 _ . -",
            ))
        })
        .ok();
    if !catalog.contains(&ev.event_type) {
        errors.push(
            FieldError::new(
                "event_type",
                "event_type.unknown",
                format!("unknown event type {:?}", ev.event_type),
            )
            .with("value", ev.event_type.as_str()),
        );
    }
    if let Some(Err(e)) = ev.event_id.as_deref().map(check_event_id) {
        errors.push(e);
    }
    if !ev.event_data.is_object() {
        errors.push(FieldError::not_object("event_data"));
    }
    let mut violations = Vec::new();
    if errors.is_empty() {
        violations = (catalog.violations(&ev.event_type, &ev.event_data).iter())
            .map(Violation::field_error)
            .collect();
        if catalog.enforced(&ev.event_type) {
            errors.append(&mut violations);
        }
    }
    match tenant {
        Some(tenant) if errors.is_empty() => Ok(ValidEvent {
            tenant,
            event_type: ev.event_type,
            event_id: ev.event_id,
            event_data: ev.event_data,
            violations,
        }),
        _ => Err(CoreError::Validation(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(e: CoreError) -> Vec<String> {
        match e {
            CoreError::Validation(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    fn ep(url: &str, types: &[&str]) -> EndpointIn {
        EndpointIn {
            url: url.into(),
            description: String::new(),
            event_types: types.iter().map(|s| s.to_string()).collect(),
            enabled: true,
            headers: Headers::new(),
            filter: None,
        }
    }

    #[test]
    fn a_schema_is_enforced_unless_the_type_only_documents_it() {
        let catalog = |enforce: bool| {
            Catalog::from_json(&format!(
                r#"[{{"name":"MISSION_ENDED","description":{{"fr":"f","en":"e"}},"enforce":{enforce},
                    "schema":{{"type":"object","required":["mission_id"]}},"example":{{"mission_id":"M-1"}}}}]"#
            ))
            .unwrap()
        };
        let event = || InboundEvent {
            tenant_id: "ENS1".into(),
            event_type: "MISSION_ENDED".into(),
            event_id: None,
            event_data: serde_json::json!({}),
        };
        let refused = validate_event(event(), &catalog(true)).unwrap_err();
        assert_eq!(fields(refused), ["event_data"]);
        let accepted = validate_event(event(), &catalog(false)).unwrap();
        assert_eq!(accepted.violations.len(), 1);
        assert!(accepted.violations[0].message.contains("(required)"));
    }

    #[test]
    fn a_filter_is_compiled_when_saved_and_an_empty_one_is_none() {
        let c = Catalog::built_in();
        let policy = UrlPolicy {
            require_https: true,
            allow_private: false,
        };
        let with = |f: &str| EndpointIn {
            filter: Some(f.into()),
            ..ep("https://a.example/h", &["INVOICE_VALIDATED"])
        };
        let ok = validate_endpoint_in(with(" event_type == \"INVOICE_VALIDATED\" "), &c, policy)
            .unwrap();
        assert_eq!(
            ok.filter.as_deref(),
            Some("event_type == \"INVOICE_VALIDATED\"")
        );
        assert_eq!(
            validate_endpoint_in(with("  "), &c, policy).unwrap().filter,
            None
        );
        assert_eq!(
            fields(validate_endpoint_in(with("event_data.x =="), &c, policy).unwrap_err()),
            ["filter"]
        );
        let patch = |f: Option<&str>| EndpointPatch {
            filter: Some(f.map(str::to_owned)),
            ..EndpointPatch::default()
        };
        let cleared = validate_endpoint_patch(patch(None), &c, policy).unwrap();
        assert_eq!(cleared.filter, Some(None), "null removes the filter");
        assert_eq!(
            fields(validate_endpoint_patch(patch(Some("nope.x")), &c, policy).unwrap_err()),
            ["filter"]
        );
    }

    #[test]
    fn custom_headers() {
        let c = Catalog::built_in();
        let with = |pairs: &[(&str, &str)]| EndpointIn {
            headers: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..ep("https://a.example/h", &["INVOICE_VALIDATED"])
        };
        let ok = validate_endpoint_in(
            with(&[("Authorization", "Bearer abc"), ("X-Tenant", " 42 ")]),
            &c,
            AWS,
        )
        .unwrap();
        assert_eq!(
            ok.headers.into_iter().collect::<Vec<_>>(),
            vec![
                ("authorization".to_owned(), "Bearer abc".to_owned()),
                ("x-tenant".to_owned(), "42".to_owned())
            ]
        );
        for (name, value) in [
            ("Host", "evil.example"),
            ("webhook-signature", "v1,forged"),
            ("PP-SVC-WEBHOOKS-SIGNATURE", "t=1"),
            ("Content-Type", "text/plain"),
            ("Transfer-Encoding", "chunked"),
            ("bad name", "x"),
            ("", "x"),
            ("x-ok", "line\r\nInjected: yes"),
        ] {
            let e = validate_endpoint_in(with(&[(name, value)]), &c, AWS).unwrap_err();
            assert_eq!(fields(e), vec![format!("headers.{name}")], "{name:?}");
        }
        let dup = validate_endpoint_in(with(&[("X-A", "1"), ("x-a", "2")]), &c, AWS);
        assert_eq!(fields(dup.unwrap_err()), vec!["headers.x-a"]);
        let many: Vec<(String, String)> = (0..=MAX_HEADERS)
            .map(|i| (format!("x-{i}"), "v".into()))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let e = validate_endpoint_in(with(&many), &c, AWS).unwrap_err();
        assert_eq!(fields(e), vec!["headers"]);
        let patch = EndpointPatch {
            headers: Some([("Host".to_owned(), "x".to_owned())].into()),
            ..EndpointPatch::default()
        };
        let e = validate_endpoint_patch(patch, &c, AWS).unwrap_err();
        assert_eq!(fields(e), vec!["headers.Host"]);
    }

    const LOCAL: UrlPolicy = UrlPolicy {
        require_https: false,
        allow_private: true,
    };
    const AWS: UrlPolicy = UrlPolicy {
        require_https: true,
        allow_private: false,
    };

    #[test]
    fn urls() {
        assert!(check_url("https://example.com/hook", AWS).is_ok());
        assert!(check_url("http://example.com/hook", LOCAL).is_ok());
        assert!(check_url("http://example.com/hook", AWS).is_err());
        assert!(check_url("ftp://example.com", LOCAL).is_err());
        assert!(check_url("/relative", LOCAL).is_err());
        assert!(check_url("https://user:pw@example.com", LOCAL).is_err());
        assert!(check_url(&format!("https://e.com/{}", "a".repeat(2048)), LOCAL).is_err());
        assert!(check_url("http://127.0.0.1:3000/dev/receiver", LOCAL).is_ok());
    }

    #[test]
    fn literal_private_targets_are_refused_unless_allowed() {
        for url in [
            "https://127.0.0.1/",
            "https://localhost/",
            "https://2130706433/",
            "https://0177.0.0.1/",
            "https://0x7f.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[fd00:ec2::254]/",
            "https://10.0.0.1/",
        ] {
            let e = check_url(url, AWS).expect_err(url);
            assert_eq!(e.code, "url.non_public", "{url}: {e:?}");
            assert!(check_url(url, LOCAL).is_ok(), "{url} allowed locally");
        }
    }

    #[test]
    fn endpoint_errors_name_each_field() {
        let c = Catalog::built_in();
        let mut input = ep("nope", &["INVOICE_VALIDATED", "NOPE"]);
        input.description = "x".repeat(501);
        let f = fields(validate_endpoint_in(input, &c, LOCAL).unwrap_err());
        assert_eq!(f, ["url", "description", "event_types[1]"]);
        assert_eq!(
            fields(validate_endpoint_in(ep("https://a.b", &[]), &c, LOCAL).unwrap_err()),
            ["event_types"]
        );
        let ok = validate_endpoint_in(
            ep(
                "https://a.b",
                &["INVOICE_VALIDATED", "INVOICE_VALIDATED", "CONTRACT_CREATED"],
            ),
            &c,
            AWS,
        )
        .unwrap();
        assert_eq!(ok.event_types, ["INVOICE_VALIDATED", "CONTRACT_CREATED"]);
    }

    proptest::proptest! {
        /// What the API document says a URL may be, the validator accepts.
        #[test]
        fn urls_the_document_allows_are_accepted(
            url in proptest::string::string_regex(
                url_pattern(LOCAL).trim_start_matches('^').trim_end_matches('$'),
            ).unwrap()
        ) {
            proptest::prop_assume!(url.len() <= MAX_URL_LEN);
            proptest::prop_assert!(check_url(&url, LOCAL).is_ok(), "{url}: {:?}", check_url(&url, LOCAL));
        }
    }

    #[test]
    fn url_pattern_leaves_out_what_the_validator_refuses() {
        let pattern = regex_lite::Regex::new(&url_pattern(LOCAL)).unwrap();
        for (url, documented) in [
            ("http://receiver:8080/hook", true),
            ("https://hooks.example.com/a/b?x=1&y=%20", true),
            ("http://127.0.0.1:3000/dev/receiver", true),
            ("http://0a.example", true),
            ("http://1.2.3.999/", false),
            ("http://0x1g/", false),
            ("http://0x7f/", false),
            ("http://123/", false),
            ("http://a--b.example/", false),
            ("http://user:pw@example.com/", false),
            ("http://example.com/#x", false),
            ("ftp://example.com/", false),
        ] {
            assert_eq!(pattern.is_match(url), documented, "{url}");
            if documented {
                assert!(check_url(url, LOCAL).is_ok(), "{url}");
            }
        }
    }

    /// Each rule has its own stable code, with the values its message names as params.
    #[test]
    fn url_errors_carry_codes_and_params() {
        let long = format!("https://e.com/{}", "a".repeat(2048));
        for (url, policy, code, param) in [
            (
                long.as_str(),
                LOCAL,
                "url.too_long",
                Some(("max", json!(2048))),
            ),
            ("/relative", LOCAL, "url.not_absolute", None),
            ("http://e.com", AWS, "url.https_required", None),
            ("ftp://e.com", LOCAL, "url.scheme", None),
            ("https://u:p@e.com", LOCAL, "url.credentials", None),
            ("https://e.com/#x", LOCAL, "url.fragment", None),
            (
                "https://127.0.0.1/",
                AWS,
                "url.non_public",
                Some(("range", json!("loopback"))),
            ),
        ] {
            let e = check_url(url, policy).expect_err(url);
            assert_eq!((e.field.as_str(), e.code.as_str()), ("url", code), "{url}");
            if let Some((name, value)) = param {
                assert_eq!(e.params[name], value, "{url}");
            }
        }
    }

    #[test]
    fn endpoint_errors_carry_codes() {
        let c = Catalog::built_in();
        let mut input = ep("https://a.b", &["NOPE"]);
        input.description = "x".repeat(501);
        input.headers = [("Content-Type".to_owned(), "x".to_owned())].into();
        let CoreError::Validation(errors) = validate_endpoint_in(input, &c, LOCAL).unwrap_err()
        else {
            panic!("a validation error")
        };
        let codes: Vec<_> = errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "description.too_long",
                "event_types.unknown",
                "headers.reserved"
            ]
        );
        assert_eq!(errors[0].params["max"], 500);
        assert_eq!(errors[1].params["value"], "NOPE");
    }

    #[test]
    fn events() {
        let c = Catalog::built_in();
        let ok = decode_event(
            br#"{"tenant_id":"ENS1","event_type":"INVOICE_VALIDATED","event_id":"k1","event_data":{"invoice_id":"FA-1"}}"#,
            &c,
        )
        .unwrap();
        assert_eq!(ok.tenant.as_str(), "ENS1");
        let bad = |b: &str| fields(decode_event(b.as_bytes(), &c).unwrap_err());
        assert_eq!(
            bad(r#"{"event_type":"INVOICE_VALIDATED","event_data":{}}"#),
            ["tenant_id"]
        );
        assert_eq!(
            bad(r#"{"tenant_id":"E","event_type":"X","event_data":[]}"#),
            ["event_type", "event_data"]
        );
        assert_eq!(
            bad(r#"{"tenant_id":"E","event_type":"INVOICE_VALIDATED","event_data":{},"extra":1}"#),
            ["extra"]
        );
        assert_eq!(
            bad(r#"{"tenant_id":5,"event_type":"INVOICE_VALIDATED","event_data":{}}"#),
            ["tenant_id"]
        );
        assert_eq!(bad("not json"), ["body"]);
        assert_eq!(
            bad(
                r#"{"tenant_id":"E","event_type":"INVOICE_VALIDATED","event_id":"","event_data":{}}"#
            ),
            ["event_id"]
        );
        let big = format!(
            r#"{{"tenant_id":"E","event_type":"INVOICE_VALIDATED","event_data":{{"x":"{}"}}}}"#,
            "a".repeat(MAX_EVENT_BYTES)
        );
        assert!(matches!(
            decode_event(big.as_bytes(), &c),
            Err(CoreError::TooLarge { .. })
        ));
    }
}
