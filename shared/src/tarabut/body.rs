//! Reading an answer's body with a cap: a hostile or broken upstream cannot make one response
//! cost more than [`MAX_BODY_BYTES`] of memory, and we stop reading the moment it passes.

use reqwest::Response;

use super::error::TarabutError;

/// The most one Tarabut answer may hold. A page of transactions is tens of KiB; 8 MiB leaves
/// room for pages of thousands of rows and still fits many concurrent syncs in 512 MB.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Error bodies are read only for a short message.
const ERROR_BODY_BYTES: usize = 4 * 1024;

/// The whole body, or `BodyTooLarge` as soon as it passes `limit` (a declared length over the
/// limit fails before reading anything).
pub(super) async fn read_capped(
    mut response: Response,
    limit: usize,
) -> Result<Vec<u8>, TarabutError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(TarabutError::BodyTooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(read_error)? {
        if exceeds(body.len(), chunk.len(), limit) {
            return Err(TarabutError::BodyTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// At most the first [`ERROR_BODY_BYTES`] of an error answer; the rest is never read.
pub(super) async fn read_error_prefix(mut response: Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = ERROR_BODY_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= ERROR_BODY_BYTES {
            break;
        }
    }
    body
}

/// Whether adding a chunk of `next` bytes to `read` bytes passes `limit`.
fn exceeds(read: usize, next: usize, limit: usize) -> bool {
    read.saturating_add(next) > limit
}

fn read_error(e: reqwest::Error) -> TarabutError {
    if e.is_timeout() {
        TarabutError::Timeout
    } else {
        TarabutError::Transport(e.without_url().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_inclusive() {
        assert!(!exceeds(0, MAX_BODY_BYTES, MAX_BODY_BYTES));
        assert!(exceeds(MAX_BODY_BYTES, 1, MAX_BODY_BYTES));
        assert!(exceeds(usize::MAX, 1, MAX_BODY_BYTES));
    }
}
