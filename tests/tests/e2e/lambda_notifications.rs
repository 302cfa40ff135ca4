//! Operational events and mails on moto, with the built functions: a dead receiver becomes
//! failing, then disabled (its `failing_since` comes from the counters function, seconds
//! behind, as on AWS); the delivery and api functions publish to the ingest queue; the
//! ingest function fans the events out, never to the endpoint they are about, and mails
//! the tenant's recipients through SES (moto refuses a sender it has not verified).

use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use webhooks_aws::testing;
use webhooks_core::signing::Secret;
use webhooks_tests::lambda::{
    apigw_event, event_source_mapping, function_env, http_response, stream_event_source_mapping,
    Function,
};
use webhooks_tests::{wait_until, TestReceiver};

const OPS: [&str; 3] = [
    "WEBHOOK_ENDPOINT_FAILING",
    "WEBHOOK_ENDPOINT_DISABLED",
    "WEBHOOK_MESSAGE_FAILED",
];
const SENDER: &str = "webhooks@peopulse.example";

fn admin() -> Value {
    json!({"sub": "admin-1", "enseigne_id": "ENS123", "groups": "[admin]"})
}

/// The mails moto's SES accepted: (source, to, subject, body).
async fn ses_messages() -> Vec<(String, Vec<String>, String, String)> {
    let url = format!("{}/moto-api/data.json", testing::moto_endpoint());
    let data: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    (data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default())
    .iter()
    .filter(|m| m["source"] == SENDER)
    .map(|m| {
        let to = (m["destinations"]["ToAddresses"].as_array().unwrap().iter())
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        let s = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
        (s("source"), to, s("subject"), s("body"))
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_and_disabled_endpoints_are_announced_by_webhook_and_ses_on_moto() {
    let rx = TestReceiver::start().await;
    let (names, sdk) = testing::fresh_names().await;
    // The sender's domain is verified, as a deployment's would be (parameter NotificationSender).
    aws_sdk_sesv2::Client::new(&sdk)
        .create_email_identity()
        .email_identity("peopulse.example")
        .send()
        .await
        .unwrap();
    let ingest_queue = testing::queue(&sdk, "ingest").await;
    let ingest_dlq = testing::queue(&sdk, "ingest-dlq").await;
    let mut env = function_env(&names, &ingest_dlq, &ingest_queue);
    env.extend(
        [
            ("WEBHOOKS_RETRY_BASE_SECONDS", "1"),
            ("WEBHOOKS_RETRY_FACTOR", "1"),
            ("WEBHOOKS_FAILING_AFTER_SECONDS", "1"),
            ("WEBHOOKS_DISABLE_AFTER_SECONDS", "8"),
            ("WEBHOOKS_MAIL_FROM", SENDER),
            ("WEBHOOKS_ROLE_CLAIM_SPLIT", "true"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let api = Function::start("webhooks-api", &env).await;
    let ingest = Arc::new(Function::start("webhooks-ingest", &env).await);
    let delivery = Arc::new(Function::start("webhooks-delivery", &env).await);
    let counters = Arc::new(Function::start("webhooks-counters", &env).await);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let mappings = [
        stream_event_source_mapping(
            testing::StreamReader::new(&sdk, &names.table).await,
            counters.clone(),
            Duration::from_secs(2),
        ),
        event_source_mapping(sqs.clone(), ingest_queue.clone(), ingest.clone()),
        event_source_mapping(
            sqs.clone(),
            names.delivery_queue_url.clone(),
            delivery.clone(),
        ),
    ];
    let call = |method: &'static str, path: String, body: Option<Value>| {
        let api = &api;
        async move {
            http_response(
                &api.invoke(apigw_event(method, &path, admin(), body))
                    .await
                    .unwrap(),
            )
        }
    };
    let create = |url: String, types: Vec<&'static str>| async move {
        let (status, ep) = call(
            "POST",
            "/v1/endpoints".into(),
            Some(json!({"url": url, "event_types": types})),
        )
        .await;
        assert_eq!(status, 201, "{ep}");
        (
            ep["id"].as_str().unwrap().to_owned(),
            ep["secret"].as_str().unwrap().to_owned(),
        )
    };
    let mut dead_types = vec!["INVOICE_VALIDATED"];
    dead_types.extend(OPS);
    let (dead, _) = create(rx.url("/status/503"), dead_types).await;
    let (_, ops_secret) = create(rx.url("/ok/ops"), OPS.to_vec()).await;
    let (manual, _) = create(rx.url("/ok/manual"), vec!["ORDER_CREATED"]).await;
    let settings =
        json!({"recipients": ["ops@agence.example"], "events": &OPS[..2], "language": "fr"});
    let (status, body) = call("PUT", "/v1/notifications".into(), Some(settings)).await;
    assert_eq!(status, 200, "{body}");

    for i in 0..40 {
        let (_, ep) = call("GET", format!("/v1/endpoints/{dead}"), None).await;
        if ep["enabled"] == false {
            break;
        }
        assert!(i < 39, "never disabled: {ep}");
        let event = json!({"tenant_id": "ENS123", "event_type": "INVOICE_VALIDATED", "event_data": {"invoice_id": format!("FA-{i}")}});
        sqs.send_message()
            .queue_url(&ingest_queue)
            .message_body(event.to_string())
            .send()
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // An admin disables another endpoint: the api function announces it.
    let (status, _) = call(
        "PATCH",
        format!("/v1/endpoints/{manual}"),
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(status, 200);

    let of_type = |ty: &'static str| {
        let rx = &rx;
        move || {
            (rx.requests().into_iter())
                .filter_map(|r| {
                    let b: Value = serde_json::from_slice(&r.body).ok()?;
                    (b["event_type"] == ty).then_some((r, b))
                })
                .collect::<Vec<_>>()
        }
    };
    let disabled = of_type("WEBHOOK_ENDPOINT_DISABLED");
    wait_until(|| async { disabled().len() >= 2 }).await;
    wait_until(|| async { ses_messages().await.len() >= 3 }).await;

    let failing = of_type("WEBHOOK_ENDPOINT_FAILING")();
    assert_eq!(failing.len(), 1, "once per run of failures");
    let secret = Secret::parse(&ops_secret).unwrap();
    for (r, body) in failing
        .iter()
        .chain(&disabled())
        .chain(&of_type("WEBHOOK_MESSAGE_FAILED")())
    {
        assert_eq!(
            r.path, "/ok/ops",
            "never to the endpoint it is about: {body}"
        );
        assert_eq!(r.verify(&secret), (true, true));
    }
    let reasons: Vec<_> = (disabled().iter())
        .map(|(_, b)| {
            (
                b["event_data"]["endpoint_id"].as_str().unwrap().to_owned(),
                b["event_data"]["reason"].clone(),
            )
        })
        .collect();
    assert!(
        reasons.contains(&(dead.clone(), json!("failing"))),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&(manual.clone(), json!("manual"))),
        "{reasons:?}"
    );
    assert_eq!(
        failing[0].1["event_data"]["links"]["endpoint"],
        format!("https://api-test.execute-api.eu-west-3.amazonaws.com/#/endpoints/{dead}"),
        "links to the console URL template.yaml gives the ingest function"
    );

    let mails = ses_messages().await;
    assert_eq!(
        mails.len(),
        3,
        "failing, disabled, disabled by hand: {mails:?}"
    );
    for (_, to, subject, body) in &mails {
        assert_eq!(to, &["ops@agence.example"]);
        assert!(subject.contains("Webhooks Peopulse"), "{subject}");
        assert!(body.contains("Que faire"), "{body}");
    }
    assert!(mails.iter().any(|m| m.2.contains("Livraisons en échec")));
    let (_, history) = call("GET", "/v1/notifications/history".into(), None).await;
    let statuses: Vec<_> = (history["data"].as_array().unwrap().iter())
        .map(|n| n["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!("sent"); 3], "{history}");

    for m in mappings {
        m.abort();
    }
    for f in [&ingest, &delivery, &counters] {
        assert_eq!(f.init_error(), None, "{}", f.name);
    }
    api.stop().await;
}
