//! What each secret must hold, checked before it is used; and the client secret's source for
//! a read again after a rotation.

use std::sync::Arc;

use async_trait::async_trait;

use super::{SecretStore, SecretsError};
use crate::secret::Secret;
use crate::tarabut::ClientSecretSource;

/// Shortest cursor key: as long as the HMAC-SHA256 output, so guessing it is no easier
/// than forging a tag.
pub const MIN_CURSOR_KEY_BYTES: usize = 32;

/// The Tarabut secret is JSON `{"clientSecret": "..."}` (other keys are ignored, so one
/// secret may hold more).
pub fn parse_tarabut_secret(id: &str, value: &Secret) -> Result<Secret, SecretsError> {
    // An object is required (serde would read a struct from `["..."]` too), and serde's
    // message, which can quote the input, is dropped: only a fixed reason is kept.
    let parsed = serde_json::from_str::<serde_json::Value>(value.expose()).ok();
    match parsed
        .as_ref()
        .and_then(|v| v.as_object())
        .and_then(|o| o.get("clientSecret"))
        .and_then(|s| s.as_str())
        .map(str::trim)
    {
        Some(secret) if !secret.is_empty() => Ok(Secret::new(secret)),
        _ => Err(SecretsError::Malformed {
            id: id.to_string(),
            reason: r#"must be JSON {"clientSecret": "<non-empty string>"}"#,
        }),
    }
}

/// The cursor key is the secret's whole string, at least [`MIN_CURSOR_KEY_BYTES`] long (the
/// template generates 64 characters).
pub fn parse_cursor_key(id: &str, value: &Secret) -> Result<Secret, SecretsError> {
    if value.expose().len() < MIN_CURSOR_KEY_BYTES {
        return Err(SecretsError::Malformed {
            id: id.to_string(),
            reason: "must be a string of at least 32 bytes",
        });
    }
    Ok(value.clone())
}

/// Reads the Tarabut client secret again (after Tarabut refused the one held).
pub struct TarabutSecretSource {
    pub store: Arc<dyn SecretStore>,
    pub id: String,
}

#[async_trait]
impl ClientSecretSource for TarabutSecretSource {
    async fn fetch(&self) -> Result<Secret, String> {
        let value = self
            .store
            .secret_string(&self.id)
            .await
            .map_err(|e| e.to_string())?;
        parse_tarabut_secret(&self.id, &value).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tarabut_secret_is_json_with_a_client_secret_and_errors_never_quote_it() {
        let ok = parse_tarabut_secret("s", &Secret::new(r#"{"clientSecret":" abc ","x":1}"#));
        assert_eq!(ok, Ok(Secret::new("abc")));
        for bad in [
            "hunter2-plain-string",
            r#"{"clientSecret":""}"#,
            r#"{"clientSecret":12345678}"#,
            r#"{"client_secret":"hunter2"}"#,
            r#"["hunter2"]"#,
        ] {
            let err = parse_tarabut_secret("arn:x", &Secret::new(bad)).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("arn:x"), "{text}");
            assert!(
                !text.contains("hunter2") && !text.contains("12345678"),
                "{text}"
            );
        }
    }

    #[test]
    fn the_cursor_key_must_be_32_bytes() {
        let key = "k".repeat(MIN_CURSOR_KEY_BYTES);
        assert_eq!(
            parse_cursor_key("c", &Secret::new(&key)),
            Ok(Secret::new(&key))
        );
        let err = parse_cursor_key("c", &Secret::new(&key[1..])).unwrap_err();
        assert!(!err.to_string().contains("kkkk"));
    }
}
