//! What invokes the functions: API Gateway events, and the SQS and DynamoDB-stream
//! event-source mappings, emulated.

use super::Function;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// An API Gateway HTTP API (payload v2) event with JWT authorizer claims.
pub fn apigw_event(method: &str, path: &str, claims: Value, body: Option<Value>) -> Value {
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    json!({
        "version": "2.0",
        "routeKey": "ANY /v1/{proxy+}",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {"content-type": "application/json", "host": "api.test"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "test", "domainName": "api.test", "domainPrefix": "api",
            "requestId": webhooks_core::MessageId::generate().to_string(), "routeKey": "ANY /v1/{proxy+}",
            "stage": "$default", "time": "28/Nov/2026:10:00:00 +0000", "timeEpoch": 1795860000000i64,
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "test"},
            "authorizer": {"jwt": {"claims": claims, "scopes": null}}
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    })
}

/// Status and JSON body of an API Gateway v2 proxy response.
pub fn http_response(resp: &Value) -> (u16, Value) {
    let status = resp["statusCode"].as_u64().unwrap_or(0) as u16;
    let body = resp["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

/// Emulates an SQS event source mapping with `ReportBatchItemFailures`: polls `queue_url`
/// every 100 ms, invokes `function` with up to ten records, and deletes the records it
/// did not report as failed. Runs until the returned handle is aborted.
pub fn event_source_mapping(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    function: Arc<Function>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let arn = format!(
            "arn:aws:sqs:eu-west-3:123456789012:{}",
            queue_url.rsplit('/').next().unwrap_or("q")
        );
        loop {
            let got = sqs
                .receive_message()
                .queue_url(&queue_url)
                .max_number_of_messages(10)
                .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
                .send()
                .await;
            let messages = got.ok().and_then(|o| o.messages).unwrap_or_default();
            if messages.is_empty() {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let records: Vec<Value> = messages
                .iter()
                .map(|m| {
                    let attrs: HashMap<String, String> = m
                        .attributes()
                        .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect())
                        .unwrap_or_default();
                    json!({
                        "messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                        "attributes": attrs, "messageAttributes": {}, "md5OfBody": m.md5_of_body(),
                        "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "eu-west-3"
                    })
                })
                .collect();
            let failed: Vec<String> = match function.invoke(json!({"Records": records})).await {
                Ok(resp) => resp["batchItemFailures"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                // A failed invocation leaves the whole batch for another receive.
                Err(_) => messages
                    .iter()
                    .filter_map(|m| m.message_id().map(str::to_owned))
                    .collect(),
            };
            for m in &messages {
                if !failed.iter().any(|f| Some(f.as_str()) == m.message_id()) {
                    let _ = sqs
                        .delete_message()
                        .queue_url(&queue_url)
                        .receipt_handle(m.receipt_handle().unwrap_or_default())
                        .send()
                        .await;
                }
            }
        }
    })
}

/// Emulates the DynamoDB-stream event source mapping of the counters function: every
/// `window` (its batching window), the records written since are handed to `function`;
/// a failed invocation is retried with the same batch, as Lambda retries a stream batch.
pub fn stream_event_source_mapping(
    reader: webhooks_aws::testing::StreamReader,
    function: Arc<Function>,
    window: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(window).await;
            let Some(event) = reader.next_event().await else {
                continue;
            };
            while function.invoke(event.clone()).await.is_err() {
                tokio::time::sleep(window).await;
            }
        }
    })
}
