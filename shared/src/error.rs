//! The use cases' error type: what went wrong, in the product's terms, without HTTP. Every
//! lower error (store, Tarabut, token) converts into it here, once; `http::problem` maps it to
//! a status and an RFC 9457 body, also once.

use std::time::Duration;

use crate::export::ExportStoreError;
use crate::store::StoreError;
use crate::tarabut::TarabutError;
use crate::token::{CallError, TokenError};

#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    /// The request is well-formed but its values are not acceptable (a range backwards, an
    /// id that cannot exist).
    #[error("{0}")]
    Invalid(String),
    /// The caller is known but may not do this (a link started by another account).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// The caller has this many bank links started and not finished (each one holds a
    /// Tarabut intent); a new one waits until one completes or expires.
    #[error(
        "{limit} bank links are already waiting to be completed; complete one, or start again once they expire (about 15 minutes after they were started)"
    )]
    TooManyPendingLinks { limit: usize },
    #[error("the bank consent of connection {connection_id} must be renewed")]
    ReauthRequired { connection_id: String },
    #[error("the bank consent of connection {connection_id} has expired; link the bank again")]
    ConsentExpired { connection_id: String },
    /// The caller asked again sooner than the shared Tarabut quota allows.
    #[error("too many refreshes; retry in {} s", retry_after.as_secs())]
    TooManyRequests { retry_after: Duration },
    /// Another sync of the same connection is running (another Lambda, or the schedule).
    #[error("a sync of this connection is already running; retry in {} s", retry_after.as_secs())]
    SyncRunning { retry_after: Duration },
    #[error("the bank connection service is unavailable, retry later")]
    Unavailable { retry_after: Duration },
    #[error("the bank connection service failed")]
    Upstream(String),
    /// This function lacks a setting the use case needs (`EXPORT_BUCKET` for the export): a
    /// deployment fault, answered as an internal error; the variable is logged, never sent.
    #[error("{0} is not configured")]
    NotConfigured(&'static str),
    /// Internal failure: the message is logged, never sent to the client.
    #[error("internal error")]
    Internal(String),
}

impl UseCaseError {
    /// What the client may be told. Internal and upstream details stay in the logs: they can
    /// hold table names, provider bodies or other things a client has no business seeing.
    pub fn public_detail(&self) -> String {
        match self {
            UseCaseError::Internal(_) | UseCaseError::NotConfigured(_) => {
                "an internal error occurred; it has been logged".to_string()
            }
            UseCaseError::Upstream(_) => {
                "the bank connection service failed; retry later".to_string()
            }
            other => other.to_string(),
        }
    }

    /// The detail for the logs only (never a client body).
    pub fn internal_detail(&self) -> Option<&str> {
        match self {
            UseCaseError::Internal(d) | UseCaseError::Upstream(d) => Some(d),
            UseCaseError::NotConfigured(variable) => Some(variable),
            _ => None,
        }
    }
}

impl From<StoreError> for UseCaseError {
    fn from(e: StoreError) -> Self {
        UseCaseError::Internal(format!("store: {e}"))
    }
}

impl From<ExportStoreError> for UseCaseError {
    fn from(e: ExportStoreError) -> Self {
        UseCaseError::Internal(format!("export store: {e}"))
    }
}

impl From<TarabutError> for UseCaseError {
    fn from(e: TarabutError) -> Self {
        match e {
            TarabutError::RateLimited { retry_after } => UseCaseError::Unavailable {
                retry_after: retry_after.unwrap_or(Duration::from_secs(5)),
            },
            TarabutError::DeadlineExceeded | TarabutError::Timeout => UseCaseError::Unavailable {
                retry_after: Duration::from_secs(5),
            },
            TarabutError::NoClientSecret => UseCaseError::NotConfigured("TARABUT_SECRET_ARN"),
            other => UseCaseError::Upstream(other.to_string()),
        }
    }
}

impl From<TokenError> for UseCaseError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Unavailable { retry_after } => UseCaseError::Unavailable { retry_after },
            TokenError::Store(s) => UseCaseError::from(s),
            TokenError::Mint(t) => UseCaseError::from(t),
        }
    }
}

impl From<CallError> for UseCaseError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Token(t) => UseCaseError::from(t),
            CallError::Tarabut(t) => UseCaseError::from(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversize_answer_is_an_upstream_failure_not_a_retry_later() {
        let e = TarabutError::BodyTooLarge {
            limit: crate::tarabut::MAX_BODY_BYTES,
        };
        assert!(!e.is_retryable());
        assert!(matches!(UseCaseError::from(e), UseCaseError::Upstream(_)));
    }

    #[test]
    fn internal_details_never_reach_the_public_detail() {
        let e =
            UseCaseError::Internal("table finance-prod: AccessDenied for arn:aws:iam::123".into());
        assert!(!e.public_detail().contains("arn:aws"));
        let e = UseCaseError::Upstream("token endpoint said: invalid client secret s3cr3t".into());
        assert!(!e.public_detail().contains("s3cr3t"));
        let e = UseCaseError::NotConfigured("EXPORT_BUCKET");
        assert!(!e.public_detail().contains("EXPORT_BUCKET"));
        assert_eq!(e.internal_detail(), Some("EXPORT_BUCKET"));
        assert_eq!(
            UseCaseError::NotFound("connection").public_detail(),
            "connection not found"
        );
    }
}
