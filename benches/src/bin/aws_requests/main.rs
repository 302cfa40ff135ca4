//! P4: what one delivered message costs on AWS, measured on a moto server while the real
//! ingest, delivery and counters code runs (the services and adapters of the Lambda
//! functions), at SQS batch fill 10 and 1, fan-out 1, a 1 KiB event with an `event_id`.
//!
//! - AWS requests: an SDK interceptor counts every call the functions make, the publisher's
//!   sends, and the event-source mappings' receives and deletes (emulated as Lambda makes
//!   them, `fill` messages per receive).
//! - DynamoDB write units: from the table's stream, which holds every write's real before
//!   and after images (the larger is billed, per started KB), plus index writes when the
//!   sparse index's keys appear, change or go, or its projected status and due time change.
//! - Read units: from the sizes of the items each read returned (per 4 KB, halved when
//!   eventually consistent).
//! - Dollars: Paris list prices (docs/COSTS.md), with the stated Lambda durations.
//!
//! It fails if any ingest or delivery call is a `TransactWriteItems`.
//!
//! Run: `infra/bench.sh` (it starts moto), or with WEBHOOKS_TEST_AWS_ENDPOINT set:
//! `cargo run --release -p webhooks-benches --bin aws_requests -- --events 100`

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use webhooks_aws::testing::{self, StreamReader};
use webhooks_aws::{aws_stores_counted, records_from_event, CounterAggregator, RequestCounter};
use webhooks_benches::{arg, Receiver};
use webhooks_core::catalog::Catalog;
use webhooks_core::model::{DeliveryTask, Endpoint};
use webhooks_core::retry::RetryPolicy;
use webhooks_core::services::{
    DeliveryConfig, DeliveryOutcome, DeliveryService, IngestService, Stores,
};
use webhooks_core::TenantId;
use webhooks_outbound::HyperSender;

mod cost;

use cost::{report, wru_of, Measured};

/// The counters function's batching window (template.yaml).
const WINDOW: Duration = Duration::from_secs(2);

/// A 1 KiB invoice event.
fn event(i: usize) -> String {
    let lines: Vec<_> = (0..6)
        .map(|l| serde_json::json!({"sku": format!("MISSION-{i}-{l}"), "label": "Heures normales intérimaire", "hours": 35.0, "rate": 14.25}))
        .collect();
    let data = serde_json::json!({"invoice_id": format!("FA-2026-{i:06}"), "agency_id": "AG-75",
        "client_id": "CL-000123", "amount_excl_tax": 1850.40, "currency": "EUR", "lines": lines});
    let e = serde_json::json!({"tenant_id": "ENS123", "event_type": "INVOICE_VALIDATED",
        "event_id": format!("FA-2026-{i:06}"), "event_data": data});
    e.to_string()
}

/// Receives `queue` like an event-source mapping, `fill` messages at a time, until it stays
/// empty; hands each batch to `run` (true = delete) and deletes the finished ones in one call.
async fn event_source<F, Fut>(
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    fill: i32,
    empty: &AtomicU64,
    mut run: F,
) -> u64
where
    F: FnMut(Vec<aws_sdk_sqs::types::Message>) -> Fut,
    Fut: std::future::Future<Output = Vec<(String, bool)>>,
{
    // Retries come back after a second or two: wait that long before calling it empty.
    let (mut idle, mut invocations) = (0, 0);
    while idle < 8 {
        let got = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(fill)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            // Lambda's pollers receive empty queues too: a fixed cost per queue (docs/COSTS.md),
            // not a cost of the messages.
            empty.fetch_add(1, Ordering::SeqCst);
            idle += 1;
            tokio::time::sleep(Duration::from_millis(400)).await;
            continue;
        }
        idle = 0;
        invocations += 1;
        let done: Vec<_> = run(messages)
            .await
            .into_iter()
            .enumerate()
            .filter(|(_, (_, ok))| *ok)
            .map(|(i, (handle, _))| {
                aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .build()
                    .unwrap()
            })
            .collect();
        if !done.is_empty() {
            sqs.delete_message_batch()
                .queue_url(queue)
                .set_entries(Some(done))
                .send()
                .await
                .unwrap();
        }
    }
    invocations
}

fn counted_sqs(sdk: &aws_config::SdkConfig, c: &RequestCounter) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(sdk)
            .interceptor(c.clone())
            .build(),
    )
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
    stores.secrets.issue(tenant, &ep.id, 1).await.unwrap();
}

/// Publishes `events` at `fill`, runs ingest, delivery and counters as Lambda would, and
/// returns what it cost and how many attempts were made.
async fn run(events: usize, fill: usize, url_path: &str, max_attempts: u32) -> (Measured, u64) {
    let (names, sdk) = testing::fresh_names().await;
    let ingest_queue = testing::queue(&sdk, "ingest").await;
    let rx = Receiver::start(Instant::now(), false).await;
    let functions = RequestCounter::default();
    let (publisher, esm, aggregation) = Default::default();
    let (stores, queue) = aws_stores_counted(&sdk, &names, Some(functions.clone()));
    let tenant = TenantId::parse("ENS123").unwrap();
    let url = format!("http://{}{url_path}", rx.addr);
    add_endpoint(&stores, &tenant, url, "INVOICE_VALIDATED").await;
    let meter = StreamReader::new(&sdk, &names.table).await;
    let _ = meter.next_event().await; // the set-up's writes
    let counters_stream = StreamReader::new(&sdk, &names.table).await;
    let _ = counters_stream.next_event().await;
    let aggregator = CounterAggregator::new(
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .interceptor(RequestCounter::clone(&aggregation))
                .build(),
        ),
        &names.table,
        30,
    );
    // The counters function: every window, what the stream gathered meanwhile.
    let counters_runs = Arc::new(AtomicU64::new(0));
    let pump = {
        let runs = counters_runs.clone();
        move |stop: Arc<AtomicBool>| async move {
            loop {
                let last = stop.load(Ordering::SeqCst);
                tokio::time::sleep(if last { Duration::ZERO } else { WINDOW }).await;
                while let Some(ev) = counters_stream.next_event().await {
                    aggregator
                        .apply(&records_from_event(&ev).unwrap())
                        .await
                        .unwrap();
                    runs.fetch_add(1, Ordering::SeqCst);
                    if !last {
                        break;
                    }
                }
                if last {
                    return;
                }
            }
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let pumping = tokio::spawn(pump(stop.clone()));
    functions.reset();

    let ingest = IngestService::new(stores.clone(), Arc::new(Catalog::built_in()));
    let sender = Arc::new(HyperSender::new(Duration::from_secs(5), true, None, None).unwrap());
    // Retries come back after 1 s (the shortest SQS delay) so the run stays short.
    let delivery = DeliveryService::new(
        stores.clone(),
        sender,
        DeliveryConfig {
            retry: RetryPolicy::new(max_attempts, Duration::from_secs(1), 1.0).unwrap(),
            ..DeliveryConfig::default()
        },
    );
    let (pub_sqs, esm_sqs) = (counted_sqs(&sdk, &publisher), counted_sqs(&sdk, &esm));

    // The publisher: SendMessageBatch of ten at fill 10, SendMessage at fill 1.
    let bodies: Vec<String> = (0..events).map(event).collect();
    for chunk in bodies.chunks(fill) {
        if fill == 1 {
            pub_sqs
                .send_message()
                .queue_url(&ingest_queue)
                .message_body(&chunk[0])
                .send()
                .await
                .unwrap();
        } else {
            let entries = chunk.iter().enumerate().map(|(i, b)| {
                aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(b)
                    .build()
                    .unwrap()
            });
            pub_sqs
                .send_message_batch()
                .queue_url(&ingest_queue)
                .set_entries(Some(entries.collect()))
                .send()
                .await
                .unwrap();
        }
    }
    let fill = i32::try_from(fill).unwrap();
    let empty = AtomicU64::new(0);
    let ingested = event_source(&esm_sqs, &ingest_queue, fill, &empty, |batch| {
        let ingest = &ingest;
        async move {
            let raws: Vec<&[u8]> = batch.iter().map(|m| m.body().unwrap().as_bytes()).collect();
            let results = ingest.ingest_batch(&raws).await;
            batch
                .iter()
                .zip(results)
                .map(|(m, r)| (m.receipt_handle().unwrap().to_owned(), r.is_ok()))
                .collect()
        }
    })
    .await;

    // Delivery, with the counters function's batching window running alongside.
    let attempts = AtomicU64::new(0);
    let delivered = event_source(&esm_sqs, &names.delivery_queue_url, fill, &empty, |batch| {
        let (delivery, queue, attempts) = (&delivery, &queue, &attempts);
        async move {
            let mut out = Vec::new();
            for m in &batch {
                let mut task: DeliveryTask = serde_json::from_str(m.body().unwrap()).unwrap();
                let receives = m.attributes().and_then(|a| {
                    a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
                });
                if receives.is_none_or(|n| n != "1") {
                    task = task.without_attempt();
                }
                let d = delivery.deliver(&task).await.unwrap();
                attempts.fetch_add(u64::from(d.attempt.is_some()), Ordering::SeqCst);
                let handle = m.receipt_handle().unwrap().to_owned();
                match d.outcome {
                    DeliveryOutcome::RetryIn(delay) => {
                        queue.retry_later(&handle, delay).await.unwrap();
                        out.push((handle, false));
                    }
                    _ => out.push((handle, true)),
                }
            }
            out
        }
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    pumping.await.unwrap();
    let calls = functions.snapshot();
    assert!(
        !calls.keys().any(|op| op.contains("TransactWriteItems")),
        "a transaction on the ingest or delivery path: {calls:?}"
    );
    let mut m = Measured {
        invocations: [ingested, delivered, counters_runs.load(Ordering::SeqCst)],
        ..Measured::default()
    };
    m.add_calls("", &functions);
    m.add_calls("publisher: ", &publisher);
    m.add_calls("event-source mappings: ", &esm);
    if let Some(n) = m.calls.get_mut("event-source mappings: SQS.ReceiveMessage") {
        *n -= empty.load(Ordering::SeqCst);
    }
    m.add_calls("counters function: ", &aggregation);
    let mut stream_events = Vec::new();
    while let Some(ev) = meter.next_event().await {
        stream_events.push(ev);
    }
    wru_of(&stream_events, &mut m.wru);
    (m, attempts.into_inner())
}

#[tokio::main]
async fn main() {
    let events: usize = arg("--events", 100);
    println!("P4, AWS cost per delivered message on moto: {events} events of about 1 KiB, fan-out 1, event_id given");
    for fill in [10, 1] {
        let (m, attempts) = run(events, fill, "/hook", 5).await;
        assert_eq!(
            attempts as usize, events,
            "one attempt per message on the happy path"
        );
        report(
            &format!("happy path, SQS batch fill {fill}, per delivered message"),
            events as f64,
            fill,
            &m,
        );
    }
    // A retried attempt: what three attempts cost beyond one, per extra attempt.
    let failing = (events / 5).max(2);
    let (once, _) = run(failing, 10, "/down", 1).await;
    let (thrice, attempts) = run(failing, 10, "/down", 3).await;
    let retried = attempts - failing as u64;
    assert_eq!(retried as usize, 2 * failing, "every message retried twice");
    report(
        &format!("a retried attempt (receiver answering 503 with an error page; {retried} retries of {failing} messages)"),
        retried as f64,
        10,
        &thrice.minus(&once),
    );
}
