//! End to end on moto with the built function binaries (api, ingest, delivery) running
//! under a local Lambda Runtime API, fed by emulated SQS event source mappings: an
//! endpoint created through the api function receives signed events; a receiver failing
//! twice gets exactly three attempts spaced by the visibility delays; a dead receiver gets
//! five and the message ends failed; a 410 stops at once; a refused connection and a
//! 50 MiB answer get their documented outcome; a malformed event ends in the ingest DLQ.

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

/// What a Peopulse service does: one event on the ingest queue.
async fn publish(sqs: &aws_sdk_sqs::Client, queue: &str, event: &Value) {
    sqs.send_message()
        .queue_url(queue)
        .message_body(event.to_string())
        .send()
        .await
        .unwrap();
}

fn admin() -> Value {
    json!({"sub": "admin-1", "enseigne_id": "ENS123", "groups": "[admin ops]"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_functions_deliver_retry_and_dead_letter_on_moto() {
    let rx = TestReceiver::start().await;
    let raw = webhooks_tests::RawReceiver::start().await;
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        drop(l);
        format!("http://{a}/")
    };
    let (names, sdk) = testing::fresh_names().await;
    let ingest_queue = testing::queue(&sdk, "ingest").await;
    let ingest_dlq = testing::queue(&sdk, "ingest-dlq").await;
    let mut env = function_env(&names, &ingest_dlq, &ingest_queue);
    // Retries 1 s apart, so the scenario stays short.
    env.extend(
        [
            ("WEBHOOKS_RETRY_BASE_SECONDS", "1"),
            ("WEBHOOKS_RETRY_FACTOR", "1"),
            ("WEBHOOKS_HTTP_TIMEOUT_MS", "2000"),
            ("WEBHOOKS_ROTATION_GRACE_SECONDS", "4"),
            // The portal's groups claim, flattened by API Gateway, holds no spaces here.
            ("WEBHOOKS_ROLE_CLAIM_SPLIT", "true"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let api = Function::start("webhooks-api", &env).await;
    let ingest = Arc::new(Function::start("webhooks-ingest", &env).await);
    let delivery = Arc::new(Function::start("webhooks-delivery", &env).await);
    let counters = Arc::new(Function::start("webhooks-counters", &env).await);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    // The template's batching window for the counters function.
    let window = Duration::from_secs(2);
    let mappings = [
        stream_event_source_mapping(
            testing::StreamReader::new(&sdk, &names.table).await,
            counters.clone(),
            window,
        ),
        event_source_mapping(sqs.clone(), ingest_queue.clone(), ingest.clone()),
        event_source_mapping(
            sqs.clone(),
            names.delivery_queue_url.clone(),
            delivery.clone(),
        ),
    ];

    // Endpoints created through the api function, as an admin of ENS123.
    let mut endpoints = Vec::new();
    for (url, event_type) in [
        (rx.url("/ok/0"), "INVOICE_VALIDATED"),
        (rx.url("/fail-then-ok/2"), "CONTRACT_CREATED"),
        (rx.url("/status/500"), "ORDER_CREATED"),
        (rx.url("/status/410"), "TIMESHEET_SUBMITTED"),
        (refused.clone(), "TIMESHEET_VALIDATED"),
        (raw.url("/big"), "INVOICE_PAID"),
    ] {
        let body = json!({"url": url, "event_types": [event_type]});
        let resp = api
            .invoke(apigw_event("POST", "/v1/endpoints", admin(), Some(body)))
            .await
            .unwrap();
        let (status, ep) = http_response(&resp);
        assert_eq!(status, 201, "{resp}");
        endpoints.push((
            ep["id"].as_str().unwrap().to_owned(),
            ep["secret"].as_str().unwrap().to_owned(),
        ));
    }
    let not_admin = json!({"enseigne_id": "ENS123", "groups": "[ops]"});
    let (status, _) = http_response(
        &api.invoke(apigw_event("GET", "/v1/endpoints", not_admin, None))
            .await
            .unwrap(),
    );
    assert_eq!(status, 403);

    // Peopulse services publish to the ingest queue.
    for (event_type, data) in [
        ("INVOICE_VALIDATED", json!({"invoice_id": "FA-1"})),
        ("CONTRACT_CREATED", json!({"contract_id": "CT-1"})),
        ("ORDER_CREATED", json!({"order_id": "CMD-1"})),
        ("TIMESHEET_SUBMITTED", json!({"timesheet_id": "RH-1"})),
        ("TIMESHEET_VALIDATED", json!({"timesheet_id": "RH-2"})),
        ("INVOICE_PAID", json!({"invoice_id": "FA-2"})),
    ] {
        let body = json!({"tenant_id": "ENS123", "event_type": event_type, "event_data": data});
        publish(&sqs, &ingest_queue, &body).await;
    }
    sqs.send_message()
        .queue_url(&ingest_queue)
        .message_body("{\"tenant_id\": 42}")
        .send()
        .await
        .unwrap();

    // 1 + 3 + 5 requests reach the receiver.
    let by_path = |p: &str| {
        rx.requests()
            .into_iter()
            .filter(|r| r.path == p)
            .collect::<Vec<_>>()
    };
    wait_until(|| async {
        by_path("/status/500").len() >= 5 && by_path("/fail-then-ok/2").len() >= 3
    })
    .await;

    let ok = by_path("/ok/0");
    assert_eq!(ok.len(), 1);
    let secret = Secret::parse(&endpoints[0].1).unwrap();
    assert_eq!(
        ok[0].verify(&secret),
        (true, true),
        "both signatures verify"
    );

    let flaky = by_path("/fail-then-ok/2");
    for w in flaky.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(
            gap >= Duration::from_millis(900),
            "retry came after {gap:?}, before its visibility delay"
        );
    }

    let log = |ep: &str| {
        let api = &api;
        let ep = ep.to_owned();
        async move {
            let resp = api
                .invoke(apigw_event(
                    "GET",
                    &format!("/v1/endpoints/{ep}/messages"),
                    admin(),
                    None,
                ))
                .await
                .unwrap();
            http_response(&resp).1["data"][0].clone()
        }
    };
    wait_until(|| async { log(&endpoints[1].0).await["status"] == "delivered" }).await;
    assert_eq!(log(&endpoints[1].0).await["attempt_count"], 3);
    wait_until(|| async { log(&endpoints[2].0).await["status"] == "failed" }).await;
    let dead = log(&endpoints[2].0).await;
    assert_eq!(dead["attempt_count"], 5);
    // The fault matrix: 410 stops at once, a refused connection is retried to the end, and
    // a 50 MiB answer is a success of which one KiB is read.
    wait_until(|| async { log(&endpoints[3].0).await["status"] == "failed" }).await;
    assert_eq!(log(&endpoints[3].0).await["attempt_count"], 1);
    wait_until(|| async { log(&endpoints[4].0).await["status"] == "failed" }).await;
    assert_eq!(log(&endpoints[4].0).await["attempt_count"], 5);
    wait_until(|| async { log(&endpoints[5].0).await["status"] == "delivered" }).await;
    assert!(raw.bytes_sent_big() < 50 * 1024 * 1024);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(by_path("/status/500").len(), 5, "no sixth attempt");
    assert_eq!(by_path("/status/410").len(), 1, "410 Gone stops retries");
    assert_eq!(
        by_path("/fail-then-ok/2").len(),
        3,
        "no attempt after the success"
    );

    // The counters follow the log through the stream, within the batching window and
    // one invocation.
    let counters_of = |i: usize| {
        let (api, id) = (&api, endpoints[i].0.clone());
        async move {
            let resp = api
                .invoke(apigw_event("GET", "/v1/endpoints", admin(), None))
                .await
                .unwrap();
            let list = http_response(&resp).1;
            list["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["id"] == id.as_str())
                .unwrap()["counters"]
                .clone()
        }
    };
    let settled = std::time::Instant::now();
    let want = [
        (
            1,
            json!({"delivered": 1, "failed_attempts": 2, "failed_messages": 0, "in_flight": 0}),
        ),
        (
            2,
            json!({"delivered": 0, "failed_attempts": 5, "failed_messages": 1, "in_flight": 0}),
        ),
        (
            3,
            json!({"delivered": 0, "failed_attempts": 1, "failed_messages": 1, "in_flight": 0}),
        ),
    ];
    for (i, expected) in want {
        wait_until(|| async { counters_of(i).await == expected }).await;
    }
    assert!(
        settled.elapsed() < window * 3,
        "counters lagged {:?}",
        settled.elapsed()
    );

    // A rotation is honoured by the warm delivery function at once: both secrets sign
    // during the grace period (4 s here), only the new one after it.
    let (ep0, old_secret) = (&endpoints[0].0, Secret::parse(&endpoints[0].1).unwrap());
    let resp = api
        .invoke(apigw_event(
            "POST",
            &format!("/v1/endpoints/{ep0}/rotate-secret"),
            admin(),
            None,
        ))
        .await
        .unwrap();
    let (status, rotated) = http_response(&resp);
    assert_eq!(status, 200, "{resp}");
    let new_secret = Secret::parse(rotated["secret"].as_str().unwrap()).unwrap();
    assert_ne!(new_secret, old_secret);
    let invoice = json!({"tenant_id": "ENS123", "event_type": "INVOICE_VALIDATED", "event_data": {"invoice_id": "FA-2"}});
    publish(&sqs, &ingest_queue, &invoice).await;
    wait_until(|| async { by_path("/ok/0").len() == 2 }).await;
    let during = &by_path("/ok/0")[1];
    assert_eq!(
        during.verify(&new_secret),
        (true, true),
        "the new secret signs at once"
    );
    assert_eq!(
        during.verify(&old_secret),
        (true, true),
        "the old one too, during the grace"
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    publish(&sqs, &ingest_queue, &invoice).await;
    wait_until(|| async { by_path("/ok/0").len() == 3 }).await;
    let after = &by_path("/ok/0")[2];
    assert_eq!(after.verify(&new_secret), (true, true));
    assert_eq!(
        after.verify(&old_secret),
        (false, false),
        "not after the grace"
    );

    // The malformed event is in the ingest DLQ, with its reason.
    let rejected = sqs
        .receive_message()
        .queue_url(&ingest_dlq)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].body(), Some("{\"tenant_id\": 42}"));
    let reason = rejected[0].message_attributes().unwrap()["rejection_reason"]
        .string_value()
        .unwrap()
        .to_owned();
    assert!(reason.contains("tenant_id"), "{reason}");

    for m in mappings {
        m.abort();
    }
    assert_eq!(ingest.init_error(), None);
    assert_eq!(delivery.init_error(), None);
    assert_eq!(counters.init_error(), None);
    api.stop().await;
}

/// At the template's default level, a delivered message costs the functions at most 300
/// bytes of log lines (CloudWatch Logs bills them), one event per batch or ten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_message_writes_at_most_300_bytes_of_logs() {
    let rx = TestReceiver::start().await;
    let (names, sdk) = testing::fresh_names().await;
    let ingest_queue = testing::queue(&sdk, "ingest").await;
    let ingest_dlq = testing::queue(&sdk, "ingest-dlq").await;
    let env = function_env(&names, &ingest_dlq, &ingest_queue);
    let (stores, _) = webhooks_aws::aws_stores(&sdk, &names);
    let tenant = webhooks_core::TenantId::parse("ENS123").unwrap();
    webhooks_tests::lambda::stored_endpoint(&stores, &tenant, rx.url("/ok/0")).await;
    let ingest = Arc::new(Function::start("webhooks-ingest", &env).await);
    let delivery = Arc::new(Function::start("webhooks-delivery", &env).await);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let mappings = [
        event_source_mapping(sqs.clone(), ingest_queue.clone(), ingest.clone()),
        event_source_mapping(
            sqs.clone(),
            names.delivery_queue_url.clone(),
            delivery.clone(),
        ),
    ];
    let publish = |i: usize| {
        let body = json!({"tenant_id": "ENS123", "event_type": "INVOICE_VALIDATED",
            "event_id": format!("FA-{i}"), "event_data": {"invoice_id": format!("FA-{i}")}});
        sqs.send_message()
            .queue_url(&ingest_queue)
            .message_body(body.to_string())
            .send()
    };
    let logged = || ingest.log_bytes() + delivery.log_bytes();
    // One event per batch: each waits for the previous delivery.
    for i in 0..5 {
        publish(i).await.unwrap();
        wait_until(|| async { rx.requests().len() > i }).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let per_message = logged() as f64 / 5.0;
    eprintln!("log bytes per delivered message, one per batch: {per_message}");
    assert!(
        per_message <= 300.0,
        "{per_message} log bytes per delivered message at fill 1"
    );
    // Ten at once.
    let before = logged();
    for i in 5..15 {
        publish(i).await.unwrap();
    }
    wait_until(|| async { rx.requests().len() >= 15 }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let per_message = (logged() - before) as f64 / 10.0;
    eprintln!("log bytes per delivered message, ten per batch: {per_message}");
    assert!(
        per_message <= 300.0,
        "{per_message} log bytes per delivered message in batches"
    );
    for m in mappings {
        m.abort();
    }
}
