//! End-to-end tests of the local stack: a real HTTP API, SQLite, the worker, and a test
//! receiver, all on 127.0.0.1. Over 400 lines for a reason: twelve independent scenarios,
//! one per test, each read top to bottom; what they share is in the `webhooks_tests` harness.

use serde_json::{json, Value};
use std::time::Duration;
use webhooks_core::signing::Secret;
use webhooks_tests::{wait_until, Stack, TestReceiver, ADMIN_A, ADMIN_B, INGEST};

#[tokio::test]
async fn a_delivery_is_signed_with_both_schemes_and_logged() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, secret) = s
        .create_endpoint(
            ADMIN_A,
            &rx.url("/ok/0"),
            &["INVOICE_VALIDATED", "CONTRACT_CREATED"],
        )
        .await;
    let receipt = s
        .publish("ENS_A", "INVOICE_VALIDATED", json!({"invoice_id": "FA-1"}))
        .await;
    assert_eq!(receipt["endpoints"], 1);
    let msg = receipt["message_id"].as_str().unwrap();

    let got = rx.wait_for(1).await;
    let r = &got[0];
    let secret = Secret::parse(&secret).unwrap();
    assert_eq!(
        r.verify(&secret),
        (true, true),
        "both signatures verify on the received bytes"
    );
    assert_eq!(r.headers["webhook-id"], msg);
    assert_eq!(r.headers["content-type"], "application/json");
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["event_id"], msg);
    assert_eq!(body["event_type"], "INVOICE_VALIDATED");
    assert_eq!(
        body["event_data"],
        webhooks_tests::event_data("INVOICE_VALIDATED", json!({"invoice_id": "FA-1"})),
        "exactly what was published"
    );
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));

    let entry = s.wait_status(ADMIN_A, &ep, msg, "delivered").await;
    assert_eq!(entry["attempt_count"], 1);
    let attempts = s.attempts(ADMIN_A, &ep, msg).await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["status_code"], 200);
    assert_eq!(attempts[0]["error"], Value::Null);
    assert_eq!(
        s.counters(ADMIN_A, &ep).await,
        json!({"delivered": 1, "failed_attempts": 0, "failed_messages": 0, "in_flight": 0})
    );

    // The payload the admin sees is the body that was sent.
    let (status, m) = s
        .call("GET", &format!("/v1/messages/{msg}"), ADMIN_A, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(m["payload"], body);
    s.stop().await;
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_exactly_three_attempts() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/fail-then-ok/2"), &["CONTRACT_CREATED"])
        .await;
    let msg = s
        .publish("ENS_A", "CONTRACT_CREATED", json!({"contract_id": "CT-1"}))
        .await["message_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let entry = s.wait_status(ADMIN_A, &ep, &msg, "delivered").await;
    assert_eq!(entry["attempt_count"], 3);
    let attempts = s.attempts(ADMIN_A, &ep, &msg).await;
    let summary: Vec<(u64, u64)> = attempts
        .iter()
        .map(|a| {
            (
                a["number"].as_u64().unwrap(),
                a["status_code"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, [(1, 500), (2, 500), (3, 200)]);
    assert_eq!(attempts[0]["error"], "http_status");
    assert_eq!(
        s.counters(ADMIN_A, &ep).await,
        json!({"delivered": 1, "failed_attempts": 2, "failed_messages": 0, "in_flight": 0})
    );
    // Retries wait for the configured delay (50 ms ± 10 %), and the body never changes.
    let got = rx.requests();
    assert_eq!(got.len(), 3);
    for w in got.windows(2) {
        assert!(
            w[1].at - w[0].at >= Duration::from_millis(40),
            "retry came too early"
        );
        assert_eq!(w[0].body, w[1].body);
        assert_eq!(w[0].headers["webhook-id"], w[1].headers["webhook-id"]);
    }
    s.stop().await;
}

#[tokio::test]
async fn a_dead_receiver_gets_five_attempts_then_the_message_fails() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/status/503"), &["ORDER_CREATED"])
        .await;
    let msg = s
        .publish("ENS_A", "ORDER_CREATED", json!({"order_id": "CMD-1"}))
        .await["message_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let entry = s.wait_status(ADMIN_A, &ep, &msg, "failed").await;
    assert_eq!(entry["attempt_count"], 5);
    assert_eq!(s.attempts(ADMIN_A, &ep, &msg).await.len(), 5);
    assert_eq!(
        s.counters(ADMIN_A, &ep).await,
        json!({"delivered": 0, "failed_attempts": 5, "failed_messages": 1, "in_flight": 0})
    );
    // Nothing more is sent after the fifth attempt.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.requests().len(), 5);
    let (_, failed) = s
        .call(
            "GET",
            &format!("/v1/endpoints/{ep}/messages?status=failed"),
            ADMIN_A,
            None,
        )
        .await;
    assert_eq!(failed["data"].as_array().unwrap().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn a_timeout_is_a_failed_attempt() {
    let rx = TestReceiver::start().await;
    let s = Stack::start_with(|c| {
        c.http_timeout = Duration::from_millis(200);
        c.retry =
            webhooks_core::retry::RetryPolicy::new(2, Duration::from_millis(20), 1.0).unwrap();
    })
    .await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/sleep/3000"), &["INVOICE_PAID"])
        .await;
    let msg = s.publish("ENS_A", "INVOICE_PAID", json!({})).await["message_id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.wait_status(ADMIN_A, &ep, &msg, "failed").await;
    let attempts = s.attempts(ADMIN_A, &ep, &msg).await;
    assert_eq!(attempts.len(), 2);
    for a in attempts {
        assert_eq!(a["error"], "timeout");
        assert_eq!(a["status_code"], Value::Null);
        assert!(a["duration_ms"].as_u64().unwrap() >= 150);
    }
    s.stop().await;
}

#[tokio::test]
async fn another_tenant_sees_404_everywhere() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/ok/0"), &["INVOICE_VALIDATED"])
        .await;
    let msg = s.publish("ENS_A", "INVOICE_VALIDATED", json!({})).await["message_id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.wait_status(ADMIN_A, &ep, &msg, "delivered").await;

    for (method, path, body) in [
        ("GET", format!("/v1/endpoints/{ep}"), None),
        (
            "PATCH",
            format!("/v1/endpoints/{ep}"),
            Some(json!({"description": "hijack"})),
        ),
        ("DELETE", format!("/v1/endpoints/{ep}"), None),
        ("GET", format!("/v1/endpoints/{ep}/messages"), None),
        (
            "GET",
            format!("/v1/endpoints/{ep}/messages/{msg}/attempts"),
            None,
        ),
        ("GET", format!("/v1/endpoints/{ep}/stats"), None),
        ("GET", format!("/v1/messages/{msg}"), None),
        ("POST", format!("/v1/endpoints/{ep}/rotate-secret"), None),
        ("POST", format!("/v1/endpoints/{ep}/test"), None),
        (
            "POST",
            format!("/v1/endpoints/{ep}/messages/{msg}/replay"),
            None,
        ),
        (
            "POST",
            format!("/v1/endpoints/{ep}/recover"),
            Some(json!({"since": "2020-01-01T00:00:00Z"})),
        ),
        ("POST", format!("/v1/endpoints/{ep}/recount"), None),
        (
            "GET",
            format!(
                "/v1/endpoints/{ep}/messages?cursor=djE6bXNnXzAxTThHQzcxOFhSOFhTSzNIWVo2REM1WkJE"
            ),
            None,
        ),
        (
            "GET",
            format!("/v1/endpoints/{ep}/messages?status=delivered"),
            None,
        ),
    ] {
        let (status, problem) = s.call(method, &path, ADMIN_B, body).await;
        assert_eq!(status, 404, "{method} {path}: {problem}");
        assert_eq!(problem["status"], 404);
    }
    let (_, list) = s.call("GET", "/v1/endpoints", ADMIN_B, None).await;
    assert_eq!(list["data"], json!([]));
    // Tenant A still has everything.
    let (status, _) = s
        .call("GET", &format!("/v1/endpoints/{ep}"), ADMIN_A, None)
        .await;
    assert_eq!(status, 200);
    // Its counters rebuilt from the log are the ones kept.
    let (status, recounted) = s
        .call(
            "POST",
            &format!("/v1/endpoints/{ep}/recount"),
            ADMIN_A,
            None,
        )
        .await;
    assert_eq!(status, 200, "{recounted}");
    let (_, list) = s.call("GET", "/v1/endpoints", ADMIN_A, None).await;
    assert_eq!(list["data"][0]["counters"], recounted);
    assert_eq!(recounted["delivered"], 1);
    // An event for tenant B does not reach tenant A's endpoint.
    s.publish("ENS_B", "INVOICE_VALIDATED", json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.requests().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn a_restart_finishes_pending_deliveries() {
    let rx = TestReceiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    // First run: the receiver fails the first attempt and the retry is 1 s away.
    let first = Stack::start_in(dir.path().to_owned(), |c| {
        c.retry = webhooks_core::retry::RetryPolicy::new(5, Duration::from_secs(1), 1.0).unwrap();
    })
    .await;
    let (ep, _) = first
        .create_endpoint(
            ADMIN_A,
            &rx.url("/fail-then-ok/1"),
            &["TIMESHEET_VALIDATED"],
        )
        .await;
    let msg = first
        .publish("ENS_A", "TIMESHEET_VALIDATED", json!({"hours": 35}))
        .await["message_id"]
        .as_str()
        .unwrap()
        .to_owned();
    rx.wait_for(1).await;
    wait_until(|| async {
        first
            .log_entry(ADMIN_A, &ep, &msg)
            .await
            .is_some_and(|e| e["attempt_count"] == 1)
    })
    .await;
    first.stop().await;

    // Second run on the same database: the pending retry is picked up and delivered.
    let second = Stack::start_in(dir.path().to_owned(), |_| {}).await;
    let entry = second.wait_status(ADMIN_A, &ep, &msg, "delivered").await;
    assert_eq!(entry["attempt_count"], 2);
    assert_eq!(rx.requests().len(), 2);
    second.stop().await;
}

#[tokio::test]
async fn fan_out_follows_subscriptions_and_enabled_flag() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (both, _) = s
        .create_endpoint(
            ADMIN_A,
            &rx.url("/ok/both"),
            &["INVOICE_VALIDATED", "CONTRACT_CREATED"],
        )
        .await;
    let (contracts, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/ok/contracts"), &["CONTRACT_CREATED"])
        .await;
    let (disabled, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/ok/disabled"), &["INVOICE_VALIDATED"])
        .await;
    let (status, patched) = s
        .call(
            "PATCH",
            &format!("/v1/endpoints/{disabled}"),
            ADMIN_A,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!((status, &patched["enabled"]), (200, &json!(false)));

    // The disabled endpoint is part of the fan-out, but nothing is sent to it: its
    // message is kept as failed (recoverable once it is enabled again).
    let r = s.publish("ENS_A", "INVOICE_VALIDATED", json!({})).await;
    assert_eq!(r["endpoints"], 2);
    let invoice = r["message_id"].as_str().unwrap().to_owned();
    let r = s.publish("ENS_A", "CONTRACT_CREATED", json!({})).await;
    assert_eq!(r["endpoints"], 2);
    let got = rx.wait_for(3).await;
    s.wait_status(ADMIN_A, &disabled, &invoice, "failed").await;
    let attempts = s.attempts(ADMIN_A, &disabled, &invoice).await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["error"], "endpoint_disabled");
    let mut paths: Vec<_> = rx.requests().into_iter().map(|r| r.path).collect();
    paths.sort();
    assert_eq!(paths, ["/ok/both", "/ok/both", "/ok/contracts"], "{got:?}");
    assert_eq!(s.counters(ADMIN_A, &both).await["delivered"], 2);
    assert_eq!(s.counters(ADMIN_A, &contracts).await["delivered"], 1);
    assert_eq!(s.counters(ADMIN_A, &disabled).await["delivered"], 0);
    s.stop().await;
}

#[tokio::test]
async fn the_same_event_id_is_fanned_out_once() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    s.create_endpoint(ADMIN_A, &rx.url("/ok/0"), &["INVOICE_VALIDATED"])
        .await;
    let event = json!({"tenant_id": "ENS_A", "event_type": "INVOICE_VALIDATED", "event_id": "inv-42", "event_data": {"invoice_id": "FA-42"}});
    let (s1, first) = s
        .call("POST", "/v1/events", INGEST, Some(event.clone()))
        .await;
    let (s2, second) = s.call("POST", "/v1/events", INGEST, Some(event)).await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(first["duplicate"], false);
    assert_eq!(second["duplicate"], true);
    assert_eq!(first["message_id"], second["message_id"]);
    rx.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.requests().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn bad_input_and_bad_credentials_get_problem_responses() {
    let s = Stack::start().await;
    let (status, p) = s
        .call(
            "POST",
            "/v1/endpoints",
            ADMIN_A,
            Some(json!({"url": "not a url", "event_types": ["INVOICE_VALIDATED"]})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(p["errors"][0]["field"], "url");
    assert!(p["detail"].as_str().unwrap().starts_with("url:"));

    let (status, p) = s
        .call(
            "POST",
            "/v1/endpoints",
            ADMIN_A,
            Some(json!({"url": "http://x.example", "event_types": "INVOICE_VALIDATED"})),
        )
        .await;
    assert_eq!(
        (status, &p["errors"][0]["field"]),
        (400, &json!("event_types"))
    );

    let (status, p) = s
        .call(
            "POST",
            "/v1/endpoints",
            ADMIN_A,
            Some(json!({"event_types": []})),
        )
        .await;
    assert_eq!((status, &p["errors"][0]["field"]), (400, &json!("url")));

    let (status, p) = s
        .call(
            "POST",
            "/v1/events",
            INGEST,
            Some(json!({"tenant_id": "ENS_A", "event_type": "NOPE", "event_data": []})),
        )
        .await;
    assert_eq!(status, 400);
    let fields: Vec<_> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(fields, [json!("event_type"), json!("event_data")]);

    let big = json!({"tenant_id": "ENS_A", "event_type": "INVOICE_VALIDATED", "event_data": {"x": "a".repeat(300_000)}});
    let (status, p) = s.call("POST", "/v1/events", INGEST, Some(big)).await;
    assert_eq!((status, &p["errors"][0]["field"]), (413, &json!("body")));

    let (status, p) = s
        .call(
            "GET",
            "/v1/endpoints/ep_x/messages?limit=abc",
            ADMIN_A,
            None,
        )
        .await;
    assert_eq!((status, &p["errors"][0]["field"]), (400, &json!("limit")));

    // 401 without a valid token, 403 with the wrong kind of token.
    assert_eq!(
        s.call("GET", "/v1/endpoints", "wrong-token", None).await.0,
        401
    );
    assert_eq!(s.call("GET", "/v1/endpoints", INGEST, None).await.0, 403);
    let ev = json!({"tenant_id": "ENS_A", "event_type": "INVOICE_VALIDATED", "event_data": {"invoice_id": "FA-43"}});
    assert_eq!(s.call("POST", "/v1/events", ADMIN_A, Some(ev)).await.0, 403);
    assert_eq!(
        s.call("GET", "/v1/endpoints/ep_nope", ADMIN_A, None)
            .await
            .0,
        404
    );
    s.stop().await;
}

#[tokio::test]
async fn the_log_pages_newest_first_and_filters_by_status() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/ok/0"), &["INVOICE_CREATED"])
        .await;
    let mut sent = Vec::new();
    for i in 0..7 {
        let r = s.publish("ENS_A", "INVOICE_CREATED", json!({"n": i})).await;
        sent.push(r["message_id"].as_str().unwrap().to_owned());
    }
    wait_until(|| async { s.counters(ADMIN_A, &ep).await["delivered"] == 7 }).await;
    let mut seen = Vec::new();
    let mut path = format!("/v1/endpoints/{ep}/messages?limit=3");
    loop {
        let (status, page) = s.call("GET", &path, ADMIN_A, None).await;
        assert_eq!(status, 200, "{page}");
        for e in page["data"].as_array().unwrap() {
            seen.push(e["message_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/endpoints/{ep}/messages?limit=3&cursor={c}"),
            None => break,
        }
    }
    sent.reverse();
    assert_eq!(seen, sent);
    let (_, pending) = s
        .call(
            "GET",
            &format!("/v1/endpoints/{ep}/messages?status=pending"),
            ADMIN_A,
            None,
        )
        .await;
    assert_eq!(pending["data"], json!([]));
    let (status, p) = s
        .call(
            "GET",
            &format!("/v1/endpoints/{ep}/messages?status=lost"),
            ADMIN_A,
            None,
        )
        .await;
    assert_eq!((status, &p["errors"][0]["field"]), (400, &json!("status")));
    let (status, stats) = s
        .call(
            "GET",
            &format!("/v1/endpoints/{ep}/stats?hours=24"),
            ADMIN_A,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let buckets = stats["data"].as_array().unwrap();
    assert_eq!(buckets.len(), 24);
    assert_eq!(
        buckets
            .iter()
            .map(|b| b["delivered"].as_u64().unwrap())
            .sum::<u64>(),
        7
    );
    s.stop().await;
}

#[tokio::test]
async fn edit_and_delete_an_endpoint() {
    let s = Stack::start().await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, "http://127.0.0.1:9/hook", &["INVOICE_VALIDATED"])
        .await;
    let (status, e) = s
        .call(
            "PATCH",
            &format!("/v1/endpoints/{ep}"),
            ADMIN_A,
            Some(json!({"url": "http://127.0.0.1:9/other", "description": "ERP", "event_types": ["ORDER_CREATED"]})),
        )
        .await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["url"], "http://127.0.0.1:9/other");
    assert_eq!(e["event_types"], json!(["ORDER_CREATED"]));
    assert!(e.get("secret").is_none(), "the secret is never shown again");
    let (_, got) = s
        .call("GET", &format!("/v1/endpoints/{ep}"), ADMIN_A, None)
        .await;
    assert_eq!(got["description"], "ERP");
    assert!(got.get("secret").is_none());
    assert_eq!(
        s.call("DELETE", &format!("/v1/endpoints/{ep}"), ADMIN_A, None)
            .await
            .0,
        204
    );
    assert_eq!(
        s.call("GET", &format!("/v1/endpoints/{ep}"), ADMIN_A, None)
            .await
            .0,
        404
    );
    assert_eq!(
        s.call("DELETE", &format!("/v1/endpoints/{ep}"), ADMIN_A, None)
            .await
            .0,
        404
    );
    s.stop().await;
}

#[tokio::test]
async fn the_admin_ui_is_served_with_a_strict_csp() {
    let s = Stack::start().await;
    for path in ["/", "/ui/app.js", "/ui/app.css"] {
        let resp = s
            .http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
    }
    let index = s
        .http
        .get(format!("{}/", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The page names its files by content hash, cached for a year; the page itself and the
    // plain names are revalidated.
    let cache = |path: String| {
        let http = s.http.clone();
        let url = format!("{}{path}", s.base);
        async move {
            let resp = http.get(url).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{path}");
            resp.headers()["cache-control"].to_str().unwrap().to_owned()
        }
    };
    for file in ["app.js", "app.css"] {
        let (stem, ext) = file.split_once('.').unwrap();
        let hashed = (index.split('"'))
            .find(|p| p.starts_with(&format!("/ui/{stem}.")) && p.ends_with(&format!(".{ext}")))
            .unwrap_or_else(|| panic!("{file} in {index}"))
            .to_owned();
        assert_ne!(hashed, format!("/ui/{file}"), "named by hash");
        assert!(cache(hashed).await.contains("immutable"));
        assert_eq!(cache(format!("/ui/{file}")).await, "no-cache");
    }
    assert_eq!(cache("/".into()).await, "no-cache");
    assert_eq!(
        s.http
            .get(format!("{}/ui/nope.js", s.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    s.stop().await;
}
