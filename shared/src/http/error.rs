//! What a handler can fail with: a request that cannot be read (HTTP's own refusals), or a
//! use case's error. `problem` turns either into an answer, in one place.

use crate::error::UseCaseError;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("missing or empty identity claims")]
    Unauthenticated,
    /// The body or query cannot be read as this route's input.
    #[error("{0}")]
    BadRequest(String),
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("content-type must be application/json")]
    UnsupportedMediaType,
    #[error(transparent)]
    UseCase(#[from] UseCaseError),
}

macro_rules! via_use_case {
    ($($t:ty),*) => {$(
        impl From<$t> for HttpError {
            fn from(e: $t) -> Self {
                HttpError::UseCase(UseCaseError::from(e))
            }
        }
    )*};
}

via_use_case!(
    crate::store::StoreError,
    crate::tarabut::TarabutError,
    crate::token::TokenError,
    crate::token::CallError
);
