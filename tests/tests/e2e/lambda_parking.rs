//! Long retries on AWS wait with no queue message (parked), so that they never fill the
//! delivery queue's in-flight quota; the sweep sends their task shortly before they are due.
//! Here with the parking threshold shrunk to 1 s and a 4 s retry, as the template's 15 min
//! and a 22 h retry would be.

use webhooks_core::model::DeliveryKey;

use serde_json::json;
use std::sync::Arc;
use webhooks_aws::testing;
use webhooks_core::model::{DeliveryStatus, DeliveryTask};
use webhooks_core::TenantId;
use webhooks_tests::lambda::{
    event_source_mapping, function_env, stored_endpoint, stored_message, Function,
};
use webhooks_tests::{wait_until, TestReceiver};

/// Messages of the queue that are waiting, and in flight (received or hidden).
async fn queue_depth(sqs: &aws_sdk_sqs::Client, url: &str) -> (u64, u64) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let get = |a: A| -> u64 {
        (out.attributes().and_then(|m| m.get(&a)))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (
        get(A::ApproximateNumberOfMessages),
        get(A::ApproximateNumberOfMessagesNotVisible),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_retry_waits_with_no_message_in_flight_and_arrives_on_time() {
    let rx = TestReceiver::start().await;
    let (names, sdk) = testing::fresh_names().await;
    let ingest_dlq = testing::queue(&sdk, "ingest-dlq").await;
    let mut env = function_env(&names, &ingest_dlq, "");
    env.extend(
        [
            ("WEBHOOKS_PARK_AFTER_SECONDS", "1"),
            ("WEBHOOKS_RETRY_BASE_SECONDS", "4"),
            ("WEBHOOKS_RETRY_FACTOR", "1"),
            ("WEBHOOKS_SWEEP_WAKE_AHEAD_SECONDS", "60"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let (stores, queue) = webhooks_aws::aws_stores(&sdk, &names);
    let t = TenantId::parse("ENS123").unwrap();
    let ep = stored_endpoint(&stores, &t, rx.url("/fail-then-ok/1")).await;
    let m = stored_message(&stores, &t).await;

    let delivery = Arc::new(Function::start("webhooks-delivery", &env).await);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let mapping = event_source_mapping(sqs.clone(), names.delivery_queue_url.clone(), delivery);
    use webhooks_core::ports::TaskQueue;
    queue
        .enqueue(&[DeliveryTask::new(t.clone(), m.id.clone(), ep.id.clone()).identified()])
        .await
        .unwrap();

    // Attempt 1 fails; its retry, 4 s away, is parked: no message waits for it.
    // moto applies an UpdateItem that creates an item in two steps, and a read may fall
    // between them (DynamoDB's are atomic): such a read counts as "not yet".
    let entry = || async {
        stores
            .log
            .get(&DeliveryKey::new(&t, &ep.id, &m.id))
            .await
            .ok()
            .flatten()
    };
    wait_until(|| async { entry().await.is_some_and(|e| e.parked) }).await;
    wait_until(|| async { queue_depth(&sqs, &names.delivery_queue_url).await == (0, 0) }).await;
    let parked = entry().await.unwrap();
    assert_eq!(
        (parked.status, parked.attempt_count),
        (DeliveryStatus::Pending, 1)
    );
    let due = parked.next_attempt_at.unwrap();

    // The sweep (every 5 minutes on AWS) sends its task, delayed until due.
    let sweep = Function::start("webhooks-sweep", &env).await;
    let report = sweep.invoke(json!({})).await.unwrap();
    assert_eq!(
        (report["woken"].clone(), report["requeued"].clone()),
        (json!(1), json!(0))
    );
    let again = sweep.invoke(json!({})).await.unwrap();
    assert_eq!(again["woken"], 0, "one task per parked wait");

    wait_until(|| async {
        entry()
            .await
            .is_some_and(|e| e.status == DeliveryStatus::Delivered)
    })
    .await;
    let attempts = stores
        .log
        .attempts(&DeliveryKey::new(&t, &ep.id, &m.id))
        .await
        .unwrap();
    assert_eq!(attempts.len(), 2);
    let second = attempts[1].started_at;
    assert!(second >= due, "not before it was due: {second} < {due}");
    assert!(
        second - due < chrono::TimeDelta::seconds(3),
        "on time: {second} for {due}"
    );
    assert_eq!(rx.requests().len(), 2, "no attempt twice");
    mapping.abort();
    sweep.stop().await;
}
