//! Operational events and notification mails on the local stack: a dead receiver becomes
//! failing, then disabled; another endpoint of the tenant is told through signed webhooks,
//! never the dead one about itself, and the tenant's recipients by mail (a real SMTP
//! server).

use serde_json::{json, Value};
use std::time::Duration;
use webhooks_core::signing::Secret;
use webhooks_tests::smtp::SmtpServer;
use webhooks_tests::{wait_until, Stack, TestReceiver, ADMIN_A};

const OPS: [&str; 3] = [
    "WEBHOOK_ENDPOINT_FAILING",
    "WEBHOOK_ENDPOINT_DISABLED",
    "WEBHOOK_MESSAGE_FAILED",
];

fn events_of(receiver: &TestReceiver, ty: &str) -> Vec<Value> {
    (receiver.requests().iter())
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .filter(|b| b["event_type"] == ty)
        .collect()
}

async fn save_settings(stack: &Stack, events: &[&str]) {
    let (status, body) = stack
        .call(
            "PUT",
            "/v1/notifications",
            ADMIN_A,
            Some(
                json!({"recipients": [" ops@agence.example "], "events": events, "language": "fr"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["recipients"], json!(["ops@agence.example"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_is_announced_failing_then_disabled_by_webhook_and_mail() {
    let smtp = SmtpServer::start().await;
    let receiver = TestReceiver::start().await;
    let stack = Stack::start_with(|c| {
        c.smtp_url = Some(smtp.url());
        c.retry =
            webhooks_core::retry::RetryPolicy::new(5, Duration::from_millis(100), 1.0).unwrap();
        c.failing_after = Duration::from_millis(600);
        c.disable_after = Duration::from_millis(2500);
    })
    .await;
    // The dead endpoint takes the operational types too: it must never get one about itself.
    let mut dead_types = vec!["INVOICE_VALIDATED"];
    dead_types.extend(OPS);
    let (dead, _) = stack
        .create_endpoint(ADMIN_A, &receiver.url("/status/503"), &dead_types)
        .await;
    let (ops, ops_secret) = stack
        .create_endpoint(ADMIN_A, &receiver.url("/ok/ops"), &OPS)
        .await;
    save_settings(&stack, &OPS[..2]).await;

    // Events keep coming until the dead endpoint is disabled.
    for i in 0..60 {
        let (_, ep) = stack
            .call("GET", &format!("/v1/endpoints/{dead}"), ADMIN_A, None)
            .await;
        if ep["enabled"] == false {
            assert!(ep["disabled_reason"].is_string(), "{ep}");
            break;
        }
        assert!(i < 59, "the endpoint was never disabled: {ep}");
        stack
            .publish(
                "ENS_A",
                "INVOICE_VALIDATED",
                json!({"invoice_id": format!("FA-{i}")}),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    wait_until(|| async { !events_of(&receiver, "WEBHOOK_ENDPOINT_DISABLED").is_empty() }).await;
    wait_until(|| async { smtp.mails().len() >= 2 }).await;

    let failing = events_of(&receiver, "WEBHOOK_ENDPOINT_FAILING");
    let disabled = events_of(&receiver, "WEBHOOK_ENDPOINT_DISABLED");
    assert_eq!(failing.len(), 1, "once per run of failures: {failing:?}");
    assert_eq!(disabled.len(), 1, "{disabled:?}");
    assert!(!events_of(&receiver, "WEBHOOK_MESSAGE_FAILED").is_empty());
    let f = &failing[0]["event_data"];
    assert_eq!(f["endpoint_id"], dead.as_str());
    assert_eq!(f["last_error"]["status_code"], 503);
    assert!(
        f["disable_at"].is_string() && f["failing_since"].is_string(),
        "{f}"
    );
    assert_eq!(
        f["links"]["endpoint"],
        format!("{}/#/endpoints/{dead}", stack.base),
        "links into the UI"
    );
    assert_eq!(disabled[0]["event_data"]["reason"], "failing");
    // Every operational webhook went to the other endpoint, signed; none to the dead one.
    let secret = Secret::parse(&ops_secret).unwrap();
    for r in receiver.requests() {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let ty = body["event_type"].as_str().unwrap();
        if ty.starts_with("WEBHOOK_") {
            assert_eq!(r.path, "/ok/ops", "{ty} went to the endpoint it is about");
            assert_eq!(body["event_data"]["endpoint_id"], dead.as_str());
            assert_eq!(r.verify(&secret), (true, true), "{ty} is signed");
        }
    }
    // They are in the log like any message.
    let (_, log) = stack
        .call(
            "GET",
            &format!("/v1/endpoints/{ops}/messages?limit=100"),
            ADMIN_A,
            None,
        )
        .await;
    assert!(log["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event_type"] == "WEBHOOK_ENDPOINT_DISABLED"));

    // The recipients got the two chosen events, in French, naming the endpoint.
    let mails = smtp.mails();
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(mails.iter().all(|m| m.to == ["ops@agence.example"]));
    assert!(
        mails[0].subject.contains("Livraisons en échec"),
        "{}",
        mails[0].subject
    );
    assert!(
        mails[1].subject.contains("désactivé"),
        "{}",
        mails[1].subject
    );
    for m in &mails {
        assert!(m.text.contains(&receiver.url("/status/503")), "{}", m.text);
        assert!(
            m.text.contains("erreur interne"),
            "the error in words:\n{}",
            m.text
        );
        assert!(m.text.contains("Que faire"), "{}", m.text);
    }
    let (status, history) = stack
        .call("GET", "/v1/notifications/history", ADMIN_A, None)
        .await;
    assert_eq!(status, 200);
    let statuses: Vec<_> = history["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("sent"), json!("sent")], "{history}");
    stack.stop().await;
    smtp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_disable_is_announced_and_a_mail_that_cannot_go_is_recorded_failed() {
    let receiver = TestReceiver::start().await;
    // Nothing listens there: every try of the mail fails, and nothing else may.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let stack = Stack::start_with(|c| c.smtp_url = Some(format!("smtp://{closed}"))).await;
    let (target, _) = stack
        .create_endpoint(ADMIN_A, &receiver.url("/ok/target"), &["INVOICE_VALIDATED"])
        .await;
    stack
        .create_endpoint(
            ADMIN_A,
            &receiver.url("/ok/ops"),
            &["WEBHOOK_ENDPOINT_DISABLED"],
        )
        .await;
    save_settings(&stack, &["WEBHOOK_ENDPOINT_DISABLED"]).await;
    stack
        .patch(ADMIN_A, &target, json!({"enabled": false}))
        .await;

    wait_until(|| async { !events_of(&receiver, "WEBHOOK_ENDPOINT_DISABLED").is_empty() }).await;
    let d = &events_of(&receiver, "WEBHOOK_ENDPOINT_DISABLED")[0]["event_data"];
    assert_eq!(
        (d["endpoint_id"].as_str(), d["reason"].as_str()),
        (Some(target.as_str()), Some("manual"))
    );
    wait_until(|| async {
        let (_, h) = stack
            .call("GET", "/v1/notifications/history", ADMIN_A, None)
            .await;
        h["data"][0]["status"] == "failed"
    })
    .await;
    let (_, h) = stack
        .call("GET", "/v1/notifications/history", ADMIN_A, None)
        .await;
    assert!(
        h["data"][0]["error"].as_str().unwrap().contains("3 tries"),
        "{h}"
    );
    // Deliveries go on regardless.
    let (enabled, _) = stack
        .create_endpoint(ADMIN_A, &receiver.url("/ok/other"), &["INVOICE_VALIDATED"])
        .await;
    let msg = stack
        .publish_id("ENS_A", "INVOICE_VALIDATED", json!({"invoice_id": "FA-1"}))
        .await;
    stack
        .wait_status(ADMIN_A, &enabled, &msg, "delivered")
        .await;
    stack.stop().await;
}

#[tokio::test]
async fn notification_settings_are_checked_per_field() {
    let stack = Stack::start().await;
    let (status, body) = stack.call("GET", "/v1/notifications", ADMIN_A, None).await;
    assert_eq!((status, &body["recipients"]), (200, &json!([])), "{body}");
    let eleven: Vec<String> = (0..11).map(|i| format!("u{i}@agence.example")).collect();
    for (settings, field) in [
        (
            json!({"recipients": ["pas une adresse"], "events": []}),
            "recipients[0]",
        ),
        (json!({"recipients": eleven, "events": []}), "recipients"),
        (
            json!({"recipients": [], "events": ["INVOICE_VALIDATED"]}),
            "events[0]",
        ),
    ] {
        let (status, body) = stack
            .call("PUT", "/v1/notifications", ADMIN_A, Some(settings))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    let (status, _) = stack
        .call(
            "PUT",
            "/v1/notifications",
            ADMIN_A,
            Some(json!({"recipients": [], "events": [], "extra": 1})),
        )
        .await;
    assert_eq!(status, 400, "unknown fields are refused");
    stack.stop().await;
}
