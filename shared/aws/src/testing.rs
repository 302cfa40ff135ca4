//! Test support (feature `testing`): fresh, uniquely named AWS resources on the moto
//! server that `./infra/test.sh` starts, for the adapter, handler and end-to-end tests.

use crate::{aws_stores, schema, sdk_config, AwsNames, SqsTaskQueue};
use async_trait::async_trait;
use std::sync::Arc;
use webhooks_core::contract::{Harness, QueueProbe};
use webhooks_core::model::DeliveryTask;
use webhooks_core::services::Stores;

/// The moto endpoint; the tests cannot run without one, and say so.
pub fn moto_endpoint() -> String {
    std::env::var("WEBHOOKS_TEST_AWS_ENDPOINT").expect(
        "the AWS adapter tests need a moto server: run ./infra/test.sh (it installs and starts one), \
         or start `moto_server` yourself and set WEBHOOKS_TEST_AWS_ENDPOINT, AWS_REGION and dummy credentials",
    )
}

pub struct Aws {
    pub stores: Stores,
    pub queue: SqsTaskQueue,
    pub sdk: aws_config::SdkConfig,
    pub names: AwsNames,
}

/// Fresh, uniquely named resources for one test.
pub async fn fresh() -> Aws {
    let aws = fresh_names().await;
    let (stores, queue) = aws_stores(&aws.1, &aws.0);
    Aws {
        stores,
        queue,
        sdk: aws.1,
        names: aws.0,
    }
}

/// Creates a table, a delivery queue and a secret prefix; returns their names.
pub async fn fresh_names() -> (AwsNames, aws_config::SdkConfig) {
    let sdk = sdk_config(Some(&moto_endpoint())).await;
    let unique = webhooks_core::MessageId::generate()
        .to_string()
        .to_lowercase()
        .replace('_', "-");
    let table = format!("webhooks-{unique}");
    schema::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
        .await
        .expect("create table on moto");
    let queue_url = aws_sdk_sqs::Client::new(&sdk)
        .create_queue()
        .queue_name(format!("delivery-{unique}"))
        .send()
        .await
        .expect("create queue on moto")
        .queue_url
        .expect("queue url");
    let names = AwsNames {
        table,
        delivery_queue_url: queue_url,
        secret_prefix: format!("test/{unique}"),
        retention_days: 30,
    };
    (names, sdk)
}

/// Creates another queue (a DLQ, an ingest queue) and returns its URL.
pub async fn queue(sdk: &aws_config::SdkConfig, purpose: &str) -> String {
    let unique = webhooks_core::MessageId::generate()
        .to_string()
        .to_lowercase()
        .replace('_', "-");
    aws_sdk_sqs::Client::new(sdk)
        .create_queue()
        .queue_name(format!("{purpose}-{unique}"))
        .send()
        .await
        .expect("create queue on moto")
        .queue_url
        .expect("queue url")
}

pub struct SqsProbe(pub SqsTaskQueue);

#[async_trait]
impl QueueProbe for SqsProbe {
    async fn drain(&self) -> Vec<DeliveryTask> {
        let mut out = Vec::new();
        loop {
            let got = self
                .0
                .client()
                .receive_message()
                .queue_url(self.0.url())
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive");
            let messages = got.messages.unwrap_or_default();
            if messages.is_empty() {
                return out;
            }
            for m in messages {
                out.push(serde_json::from_str(m.body().unwrap_or_default()).expect("task JSON"));
                self.0
                    .client()
                    .delete_message()
                    .queue_url(self.0.url())
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }
}

pub async fn harness() -> Harness {
    let aws = fresh().await;
    Harness {
        settle: Arc::new(StreamSettle::new(&aws.sdk, &aws.names).await),
        notifications: Arc::new(crate::notification_store(&aws.sdk, &aws.names)),
        stores: aws.stores,
        probe: Arc::new(SqsProbe(aws.queue)),
    }
}

/// Reads a table's stream on moto from its start, as the counters function's event source
/// mapping would, and hands the new records on in the shape of a Lambda event.
pub struct StreamReader {
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    /// Next iterator of each shard seen so far.
    iterators: tokio::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl StreamReader {
    pub async fn new(sdk: &aws_config::SdkConfig, table: &str) -> Self {
        let arn = aws_sdk_dynamodb::Client::new(sdk)
            .describe_table()
            .table_name(table)
            .send()
            .await
            .expect("describe table")
            .table
            .and_then(|t| t.latest_stream_arn)
            .expect("the table has a stream");
        Self {
            client: aws_sdk_dynamodbstreams::Client::new(sdk),
            arn,
            iterators: Default::default(),
        }
    }

    /// Every record written since the last call, as a DynamoDB-stream Lambda event
    /// (`{"Records": [...]}`), or `None` when there is none.
    pub async fn next_event(&self) -> Option<serde_json::Value> {
        use aws_sdk_dynamodbstreams::types::ShardIteratorType;
        let mut iterators = self.iterators.lock().await;
        let shards = self
            .client
            .describe_stream()
            .stream_arn(&self.arn)
            .send()
            .await
            .expect("describe stream")
            .stream_description
            .map(|d| d.shards.unwrap_or_default())
            .unwrap_or_default();
        let mut records = Vec::new();
        for shard in shards {
            let id = shard.shard_id.unwrap_or_default();
            let mut it = match iterators.get(&id) {
                Some(it) => it.clone(),
                None => self
                    .client
                    .get_shard_iterator()
                    .stream_arn(&self.arn)
                    .shard_id(&id)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .expect("shard iterator")
                    .shard_iterator
                    .expect("iterator"),
            };
            loop {
                let out = self
                    .client
                    .get_records()
                    .shard_iterator(&it)
                    .send()
                    .await
                    .expect("get records");
                let got = out.records.unwrap_or_default();
                let empty = got.is_empty();
                records.extend(got.iter().map(record_json));
                if let Some(next) = out.next_shard_iterator {
                    it = next;
                }
                if empty {
                    break;
                }
            }
            iterators.insert(id, it);
        }
        (!records.is_empty()).then(|| serde_json::json!({ "Records": records }))
    }
}

fn record_json(r: &aws_sdk_dynamodbstreams::types::Record) -> serde_json::Value {
    let d = r.dynamodb.as_ref();
    let image = |i: Option<&std::collections::HashMap<String, StreamAttr>>| {
        i.map(|m| {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), attr_json(v))).collect())
        })
    };
    serde_json::json!({
        "eventName": r.event_name.as_ref().map(|e| e.as_str().to_owned()),
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "SequenceNumber": d.and_then(|d| d.sequence_number.clone()),
            "Keys": image(d.and_then(|d| d.keys.as_ref())),
            "OldImage": image(d.and_then(|d| d.old_image.as_ref())),
            "NewImage": image(d.and_then(|d| d.new_image.as_ref())),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    })
}

type StreamAttr = aws_sdk_dynamodbstreams::types::AttributeValue;

/// DynamoDB JSON of a stream attribute, as Lambda passes it.
fn attr_json(v: &StreamAttr) -> serde_json::Value {
    use base64::Engine;
    use serde_json::json;
    let b64 =
        |b: &aws_smithy_types::Blob| base64::engine::general_purpose::STANDARD.encode(b.as_ref());
    match v {
        StreamAttr::S(s) => json!({ "S": s }),
        StreamAttr::N(n) => json!({ "N": n }),
        StreamAttr::B(b) => json!({ "B": b64(b) }),
        StreamAttr::Bool(b) => json!({ "BOOL": b }),
        StreamAttr::Null(_) => json!({ "NULL": true }),
        StreamAttr::Ss(s) => json!({ "SS": s }),
        StreamAttr::Ns(s) => json!({ "NS": s }),
        StreamAttr::Bs(s) => json!({ "BS": s.iter().map(b64).collect::<Vec<_>>() }),
        StreamAttr::L(l) => json!({ "L": l.iter().map(attr_json).collect::<Vec<_>>() }),
        StreamAttr::M(m) => {
            json!({ "M": m.iter().map(|(k, v)| (k.clone(), attr_json(v))).collect::<serde_json::Map<_, _>>() })
        }
        _ => json!({ "NULL": true }),
    }
}

/// Settles the contract suite's derived values by running the counters aggregator over
/// everything the stream holds, as the counters function does on AWS.
pub struct StreamSettle {
    reader: StreamReader,
    aggregator: crate::CounterAggregator,
}

impl StreamSettle {
    pub async fn new(sdk: &aws_config::SdkConfig, names: &AwsNames) -> Self {
        Self {
            reader: StreamReader::new(sdk, &names.table).await,
            aggregator: crate::CounterAggregator::new(
                aws_sdk_dynamodb::Client::new(sdk),
                &names.table,
                names.retention_days,
            ),
        }
    }
}

#[async_trait]
impl webhooks_core::contract::Settle for StreamSettle {
    async fn settle(&self) {
        while let Some(event) = self.reader.next_event().await {
            let records = crate::records_from_event(&event).expect("stream records");
            self.aggregator
                .apply(&records)
                .await
                .expect("counters applied");
        }
    }
}
