//! One SQS batch of delivery tasks → the delivery service, concurrently with a bound.
//! Done tasks are acknowledged; a retry due within the parking threshold hides the message
//! for the retry delay (visibility back-off) and reports it as a batch item failure so SQS
//! keeps it; a later one is parked (the message goes, the sweep sends another when due); storage trouble
//! leaves it to come back after the queue's visibility timeout; a task that can never be
//! read reaches the delivery DLQ through the redrive policy.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use serde_json::json;
use webhooks_aws::{metrics, SqsTaskQueue};
use webhooks_core::model::DeliveryTask;
use webhooks_core::services::{DeliveryOutcome, DeliveryService};

/// An attempt made: its outcome and duration in milliseconds.
type Made = (DeliveryOutcome, u64);

pub struct Deliver {
    pub service: DeliveryService,
    pub queue: SqsTaskQueue,
    /// Deliveries in flight at once within one batch.
    pub concurrency: usize,
}

impl Deliver {
    /// Whether the record is finished and may be deleted, and the outcome and duration of
    /// the attempt made, if any.
    async fn one(&self, record: &SqsMessage) -> (bool, Option<Made>) {
        let sqs_id = record.message_id.as_deref().unwrap_or_default();
        let Ok(mut task) =
            serde_json::from_str::<DeliveryTask>(record.body.as_deref().unwrap_or_default())
        else {
            tracing::error!(
                sqs_message_id = sqs_id,
                "unreadable delivery task; left for the DLQ"
            );
            return (false, None);
        };
        // A message seen before (a retry, or a copy) may carry a stale attempt number: the
        // log decides.
        let receives = record.attributes.get("ApproximateReceiveCount");
        if receives.is_none_or(|n| n != "1") {
            task = task.without_attempt();
        }
        let delivery = match self.service.deliver(&task).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(message_id = %task.message_id, endpoint_id = %task.endpoint_id, error = %e, "attempt not recorded; the task will come back");
                return (false, None);
            }
        };
        let done = match delivery.outcome {
            DeliveryOutcome::RetryIn(delay) => {
                let handle = record.receipt_handle.as_deref().unwrap_or_default();
                if let Err(e) = self.queue.retry_later(handle, delay).await {
                    // It comes back after the queue's visibility timeout instead; the
                    // delivery service puts it back again if that is too early.
                    tracing::warn!(message_id = %task.message_id, error = %e, "cannot set the retry delay");
                }
                false
            }
            // A parked retry waits with no message (the sweep sends one when it is nearly
            // due), so as not to fill the queue's in-flight quota.
            DeliveryOutcome::Parked(_)
            | DeliveryOutcome::Delivered
            | DeliveryOutcome::Failed
            | DeliveryOutcome::Skipped(_) => true,
        };
        let made = delivery.attempt.map(|a| (delivery.outcome, a.duration_ms));
        (done, made)
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let done: Vec<(String, bool, Option<Made>)> = futures::stream::iter(&event.records)
            .map(|r| async move {
                let (ok, made) = self.one(r).await;
                (r.message_id.clone().unwrap_or_default(), ok, made)
            })
            .buffer_unordered(self.concurrency.max(1))
            .collect()
            .await;
        let mut response = SqsBatchResponse::default();
        for (id, ok, _) in &done {
            if !ok {
                response.add_failure(id.clone());
            }
        }
        emit_metrics(done.iter().filter_map(|(_, _, made)| *made));
        response
    }
}

/// One EMF record for the batch's attempts (none when nothing was attempted): counts by
/// outcome, and every attempt's duration as one multi-value latency metric.
fn emit_metrics(attempts: impl Iterator<Item = Made>) {
    let (mut delivered, mut retried, mut failed, mut latency) = (0, 0, 0, Vec::new());
    for (outcome, ms) in attempts {
        match outcome {
            DeliveryOutcome::Delivered => delivered += 1,
            DeliveryOutcome::RetryIn(_) | DeliveryOutcome::Parked(_) => retried += 1,
            _ => failed += 1,
        }
        latency.push(ms);
    }
    if latency.is_empty() {
        return;
    }
    let mut values: Vec<(&str, &str, serde_json::Value)> = [
        ("Delivered", delivered),
        ("Retried", retried),
        ("Failed", failed),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(name, n)| (name, "Count", json!(n)))
    .collect();
    values.push(("DeliveryLatency", "Milliseconds", json!(latency)));
    metrics::emit(&[("Function", "delivery")], &[&["Function"]], &values, &[]);
}
