//! The walk with DynamoDB as the store (`AWS_ENDPOINT_URL_DYNAMODB`, provided by
//! `scripts/with-dynalite.sh`): the table is created when missing.

use dev_server::{DevServerOptions, StoreChoice, StoreKind};
use reqwest::{Method, StatusCode};

use crate::common::Api;

#[tokio::test]
async fn the_walk_works_on_dynamodb_with_the_table_created() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost"),
        "AWS_ENDPOINT_URL_DYNAMODB must point at a local DynamoDB (got {endpoint:?}); run \
         `scripts/with-dynalite.sh cargo test -p dev-server` (make test does)"
    );
    let table = format!("dev-server-test-{}", uuid::Uuid::new_v4().simple());
    let api = Api::with(DevServerOptions {
        store: StoreChoice::Dynamo,
        ..DevServerOptions::ephemeral().var("TABLE_NAME", &table)
    })
    .await;
    assert_eq!(
        api.server.store(),
        &StoreKind::Dynamo {
            table: table.clone(),
            endpoint
        }
    );
    let linked = api.link("sara").await;
    api.sync_and_list("sara", &linked.connection_id).await;
    let cron = api.call(Method::POST, "/_dev/cron", None, None).await;
    assert_eq!(cron.status, StatusCode::OK, "{}", cron.text);
}
