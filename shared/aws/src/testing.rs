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
        stores: aws.stores,
        probe: Arc::new(SqsProbe(aws.queue)),
    }
}
