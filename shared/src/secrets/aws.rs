//! The Secrets Manager adapter (the SDK honours `AWS_ENDPOINT_URL_SECRETS_MANAGER`, which the
//! local runs point at moto's server).

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::{SecretStore, SecretsError};
use crate::secret::Secret;

#[derive(Clone, Debug)]
pub struct SecretsManagerStore {
    client: Client,
}

impl SecretsManagerStore {
    pub async fn from_env() -> SecretsManagerStore {
        let sdk = aws_config::load_from_env().await;
        SecretsManagerStore::from_sdk_config(&sdk)
    }

    pub fn from_sdk_config(sdk: &aws_config::SdkConfig) -> SecretsManagerStore {
        SecretsManagerStore {
            client: Client::new(sdk),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl SecretStore for SecretsManagerStore {
    async fn secret_string(&self, id: &str) -> Result<Secret, SecretsError> {
        let read = |reason: String| SecretsError::Read {
            id: id.to_string(),
            reason,
        };
        let output = self
            .client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| read(describe(&e)))?;
        // The output's Debug redacts the value; only `secret_string` is read from it.
        output
            .secret_string
            .map(Secret::new)
            .ok_or_else(|| SecretsError::Malformed {
                id: id.to_string(),
                reason: "has no string value (a binary secret?)",
            })
    }
}

/// The service's error code and message (`ResourceNotFoundException: ...`), or the transport
/// failure: what an operator needs, and nothing of the value (a failed read has none).
fn describe<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e {
        SdkError::ServiceError(service) => {
            let err = service.err();
            format!(
                "{}: {}",
                err.code().unwrap_or("unknown error"),
                err.message().unwrap_or("no message")
            )
        }
        other => DisplayErrorContext(other).to_string(),
    }
}
