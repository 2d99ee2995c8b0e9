//! The deployed [`ExportStore`]: one S3 object per export, encrypted with SSE-S3 (AES256), and
//! a presigned GET signed with the function role's credentials.
//!
//! SSE-S3 rather than SSE-KMS: the objects live a day (the bucket's lifecycle rule) and are
//! read once through a presigned URL; with KMS the role would also need `kms:GenerateDataKey`
//! and `kms:Decrypt` (a presigned GET decrypts as its signer), every put and download would be
//! a KMS request (cost, throttling) and the key would be one more resource to keep. Both
//! encrypt at rest with AES-256; KMS would add per-key audit and revocation, which a one-day
//! object does not need.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use super::store::{ExportStore, ExportStoreError, StoredExport};
use crate::time::Timestamp;

#[derive(Clone)]
pub struct S3ExportStore {
    client: Client,
    bucket: String,
}

impl S3ExportStore {
    /// The SDK's default chain (the Lambda role's credentials; `AWS_ENDPOINT_URL_S3` for a
    /// local S3 such as the tests' moto).
    pub async fn from_env(bucket: impl Into<String>) -> S3ExportStore {
        let sdk = aws_config::load_from_env().await;
        S3ExportStore::from_sdk_config(&sdk, bucket)
    }

    pub fn from_sdk_config(
        sdk: &aws_config::SdkConfig,
        bucket: impl Into<String>,
    ) -> S3ExportStore {
        // A local S3 is addressed by path: `<bucket>.127.0.0.1` does not resolve. AWS itself
        // gets virtual-hosted URLs (path style is deprecated there).
        let local =
            sdk.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let conf = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(local)
            .build();
        S3ExportStore {
            client: Client::from_conf(conf),
            bucket: bucket.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

#[async_trait]
impl ExportStore for S3ExportStore {
    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<StoredExport, ExportStoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            // Asked per object as well as by the bucket's default, so a bucket whose default
            // was changed still gets encrypted exports.
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| ExportStoreError::Write(DisplayErrorContext(&e).to_string()))?;
        let start = SystemTime::UNIX_EPOCH + Duration::from_millis(now.millis().max(0) as u64);
        let presigning = PresigningConfig::builder()
            .start_time(start)
            .expires_in(ttl)
            .build()
            .map_err(|e| ExportStoreError::Presign(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(|e| ExportStoreError::Presign(DisplayErrorContext(&e).to_string()))?;
        Ok(StoredExport {
            url: request.uri().to_string(),
        })
    }
}
