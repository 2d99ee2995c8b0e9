//! The dev server's export store: `POST /finance/export` works under `make dev` without S3.
//! Documents are kept in memory, like the embedded table (nothing of a user's data is left in
//! files on the developer's disk, nothing to clean up), and served at
//! `GET /_dev/exports/<key>` until their URL expires, standing in for S3's presigned GET: the
//! random uuid in the key is what makes the URL unguessable, as in S3.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::export::{ExportStore, ExportStoreError, StoredExport};
use shared::time::{Clock, SystemClock, Timestamp};

use crate::gateway::{Gateway, message};

pub struct MemoryExports {
    /// `http://127.0.0.1:PORT`, the API's base URL.
    base_url: String,
    documents: Mutex<HashMap<String, (Vec<u8>, Timestamp)>>,
}

impl MemoryExports {
    pub fn new(base_url: &str) -> MemoryExports {
        MemoryExports {
            base_url: base_url.to_string(),
            documents: Mutex::default(),
        }
    }

    /// The document at `key` if its URL has not expired at `now`.
    pub fn get(&self, key: &str, now: Timestamp) -> Option<Vec<u8>> {
        let documents = self
            .documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        documents
            .get(key)
            .filter(|(_, until)| now < *until)
            .map(|(body, _)| body.clone())
    }
}

#[async_trait]
impl ExportStore for MemoryExports {
    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<StoredExport, ExportStoreError> {
        let mut documents = self
            .documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // What S3's lifecycle rule does, sooner: expired documents go.
        documents.retain(|_, (_, until)| now < *until);
        documents.insert(key.to_string(), (body, now + ttl));
        Ok(StoredExport {
            url: format!("{}/_dev/{key}", self.base_url),
        })
    }
}

/// `GET /_dev/exports/<key>`: the document, or 404 once its URL expired (S3 answers 403).
pub async fn serve(State(gateway): State<Arc<Gateway>>, Path(rest): Path<String>) -> Response {
    let key = format!("exports/{rest}");
    match gateway.exports.get(&key, SystemClock.now()) {
        Some(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        None => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_document_is_served_until_its_url_expires() {
        let exports = MemoryExports::new("http://127.0.0.1:3000");
        let now = Timestamp::from_millis(1_800_000_000_000);
        let stored = exports
            .put(
                "exports/p/u.json",
                b"{}".to_vec(),
                now,
                Duration::from_secs(300),
            )
            .await
            .unwrap();
        assert_eq!(stored.url, "http://127.0.0.1:3000/_dev/exports/p/u.json");
        assert_eq!(
            exports.get("exports/p/u.json", now).as_deref(),
            Some(&b"{}"[..])
        );
        let later = now + Duration::from_secs(300);
        assert_eq!(exports.get("exports/p/u.json", later), None);
        assert_eq!(exports.get("exports/p/other.json", now), None);
    }
}
