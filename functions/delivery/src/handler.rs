//! One SQS batch of delivery tasks → the delivery service, concurrently with a bound.
//! Done tasks are acknowledged; a retry hides the message for the retry delay (visibility
//! back-off) and reports it as a batch item failure so SQS keeps it; storage trouble
//! leaves it to come back after the queue's visibility timeout; a task that can never be
//! read reaches the delivery DLQ through the redrive policy.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use serde_json::json;
use webhooks_aws::{metrics, SqsTaskQueue};
use webhooks_core::model::DeliveryTask;
use webhooks_core::services::{DeliveryOutcome, DeliveryService};

pub struct Deliver {
    pub service: DeliveryService,
    pub queue: SqsTaskQueue,
    /// Deliveries in flight at once within one batch.
    pub concurrency: usize,
}

impl Deliver {
    /// `true` when the record is finished and may be deleted.
    async fn one(&self, record: &SqsMessage) -> bool {
        let sqs_id = record.message_id.as_deref().unwrap_or_default();
        let Ok(task) =
            serde_json::from_str::<DeliveryTask>(record.body.as_deref().unwrap_or_default())
        else {
            tracing::error!(
                sqs_message_id = sqs_id,
                "unreadable delivery task; left for the DLQ"
            );
            return false;
        };
        let delivery = match self.service.deliver(&task).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(message_id = %task.message_id, endpoint_id = %task.endpoint_id, error = %e, "attempt not recorded; the task will come back");
                return false;
            }
        };
        if let Some(a) = &delivery.attempt {
            let outcome = match delivery.outcome {
                DeliveryOutcome::Delivered => "delivered",
                DeliveryOutcome::RetryIn(_) => "retry",
                _ => "failed",
            };
            metrics::emit(
                &[
                    ("Function", "delivery"),
                    ("Outcome", outcome),
                    ("FailureKind", a.error.as_deref().unwrap_or("none")),
                ],
                &[&["Function", "Outcome"], &["Function", "FailureKind"]],
                &[
                    ("Attempts", "Count", 1.0),
                    ("DeliveryLatency", "Milliseconds", a.duration_ms as f64),
                ],
                &[
                    ("endpoint_id", json!(task.endpoint_id)),
                    ("message_id", json!(task.message_id)),
                    ("attempt", json!(a.number)),
                    ("status_code", json!(a.status_code)),
                ],
            );
        }
        match delivery.outcome {
            DeliveryOutcome::RetryIn(delay) => {
                let handle = record.receipt_handle.as_deref().unwrap_or_default();
                if let Err(e) = self.queue.retry_later(handle, delay).await {
                    // It comes back after the queue's visibility timeout instead; the
                    // delivery service puts it back again if that is too early.
                    tracing::warn!(message_id = %task.message_id, error = %e, "cannot set the retry delay");
                }
                false
            }
            DeliveryOutcome::Delivered | DeliveryOutcome::Failed | DeliveryOutcome::Skipped(_) => {
                true
            }
        }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let done: Vec<(String, bool)> = futures::stream::iter(&event.records)
            .map(|r| async move { (r.message_id.clone().unwrap_or_default(), self.one(r).await) })
            .buffer_unordered(self.concurrency.max(1))
            .collect()
            .await;
        let mut response = SqsBatchResponse::default();
        for (id, ok) in done {
            if !ok {
                response.add_failure(id);
            }
        }
        response
    }
}
