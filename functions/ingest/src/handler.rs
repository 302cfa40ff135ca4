//! One SQS batch of inbound events → the ingest service (as one batch: shared lookups,
//! one enqueue), with partial batch failures.
//! An invalid event is moved to the ingest DLQ with its reason (never silently deleted);
//! a storage failure leaves the record in the queue to be retried.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use webhooks_aws::metrics;
use webhooks_core::services::{IngestReceipt, IngestService};
use webhooks_core::CoreError;

/// What the function needs, built once per cold start.
pub struct Ingest {
    pub service: IngestService,
    /// The same catalog as the service's, to name event types in metrics.
    pub catalog: std::sync::Arc<webhooks_core::catalog::Catalog>,
    pub sqs: aws_sdk_sqs::Client,
    pub dlq_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// With how many rules of a documented-only schema the event breaks.
    Accepted {
        violations: usize,
    },
    Rejected,
    Retry,
}

impl Ingest {
    /// What becomes of one record, given what ingesting it gave.
    async fn settle(
        &self,
        record: &SqsMessage,
        result: Result<IngestReceipt, CoreError>,
    ) -> Outcome {
        let sqs_id = record.message_id.as_deref().unwrap_or_default();
        let body = record.body.as_deref().unwrap_or_default();
        match result {
            Ok(r) => {
                tracing::debug!(sqs_message_id = sqs_id, message_id = %r.message_id, endpoints = r.endpoints, duplicate = r.duplicate, "event ingested");
                Outcome::Accepted {
                    violations: r.schema_violations,
                }
            }
            Err(e @ (CoreError::Validation(_) | CoreError::TooLarge { .. })) => {
                let reason = match &e {
                    CoreError::Validation(fields) => fields
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => other.to_string(),
                };
                tracing::warn!(sqs_message_id = sqs_id, %reason, "invalid event moved to the ingest DLQ");
                match webhooks_aws::dead_letter(&self.sqs, &self.dlq_url, body, &reason).await {
                    Ok(()) => Outcome::Rejected,
                    Err(err) => {
                        // Left in the queue: the redrive policy still lands it in the DLQ.
                        tracing::error!(sqs_message_id = sqs_id, error = %err, "cannot move the invalid event to the DLQ");
                        Outcome::Retry
                    }
                }
            }
            Err(e) => {
                tracing::error!(sqs_message_id = sqs_id, error = %e, "ingest failed; the event will be retried");
                Outcome::Retry
            }
        }
    }

    /// Ingests the batch's records together; failures are reported per record.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let bodies: Vec<&[u8]> = (event.records.iter())
            .map(|r| r.body.as_deref().unwrap_or_default().as_bytes())
            .collect();
        let results = self.service.ingest_batch(&bodies).await;
        let outcomes = futures::future::join_all(
            event
                .records
                .iter()
                .zip(results)
                .map(|(r, res)| self.settle(r, res)),
        )
        .await;
        let mut response = SqsBatchResponse::default();
        for (record, outcome) in event.records.iter().zip(&outcomes) {
            if *outcome == Outcome::Retry {
                response.add_failure(record.message_id.clone().unwrap_or_default());
            }
        }
        // Accepted events are counted by the queue's own metric (NumberOfMessagesDeleted):
        // a record per batch for them alone would be log bytes for nothing.
        let count = |o: Outcome| outcomes.iter().filter(|x| **x == o).count();
        let metrics: Vec<_> = [
            ("EventsRejected", count(Outcome::Rejected)),
            ("EventsRetried", count(Outcome::Retry)),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| (name, "Count", serde_json::json!(n)))
        .collect();
        if !metrics.is_empty() {
            metrics::emit(&[("Function", "ingest")], &[&["Function"]], &metrics, &[]);
        }
        self.per_type_metrics(&event, &outcomes);
        response
    }

    /// Rejections and documented-only schema violations per event type (a bounded
    /// dimension: the catalog's types, anything else as `unknown`), one record per type.
    fn per_type_metrics(&self, event: &SqsEvent, outcomes: &[Outcome]) {
        #[derive(serde::Deserialize)]
        struct Typed {
            event_type: String,
        }
        let mut by_type: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
        for (record, outcome) in event.records.iter().zip(outcomes) {
            let (rejected, violations) = match *outcome {
                Outcome::Rejected => (1, 0),
                Outcome::Accepted { violations } if violations > 0 => (0, 1),
                _ => continue,
            };
            let ty = serde_json::from_str::<Typed>(record.body.as_deref().unwrap_or_default())
                .ok()
                .map(|t| t.event_type)
                .filter(|t| self.catalog.contains(t))
                .unwrap_or_else(|| "unknown".into());
            let e = by_type.entry(ty).or_default();
            e.0 += rejected;
            e.1 += violations;
        }
        for (ty, (rejected, violated)) in by_type {
            let metrics: Vec<_> = [("EventsRejected", rejected), ("SchemaViolations", violated)]
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|(name, n)| (name, "Count", serde_json::json!(n)))
                .collect();
            metrics::emit(
                &[("Function", "ingest"), ("EventType", &ty)],
                &[&["Function", "EventType"]],
                &metrics,
                &[],
            );
        }
    }
}
