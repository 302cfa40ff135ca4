//! P4: AWS API calls per delivered message, counted by an SDK interceptor on a moto server
//! while the real ingest and delivery code runs (the same services and adapters as the
//! Lambda functions; the SQS event-source mapping's receives and deletes are counted
//! separately, batched by ten as Lambda does). Prints calls per message by operation for the
//! happy path and per retried attempt; docs/COSTS.md turns them into dollars.
//!
//! Run: `infra/bench.sh` (it starts moto), or with WEBHOOKS_TEST_AWS_ENDPOINT set:
//! `cargo run --release -p webhooks-benches --bin aws_requests -- --events 100`

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use webhooks_aws::{aws_stores_counted, testing, RequestCounter};
use webhooks_benches::{arg, Receiver};
use webhooks_core::catalog::Catalog;
use webhooks_core::model::{DeliveryTask, Endpoint};
use webhooks_core::retry::RetryPolicy;
use webhooks_core::services::{
    DeliveryConfig, DeliveryOutcome, DeliveryService, IngestService, Stores,
};
use webhooks_core::signing::Secret;
use webhooks_core::TenantId;
use webhooks_outbound::ReqwestSender;

/// Receives the delivery queue in batches of ten like an event-source mapping, runs the
/// delivery service on each task, deletes finished ones in one batch call, and sets the
/// visibility of retried ones (as the delivery function does). Returns attempts made.
async fn drain(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    delivery: &DeliveryService,
    queue: &webhooks_aws::SqsTaskQueue,
) -> u64 {
    let mut attempts = 0;
    let mut idle = 0;
    while idle < 3 {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            idle += 1;
            tokio::time::sleep(Duration::from_millis(600)).await;
            continue;
        }
        idle = 0;
        let mut done = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            let task: DeliveryTask = serde_json::from_str(m.body().unwrap()).unwrap();
            let d = delivery.deliver(&task).await.unwrap();
            attempts += u64::from(d.attempt.is_some());
            match d.outcome {
                DeliveryOutcome::RetryIn(delay) => queue
                    .retry_later(m.receipt_handle().unwrap(), delay)
                    .await
                    .unwrap(),
                _ => done.push(
                    aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle().unwrap())
                        .build()
                        .unwrap(),
                ),
            }
        }
        if !done.is_empty() {
            sqs.delete_message_batch()
                .queue_url(url)
                .set_entries(Some(done))
                .send()
                .await
                .unwrap();
        }
    }
    attempts
}

/// Creates an endpoint at `url` subscribed to `event_type`, with its secret (set-up, not counted).
async fn add_endpoint(stores: &Stores, tenant: &TenantId, url: String, event_type: &str) {
    let ep = Endpoint::new(
        tenant.clone(),
        url,
        String::new(),
        vec![event_type.into()],
        true,
    );
    stores.endpoints.create(&ep).await.unwrap();
    stores
        .secrets
        .put(tenant, &ep.id, &Secret::generate())
        .await
        .unwrap();
}

fn print(title: &str, per: f64, calls: &BTreeMap<String, u64>) {
    println!("\n{title}");
    println!(
        "| operation | calls | per {} |",
        if per == 1.0 { "run" } else { "unit" }
    );
    println!("|---|---|---|");
    let mut total = 0.0;
    for (op, n) in calls {
        println!("| {op} | {n} | {:.2} |", *n as f64 / per);
        total += *n as f64 / per;
    }
    println!("| **total** | | **{total:.2}** |");
}

#[tokio::main]
async fn main() {
    let events: u64 = arg("--events", 100);
    let (names, sdk) = testing::fresh_names().await;
    let rx = Receiver::start(Instant::now(), false).await;
    let counter = RequestCounter::default();
    let esm = RequestCounter::default();
    let (stores, queue) = aws_stores_counted(&sdk, &names, Some(counter.clone()));
    let esm_sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&sdk)
            .interceptor(esm.clone())
            .build(),
    );
    let tenant = TenantId::parse("ENS123").unwrap();
    let sender = Arc::new(ReqwestSender::new(Duration::from_secs(5), true).unwrap());
    let ingest = IngestService::new(stores.clone(), Arc::new(Catalog::built_in()));
    // Retries come back after 1 s (the shortest SQS delay) so the run stays short.
    let retry = RetryPolicy::new(2, Duration::from_secs(1), 1.0).unwrap();
    let delivery = DeliveryService::new(
        stores.clone(),
        sender,
        DeliveryConfig {
            retry,
            ..DeliveryConfig::default()
        },
    );

    // Set-up (not counted): one endpoint and its secret.
    add_endpoint(&stores, &tenant, rx.url(), "INVOICE_VALIDATED").await;
    counter.reset();

    // Happy path: each event fanned out to one endpoint and delivered at the first attempt.
    for i in 0..events {
        let raw = serde_json::json!({"tenant_id": "ENS123", "event_type": "INVOICE_VALIDATED", "event_id": format!("FA-{i}"), "event_data": {"invoice_id": i}});
        ingest
            .ingest_bytes(raw.to_string().as_bytes())
            .await
            .unwrap();
    }
    let ingest_calls = counter.snapshot();
    counter.reset();
    let attempts = drain(&esm_sqs, &names.delivery_queue_url, &delivery, &queue).await;
    assert_eq!(attempts, events);
    assert_eq!(rx.received(), events);
    let delivery_calls = counter.snapshot();
    print(
        &format!("ingest, per event ({events} events, event_id given)"),
        events as f64,
        &ingest_calls,
    );
    print(
        "delivery function, per delivered message",
        events as f64,
        &delivery_calls,
    );
    print(
        "event-source mapping (made by Lambda, billed as SQS requests), per delivered message",
        events as f64,
        &esm.snapshot(),
    );

    // Retry path: a failing endpoint; every attempt after the first is a retried attempt.
    let missing = format!("http://{}/missing", rx.addr);
    add_endpoint(&stores, &tenant, missing, "ORDER_CREATED").await;
    let failures: u64 = (events / 10).max(1);
    for _ in 0..failures {
        ingest
            .ingest_bytes(br#"{"tenant_id":"ENS123","event_type":"ORDER_CREATED","event_data":{}}"#)
            .await
            .unwrap();
    }
    counter.reset();
    esm.reset();
    let attempts = drain(&esm_sqs, &names.delivery_queue_url, &delivery, &queue).await;
    let mut both = counter.snapshot();
    for (k, v) in esm.snapshot() {
        *both
            .entry(format!("{k} (event-source mapping)"))
            .or_default() += v;
    }
    print(
        &format!("failing endpoint: {failures} messages, {attempts} attempts, per attempt"),
        attempts as f64,
        &both,
    );
}
