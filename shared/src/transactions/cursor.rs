//! The transaction list's page cursor: opaque to the client, and unforgeable. It carries a
//! key position (the sort key the next page starts after) and the fingerprint of the filters
//! it was issued for, authenticated by an HMAC-SHA256 over the user id and that content with
//! the configured key (`CURSOR_HMAC_KEY`). So a cursor cannot be edited, moved to another
//! user or reused with other filters: any of these is refused, never answered with other rows.
//!
//! Layout: base64url without padding of `version (1) | fingerprint (16) | sort key | tag (32)`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::secret::Secret;

const VERSION: u8 = 1;
const FINGERPRINT_LEN: usize = 16;
const TAG_LEN: usize = 32;
/// Longer than any cursor we issue (sort keys are under 300 bytes): refused before decoding.
const MAX_CURSOR_CHARS: usize = 600;
/// Separates this use of the key from any other it might ever get.
const DOMAIN: &[u8] = b"finance/transactions cursor";

/// Which filters a cursor belongs to: a hash of their canonical text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; FINGERPRINT_LEN]);

impl Fingerprint {
    /// Over `canonical`, a text naming every filter and its value unambiguously.
    pub fn of(canonical: &str) -> Fingerprint {
        let digest = Sha256::digest(canonical.as_bytes());
        let mut out = [0u8; FINGERPRINT_LEN];
        out.copy_from_slice(&digest[..FINGERPRINT_LEN]);
        Fingerprint(out)
    }
}

/// Every way a cursor can be wrong gets this one answer: which check failed would only help
/// someone forging one.
fn refused() -> UseCaseError {
    UseCaseError::Invalid("the cursor is not valid for this query".into())
}

fn mac(key: &Secret, user: &UserId, payload: &[u8]) -> Result<Hmac<Sha256>, UseCaseError> {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes())
        .map_err(|e| UseCaseError::Internal(format!("cursor key: {e}")))?;
    mac.update(DOMAIN);
    // Length-prefixed, so no user id and payload can be re-split into another pair.
    mac.update(&(user.as_str().len() as u64).to_be_bytes());
    mac.update(user.as_str().as_bytes());
    mac.update(payload);
    Ok(mac)
}

fn payload(filters: &Fingerprint, sort_key: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + FINGERPRINT_LEN + sort_key.len() + TAG_LEN);
    out.push(VERSION);
    out.extend_from_slice(&filters.0);
    out.extend_from_slice(sort_key.as_bytes());
    out
}

/// The cursor that continues `user`'s query with `filters` after `sort_key`.
pub fn encode(
    key: &Secret,
    user: &UserId,
    filters: &Fingerprint,
    sort_key: &str,
) -> Result<String, UseCaseError> {
    let mut bytes = payload(filters, sort_key);
    let tag = mac(key, user, &bytes)?.finalize().into_bytes();
    bytes.extend_from_slice(&tag);
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The sort key `cursor` continues after, if `key` authenticated it for `user` and `filters`.
pub fn decode(
    key: &Secret,
    user: &UserId,
    filters: &Fingerprint,
    cursor: &str,
) -> Result<String, UseCaseError> {
    if cursor.is_empty() || cursor.len() > MAX_CURSOR_CHARS {
        return Err(refused());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refused())?;
    if bytes.len() <= 1 + FINGERPRINT_LEN + TAG_LEN {
        return Err(refused());
    }
    let (content, tag) = bytes.split_at(bytes.len() - TAG_LEN);
    // Constant time: how much of a guessed tag matched must not show in the answer's timing.
    mac(key, user, content)?
        .verify_slice(tag)
        .map_err(|_| refused())?;
    // Authentic from here on: it is ours, for this user. Now: for this query?
    let (header, sort_key) = content.split_at(1 + FINGERPRINT_LEN);
    if header[0] != VERSION || header[1..] != filters.0 {
        return Err(refused());
    }
    String::from_utf8(sort_key.to_vec()).map_err(|_| refused())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Secret {
        Secret::new("k".repeat(32))
    }

    fn user(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    const SK: &str = "2026-10-05#acc-1#tx-42";

    #[test]
    fn round_trips_for_its_user_and_filters_only() {
        let f = Fingerprint::of("accountId=\nfrom=\nto=");
        let c = encode(&key(), &user("alice"), &f, SK).unwrap();
        assert!(!c.contains(SK) && !c.contains('=') && !c.contains('+') && !c.contains('/'));
        assert_eq!(decode(&key(), &user("alice"), &f, &c).unwrap(), SK);
        assert!(decode(&key(), &user("bob"), &f, &c).is_err());
        let other = Fingerprint::of("accountId=acc-1\nfrom=\nto=");
        assert!(decode(&key(), &user("alice"), &other, &c).is_err());
        let other_key = Secret::new("j".repeat(32));
        assert!(decode(&other_key, &user("alice"), &f, &c).is_err());
    }

    #[test]
    fn any_change_is_refused() {
        let f = Fingerprint::of("x");
        let c = encode(&key(), &user("alice"), &f, SK).unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(&c).unwrap();
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x01;
            let forged = URL_SAFE_NO_PAD.encode(&flipped);
            assert!(
                decode(&key(), &user("alice"), &f, &forged).is_err(),
                "byte {i}"
            );
        }
        for truncated in [&c[..c.len() - 1], &c[..10], ""] {
            assert!(decode(&key(), &user("alice"), &f, truncated).is_err());
        }
        for junk in ["!!!", "a b", &"A".repeat(700), &format!("{c}=")] {
            assert!(decode(&key(), &user("alice"), &f, junk).is_err(), "{junk}");
        }
        // Signed with a guessed key: a forgery.
        let forged = encode(&Secret::new("guess".repeat(8)), &user("alice"), &f, "x").unwrap();
        assert!(decode(&key(), &user("alice"), &f, &forged).is_err());
    }
}
