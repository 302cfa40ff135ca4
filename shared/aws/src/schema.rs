//! Creates the table (tests and local tooling; on AWS the SAM template does it). The
//! definition here and in template.yaml must stay the same: docs/DYNAMODB.md describes it.

use crate::attrs::{GSI1, GSI1_PK, GSI1_SK, PK, SK, TTL};
use crate::error::sdk;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use webhooks_core::StoreError;

fn attr(name: &str) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(StoreError::backend)
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(StoreError::backend)
}

/// Creates the table with its sparse index (keys, status and due time: what the failed
/// filter and the sweep need), its stream (new and old images, for the counters) and TTL,
/// on-demand billing.
pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let gsi = GlobalSecondaryIndex::builder()
        .index_name(GSI1)
        .key_schema(key(GSI1_PK, KeyType::Hash)?)
        .key_schema(key(GSI1_SK, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::Include)
                .non_key_attributes("status")
                .non_key_attributes("next_attempt_at")
                .non_key_attributes("parked")
                .build(),
        )
        .build()
        .map_err(StoreError::backend)?;
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr(PK)?)
        .attribute_definitions(attr(SK)?)
        .attribute_definitions(attr(GSI1_PK)?)
        .attribute_definitions(attr(GSI1_SK)?)
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .global_secondary_indexes(gsi)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .map_err(StoreError::backend)?,
        )
        .send()
        .await
        .map_err(sdk)?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL)
                .enabled(true)
                .build()
                .map_err(StoreError::backend)?,
        )
        .send()
        .await
        .map_err(sdk)?;
    Ok(())
}
