//! The one error type a handler can return, and its single mapping to RFC 9457 problem
//! details. Every other error (store, Tarabut, token) converts into it here, once.

use std::time::Duration;

use serde::Serialize;

use crate::store::StoreError;
use crate::tarabut::TarabutError;
use crate::token::{CallError, TokenError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("missing or empty identity claims")]
    Unauthenticated,
    #[error("{0}")]
    BadRequest(String),
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("content-type must be application/json")]
    UnsupportedMediaType,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("the bank consent of connection {connection_id} must be renewed")]
    ReauthRequired { connection_id: String },
    #[error("the bank connection service is unavailable, retry later")]
    Unavailable { retry_after: Duration },
    #[error("the bank connection service failed")]
    Upstream(String),
    /// Internal failure: the message is logged, never sent to the client.
    #[error("internal error")]
    Internal(String),
}

/// RFC 9457 problem details body.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::BadRequest(_) => 400,
            AppError::PayloadTooLarge { .. } => 413,
            AppError::UnsupportedMediaType => 415,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) | AppError::ReauthRequired { .. } => 409,
            AppError::Unavailable { .. } => 503,
            AppError::Upstream(_) => 502,
            AppError::Internal(_) => 500,
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            AppError::Unauthenticated => ("unauthenticated", "Unauthenticated"),
            AppError::BadRequest(_) => ("bad-request", "Bad request"),
            AppError::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            AppError::UnsupportedMediaType => ("unsupported-media-type", "Unsupported media type"),
            AppError::NotFound(_) => ("not-found", "Not found"),
            AppError::Conflict(_) => ("conflict", "Conflict"),
            AppError::ReauthRequired { .. } => ("reauth-required", "Bank consent must be renewed"),
            AppError::Unavailable { .. } => ("unavailable", "Service unavailable"),
            AppError::Upstream(_) => ("upstream-error", "Bank connection error"),
            AppError::Internal(_) => ("internal", "Internal error"),
        }
    }

    /// `Retry-After` seconds for answers that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::Unavailable { retry_after } => Some(retry_after.as_secs().max(1)),
            _ => None,
        }
    }

    /// The client-facing body. Internal and upstream details stay in the logs: they can hold
    /// table names, provider bodies or other things a client has no business seeing.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let detail = match self {
            AppError::Internal(_) => "an internal error occurred; it has been logged".to_string(),
            AppError::Upstream(_) => "the bank connection service failed; retry later".to_string(),
            other => other.to_string(),
        };
        Problem {
            type_uri: format!("/problems/{slug}"),
            title,
            status: self.status(),
            detail,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Internal(format!("store: {e}"))
    }
}

impl From<TarabutError> for AppError {
    fn from(e: TarabutError) -> Self {
        match e {
            TarabutError::RateLimited { retry_after } => AppError::Unavailable {
                retry_after: retry_after.unwrap_or(Duration::from_secs(5)),
            },
            TarabutError::DeadlineExceeded | TarabutError::Timeout => AppError::Unavailable {
                retry_after: Duration::from_secs(5),
            },
            other => AppError::Upstream(other.to_string()),
        }
    }
}

impl From<TokenError> for AppError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Unavailable { retry_after } => AppError::Unavailable { retry_after },
            TokenError::Store(s) => AppError::from(s),
            TokenError::Mint(t) => AppError::from(t),
        }
    }
}

impl From<CallError> for AppError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Token(t) => AppError::from(t),
            CallError::Tarabut(t) => AppError::from(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_never_reach_the_body() {
        let e = AppError::Internal("table finance-prod: AccessDenied for arn:aws:iam::123".into());
        let p = e.problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("arn:aws"));
        let e = AppError::Upstream("token endpoint said: invalid client secret s3cr3t".into());
        assert!(!e.problem().detail.contains("s3cr3t"));
    }

    #[test]
    fn statuses_and_types() {
        assert_eq!(AppError::Unauthenticated.problem().status, 401);
        assert_eq!(
            AppError::NotFound("connection").problem().detail,
            "connection not found"
        );
        assert_eq!(
            AppError::PayloadTooLarge { limit: 65536 }
                .problem()
                .type_uri,
            "/problems/payload-too-large"
        );
        let unavailable = AppError::Unavailable {
            retry_after: Duration::from_millis(200),
        };
        assert_eq!(unavailable.status(), 503);
        assert_eq!(unavailable.retry_after(), Some(1));
    }
}
