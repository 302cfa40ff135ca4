//! AWS adapters of the ports: `DynamoDbEndpointStore`, `DynamoDbMessageStore`,
//! `DynamoDbDeliveryLog` and `DynamoDbDeliveryReader` on one table, `SqsTaskQueue`, and
//! `SecretsManagerSecretStore`; `DynamoDbNotificationStore`, `SqsEventPublisher` and
//! `SesMailer` (feature `ses`) for operational events and their mails; and `CounterAggregator`, which derives the counters from
//! the table's stream.
//! SDK types and attribute mapping stay in this crate. Clients are built once from one
//! `aws-config` load and shared.

mod attrs;
pub mod config;
mod counters;
mod counting;
mod endpoints;
mod entries;
mod error;
mod events;
mod log;
mod messages;
pub mod metrics;
mod notifications;
mod reads;
pub mod schema;
mod secrets;
#[cfg(feature = "ses")]
mod ses;
mod sqs;
#[cfg(feature = "testing")]
pub mod testing;

pub use attrs::{item_size, read_units, write_units};
pub use counters::{
    item_from_json, padded_seq, records_from_event, CounterAggregator, StreamRecord,
};
pub use counting::RequestCounter;
pub use endpoints::DynamoDbEndpointStore;
pub use events::SqsEventPublisher;
pub use log::DynamoDbDeliveryLog;
pub use messages::DynamoDbMessageStore;
pub use notifications::DynamoDbNotificationStore;
pub use reads::DynamoDbDeliveryReader;
pub use secrets::SecretsManagerSecretStore;
#[cfg(feature = "ses")]
pub use ses::SesMailer;
pub use sqs::{dead_letter, SqsTaskQueue, MAX_MESSAGE_BYTES, MAX_VISIBILITY};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use std::sync::Arc;
use std::time::Duration;
use webhooks_core::services::Stores;

/// Where the adapters keep their data.
#[derive(Debug, Clone)]
pub struct AwsNames {
    /// The DynamoDB table (single-table design, see docs/DYNAMODB.md).
    pub table: String,
    /// URL of the SQS delivery queue.
    pub delivery_queue_url: String,
    /// Each tenant's key (endpoint secrets derive from it) is the secret `<prefix>/<tenant>/key`.
    pub secret_prefix: String,
    /// Messages, log entries and stats expire after this many days (TTL).
    pub retention_days: u32,
}

/// Loads the SDK configuration once: region and credentials from the environment,
/// standard retries (3 attempts with backoff, throttling included) and bounded timeouts so
/// a slow AWS call cannot eat a whole Lambda invocation. `endpoint_url` points every
/// client at an emulator (tests).
pub async fn sdk_config(endpoint_url: Option<&str>) -> SdkConfig {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https)
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(12))
                .build(),
        );
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// A client of the SDK crate `$sdk_crate` from the shared config, counted when asked.
macro_rules! client {
    ($sdk_crate:ident, $sdk:expr, $counter:expr) => {{
        let mut config = $sdk_crate::config::Builder::from($sdk);
        if let Some(counter) = $counter {
            config = config.interceptor(counter.clone());
        }
        $sdk_crate::Client::from_conf(config.build())
    }};
}

/// All AWS adapters over clients built from `sdk`, plus the queue for the Lambda helpers.
pub fn aws_stores(sdk: &SdkConfig, names: &AwsNames) -> (Stores, SqsTaskQueue) {
    aws_stores_counted(sdk, names, None)
}

/// Like [`aws_stores`], with every client's calls counted by `counter` when given.
pub fn aws_stores_counted(
    sdk: &SdkConfig,
    names: &AwsNames,
    counter: Option<RequestCounter>,
) -> (Stores, SqsTaskQueue) {
    let dynamo = client!(aws_sdk_dynamodb, sdk, &counter);
    let sqs = client!(aws_sdk_sqs, sdk, &counter);
    let secrets = client!(aws_sdk_secretsmanager, sdk, &counter);
    let table = Arc::new(attrs::Table::new(
        dynamo,
        &names.table,
        names.retention_days,
    ));
    let queue = SqsTaskQueue::new(sqs, &names.delivery_queue_url);
    let stores = Stores {
        endpoints: Arc::new(DynamoDbEndpointStore::new(table.clone())),
        secrets: Arc::new(SecretsManagerSecretStore::new(
            secrets,
            &names.secret_prefix,
        )),
        messages: Arc::new(DynamoDbMessageStore::new(table.clone())),
        log: Arc::new(DynamoDbDeliveryLog::new(table.clone())),
        reader: Arc::new(DynamoDbDeliveryReader::new(table)),
        queue: Arc::new(queue.clone()),
    };
    (stores, queue)
}

/// The tenants' notification settings and mail history, on the table of `names`.
pub fn notification_store(sdk: &SdkConfig, names: &AwsNames) -> DynamoDbNotificationStore {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    DynamoDbNotificationStore::new(Arc::new(attrs::Table::new(
        dynamo,
        &names.table,
        names.retention_days,
    )))
}

/// JSON logs for a Lambda function (`RUST_LOG` filters, default `info`). The runtime's
/// spans add the request id; handlers add message and endpoint ids as fields.
pub fn init_lambda_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_span_list(true)
        .with_current_span(false)
        .init();
}
