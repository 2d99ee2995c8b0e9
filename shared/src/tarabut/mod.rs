//! Typed Tarabut client (reqwest + rustls): every call bounded by the caller's deadline,
//! retried with full-jitter backoff on 429/5xx/timeouts, `Retry-After` honoured.

mod body;
mod client;
pub mod credential;
mod error;
mod http;
pub mod retry;
pub mod types;

pub use body::MAX_BODY_BYTES;
pub use client::{Revoked, TarabutClient};
pub use credential::{ClientCredential, ClientSecretSource};
pub use error::TarabutError;
pub use types::*;
