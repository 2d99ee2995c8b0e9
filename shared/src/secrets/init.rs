//! Installing the secrets into a function's state at init. A missing ARN or an unreadable or
//! malformed secret fails the init, naming the variable or the secret (never a value).

use std::sync::Arc;

use super::values::{TarabutSecretSource, parse_cursor_key, parse_tarabut_secret};
use super::{SecretStore, SecretsManagerStore};
use crate::config::ConfigError;
use crate::state::{AppState, InitError};
use crate::tarabut::TarabutClient;

/// For the `main` of a function that calls Tarabut: reads the client secret named by
/// `TARABUT_SECRET_ARN` from Secrets Manager, and keeps that source for a read again when
/// Tarabut refuses the secret (a rotation).
pub async fn with_tarabut_secret(state: AppState) -> Result<AppState, InitError> {
    let store = Arc::new(SecretsManagerStore::from_sdk_config(
        &state.aws_config().await,
    ));
    install_tarabut_secret(&state, store)
        .await
        .inspect_err(|e| tracing::error!(error = %e, "init failed"))?;
    Ok(state)
}

/// For the transaction list's `main`: reads the cursor key named by `CURSOR_KEY_SECRET_ARN`.
pub async fn with_cursor_key(state: AppState) -> Result<AppState, InitError> {
    let store = Arc::new(SecretsManagerStore::from_sdk_config(
        &state.aws_config().await,
    ));
    install_cursor_key(state, store)
        .await
        .inspect_err(|e| tracing::error!(error = %e, "init failed"))
}

/// [`with_tarabut_secret`] over any store (the tests use moto's Secrets Manager).
pub async fn install_tarabut_secret(
    state: &AppState,
    store: Arc<dyn SecretStore>,
) -> Result<(), InitError> {
    install_client_secret(&state.tarabut, &state.config.tarabut.secret_arn, store).await
}

/// Reads the client secret named by `arn` (`TARABUT_SECRET_ARN`) into `client`, and keeps the
/// store for a read again after a refusal (also for tools that hold a bare client).
pub async fn install_client_secret(
    client: &TarabutClient,
    arn: &Option<String>,
    store: Arc<dyn SecretStore>,
) -> Result<(), InitError> {
    let id = required(arn, "TARABUT_SECRET_ARN")?;
    let value = store.secret_string(&id).await?;
    let secret = parse_tarabut_secret(&id, &value)?;
    client
        .credential()
        .install(secret, Some(Arc::new(TarabutSecretSource { store, id })));
    Ok(())
}

/// [`with_cursor_key`] over any store.
pub async fn install_cursor_key(
    mut state: AppState,
    store: Arc<dyn SecretStore>,
) -> Result<AppState, InitError> {
    let id = required(&state.config.cursor_key_secret_arn, "CURSOR_KEY_SECRET_ARN")?;
    let value = store.secret_string(&id).await?;
    state.cursor_key = Some(parse_cursor_key(&id, &value)?);
    Ok(state)
}

fn required(arn: &Option<String>, variable: &'static str) -> Result<String, ConfigError> {
    arn.clone().ok_or(ConfigError {
        variable,
        reason: "is not set (this function reads that secret at init)".into(),
    })
}
