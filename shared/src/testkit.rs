//! Helpers for tests across the workspace (feature `testkit`).

use crate::store::{DynamoTable, create_table};

/// A new, empty table with a unique name on the DynamoDB API at `AWS_ENDPOINT_URL_DYNAMODB`
/// (dynalite, started by `make test`). Without that endpoint the test fails loudly: tests
/// never skip because a service is missing, and never touch a real AWS account.
pub async fn dynamo_table() -> DynamoTable {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost"),
        "AWS_ENDPOINT_URL_DYNAMODB must point at a local DynamoDB (got {endpoint:?}); \
         run the tests with `make test` (scripts/with-dynalite.sh)"
    );
    let name = format!("test-{}", uuid::Uuid::new_v4().simple());
    let table = DynamoTable::from_env(name.clone()).await;
    create_table(table.client(), &name)
        .await
        .unwrap_or_else(|e| panic!("creating table {name}: {e}"));
    table
}
