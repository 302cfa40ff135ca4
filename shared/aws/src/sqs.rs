//! `TaskQueue` on SQS: delivery tasks as JSON messages, sent in batches of ten with the
//! failed entries of a batch retried, and the visibility-backoff helper the delivery
//! Lambda uses to schedule a retry.

use crate::error::sdk;
use async_trait::async_trait;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use chrono::{DateTime, Utc};
use std::time::Duration;
use webhooks_core::model::DeliveryTask;
use webhooks_core::ports::{StoreResult, TaskQueue};
use webhooks_core::StoreError;

/// SQS refuses a visibility timeout reaching past 12 hours after the message was received.
/// The poller may hold a message before invoking, and the function runs up to its timeout
/// before it sets the delay: the margin is the delivery queue's visibility timeout (6 min,
/// six times the function's). A longer delay brings the task back early, and the delivery
/// service hides it again for the rest (see `next_attempt_at`).
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600 - 360);
/// SQS's longest `DelaySeconds`.
const MAX_DELAY_SECS: i64 = 900;
/// SQS batch size limit.
const BATCH: usize = 10;
/// The queues' `MaximumMessageSize` (template.yaml), for one message and for a whole batch.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// A task whose JSON would pass this goes without its body (the delivery then reads the
/// message item): ten of them still fit one batch.
const MAX_TASK_BYTES: usize = MAX_MESSAGE_BYTES / BATCH - 1024;
/// How many times the failed entries of a batch are sent again before giving up.
const RESENDS: u32 = 3;

#[derive(Clone)]
pub struct SqsTaskQueue {
    client: Client,
    url: String,
}

impl SqsTaskQueue {
    pub fn new(client: Client, url: &str) -> Self {
        Self {
            client,
            url: url.to_owned(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Hides a received message for `delay` (capped at [`MAX_VISIBILITY`]): it comes back
    /// then, which is how the delivery Lambda schedules the next attempt.
    pub async fn retry_later(&self, receipt_handle: &str, delay: Duration) -> StoreResult<()> {
        // Whole seconds, rounded up: never earlier than planned.
        let secs = delay.min(MAX_VISIBILITY).as_secs_f64().ceil() as u64;
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(secs).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    /// Sends up to ten tasks, each delayed by its seconds (at most 900).
    async fn send_chunk(&self, chunk: &[(DeliveryTask, i32)]) -> StoreResult<()> {
        let mut pending: Vec<(String, String, i32)> = chunk
            .iter()
            .enumerate()
            .map(|(i, (t, delay))| {
                let mut json = serde_json::to_string(t).map_err(StoreError::backend)?;
                if json.len() > MAX_TASK_BYTES {
                    json = serde_json::to_string(&t.clone().without_body())
                        .map_err(StoreError::backend)?;
                }
                Ok((i.to_string(), json, *delay))
            })
            .collect::<StoreResult<_>>()?;
        for round in 0..=RESENDS {
            let entries = pending
                .iter()
                .map(|(id, body, delay)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(id)
                        .message_body(body)
                        .set_delay_seconds((*delay > 0).then_some(*delay))
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(StoreError::backend)?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(sdk)?;
            let failed: Vec<&str> = out.failed().iter().map(|f| f.id()).collect();
            if failed.is_empty() {
                return Ok(());
            }
            tracing::warn!(
                failed = failed.len(),
                round,
                "SQS refused part of a batch; resending those entries"
            );
            pending.retain(|(id, _, _)| failed.contains(&id.as_str()));
            tokio::time::sleep(Duration::from_millis(50 << round)).await;
        }
        Err(StoreError::Backend(format!(
            "SQS refused {} delivery tasks after {RESENDS} resends",
            pending.len()
        )))
    }
}

/// At most this much of a rejection reason goes with a dead-lettered message.
const MAX_REASON_BYTES: usize = 1024;
/// Room kept for the attributes' names, types and the reason, within a message's limit.
const ATTRIBUTES_ROOM: usize = MAX_REASON_BYTES + 512;

/// `s` cut to at most `max` bytes, at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Moves a message that can never be processed to a dead-letter queue at once, with the
/// reason (at most 1 KiB) as a message attribute, instead of letting it be retried until the
/// redrive policy gives up. A body that would not fit with its attributes goes truncated,
/// with its original size and SHA-256, so every rejected message reaches the DLQ with its
/// reason.
pub async fn dead_letter(
    client: &Client,
    dlq_url: &str,
    body: &str,
    reason: &str,
) -> StoreResult<()> {
    use aws_sdk_sqs::types::MessageAttributeValue;
    let attr = |kind: &str, value: String| {
        MessageAttributeValue::builder()
            .data_type(kind)
            .string_value(value)
            .build()
            .map_err(StoreError::backend)
    };
    let mut send = client.send_message().queue_url(dlq_url).message_attributes(
        "rejection_reason",
        attr("String", cut(reason, MAX_REASON_BYTES).to_owned())?,
    );
    let room = MAX_MESSAGE_BYTES - ATTRIBUTES_ROOM;
    let body = if body.len() > room {
        use sha2::{Digest, Sha256};
        send = send
            .message_attributes("original_bytes", attr("Number", body.len().to_string())?)
            .message_attributes(
                "original_sha256",
                attr("String", format!("{:x}", Sha256::digest(body)))?,
            );
        cut(body, room)
    } else {
        body
    };
    send.message_body(body).send().await.map_err(sdk)?;
    Ok(())
}

#[async_trait]
impl TaskQueue for SqsTaskQueue {
    async fn enqueue(&self, tasks: &[DeliveryTask]) -> StoreResult<()> {
        let now: Vec<_> = tasks.iter().map(|t| (t.clone(), 0)).collect();
        for chunk in now.chunks(BATCH) {
            self.send_chunk(chunk).await?;
        }
        Ok(())
    }

    async fn enqueue_at(&self, tasks: &[(DeliveryTask, DateTime<Utc>)]) -> StoreResult<()> {
        let now = Utc::now();
        let delayed: Vec<_> = tasks
            .iter()
            .map(|(t, at)| {
                // Whole seconds, rounded up: never earlier than due.
                let ms = (*at - now)
                    .num_milliseconds()
                    .clamp(0, MAX_DELAY_SECS * 1000);
                (t.clone(), i32::try_from((ms + 999) / 1000).unwrap_or(0))
            })
            .collect();
        for chunk in delayed.chunks(BATCH) {
            self.send_chunk(chunk).await?;
        }
        Ok(())
    }
}
