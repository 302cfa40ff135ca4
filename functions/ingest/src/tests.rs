//! Handler test: the SQS batch of infra/events/ through the ingest handler, on moto.

use webhooks_core::model::DeliveryKey;

use crate::handler::Ingest;
use aws_lambda_events::sqs::SqsEvent;
use std::sync::Arc;
use webhooks_aws::testing;
use webhooks_core::catalog::Catalog;
use webhooks_core::model::Endpoint;
use webhooks_core::services::IngestService;
use webhooks_core::TenantId;

fn batch() -> SqsEvent {
    let path = format!(
        "{}/../../infra/events/sqs-ingest-batch.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn receive_all(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
}

#[tokio::test]
async fn valid_events_fan_out_and_invalid_ones_go_to_the_dlq_with_their_reason() {
    let aws = testing::fresh().await;
    let dlq_url = testing::queue(&aws.sdk, "ingest-dlq").await;
    let endpoint = Endpoint::new(
        TenantId::parse("ENS123").unwrap(),
        "https://erp.client.example/hook".into(),
        String::new(),
        vec!["INVOICE_VALIDATED".into()],
        true,
    );
    aws.stores.endpoints.create(&endpoint).await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&aws.sdk);
    let ingest = Ingest {
        service: IngestService::new(aws.stores.clone(), Arc::new(Catalog::built_in())),
        catalog: Arc::new(Catalog::built_in()),
        sqs: sqs.clone(),
        dlq_url: dlq_url.clone(),
    };

    let response = ingest.handle(batch()).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    let rejected = receive_all(&sqs, &dlq_url).await;
    assert_eq!(rejected.len(), 3);
    let reasons: Vec<String> = (rejected.iter())
        .map(|m| {
            m.message_attributes().unwrap()["rejection_reason"]
                .string_value()
                .unwrap()
                .to_owned()
        })
        .collect();
    for reason in &reasons {
        assert!(
            reason.contains("event_type")
                || reason.contains("body")
                || reason.contains("event_data/"),
            "{reason}"
        );
    }
    // The event that breaks its type's schema names the field and the rule.
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("event_data/amount_excl_tax") && r.contains("(anyOf)")),
        "{reasons:?}"
    );
    let tasks = receive_all(&sqs, &aws.names.delivery_queue_url).await;
    assert_eq!(tasks.len(), 1, "only INVOICE_VALIDATED has a subscriber");
    assert!(tasks[0].body().unwrap().contains(endpoint.id.as_str()));

    // The same batch again: the event with an event_id is not fanned out twice.
    let response = ingest.handle(batch()).await;
    assert!(response.batch_item_failures.is_empty());
    assert!(receive_all(&sqs, &aws.names.delivery_queue_url)
        .await
        .is_empty());
}

#[tokio::test]
async fn a_storage_failure_reports_the_valid_records_for_retry() {
    let mut aws = testing::fresh_names().await;
    aws.0.table = "no-such-table".into();
    let (stores, _) = webhooks_aws::aws_stores(&aws.1, &aws.0);
    let dlq_url = testing::queue(&aws.1, "ingest-dlq").await;
    let ingest = Ingest {
        service: IngestService::new(stores, Arc::new(Catalog::built_in())),
        catalog: Arc::new(Catalog::built_in()),
        sqs: aws_sdk_sqs::Client::new(&aws.1),
        dlq_url,
    };
    let event = batch();
    let response = ingest.handle(event.clone()).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    let expected: Vec<_> = [0, 2]
        .iter()
        .map(|i| event.records[*i].message_id.clone().unwrap())
        .collect();
    assert_eq!(
        failed, expected,
        "valid events are retried, invalid ones are not"
    );
}

/// DynamoDB does not track whether a fan-out finished: an event retried after the ingest
/// queue's visibility timeout completes a fan-out its first copy left half-done.
#[tokio::test]
async fn a_half_done_fan_out_is_completed_by_the_late_retry() {
    use webhooks_core::model::Message;
    let aws = testing::fresh().await;
    let t = TenantId::parse("ENS123").unwrap();
    let endpoint = Endpoint::new(
        t.clone(),
        "https://erp.client.example/hook".into(),
        String::new(),
        vec!["INVOICE_VALIDATED".into()],
        true,
    );
    aws.stores.endpoints.create(&endpoint).await.unwrap();
    let attempted = Endpoint {
        id: webhooks_core::EndpointId::generate(),
        ..endpoint.clone()
    };
    aws.stores.endpoints.create(&attempted).await.unwrap();
    // The first copy stored its message two minutes ago, sent one task, then died.
    let at = webhooks_core::model::now() - chrono::TimeDelta::minutes(2);
    let first = Message {
        id: webhooks_core::MessageId::for_event(&t, "FA-9"),
        tenant: t.clone(),
        event_type: "INVOICE_VALIDATED".into(),
        event_id: Some("FA-9".into()),
        body: bytes::Bytes::from_static(b"{}"),
        created_at: at,
        endpoints: Vec::new(),
    };
    aws.stores.messages.insert(&first).await.unwrap();
    let failed = webhooks_core::model::Attempt {
        number: 1,
        started_at: at,
        duration_ms: 1,
        status_code: Some(503),
        error: Some("http_status".into()),
        response_excerpt: None,
        task: None,
    };
    aws.stores
        .log
        .record_attempt(
            &DeliveryKey::new(&t, &attempted.id, &first.id),
            &(&first).into(),
            &failed,
            webhooks_core::model::DeliveryStatus::Pending,
            None,
        )
        .await
        .unwrap();
    let service = IngestService::new(aws.stores.clone(), Arc::new(Catalog::built_in()));
    let raw = br#"{"tenant_id":"ENS123","event_type":"INVOICE_VALIDATED","event_id":"FA-9","event_data":{"invoice_id":"FA-9"}}"#;
    let receipt = service.ingest_bytes(raw).await.unwrap();
    assert_eq!(
        (
            receipt.message_id.clone(),
            receipt.duplicate,
            receipt.endpoints
        ),
        (first.id.clone(), true, 2)
    );
    // A task only for the endpoint with no attempt yet: the other one's delivery is under way.
    let tasks = receive_all(aws.queue.client(), aws.queue.url()).await;
    assert_eq!(tasks.len(), 1);
    let task: webhooks_core::model::DeliveryTask =
        serde_json::from_str(tasks[0].body().unwrap()).unwrap();
    assert_eq!(
        (task.message_id, task.endpoint_id),
        (first.id.clone(), endpoint.id.clone())
    );
}

/// An event too large to go to the DLQ with its reason goes truncated, with its size and
/// digest: nothing rejected is lost without a trace.
#[tokio::test]
async fn an_oversized_reject_reaches_the_dlq_truncated_with_its_reason() {
    let aws = testing::fresh().await;
    let dlq_url = testing::queue(&aws.sdk, "ingest-dlq").await;
    let ingest = Ingest {
        service: IngestService::new(aws.stores.clone(), Arc::new(Catalog::built_in())),
        catalog: Arc::new(Catalog::built_in()),
        sqs: aws_sdk_sqs::Client::new(&aws.sdk),
        dlq_url: dlq_url.clone(),
    };
    // The largest body SQS accepts, and an invalid event (its type is unknown).
    let big = format!(
        r#"{{"tenant_id":"ENS123","event_type":"NO_SUCH_TYPE","event_data":{{"x":"{}"}}}}"#,
        "é".repeat(130_500)
    );
    let mut event = batch();
    event.records.truncate(1);
    event.records[0].body = Some(big.clone());
    let response = ingest.handle(event).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let got = receive_all(&ingest.sqs, &dlq_url).await;
    assert_eq!(got.len(), 1);
    let attrs = got[0].message_attributes().unwrap();
    assert!(attrs["rejection_reason"]
        .string_value()
        .unwrap()
        .contains("event_type"));
    assert_eq!(
        attrs["original_bytes"].string_value(),
        Some(big.len().to_string().as_str())
    );
    assert_eq!(
        attrs["original_sha256"].string_value().map(str::len),
        Some(64)
    );
    let kept = got[0].body().unwrap();
    assert!(kept.len() < big.len() && big.starts_with(kept));
}
