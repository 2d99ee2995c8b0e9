//! Who is calling, and the id Tarabut knows them by.

use std::fmt;

use sha2::{Digest, Sha256};

/// Our user id: the JWT `sub` of the caller, as the API Gateway authorizer verified it.
/// Never taken from a body, a query or a header.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

/// Longest `sub` accepted; identity providers issue far shorter ones, and the id becomes part
/// of DynamoDB keys (2 KiB partition key limit).
const MAX_SUB_LEN: usize = 512;

impl UserId {
    /// Accepts a non-empty `sub` without control characters; `None` otherwise (a 401).
    pub fn parse(sub: &str) -> Option<UserId> {
        if sub.is_empty() || sub.len() > MAX_SUB_LEN || sub.chars().any(char::is_control) {
            return None;
        }
        // `#` separates key segments in the table; a sub with one would make ambiguous keys.
        if sub.contains('#') {
            return None;
        }
        Some(UserId(sub.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `X-TG-CustomerUserId` for this user (docs/token-protocol.md#the-customer-user-id): the sub itself when it is at most
    /// 40 characters of `[A-Za-z0-9_-]`, else the first 40 hex digits of its SHA-256, so no
    /// personal data (an e-mail used as sub, say) is sent to Tarabut and the id is stable.
    pub fn customer_user_id(&self) -> CustomerUserId {
        let plain = self.0.len() <= 40
            && self
                .0
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if plain {
            return CustomerUserId(self.0.clone());
        }
        let digest = Sha256::digest(self.0.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        CustomerUserId(hex[..40].to_string())
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserId({})", self.0)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id sent to Tarabut as `X-TG-CustomerUserId` and in intents.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CustomerUserId(String);

impl CustomerUserId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomerUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_plain_sub_is_used_as_is() {
        let u = UserId::parse("user_42-abc").unwrap();
        assert_eq!(u.customer_user_id().as_str(), "user_42-abc");
        let forty = "a".repeat(40);
        assert_eq!(
            UserId::parse(&forty).unwrap().customer_user_id().as_str(),
            forty
        );
    }

    #[test]
    fn long_or_special_sub_is_hashed_stably() {
        for sub in ["sara@example.com", &"a".repeat(41), "اسم", "with space"] {
            let id = UserId::parse(sub).unwrap().customer_user_id();
            assert_eq!(id.as_str().len(), 40);
            assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(!id.as_str().contains('@'));
            assert_eq!(id, UserId::parse(sub).unwrap().customer_user_id());
        }
        // sha256("sara@example.com"), first 40 hex digits
        let expected = {
            let d = Sha256::digest(b"sara@example.com");
            d.iter().map(|b| format!("{b:02x}")).collect::<String>()[..40].to_string()
        };
        assert_eq!(
            UserId::parse("sara@example.com")
                .unwrap()
                .customer_user_id()
                .as_str(),
            expected
        );
        assert_ne!(
            UserId::parse("a@b.c").unwrap().customer_user_id(),
            UserId::parse("a@b.d").unwrap().customer_user_id()
        );
    }

    #[test]
    fn empty_or_hostile_subs_are_refused() {
        assert!(UserId::parse("").is_none());
        assert!(UserId::parse("a#b").is_none());
        assert!(UserId::parse("a\nb").is_none());
        assert!(UserId::parse(&"x".repeat(513)).is_none());
    }
}
