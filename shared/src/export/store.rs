//! Where an export document goes: a port with two adapters, S3 ([`super::S3ExportStore`],
//! deployed) and the dev server's local directory (`tools/dev-server`, `make dev` without S3).

use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::identity::UserId;
use crate::time::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum ExportStoreError {
    #[error("writing the export object: {0}")]
    Write(String),
    #[error("signing the export's download URL: {0}")]
    Presign(String),
}

/// An export document written and how to fetch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredExport {
    /// A GET URL that works without other credentials until `expires_at`.
    pub url: String,
}

#[async_trait]
pub trait ExportStore: Send + Sync {
    /// Writes `body` (JSON) under `key`, encrypted at rest, and returns a URL that reads it
    /// from `now` for `ttl`.
    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<StoredExport, ExportStoreError>;
}

/// `exports/<prefix>/<uuid>.json`. The prefix groups one user's exports without naming the
/// user in the bucket (keys show up in S3 listings, access logs and inventories): the first
/// 32 hex digits of SHA-256 over a label and the `sub`. The label keeps it from being the
/// Tarabut customer id, which hashes the bare `sub`. It is not a secret: access is by the
/// presigned URL only (the bucket is private), and the random uuid is what makes a URL
/// unguessable.
pub fn object_key(user: &UserId) -> String {
    let digest = Sha256::new()
        .chain_update(b"finance-export\x1f")
        .chain_update(user.as_str().as_bytes())
        .finalize();
    let prefix: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "exports/{prefix}/{}.json",
        uuid::Uuid::new_v4().as_hyphenated()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_group_a_user_without_naming_them() {
        let alice = UserId::parse("alice@example.com").unwrap();
        let bob = UserId::parse("bob").unwrap();
        let (a1, a2, b) = (object_key(&alice), object_key(&alice), object_key(&bob));
        let prefix = |k: &str| k.rsplit_once('/').unwrap().0.to_string();
        assert_eq!(prefix(&a1), prefix(&a2));
        assert_ne!(a1, a2);
        assert_ne!(prefix(&a1), prefix(&b));
        assert!(!a1.contains("alice"));
        assert!(a1.starts_with("exports/") && a1.ends_with(".json"));
        assert_eq!(prefix(&a1).len(), "exports/".len() + 32);
    }
}
