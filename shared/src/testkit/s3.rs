//! A fresh bucket on the local S3 API at `AWS_ENDPOINT_URL_S3` (moto, started by
//! `scripts/with-moto.sh`, which `make test` runs), with the export store over it.

use crate::export::S3ExportStore;

/// A new, empty bucket no other test uses, encrypted by default as the template's is, and the
/// export store writing to it. Without a local endpoint the test fails loudly and says how to
/// run it: tests never skip, and never touch a real AWS account.
pub async fn export_bucket() -> S3ExportStore {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_S3").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost"),
        "AWS_ENDPOINT_URL_S3 must point at a local S3 (got {endpoint:?}); run the tests with \
         `make test` (scripts/with-moto.sh)"
    );
    let bucket = format!("exports-{}", uuid::Uuid::new_v4().simple());
    let store = S3ExportStore::from_env(bucket.clone()).await;
    store
        .client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating bucket {bucket}: {e:?}"));
    store
}

/// Every key in the store's bucket.
pub async fn export_keys(store: &S3ExportStore) -> Vec<String> {
    let listed = store
        .client()
        .list_objects_v2()
        .bucket(store.bucket())
        .send()
        .await
        .expect("listing the export bucket");
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}
