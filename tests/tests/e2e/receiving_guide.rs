//! The Rust snippet of docs/RECEIVING.md, compiled as-is and run on a real delivery
//! signed during a secret rotation; and a check that the guide shows the tested files.

mod guide {
    include!("../../../docs/receiving/verify.rs");
}

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::json;
use webhooks_core::signing::Secret;
use webhooks_tests::{Stack, TestReceiver, ADMIN_A};

#[tokio::test]
async fn the_rust_snippet_verifies_a_real_delivery_with_either_secret() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, old) = s
        .create_endpoint(ADMIN_A, &rx.url("/ok/0"), &["INVOICE_VALIDATED"])
        .await;
    let new = s.rotate(ADMIN_A, &ep).await;
    s.publish("ENS_A", "INVOICE_VALIDATED", json!({"invoice_id": "FA-1"}))
        .await;
    let r = rx.wait_for(1).await.remove(0);
    let mut headers = HeaderMap::new();
    for (k, v) in &r.headers {
        headers.insert(
            HeaderName::try_from(k.as_str()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    for secret in [&old, &new] {
        assert!(guide::native_ok(&headers, &r.body, secret));
        assert!(guide::standard_ok(&headers, &r.body, secret));
    }
    let tampered = String::from_utf8(r.body.to_vec())
        .unwrap()
        .replace("FA-", "FB-");
    assert!(!guide::native_ok(&headers, tampered.as_bytes(), &new));
    assert!(!guide::standard_ok(&headers, tampered.as_bytes(), &new));
    let wrong = Secret::generate();
    assert!(!guide::native_ok(&headers, &r.body, wrong.expose()));
    assert!(!guide::standard_ok(&headers, &r.body, wrong.expose()));
    s.stop().await;
}

#[test]
fn the_guide_shows_exactly_the_tested_snippets() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let guide = std::fs::read_to_string(format!("{root}/docs/RECEIVING.md")).unwrap();
    for file in ["verify.py", "verify.mjs", "verify.rs"] {
        let snippet = std::fs::read_to_string(format!("{root}/docs/receiving/{file}")).unwrap();
        assert!(
            guide.contains(&snippet),
            "docs/RECEIVING.md does not show docs/receiving/{file} verbatim"
        );
    }
}
