//! The token item: `pk = USER#<user>`, `sk = TOKEN#tarabut`.

use std::time::Duration;

use crate::identity::UserId;
use crate::secret::Secret;
use crate::store::{Item, ItemExt, Key, StoreError};
use crate::time::Timestamp;

pub const SK: &str = "TOKEN#tarabut";

pub fn key(user: &UserId) -> Key {
    Key::new(format!("USER#{}", user.as_str()), SK)
}

/// A refresh lease: who is minting, and for how long it is theirs. Other processes judge its
/// age by watching it on their own monotonic clocks for `length` (docs/token-protocol.md,
/// step 5); `expires_at` is the holder's own estimate, for operators reading the item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub id: String,
    pub owner: String,
    pub expires_at: Timestamp,
    /// The declared length (`lease_ms`); absent on items written before it existed, which
    /// watchers then judge by their own configured lease.
    pub length: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenRecord {
    pub access_token: Option<Secret>,
    /// The epoch after an invalidation (a 401).
    pub expires_at: Timestamp,
    /// +1 per committed token; absent until the first commit.
    pub version: Option<i64>,
    /// When the stored token was minted (the mint request's start, on the minter's clock).
    pub refreshed_at: Option<Timestamp>,
    pub lease: Option<Lease>,
    /// After a failed mint nobody claims again before this.
    pub backoff_until: Option<Timestamp>,
    pub mint_failures: i64,
}

impl TokenRecord {
    pub fn from_item(item: &Item) -> Result<TokenRecord, StoreError> {
        let lease = match item.opt_s("lease_id")? {
            Some(id) => Some(Lease {
                id: id.to_string(),
                owner: item.opt_s("lease_owner")?.unwrap_or_default().to_string(),
                expires_at: item.opt_time("lease_expires_at")?.unwrap_or_default(),
                length: item
                    .opt_n("lease_ms")?
                    .map(|ms| Duration::from_millis(ms.max(0) as u64)),
            }),
            None => None,
        };
        Ok(TokenRecord {
            access_token: item.opt_s("access_token")?.map(Secret::new),
            expires_at: item.opt_time("expires_at")?.unwrap_or_default(),
            version: item.opt_n("version")?,
            refreshed_at: item.opt_time("refreshed_at")?,
            lease,
            backoff_until: item.opt_time("backoff_until")?,
            mint_failures: item.opt_n("mint_failures")?.unwrap_or(0),
        })
    }
}
