//! The secrets a function needs, read once at init from Secrets Manager by ARN, and never
//! from the environment (docs/architecture.md §7.1).
//!
//! Only the functions that need one read it, each through its own `main`: the ones that call
//! Tarabut install the client secret ([`with_tarabut_secret`]), the transaction list its cursor
//! key ([`with_cursor_key`]). The template grants `secretsmanager:GetSecretValue` to exactly
//! those, so a function that was never meant to hold the client secret cannot read it.

mod aws;
mod init;
mod values;

use async_trait::async_trait;

use crate::secret::Secret;

pub use aws::SecretsManagerStore;
pub use init::{
    install_client_secret, install_cursor_key, install_tarabut_secret, with_cursor_key,
    with_tarabut_secret,
};
pub use values::{
    MIN_CURSOR_KEY_BYTES, TarabutSecretSource, parse_cursor_key, parse_tarabut_secret,
};

/// Why a secret could not be had. Names the secret, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretsError {
    /// The store refused or failed the read (missing, access denied, unreachable).
    #[error("reading secret {id}: {reason}")]
    Read { id: String, reason: String },
    /// The value is not what the secret must hold; the reason says what is expected.
    #[error("secret {id} {reason}")]
    Malformed { id: String, reason: &'static str },
}

/// Where secret strings are read from: Secrets Manager in a function and in the local runs
/// (moto's server), by ARN or name.
#[async_trait]
pub trait SecretStore: Send + Sync {
    async fn secret_string(&self, id: &str) -> Result<Secret, SecretsError>;
}
