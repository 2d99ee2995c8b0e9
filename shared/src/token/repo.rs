//! The token item's conditional writes (docs/token-protocol.md steps 6–9). Each returns `false` when its
//! condition did not hold (detected through the typed conditional-check failure); callers
//! then re-read, never trusting a value returned with the failure.

use std::sync::Arc;

use super::record::{Lease, TokenRecord, key};
use crate::identity::UserId;
use crate::secret::Secret;
use crate::store::{Cond, StoreError, Table, Update, Value};
use crate::time::Timestamp;

#[derive(Clone)]
pub struct TokenRepo {
    table: Arc<dyn Table>,
}

fn lost(r: Result<(), StoreError>) -> Result<bool, StoreError> {
    match r {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

impl TokenRepo {
    pub fn new(table: Arc<dyn Table>) -> TokenRepo {
        TokenRepo { table }
    }

    /// Step 2: a strongly consistent read (a GSI or eventually consistent read could show a
    /// lease or token that is already gone).
    pub async fn load(&self, user: &UserId) -> Result<Option<TokenRecord>, StoreError> {
        self.table
            .get(&key(user), true)
            .await?
            .map(|item| TokenRecord::from_item(&item))
            .transpose()
    }

    /// Step 6: take the lease if nobody holds a live one, the version is still the one seen,
    /// and no backoff is running.
    pub async fn claim(
        &self,
        user: &UserId,
        lease: &Lease,
        seen_version: Option<i64>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let now = Value::N(now.millis());
        let free = Cond::not_exists("lease_id").or(Cond::lt("lease_expires_at", now.clone()));
        let unchanged = match seen_version {
            Some(v) => Cond::not_exists("version").or(Cond::eq("version", Value::N(v))),
            None => Cond::not_exists("version"),
        };
        let not_backing_off = Cond::not_exists("backoff_until").or(Cond::lt("backoff_until", now));
        let cond = free.and(unchanged).and(not_backing_off);
        lost(
            self.table
                .update(
                    &key(user),
                    &[
                        Update::set("lease_id", Value::S(lease.id.clone())),
                        Update::set("lease_owner", Value::S(lease.owner.clone())),
                        Update::set("lease_expires_at", Value::N(lease.expires_at.millis())),
                    ],
                    Some(&cond),
                )
                .await,
        )
    }

    /// Step 7: store the new token, bump the version, drop the lease — only while the lease is
    /// still ours (fencing: a holder whose lease was taken over cannot overwrite a newer token).
    pub async fn commit(
        &self,
        user: &UserId,
        lease_id: &str,
        token: &Secret,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        lost(
            self.table
                .update(
                    &key(user),
                    &[
                        Update::set("access_token", Value::S(token.expose().to_string())),
                        Update::set("expires_at", Value::N(expires_at.millis())),
                        Update::set("refreshed_at", Value::N(now.millis())),
                        Update::increment("version", 1),
                        Update::remove("lease_id"),
                        Update::remove("lease_owner"),
                        Update::remove("lease_expires_at"),
                        Update::remove("backoff_until"),
                        Update::remove("mint_failures"),
                    ],
                    Some(&Cond::eq("lease_id", Value::S(lease_id.to_string()))),
                )
                .await,
        )
    }

    /// Step 8: give the lease back after a failed mint, recording when the next attempt may
    /// be made.
    pub async fn release(
        &self,
        user: &UserId,
        lease_id: &str,
        backoff_until: Timestamp,
    ) -> Result<bool, StoreError> {
        lost(
            self.table
                .update(
                    &key(user),
                    &[
                        Update::remove("lease_id"),
                        Update::remove("lease_owner"),
                        Update::remove("lease_expires_at"),
                        Update::set("backoff_until", Value::N(backoff_until.millis())),
                        Update::increment("mint_failures", 1),
                    ],
                    Some(&Cond::eq("lease_id", Value::S(lease_id.to_string()))),
                )
                .await,
        )
    }

    /// Step 9: Tarabut refused this token (401): mark that version expired, once. A newer
    /// version (someone already re-minted) is left alone.
    pub async fn invalidate(&self, user: &UserId, version: i64) -> Result<bool, StoreError> {
        let cond = Cond::eq("version", Value::N(version)).and(Cond::gt("expires_at", Value::N(0)));
        lost(
            self.table
                .update(
                    &key(user),
                    &[Update::set("expires_at", Value::N(0))],
                    Some(&cond),
                )
                .await,
        )
    }
}
