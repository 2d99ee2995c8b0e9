//! The one mapping of errors to HTTP: status, RFC 9457 problem type and title, `Retry-After`.

use serde::Serialize;

use super::error::HttpError;
use crate::error::UseCaseError;

/// RFC 9457 problem details body.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// The request's id (`RequestIds::instance`), so a client's report can be matched to
    /// our logs; absent when the request has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

impl HttpError {
    pub fn status(&self) -> u16 {
        self.kind().0
    }

    /// `(status, slug, title)`.
    fn kind(&self) -> (u16, &'static str, &'static str) {
        match self {
            HttpError::Unauthenticated => (401, "unauthenticated", "Unauthenticated"),
            HttpError::BadRequest(_) => (400, "bad-request", "Bad request"),
            HttpError::PayloadTooLarge { .. } => (413, "payload-too-large", "Payload too large"),
            HttpError::UnsupportedMediaType => {
                (415, "unsupported-media-type", "Unsupported media type")
            }
            HttpError::UseCase(e) => match e {
                UseCaseError::Invalid(_) => (400, "bad-request", "Bad request"),
                UseCaseError::Forbidden(_) => (403, "forbidden", "Forbidden"),
                UseCaseError::NotFound(_) => (404, "not-found", "Not found"),
                UseCaseError::Conflict(_) => (409, "conflict", "Conflict"),
                UseCaseError::TooManyPendingLinks { .. } => (
                    409,
                    "too-many-pending-links",
                    "Too many unfinished bank links",
                ),
                UseCaseError::ReauthRequired { .. } => {
                    (409, "reauth-required", "Bank consent must be renewed")
                }
                UseCaseError::ConsentExpired { .. } => {
                    (409, "consent-expired", "Bank consent has expired")
                }
                UseCaseError::TooManyRequests { .. } => {
                    (429, "too-many-requests", "Too many requests")
                }
                UseCaseError::SyncRunning { .. } => {
                    (409, "sync-in-progress", "A sync is already running")
                }
                UseCaseError::Unavailable { .. } => (503, "unavailable", "Service unavailable"),
                UseCaseError::Upstream(_) => (502, "upstream-error", "Bank connection error"),
                UseCaseError::Internal(_) | UseCaseError::NotConfigured(_) => {
                    (500, "internal", "Internal error")
                }
            },
        }
    }

    /// `Retry-After` seconds for answers that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            HttpError::UseCase(
                UseCaseError::Unavailable { retry_after }
                | UseCaseError::TooManyRequests { retry_after }
                | UseCaseError::SyncRunning { retry_after },
            ) => Some(retry_after.as_secs().max(1)),
            _ => None,
        }
    }

    /// The client-facing body: never an internal detail.
    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.kind();
        let detail = match self {
            HttpError::UseCase(e) => e.public_detail(),
            other => other.to_string(),
        };
        Problem {
            type_uri: format!("/problems/{slug}"),
            title,
            status,
            detail,
            instance: None,
        }
    }

    /// The detail for the logs only.
    pub fn internal_detail(&self) -> Option<&str> {
        match self {
            HttpError::UseCase(e) => e.internal_detail(),
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "problem_tests.rs"]
mod tests;
