use std::time::Duration;

/// What a Tarabut call can end in. Messages never contain a token or the client secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TarabutError {
    /// This function holds no client secret (`TARABUT_SECRET_ARN` unset): it is not one the
    /// template lets call Tarabut. A deployment fault; nothing was sent.
    #[error("no Tarabut client secret in this function (TARABUT_SECRET_ARN)")]
    NoClientSecret,
    /// 401: the access token is invalid or expired (the token manager reacts to this).
    #[error("Tarabut refused the access token (401)")]
    Unauthorized,
    /// 403: the consent does not cover this (revoked, expired, or another user's account).
    #[error("Tarabut refused access (403)")]
    Forbidden,
    #[error("Tarabut has no such resource (404)")]
    NotFound,
    #[error("Tarabut rejected the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("Tarabut is rate limiting")]
    RateLimited { retry_after: Option<Duration> },
    #[error("Tarabut failed ({status})")]
    Server { status: u16 },
    #[error("Tarabut did not answer in time")]
    Timeout,
    #[error("no time left before the invocation's deadline")]
    DeadlineExceeded,
    #[error("cannot reach Tarabut: {0}")]
    Transport(String),
    #[error("unexpected answer from Tarabut: {0}")]
    Decode(String),
    /// The answer passed the body cap (`MAX_BODY_BYTES`): reading stopped there. Not retried:
    /// the same request would bring the same body.
    #[error("Tarabut's answer is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
}

impl TarabutError {
    /// Worth another attempt (within the deadline).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TarabutError::RateLimited { .. }
                | TarabutError::Server { .. }
                | TarabutError::Timeout
                | TarabutError::Transport(_)
        )
    }
}
