//! `POST /finance/export`: a complete copy of what the backend holds for the caller, as one
//! JSON document written to the export store (S3) and handed back as a presigned URL valid for
//! minutes. A Lambda answer behind API Gateway is capped at 6 MB; an export is not
//! (docs/architecture.md §3.11).

mod document;
mod rows;
mod s3;
mod store;

use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::audit;
use crate::error::UseCaseError;
use crate::identity::UserId;

pub use document::{Counts, FORMAT, build as build_document};
pub use rows::{AccountRow, BalanceRow, ConnectionRow, LinkAttemptRow, TransactionRow};
pub use s3::S3ExportStore;
pub use store::{ExportStore, ExportStoreError, StoredExport, object_key};

/// The route's body: empty or `{}`. No options yet; an unknown field is a 400 rather than
/// silently ignored, so a later option cannot be mistaken for one an old backend honoured.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {}

/// The answer: where to fetch the document, until when, and its size.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ExportReceipt {
    pub url: String,
    pub expires_at: String,
    pub bytes: usize,
}

/// Builds the caller's export, writes it to the export store and returns its URL. Fails with
/// [`UseCaseError::NotConfigured`] (500) before reading anything when this function has no
/// export store (`EXPORT_BUCKET` unset).
///
/// The export is audited like any read, before anything is read: when the record cannot be
/// written nothing is exported, and the document holds its own export's record.
pub async fn export(
    state: &AppState,
    user: &UserId,
    _request: ExportRequest,
    request_id: Option<&str>,
) -> Result<ExportReceipt, UseCaseError> {
    let store = state
        .exports
        .as_ref()
        .ok_or(UseCaseError::NotConfigured("EXPORT_BUCKET"))?;
    let event = audit::Event {
        request_id,
        ..audit::Event::default()
    };
    audit::read(state, user, audit::Action::Export, event).await?;
    let now = state.clock.now();
    let (body, counts) = document::build(state, user, now).await?;
    let bytes = body.len();
    let ttl = state.config.export.url_ttl;
    let stored = store.put(&object_key(user), body, now, ttl).await?;
    tracing::info!(
        bytes,
        transactions = counts.transactions,
        accounts = counts.accounts,
        "export written"
    );
    Ok(ExportReceipt {
        url: stored.url,
        expires_at: (now + ttl).to_rfc3339(),
        bytes,
    })
}

/// `state` with the deployed export store: the export function's wiring. `EXPORT_BUCKET` is
/// optional in the shared configuration (other functions do not carry it) but required here,
/// so its absence fails this function's init, naming it (logged), as any bad variable does.
pub async fn with_s3(mut state: AppState) -> Result<AppState, crate::config::ConfigError> {
    let Some(bucket) = state.config.export.bucket.clone() else {
        let e = crate::config::ConfigError {
            variable: "EXPORT_BUCKET",
            reason: "is not set (the export function requires it)".into(),
        };
        tracing::error!(error = %e, "init failed");
        return Err(e);
    };
    let aws = state.aws_config().await;
    state.exports = Some(std::sync::Arc::new(S3ExportStore::from_sdk_config(
        &aws, bucket,
    )));
    Ok(state)
}
