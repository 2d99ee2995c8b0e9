//! The one-time code the callback hands the approving browser: 256 random bits as 64 hex
//! digits. Only its SHA-256 is stored, so a read of the table cannot complete a link.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::UseCaseError;

const BYTES: usize = 32;

/// A fresh code. Never logged: `Debug` hides it.
pub struct LinkCode(String);

impl LinkCode {
    pub fn generate() -> Result<LinkCode, UseCaseError> {
        let mut bytes = [0u8; BYTES];
        getrandom::fill(&mut bytes)
            .map_err(|e| UseCaseError::Internal(format!("no randomness for a link code: {e}")))?;
        Ok(LinkCode(hex(&bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        hash(&self.0)
    }
}

impl fmt::Debug for LinkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkCode(…)")
    }
}

/// Whether `code` has the shape of a code this backend issues (64 lowercase hex digits).
pub fn well_formed(code: &str) -> bool {
    code.len() == 2 * BYTES
        && code
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The stored form of a code.
pub fn hash(code: &str) -> String {
    hex(&Sha256::digest(code.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_well_formed_distinct_and_hashed() {
        let a = LinkCode::generate().unwrap();
        let b = LinkCode::generate().unwrap();
        assert!(well_formed(a.as_str()), "{}", a.as_str());
        assert_ne!(a.as_str(), b.as_str());
        assert_ne!(a.hash(), a.as_str());
        assert_eq!(a.hash(), hash(a.as_str()));
        assert_eq!(format!("{a:?}"), "LinkCode(…)");
    }

    #[test]
    fn malformed_codes_are_refused() {
        let good = "0123456789abcdef".repeat(4);
        assert!(well_formed(&good));
        for bad in [
            "",
            &good[1..],
            &format!("{good}0"),
            &good.to_uppercase(),
            &format!("{}g", &good[1..]),
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }
}
