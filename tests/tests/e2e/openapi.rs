//! The OpenAPI document matches the router: every route of the README's Admin API table is documented,
//! and every documented operation is actually routed.

use serde_json::Value;
use webhooks_tests::{Stack, ADMIN_A, INGEST};

const DESIGNED: &[(&str, &str)] = &[
    ("get", "/v1/event-types"),
    ("get", "/v1/event-types/{name}"),
    ("get", "/v1/endpoints"),
    ("post", "/v1/endpoints"),
    ("get", "/v1/endpoints/{id}"),
    ("patch", "/v1/endpoints/{id}"),
    ("delete", "/v1/endpoints/{id}"),
    ("post", "/v1/endpoints/{id}/rotate-secret"),
    ("post", "/v1/endpoints/{id}/test"),
    ("get", "/v1/endpoints/{id}/messages"),
    ("get", "/v1/endpoints/{id}/messages/{msg_id}/attempts"),
    ("get", "/v1/endpoints/{id}/stats"),
    ("get", "/v1/messages"),
    ("get", "/v1/messages/{msg_id}"),
    ("post", "/v1/endpoints/{id}/messages/{msg_id}/replay"),
    ("post", "/v1/endpoints/{id}/recover"),
    ("post", "/v1/endpoints/{id}/recount"),
    ("post", "/v1/filters/evaluate"),
    ("get", "/v1/notifications"),
    ("put", "/v1/notifications"),
    ("get", "/v1/notifications/history"),
    ("post", "/v1/events"),
];

async fn spec(s: &Stack) -> Value {
    let resp = s
        .http
        .get(format!("{}/openapi.json", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.push((method.clone(), path.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn every_designed_route_is_documented() {
    let s = Stack::start().await;
    let doc = spec(&s).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let ops = operations(&doc);
    for (method, path) in DESIGNED {
        assert!(
            ops.contains(&(method.to_string(), path.to_string())),
            "{method} {path} missing from /openapi.json"
        );
    }
    assert_eq!(
        ops.len(),
        DESIGNED.len(),
        "undocumented extra or missing operations: {ops:?}"
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Every event type's contract is a named component.
    let catalog = webhooks_core::catalog::Catalog::built_in();
    for t in catalog.all() {
        let c = &doc["components"]["schemas"][format!("EventData_{}", t.name)];
        assert_eq!(
            c["required"],
            t.schema.as_ref().unwrap()["required"],
            "{}",
            t.name
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let s = Stack::start().await;
    let doc = spec(&s).await;
    for (method, path) in operations(&doc) {
        let concrete = path
            .replace("{id}", "ep_01M8GC718XR8XSK3HYZ6DC5ZBD")
            .replace("{msg_id}", "msg_01M8GC718XR8XSK3HYZ6DC5ZBD");
        let token = if path == "/v1/events" {
            INGEST
        } else {
            ADMIN_A
        };
        let (status, body) = s
            .call(
                &method.to_uppercase(),
                &concrete,
                token,
                Some(serde_json::json!({})),
            )
            .await;
        assert_ne!(status, 405, "{method} {path} is not routed");
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            !detail.starts_with("route "),
            "{method} {path} fell through to the 404 fallback"
        );
        assert!(status < 500, "{method} {path} answered {status}: {body}");
    }
    s.stop().await;
}

/// Every error a route can give is documented as a problem document, and every secured
/// route documents 401 and 403.
#[tokio::test]
async fn errors_are_documented_as_problems() {
    let s = Stack::start().await;
    let doc = spec(&s).await;
    let resolve = |r: &Value| -> Value {
        match r["$ref"].as_str() {
            Some(p) => doc.pointer(&p[1..]).cloned().unwrap_or(Value::Null),
            None => r.clone(),
        }
    };
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for (status, r) in responses {
                if status.as_str() >= "400" {
                    let r = resolve(r);
                    assert!(
                        r["content"]["application/problem+json"]["schema"].is_object(),
                        "{method} {path} {status}: {r}"
                    );
                }
            }
            for status in ["401", "403", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
        }
    }
    let problem = &doc["components"]["schemas"]["ApiError"];
    assert!(problem["properties"]["code"].is_object(), "{problem}");
    let field = &doc["components"]["schemas"]["FieldError"];
    assert!(field["required"]
        .as_array()
        .unwrap()
        .contains(&"code".into()));
    s.stop().await;
}
