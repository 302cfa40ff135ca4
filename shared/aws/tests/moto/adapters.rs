//! AWS-specific behaviour on moto, beyond the shared contract: atomic counters under
//! concurrency, conditional-write races, SQS visibility back-off and batch limits. Over 400
//! lines for a reason: eight independent scenarios, one per test, each reading the table or
//! queue directly to check what the adapters wrote, best read top to bottom.

use webhooks_core::model::DeliveryKey;

use webhooks_aws::testing as common;

use std::time::Duration;
use webhooks_core::model::{now, Attempt, DeliveryStatus, DeliveryTask, Endpoint, Message};
use webhooks_core::ports::TaskQueue;
use webhooks_core::{EndpointId, MessageId, StoreError, TenantId};

fn endpoint(t: &TenantId) -> Endpoint {
    Endpoint::new(
        t.clone(),
        "https://receiver.example/hook".into(),
        String::new(),
        vec!["INVOICE_VALIDATED".into()],
        true,
    )
}

fn message(t: &TenantId) -> Message {
    Message {
        id: MessageId::generate(),
        tenant: t.clone(),
        event_type: "INVOICE_VALIDATED".into(),
        event_id: None,
        body: bytes::Bytes::from_static(b"{}"),
        created_at: now(),
        endpoints: Vec::new(),
    }
}

/// A failed attempt `number` (500), recorded in `m`'s entry on `ep`.
async fn fail(aws: &common::Aws, ep: &Endpoint, m: &Message, number: u32, status: DeliveryStatus) {
    let a = Attempt {
        number,
        started_at: now(),
        duration_ms: 1,
        status_code: Some(500),
        error: Some("http_status".into()),
        response_excerpt: None,
        task: None,
    };
    aws.stores
        .log
        .record_attempt(
            &DeliveryKey::new(&ep.tenant, &ep.id, &m.id),
            &m.into(),
            &a,
            status,
            None,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_retried_stream_batch_counts_nothing_twice() {
    let aws = common::fresh().await;
    let reader = common::StreamReader::new(&aws.sdk, &aws.names.table).await;
    let aggregator = webhooks_aws::CounterAggregator::new(
        aws_sdk_dynamodb::Client::new(&aws.sdk),
        &aws.names.table,
        30,
    );
    let t = TenantId::parse("A").unwrap();
    let ep = endpoint(&t);
    aws.stores.endpoints.create(&ep).await.unwrap();
    let messages: Vec<Message> = (0..20).map(|_| message(&t)).collect();
    for m in &messages {
        fail(&aws, &ep, m, 1, DeliveryStatus::Pending).await;
    }
    let event = reader.next_event().await.expect("stream records");
    let records = webhooks_aws::records_from_event(&event).unwrap();
    // Lambda retries a batch after an error, and may retry it cut differently.
    aggregator.apply(&records[..5]).await.unwrap();
    aggregator.apply(&records).await.unwrap();
    aggregator.apply(&records).await.unwrap();
    aggregator.apply(&records[3..8]).await.unwrap();
    let got = aws.stores.endpoints.get(&t, &ep.id).await.unwrap().unwrap();
    assert_eq!(
        (got.counters.in_flight, got.counters.failed_attempts),
        (20, 20)
    );
    // A deleted endpoint's counters are not resurrected as a stub item.
    assert!(aws.stores.endpoints.delete(&t, &ep.id).await.unwrap());
    fail(&aws, &ep, &message(&t), 1, DeliveryStatus::Pending).await;
    let event = reader.next_event().await.expect("stream records");
    aggregator
        .apply(&webhooks_aws::records_from_event(&event).unwrap())
        .await
        .unwrap();
    assert_eq!(aws.stores.endpoints.get(&t, &ep.id).await.unwrap(), None);
    assert!(aws.stores.endpoints.list(&t).await.unwrap().is_empty());
}

/// DynamoDB applies conditional writes of one item one at a time, so of five concurrent
/// updates of version 1 exactly one wins. moto checks the condition and writes without a
/// lock, so under load two may both pass there: what this test can hold on moto is that
/// every loser is a `Conflict`, at least one wins, the item is one winner's whole write,
/// and a stale update after them loses.
#[tokio::test]
async fn concurrent_updates_of_one_version_conflict_and_never_mix() {
    let aws = common::fresh().await;
    let t = TenantId::parse("A").unwrap();
    let ep = endpoint(&t);
    aws.stores.endpoints.create(&ep).await.unwrap();
    let updates: Vec<Endpoint> = (0..5)
        .map(|i| {
            let mut e = ep.clone();
            e.version = 2;
            e.description = format!("writer {i}");
            e.url = format!("https://writer-{i}.example/hook");
            e
        })
        .collect();
    let results =
        futures::future::join_all(updates.iter().map(|e| aws.stores.endpoints.update(e))).await;
    let winners: Vec<&Endpoint> = (updates.iter().zip(&results))
        .filter(|(_, r)| r.is_ok())
        .map(|(e, _)| e)
        .collect();
    assert!(!winners.is_empty(), "{results:?}");
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, StoreError::Conflict)));
    let stored = aws.stores.endpoints.get(&t, &ep.id).await.unwrap().unwrap();
    assert!(
        winners
            .iter()
            .any(|w| w.description == stored.description && w.url == stored.url),
        "the item is one writer's whole update: {stored:?}"
    );
    assert!(matches!(
        aws.stores.endpoints.update(&updates[0]).await,
        Err(StoreError::Conflict)
    ));
}

#[tokio::test]
async fn a_visibility_change_brings_a_task_back_later_with_a_higher_receive_count() {
    let aws = common::fresh().await;
    let task = DeliveryTask::new(
        TenantId::parse("A").unwrap(),
        MessageId::generate(),
        EndpointId::generate(),
    );
    aws.queue
        .enqueue(std::slice::from_ref(&task))
        .await
        .unwrap();
    let receive = || async {
        aws.queue
            .client()
            .receive_message()
            .queue_url(aws.queue.url())
            .visibility_timeout(30)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount,
            )
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    };
    let first = receive().await;
    assert_eq!(first.len(), 1);
    let handle = first[0].receipt_handle().unwrap().to_owned();
    aws.queue
        .retry_later(&handle, Duration::from_secs(1))
        .await
        .unwrap();
    assert!(
        receive().await.is_empty(),
        "hidden until the delay has passed"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again = receive().await;
    assert_eq!(again.len(), 1, "visible again after the delay");
    let count = again[0]
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
        })
        .cloned();
    assert_eq!(count.as_deref(), Some("2"));
    let body: DeliveryTask = serde_json::from_str(again[0].body().unwrap()).unwrap();
    assert_eq!(body, task);
}

#[tokio::test]
async fn retry_delays_are_capped_at_the_sqs_maximum() {
    let aws = common::fresh().await;
    aws.queue
        .enqueue(&[DeliveryTask::new(
            TenantId::parse("A").unwrap(),
            MessageId::generate(),
            EndpointId::generate(),
        )])
        .await
        .unwrap();
    let got = aws
        .queue
        .client()
        .receive_message()
        .queue_url(aws.queue.url())
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    // 30 days would be refused by SQS; the helper caps it at 12 h.
    aws.queue
        .retry_later(
            got[0].receipt_handle().unwrap(),
            Duration::from_secs(30 * 86_400),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn an_entry_stays_small_after_twenty_attempts_with_worst_case_excerpts() {
    use webhooks_core::services::{FAILURE_EXCERPT_BYTES, SUCCESS_EXCERPT_BYTES};
    let aws = common::fresh().await;
    let t = TenantId::parse("A").unwrap();
    let ep = endpoint(&t);
    aws.stores.endpoints.create(&ep).await.unwrap();
    let m = message(&t);
    aws.stores.messages.insert(&m).await.unwrap();
    // The worst case for the entry's size: excerpts that do not deflate (pseudo-random
    // text, of the most bytes the delivery service keeps).
    let noise = |n: usize, seed: u32| -> String {
        (0..n as u32)
            .map(|i| char::from(b'!' + ((i ^ seed).wrapping_mul(2_654_435_761) >> 25) as u8 % 90))
            .collect()
    };
    for n in 1..=20 {
        let ok = n == 20;
        let a = Attempt {
            number: n,
            started_at: now(),
            duration_ms: 10_000,
            status_code: Some(if ok { 200 } else { 503 }),
            error: (!ok).then(|| "http_status".into()),
            response_excerpt: Some(if ok {
                noise(SUCCESS_EXCERPT_BYTES, n)
            } else {
                noise(FAILURE_EXCERPT_BYTES, n)
            }),
            task: None,
        };
        let status = if ok {
            DeliveryStatus::Delivered
        } else {
            DeliveryStatus::Pending
        };
        aws.stores
            .log
            .record_attempt(
                &DeliveryKey::new(&t, &ep.id, &m.id),
                &(&m).into(),
                &a,
                status,
                None,
            )
            .await
            .unwrap();
    }
    let table = aws_sdk_dynamodb::Client::new(&aws.sdk);
    let items = table
        .query()
        .table_name(&aws.names.table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("L#A#{}", ep.id)),
        )
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(items.len(), 1, "the entry is the only item");
    let size = webhooks_aws::item_size(&items[0]);
    assert!(size < 3 * 1024, "entry of {size} bytes");
    let attempts = aws
        .stores
        .log
        .attempts(&DeliveryKey::new(&t, &ep.id, &m.id))
        .await
        .unwrap();
    assert_eq!(attempts.len(), 20);
    let kept: Vec<u32> = (attempts.iter())
        .filter(|a| a.response_excerpt.is_some())
        .map(|a| a.number)
        .collect();
    assert_eq!(
        kept,
        [17, 18, 19, 20],
        "the last three failures' and the success's"
    );
    for a in &attempts[16..19] {
        let x = a.response_excerpt.as_deref().unwrap();
        assert!(x.len() > 300 && noise(FAILURE_EXCERPT_BYTES, a.number).starts_with(x));
    }
    assert_eq!(
        attempts[19].response_excerpt.as_deref().map(str::len),
        Some(SUCCESS_EXCERPT_BYTES)
    );
}

/// A receiver that answers every request with this status, in place of the HTTP sender.
struct Answers(u16);

#[async_trait::async_trait]
impl webhooks_core::ports::WebhookSender for Answers {
    async fn send(
        &self,
        _: webhooks_core::ports::OutboundRequest,
    ) -> webhooks_core::ports::SendResult {
        webhooks_core::ports::SendResult {
            status: Some(self.0),
            error: None,
            retry_after: None,
            excerpt: None,
            duration: Duration::from_millis(1),
        }
    }
}

/// The happy path makes no transaction, and the calls the cost model counts on: per event
/// one `PutItem` of the message, one `Query` of subscribers and one `SendMessageBatch`; per
/// delivery one `GetItem` of the endpoint and one `UpdateItem` that creates the entry.
#[tokio::test]
async fn the_happy_path_makes_no_transaction_and_the_planned_calls() {
    use std::sync::Arc;
    use webhooks_core::catalog::Catalog;
    use webhooks_core::services::{DeliveryConfig, DeliveryService, IngestService};
    let (names, sdk) = common::fresh_names().await;
    let counter = webhooks_aws::RequestCounter::default();
    let (stores, _) = webhooks_aws::aws_stores_counted(&sdk, &names, Some(counter.clone()));
    let t = TenantId::parse("ENS123").unwrap();
    let ep = endpoint(&t);
    stores.endpoints.create(&ep).await.unwrap();
    stores.secrets.issue(&t, &ep.id, 1).await.unwrap();
    let probe = common::SqsProbe(webhooks_aws::SqsTaskQueue::new(
        aws_sdk_sqs::Client::new(&sdk),
        &names.delivery_queue_url,
    ));
    use webhooks_core::contract::QueueProbe;
    counter.reset();
    let ingest = IngestService::new(stores.clone(), Arc::new(Catalog::built_in()));
    let raw = |i: usize| {
        format!(
            r#"{{"tenant_id":"ENS123","event_type":"INVOICE_VALIDATED","event_id":"FA-{i}","event_data":{{"invoice_id":"FA-{i}"}}}}"#
        )
    };
    for i in 0..3 {
        ingest.ingest_bytes(raw(i).as_bytes()).await.unwrap();
    }
    let ingest_calls = counter.snapshot();
    counter.reset();
    let delivery = DeliveryService::new(stores, Arc::new(Answers(204)), DeliveryConfig::default());
    let tasks = probe.drain().await;
    assert_eq!(tasks.len(), 3);
    for task in &tasks {
        let d = delivery.deliver(task).await.unwrap();
        assert_eq!(
            d.outcome,
            webhooks_core::services::DeliveryOutcome::Delivered
        );
    }
    let delivery_calls = counter.snapshot();
    for calls in [&ingest_calls, &delivery_calls] {
        assert!(
            !calls.keys().any(|op| op.contains("TransactWriteItems")),
            "{calls:?}"
        );
    }
    let expect = |calls: &std::collections::BTreeMap<String, u64>, want: &[(&str, u64)]| {
        let want: std::collections::BTreeMap<String, u64> =
            want.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        assert_eq!(*calls, want);
    };
    expect(
        &ingest_calls,
        &[
            ("DynamoDB.PutItem", 3),
            ("DynamoDB.Query", 3),
            ("SQS.SendMessageBatch", 3),
        ],
    );
    expect(
        &delivery_calls,
        &[("DynamoDB.GetItem", 3), ("DynamoDB.UpdateItem", 3)],
    );
    // Each of those writes is billed one unit: the entry a first success creates is < 1 KB.
    let items = aws_sdk_dynamodb::Client::new(&sdk)
        .query()
        .table_name(&names.table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("L#ENS123#{}", ep.id)),
        )
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(items.len(), 3);
    for item in &items {
        let size = webhooks_aws::item_size(item);
        assert!(size < 1024, "entry of {size} bytes: {item:?}");
    }
}

/// A standard queue may hand one message out twice. The copy that loses the race to record
/// attempt 1 must keep its message hidden until the retry is due (deleting it would delete
/// the retry: both copies are one queue message), and never record a second attempt 1. A
/// second, distinct queue message for the same delivery is dropped instead, so later
/// attempts are not made twice.
#[tokio::test]
async fn the_copy_of_a_task_that_loses_the_race_keeps_the_retry_alive() {
    use std::sync::Arc;
    use webhooks_core::retry::RetryPolicy;
    use webhooks_core::services::{DeliveryConfig, DeliveryOutcome, DeliveryService};
    let aws = common::fresh().await;
    let t = TenantId::parse("ENS123").unwrap();
    let ep = endpoint(&t);
    aws.stores.endpoints.create(&ep).await.unwrap();
    aws.stores.secrets.issue(&t, &ep.id, 1).await.unwrap();
    let config = DeliveryConfig {
        retry: RetryPolicy::new(5, Duration::from_secs(60), 1.0).unwrap(),
        ..DeliveryConfig::default()
    };
    let refuses = || Arc::new(Answers(503)) as Arc<dyn webhooks_core::ports::WebhookSender>;
    let accepts = || Arc::new(Answers(204)) as Arc<dyn webhooks_core::ports::WebhookSender>;
    // (receiver, is the second the same queue message?, outcome of each)
    for (sender, same_message, first, second) in [
        (refuses(), true, "retry", "retry"),
        (accepts(), true, "delivered", "skipped"),
        // A second queue message for the same delivery (a resumed fan-out) steps aside.
        (refuses(), false, "retry", "skipped"),
    ] {
        let m = message(&t);
        aws.stores.messages.insert(&m).await.unwrap();
        // Both carry the fan-out's hints, as both were first receives.
        let task = DeliveryTask {
            attempt: Some(1),
            body: Some("{}".into()),
            event_type: Some(m.event_type.clone()),
            created_at: Some(m.created_at),
            ..DeliveryTask::new(t.clone(), m.id.clone(), ep.id.clone()).identified()
        };
        let other = if same_message {
            task.clone()
        } else {
            task.clone().identified()
        };
        let delivery = DeliveryService::new(aws.stores.clone(), sender, config.clone());
        let kind = |o: DeliveryOutcome| match o {
            DeliveryOutcome::RetryIn(d) => {
                assert!(
                    d > Duration::from_secs(50),
                    "hidden until the retry is due: {d:?}"
                );
                "retry"
            }
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Parked(_) => "parked",
            DeliveryOutcome::Skipped(_) => "skipped",
            DeliveryOutcome::Failed => "failed",
        };
        assert_eq!(kind(delivery.deliver(&task).await.unwrap().outcome), first);
        assert_eq!(
            kind(delivery.deliver(&other).await.unwrap().outcome),
            second
        );
        let entry = aws
            .stores
            .log
            .get(&DeliveryKey::new(&t, &ep.id, &m.id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entry.attempt_count, 1, "one attempt 1, whatever the copies");
        let want = if first == "retry" {
            DeliveryStatus::Pending
        } else {
            DeliveryStatus::Delivered
        };
        assert_eq!(entry.status, want);
    }
}

/// DynamoDB deletes expired items late and one at a time: reads leave out what is past
/// retention, and a replay gives both the entry and its message a full retention again.
#[tokio::test]
async fn expired_items_read_as_gone_and_a_replay_near_expiry_renews_both() {
    let aws = common::fresh().await; // retention 30 days
    let t = TenantId::parse("A").unwrap();
    let ep = endpoint(&t);
    aws.stores.endpoints.create(&ep).await.unwrap();
    let aged = |days: i64| Message {
        created_at: now() - chrono::TimeDelta::days(days) - chrono::TimeDelta::hours(1),
        endpoints: Vec::new(),
        ..message(&t)
    };
    // Past retention, not yet deleted: gone for every read.
    let old = aged(30);
    aws.stores.messages.insert(&old).await.unwrap();
    fail(&aws, &ep, &old, 1, DeliveryStatus::Pending).await;
    assert_eq!(aws.stores.messages.get(&t, &old.id).await.unwrap(), None);
    assert_eq!(
        aws.stores
            .log
            .get(&DeliveryKey::new(&t, &ep.id, &old.id))
            .await
            .unwrap(),
        None
    );
    let page = aws
        .stores
        .log
        .list(&t, &ep.id, None, None, 10)
        .await
        .unwrap();
    assert!(page.data.is_empty(), "{page:?}");
    assert!(!aws
        .stores
        .log
        .restart(&DeliveryKey::new(&t, &ep.id, &old.id))
        .await
        .unwrap());
    // An event sent again after its first copy's retention is a new event, even before
    // DynamoDB has deleted the old item.
    let first = Message {
        id: webhooks_core::MessageId::for_event(&t, "FA-OLD"),
        event_id: Some("FA-OLD".into()),
        ..aged(30)
    };
    aws.stores.messages.insert(&first).await.unwrap();
    let again = Message {
        id: webhooks_core::MessageId::for_event(&t, "FA-OLD"),
        event_id: Some("FA-OLD".into()),
        ..message(&t)
    };
    assert!(matches!(
        aws.stores.messages.insert(&again).await.unwrap(),
        webhooks_core::ports::Inserted::Created { .. }
    ));
    assert_eq!(
        aws.stores.messages.get(&t, &again.id).await.unwrap(),
        Some(again.clone())
    );

    // A day from expiry, failed: the replay renews the entry and the message.
    let near = aged(29);
    aws.stores.messages.insert(&near).await.unwrap();
    fail(&aws, &ep, &near, 1, DeliveryStatus::Failed).await;
    assert!(aws
        .stores
        .log
        .restart(&DeliveryKey::new(&t, &ep.id, &near.id))
        .await
        .unwrap());
    let table = aws_sdk_dynamodb::Client::new(&aws.sdk);
    let ttl_of = |pk: String, sk: String| {
        let table = table.clone();
        let name = aws.names.table.clone();
        async move {
            let item = table
                .get_item()
                .table_name(name)
                .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
                .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(sk))
                .send()
                .await
                .unwrap()
                .item
                .unwrap();
            item["expires_at"].as_n().unwrap().parse::<i64>().unwrap()
        }
    };
    let floor = (now() + chrono::TimeDelta::days(29)).timestamp();
    let entry_ttl = ttl_of(format!("L#A#{}", ep.id), format!("D#{}", near.id)).await;
    let message_ttl = ttl_of(format!("M#A#{}", near.id.key_part()), "M".into()).await;
    assert!(
        entry_ttl > floor && message_ttl > floor,
        "{entry_ttl} {message_ttl} > {floor}"
    );
}
