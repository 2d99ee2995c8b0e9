//! Creating the table (tests, local runs); production gets it from template.yaml.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};

use crate::store::{GSI1, StoreError};

/// Creates the table with the same keys, index and TTL attribute as `template.yaml`, and waits
/// until it is ACTIVE (polling DescribeTable: the SDK waiter's minimum delay is 20 s). An
/// existing table is fine. TTL is best-effort: the local DynamoDB used in tests lacks it, and
/// nothing relies on TTL for correctness.
pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let s = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| StoreError::Invalid(e.to_string()))
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .map_err(|e| StoreError::Invalid(e.to_string()))
    };
    let gsi = GlobalSecondaryIndex::builder()
        .index_name(GSI1)
        .key_schema(key("gsi1pk", KeyType::Hash)?)
        .key_schema(key("gsi1sk", KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let created = client
        .create_table()
        .table_name(name)
        .attribute_definitions(s("pk")?)
        .attribute_definitions(s("sk")?)
        .attribute_definitions(s("gsi1pk")?)
        .attribute_definitions(s("gsi1sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .global_secondary_indexes(gsi)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    if let Err(e) = created {
        let exists = e
            .as_service_error()
            .is_some_and(|s| s.is_resource_in_use_exception());
        if !exists {
            return Err(StoreError::Backend(DisplayErrorContext(&e).to_string()));
        }
    }
    for _ in 0..600 {
        let described = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| StoreError::Backend(DisplayErrorContext(&e).to_string()))?;
        if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            let ttl = TimeToLiveSpecification::builder()
                .attribute_name(crate::store::TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            if let Err(e) = client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(ttl)
                .send()
                .await
            {
                tracing::debug!(error = %DisplayErrorContext(&e), "TTL not enabled (local DynamoDB?)");
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(StoreError::Backend(format!(
        "table {name} did not become ACTIVE"
    )))
}
