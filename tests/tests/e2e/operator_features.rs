//! End-to-end tests of the operator features on the local stack: secret rotation, test
//! events, replay and recovery, failing endpoints (Retry-After, 410, automatic disabling),
//! custom headers. Over 400 lines for a reason: thirteen independent scenarios, one per
//! test, each read top to bottom; what they share is in the `webhooks_tests` harness.

use serde_json::{json, Value};
use std::time::Duration;
use webhooks_core::retry::RetryPolicy;
use webhooks_core::signing::Secret;
use webhooks_tests::{wait_until, Stack, TestReceiver, ADMIN_A, ADMIN_B, INGEST};

#[tokio::test]
async fn rotation_signs_with_both_secrets_during_the_grace_period() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, old) = s
        .create_endpoint(ADMIN_A, &rx.url("/ok/0"), &["INVOICE_VALIDATED"])
        .await;
    let new = s.rotate(ADMIN_A, &ep).await;
    assert_ne!(new, old);
    let (_, again) = s
        .call("GET", &format!("/v1/endpoints/{ep}"), ADMIN_A, None)
        .await;
    assert!(
        again.get("secret").is_none(),
        "the new secret is shown once"
    );

    s.publish("ENS_A", "INVOICE_VALIDATED", json!({})).await;
    let r = &rx.wait_for(1).await[0];
    assert_eq!(
        r.headers["pp-svc-webhooks-signature"]
            .matches("sig=")
            .count(),
        2
    );
    assert_eq!(r.headers["webhook-signature"].split(' ').count(), 2);
    for secret in [&old, &new] {
        assert_eq!(r.verify(&Secret::parse(secret).unwrap()), (true, true));
    }
    assert_eq!(r.verify(&Secret::generate()), (false, false));
    assert_eq!(
        s.call(
            "POST",
            &format!("/v1/endpoints/{ep}/rotate-secret"),
            ADMIN_B,
            None
        )
        .await
        .0,
        404
    );
    s.stop().await;
}

#[tokio::test]
async fn after_the_grace_period_only_the_new_secret_signs() {
    let rx = TestReceiver::start().await;
    let s = Stack::start_with(|c| c.rotation_grace = Duration::ZERO).await;
    let (ep, old) = s
        .create_endpoint(ADMIN_A, &rx.url("/ok/0"), &["INVOICE_VALIDATED"])
        .await;
    let new = Secret::parse(&s.rotate(ADMIN_A, &ep).await).unwrap();
    s.publish("ENS_A", "INVOICE_VALIDATED", json!({})).await;
    let r = &rx.wait_for(1).await[0];
    assert_eq!(
        r.headers["pp-svc-webhooks-signature"]
            .matches("sig=")
            .count(),
        1
    );
    assert_eq!(r.verify(&new), (true, true));
    assert_eq!(r.verify(&Secret::parse(&old).unwrap()), (false, false));
    s.stop().await;
}

#[tokio::test]
async fn a_test_event_goes_through_the_normal_path_and_shows_in_the_log() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/ok/0"), &["ORDER_CREATED"])
        .await;
    let (status, receipt) = s
        .call("POST", &format!("/v1/endpoints/{ep}/test"), ADMIN_A, None)
        .await;
    assert_eq!(status, 202, "{receipt}");
    let msg = receipt["message_id"].as_str().unwrap();
    let r = &rx.wait_for(1).await[0];
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["event_type"], "WEBHOOK_TEST");
    assert_eq!(body["event_data"]["endpoint_id"], ep.as_str());
    let entry = s.wait_status(ADMIN_A, &ep, msg, "delivered").await;
    assert_eq!(entry["event_type"], "WEBHOOK_TEST");
    assert_eq!(
        s.call("POST", &format!("/v1/endpoints/{ep}/test"), ADMIN_B, None)
            .await
            .0,
        404
    );
    s.stop().await;
}

#[tokio::test]
async fn a_failed_message_can_be_replayed_as_a_new_series() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/status/500"), &["INVOICE_VALIDATED"])
        .await;
    let msg = s
        .publish_id("ENS_A", "INVOICE_VALIDATED", json!({"n": 1}))
        .await;
    s.wait_status(ADMIN_A, &ep, &msg, "failed").await;
    let replay = format!("/v1/endpoints/{ep}/messages/{msg}/replay");
    assert_eq!(s.call("POST", &replay, ADMIN_B, None).await.0, 404);

    s.patch(ADMIN_A, &ep, json!({"url": rx.url("/ok/0")})).await;
    let (status, _) = s.call("POST", &replay, ADMIN_A, None).await;
    assert_eq!(status, 202);
    let entry = s.wait_status(ADMIN_A, &ep, &msg, "delivered").await;
    assert_eq!(
        (
            entry["attempt_count"].as_u64(),
            entry["series_start"].as_u64()
        ),
        (Some(6), Some(5))
    );
    let attempts = s.attempts(ADMIN_A, &ep, &msg).await;
    assert_eq!(attempts.len(), 6);
    assert_eq!(attempts[5]["status_code"], 200);
    assert_eq!(
        s.counters(ADMIN_A, &ep).await,
        json!({"delivered": 1, "failed_attempts": 5, "failed_messages": 0, "in_flight": 0})
    );
    // The same message and body: receivers deduplicate on webhook-id.
    let got = rx.requests();
    assert_eq!(got[0].headers["webhook-id"], got[5].headers["webhook-id"]);
    assert_eq!(got[0].body, got[5].body);
    // Only failed messages can be replayed.
    let (status, p) = s.call("POST", &replay, ADMIN_A, None).await;
    assert_eq!(status, 409, "{p}");
    s.stop().await;
}

#[tokio::test]
async fn a_replayed_series_gets_five_attempts_of_its_own() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/status/500"), &["INVOICE_VALIDATED"])
        .await;
    let msg = s.publish_id("ENS_A", "INVOICE_VALIDATED", json!({})).await;
    s.wait_status(ADMIN_A, &ep, &msg, "failed").await;
    s.call(
        "POST",
        &format!("/v1/endpoints/{ep}/messages/{msg}/replay"),
        ADMIN_A,
        None,
    )
    .await;
    wait_until(|| async {
        s.log_entry(ADMIN_A, &ep, &msg)
            .await
            .is_some_and(|e| e["status"] == "failed" && e["attempt_count"] == 10)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.requests().len(), 10);
    s.stop().await;
}

#[tokio::test]
async fn recovery_replays_failed_messages_since_a_date_once() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/status/500"), &["INVOICE_VALIDATED"])
        .await;
    let before = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            s.publish_id("ENS_A", "INVOICE_VALIDATED", json!({"n": n}))
                .await,
        );
    }
    for id in &ids {
        s.wait_status(ADMIN_A, &ep, id, "failed").await;
    }
    s.patch(ADMIN_A, &ep, json!({"url": rx.url("/ok/0")})).await;
    let recover = format!("/v1/endpoints/{ep}/recover");
    let (status, p) = s.call("POST", &recover, ADMIN_A, Some(json!({}))).await;
    assert_eq!((status, &p["errors"][0]["field"]), (400, &json!("since")));
    // A date after the messages recovers nothing.
    let (_, none) = s
        .call(
            "POST",
            &recover,
            ADMIN_A,
            Some(json!({"since": chrono::Utc::now() + chrono::TimeDelta::hours(1)})),
        )
        .await;
    assert_eq!(none["recovered"], 0);
    let (status, report) = s
        .call("POST", &recover, ADMIN_A, Some(json!({"since": before})))
        .await;
    assert_eq!((status, &report["recovered"]), (202, &json!(3)), "{report}");
    let (_, again) = s
        .call("POST", &recover, ADMIN_A, Some(json!({"since": before})))
        .await;
    assert_eq!(
        again["recovered"], 0,
        "idempotent: recovered messages are no longer failed"
    );
    for id in &ids {
        s.wait_status(ADMIN_A, &ep, id, "delivered").await;
    }
    assert_eq!(
        s.call("POST", &recover, ADMIN_B, Some(json!({"since": before})))
            .await
            .0,
        404
    );
    s.stop().await;
}

#[tokio::test]
async fn gone_stops_retries_at_once() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/status/410"), &["INVOICE_VALIDATED"])
        .await;
    let msg = s.publish_id("ENS_A", "INVOICE_VALIDATED", json!({})).await;
    let entry = s.wait_status(ADMIN_A, &ep, &msg, "failed").await;
    assert_eq!(entry["attempt_count"], 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.requests().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn retry_after_postpones_the_next_attempt() {
    let rx = TestReceiver::start().await;
    // Nominal delay 0.3 s (±10 %); Retry-After: 5 is clamped to twice that, ~0.6 s.
    let s = Stack::start_with(|c| {
        c.retry = RetryPolicy::new(2, Duration::from_millis(300), 1.0).unwrap()
    })
    .await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/retry-after/5"), &["INVOICE_VALIDATED"])
        .await;
    let msg = s.publish_id("ENS_A", "INVOICE_VALIDATED", json!({})).await;
    s.wait_status(ADMIN_A, &ep, &msg, "failed").await;
    let got = rx.requests();
    assert_eq!(got.len(), 2);
    let gap = got[1].at - got[0].at;
    assert!(
        gap >= Duration::from_millis(540),
        "Retry-After ignored: {gap:?}"
    );
    assert!(
        gap < Duration::from_secs(5),
        "Retry-After not clamped: {gap:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn an_endpoint_failing_for_the_whole_window_is_disabled_and_can_be_recovered() {
    let rx = TestReceiver::start().await;
    let s = Stack::start_with(|c| c.disable_after = Duration::from_millis(100)).await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/status/500"), &["INVOICE_VALIDATED"])
        .await;
    let since = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    let first = s
        .publish_id("ENS_A", "INVOICE_VALIDATED", json!({"n": 1}))
        .await;
    s.wait_status(ADMIN_A, &ep, &first, "failed").await;
    let (_, e) = s
        .call("GET", &format!("/v1/endpoints/{ep}"), ADMIN_A, None)
        .await;
    assert_eq!(e["enabled"], false, "{e}");
    assert_eq!(e["disabled_reason"], "failing", "a code the UI words: {e}");
    assert!(e["failing_since"].is_string(), "the date the UI shows: {e}");
    let sent = rx.requests().len();
    assert!(sent < 5, "sending stopped once disabled ({sent} requests)");

    // Messages while disabled are kept as failed, not sent, not dropped.
    let second = s
        .publish_id("ENS_A", "INVOICE_VALIDATED", json!({"n": 2}))
        .await;
    s.wait_status(ADMIN_A, &ep, &second, "failed").await;
    assert_eq!(rx.requests().len(), sent);

    // An admin fixes and re-enables the endpoint, then recovers what failed.
    let e = s
        .patch(
            ADMIN_A,
            &ep,
            json!({"enabled": true, "url": rx.url("/ok/0")}),
        )
        .await;
    assert_eq!(e["disabled_reason"], Value::Null);
    assert_eq!(e["failing_since"], Value::Null);
    let (_, report) = s
        .call(
            "POST",
            &format!("/v1/endpoints/{ep}/recover"),
            ADMIN_A,
            Some(json!({"since": since})),
        )
        .await;
    assert_eq!(report["recovered"], 2);
    s.wait_status(ADMIN_A, &ep, &first, "delivered").await;
    s.wait_status(ADMIN_A, &ep, &second, "delivered").await;
    s.stop().await;
}

#[tokio::test]
async fn concurrent_duplicates_of_an_event_id_fan_out_once() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    s.create_endpoint(ADMIN_A, &rx.url("/ok/0"), &["INVOICE_VALIDATED"])
        .await;
    let event = json!({"tenant_id": "ENS_A", "event_type": "INVOICE_VALIDATED", "event_id": "dup-1", "event_data": {"invoice_id": "FA-1"}});
    let calls = (0..20).map(|_| {
        s.call(
            "POST",
            "/v1/events",
            webhooks_tests::INGEST,
            Some(event.clone()),
        )
    });
    let results = futures::future::join_all(calls).await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|(status, r)| {
            assert_eq!(*status, 202, "{r}");
            r["message_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every duplicate names the same message");
    assert_eq!(
        results
            .iter()
            .filter(|(_, r)| r["duplicate"] == false)
            .count(),
        1
    );
    rx.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.requests().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn custom_headers_are_sent_with_every_request_and_reserved_names_refused() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (status, created) = s
        .call(
            "POST",
            "/v1/endpoints",
            ADMIN_A,
            Some(json!({
                "url": rx.url("/ok/0"),
                "event_types": ["INVOICE_VALIDATED"],
                "headers": {"Authorization": "Bearer receiver-token", "X-Env": "recette"}
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["headers"],
        json!({"authorization": "Bearer receiver-token", "x-env": "recette"}),
        "names are stored in lower case"
    );
    let ep = created["id"].as_str().unwrap().to_owned();
    let secret = Secret::parse(created["secret"].as_str().unwrap()).unwrap();

    s.publish("ENS_A", "INVOICE_VALIDATED", json!({})).await;
    let r = &rx.wait_for(1).await[0];
    assert_eq!(r.headers["authorization"], "Bearer receiver-token");
    assert_eq!(r.headers["x-env"], "recette");
    assert_eq!(r.verify(&secret), (true, true), "signatures untouched");

    // A patch replaces the whole set; `{}` removes them.
    let e = s
        .patch(ADMIN_A, &ep, json!({"headers": {"X-Env": "prod"}}))
        .await;
    assert_eq!(e["headers"], json!({"x-env": "prod"}));
    s.publish("ENS_A", "INVOICE_VALIDATED", json!({})).await;
    let r = &rx.wait_for(2).await[1];
    assert_eq!(r.headers["x-env"], "prod");
    assert!(!r.headers.contains_key("authorization"));
    let e = s.patch(ADMIN_A, &ep, json!({"headers": {}})).await;
    assert_eq!(e["headers"], json!({}));

    // Reserved or malformed names and values are refused, naming the header.
    for (headers, field) in [
        (
            json!({"Webhook-Signature": "v1,forged"}),
            "headers.Webhook-Signature",
        ),
        (json!({"Host": "evil.example"}), "headers.Host"),
        (json!({"Content-Length": "0"}), "headers.Content-Length"),
        (json!({"X-Bad": "a\r\nInjected: yes"}), "headers.X-Bad"),
        (json!({"bad name": "x"}), "headers.bad name"),
    ] {
        let (status, problem) = s
            .call(
                "PATCH",
                &format!("/v1/endpoints/{ep}"),
                ADMIN_A,
                Some(json!({ "headers": headers })),
            )
            .await;
        assert_eq!(status, 400, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    s.stop().await;
}

/// "Did invoice FA-2026-001234 reach our ERP?": found by its `event_id`, with where each of
/// its deliveries stands; an event no endpoint took names the type it needed; an unknown id
/// is a 404. The failed deliveries of every endpoint come newest first, page by page.
#[tokio::test]
async fn an_event_is_found_by_its_id_and_failures_are_listed_across_endpoints() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (erp, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/ok/erp"), &["INVOICE_VALIDATED"])
        .await;
    let (down, _) = s
        .create_endpoint(
            ADMIN_A,
            &rx.url("/status/500"),
            &["INVOICE_VALIDATED", "CONTRACT_CREATED"],
        )
        .await;
    let publish = |event_type: &'static str, event_id: &'static str| {
        let data = webhooks_tests::event_data(event_type, json!({}));
        let body = json!({"tenant_id": "ENS_A", "event_type": event_type, "event_id": event_id, "event_data": data});
        let s = &s;
        async move {
            let (status, receipt) = s.call("POST", "/v1/events", INGEST, Some(body)).await;
            assert_eq!(status, 202, "{receipt}");
            receipt["message_id"].as_str().unwrap().to_owned()
        }
    };
    let invoice = publish("INVOICE_VALIDATED", "FA-2026-001234").await;
    let contract = publish("CONTRACT_CREATED", "CT-1").await;
    publish("TIMESHEET_SUBMITTED", "TS-1").await;
    s.wait_status(ADMIN_A, &down, &invoice, "failed").await;
    s.wait_status(ADMIN_A, &down, &contract, "failed").await;
    s.wait_status(ADMIN_A, &erp, &invoice, "delivered").await;

    let (status, found) = s
        .call("GET", "/v1/messages?event_id=FA-2026-001234", ADMIN_A, None)
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        (found["message_id"].as_str(), found["fan_out"].as_u64()),
        (Some(invoice.as_str()), Some(2))
    );
    let of = |ep: &str| {
        found["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["endpoint_id"] == ep)
            .cloned()
            .unwrap()
    };
    assert_eq!(of(&erp)["status"], "delivered");
    assert_eq!(of(&erp)["last_status_code"], 200);
    let failed = of(&down);
    assert_eq!(
        (failed["status"].as_str(), failed["attempt_count"].as_u64()),
        (Some("failed"), Some(5))
    );
    assert_eq!(failed["last_status_code"], 500);
    assert_eq!(failed["last_error"], "http_status");

    let (status, none) = s
        .call("GET", "/v1/messages?event_id=TS-1", ADMIN_A, None)
        .await;
    assert_eq!(status, 200, "{none}");
    assert_eq!(none["fan_out"], 0);
    assert_eq!(none["needed_types"], json!(["TIMESHEET_SUBMITTED"]));
    for (token, id) in [(ADMIN_A, "FA-unknown"), (ADMIN_B, "FA-2026-001234")] {
        let (status, p) = s
            .call("GET", &format!("/v1/messages?event_id={id}"), token, None)
            .await;
        assert_eq!(status, 404, "{p}");
    }
    // Without event_id, the failed deliveries are the listing (status defaults to failed).
    let (status, p) = s.call("GET", "/v1/messages", ADMIN_A, None).await;
    assert_eq!(status, 200, "{p}");
    assert!(p["data"].is_array(), "{p}");
    let (status, p) = s
        .call("GET", "/v1/messages?status=pending", ADMIN_A, None)
        .await;
    assert_eq!(
        (status, p["errors"][0]["code"].as_str()),
        (400, Some("status.unknown"))
    );

    // The undelivered list, across endpoints, newest first, one per page.
    let (mut seen, mut cursor) = (Vec::new(), String::new());
    loop {
        let (status, page) = s
            .call(
                "GET",
                &format!("/v1/messages?status=failed&limit=1{cursor}"),
                ADMIN_A,
                None,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        for f in page["data"].as_array().unwrap() {
            assert_eq!(f["endpoint_id"], down.as_str());
            seen.push(f["message_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
        assert!(seen.len() < 10, "pagination does not end");
    }
    assert_eq!(seen, [contract.clone(), invoice.clone()]);
    let (_, later) = s
        .call(
            "GET",
            "/v1/messages?status=failed&since=2999-01-01T00:00:00Z",
            ADMIN_A,
            None,
        )
        .await;
    assert_eq!(later["data"], json!([]));
    let (_, other) = s
        .call("GET", "/v1/messages?status=failed", ADMIN_B, None)
        .await;
    assert_eq!(other["data"], json!([]), "another tenant sees none");
    s.stop().await;
}

/// The early warning: once every attempt has failed for the failing window, the endpoint is
/// shown as failing, with when it will be disabled unless something succeeds; a success
/// clears it.
#[tokio::test]
async fn an_endpoint_failing_for_the_window_is_shown_failing_with_its_disabling_time() {
    let rx = TestReceiver::start().await;
    let s = Stack::start_with(|c| {
        c.failing_after = Duration::from_millis(300);
        c.disable_after = Duration::from_secs(86_400);
    })
    .await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/status/503"), &["INVOICE_VALIDATED"])
        .await;
    let get = || async {
        s.call("GET", &format!("/v1/endpoints/{ep}"), ADMIN_A, None)
            .await
            .1
    };
    let first = s.publish_id("ENS_A", "INVOICE_VALIDATED", json!({})).await;
    s.wait_status(ADMIN_A, &ep, &first, "failed").await;
    let e = get().await;
    let since: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(e["failing_since"].clone()).unwrap();
    wait_until(|| async { get().await["failing"] == true }).await;
    let e = get().await;
    let disable_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(e["disable_at"].clone()).unwrap();
    assert_eq!(disable_at - since, chrono::TimeDelta::days(1), "{e}");
    assert_eq!(e["enabled"], true);
    let (_, list) = s.call("GET", "/v1/endpoints", ADMIN_A, None).await;
    assert_eq!(list["data"][0]["failing"], true, "the list shows it too");
    // A success ends the failing run.
    s.patch(ADMIN_A, &ep, json!({"url": rx.url("/ok/0")})).await;
    let (status, _) = s
        .call(
            "POST",
            &format!("/v1/endpoints/{ep}/messages/{first}/replay"),
            ADMIN_A,
            None,
        )
        .await;
    assert_eq!(status, 202);
    s.wait_status(ADMIN_A, &ep, &first, "delivered").await;
    let e = get().await;
    assert_eq!(
        (e["failing"].clone(), e["disable_at"].clone()),
        (json!(false), Value::Null),
        "{e}"
    );
    s.stop().await;
}
