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

    /// The `X-TG-CustomerUserId` for this user (docs/token-protocol.md#the-customer-user-id):
    /// the first 40 hex digits of the SHA-256 of the sub, for every sub. There is one form
    /// only: when short plain subs were sent as they are, a sub that happened to be another
    /// sub's hash became that user's Tarabut customer. Hashing keeps personal data (an e-mail
    /// used as sub, say) away from Tarabut and is stable; the ids of subs that were already
    /// hashed are unchanged.
    pub fn customer_user_id(&self) -> CustomerUserId {
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
    use std::collections::HashSet;

    use proptest::prelude::any;

    use super::*;

    #[test]
    fn a_short_plain_sub_is_hashed_too() {
        let u = UserId::parse("user_42-abc").unwrap();
        assert_eq!(u.customer_user_id().as_str(), hex40("user_42-abc"));
        assert_ne!(u.customer_user_id().as_str(), "user_42-abc");
    }

    #[test]
    fn long_or_special_sub_is_hashed_stably() {
        for sub in [
            "sara@example.com",
            &"a".repeat(41),
            "اسم",
            "with space",
            "plain",
        ] {
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

    fn hex40(sub: &str) -> String {
        let d = Sha256::digest(sub.as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()[..40].to_string()
    }

    /// A sub that looks like another sub's derived id (40 hex digits is a valid plain sub)
    /// must not become that user's Tarabut customer.
    #[test]
    fn a_sub_equal_to_another_subs_hash_gets_its_own_customer() {
        let victim = UserId::parse("sara@example.com").unwrap();
        let attacker = UserId::parse(&hex40("sara@example.com")).unwrap();
        assert_ne!(attacker.customer_user_id(), victim.customer_user_id());
    }

    proptest::proptest! {
        /// Distinct subs, whatever their shape (plain, hex, e-mail, unicode), never share a
        /// customer id; each id has the one derived shape.
        #[test]
        fn distinct_subs_never_share_a_customer(
            subs in proptest::collection::hash_set(
                proptest::prop_oneof![
                    "[A-Za-z0-9_-]{1,40}",
                    "[0-9a-f]{40}",
                    "[a-z]{1,12}@[a-z]{1,8}\\.com",
                    "\\PC{1,60}",
                ],
                1..200,
            ),
            also_hashed in proptest::collection::vec(any::<proptest::sample::Index>(), 0..20),
        ) {
            let mut subs: Vec<String> = subs
                .into_iter()
                .filter(|s| UserId::parse(s).is_some())
                .collect();
            // Add subs that are exactly another sub's SHA-256 prefix: the collision of old.
            if !subs.is_empty() {
                for i in also_hashed {
                    let h = hex40(&subs[i.index(subs.len())]);
                    if !subs.contains(&h) {
                        subs.push(h);
                    }
                }
            }
            let ids: HashSet<CustomerUserId> = subs
                .iter()
                .map(|s| UserId::parse(s).unwrap().customer_user_id())
                .collect();
            proptest::prop_assert_eq!(ids.len(), subs.len());
        }
    }

    #[test]
    fn empty_or_hostile_subs_are_refused() {
        assert!(UserId::parse("").is_none());
        assert!(UserId::parse("a#b").is_none());
        assert!(UserId::parse("a\nb").is_none());
        assert!(UserId::parse(&"x".repeat(513)).is_none());
    }
}
