//! The token item's reads and conditional writes (docs/token-protocol.md steps 2 and 6–9).
//! Each write returns `false` when its condition did not hold (detected through the typed
//! conditional-check failure); callers then re-read, never trusting a value returned with the
//! failure.

use std::sync::Arc;
use std::time::Duration;

use super::policy::ClaimGuard;
use super::record::{Lease, TokenRecord, key};
use crate::identity::UserId;
use crate::secret::Secret;
use crate::store::{Cond, StoreError, Table, Update, Value};
use crate::time::Timestamp;

#[derive(Clone)]
pub struct TokenRepo {
    table: Arc<dyn Table>,
}

fn applied(r: Result<(), StoreError>) -> Result<bool, StoreError> {
    match r {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

fn millis(d: Duration) -> i64 {
    d.as_millis().min(i64::MAX as u128) as i64
}

/// What a commit stores: the new token, when it was minted and expires, and its version.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub secret: &'a Secret,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    /// The version this token becomes: the claimed version + 1 (written, not incremented, so
    /// what the committer hands out is what the item says).
    pub version: i64,
}

impl TokenRepo {
    pub fn new(table: Arc<dyn Table>) -> TokenRepo {
        TokenRepo { table }
    }

    /// Erasure of all of the user's banking data: the token item goes too (a later call
    /// mints a new one).
    pub async fn delete(&self, user: &UserId) -> Result<(), StoreError> {
        self.table.delete(&key(user), None).await
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

    /// Step 6: take the lease on the terms of `guard` (see [`ClaimGuard::condition`]). The
    /// lease's length is stored with it, so watchers judge it by the holder's terms.
    pub async fn claim(
        &self,
        user: &UserId,
        lease: &Lease,
        guard: &ClaimGuard,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let length = lease.length.unwrap_or_else(|| lease.expires_at.since(now));
        applied(
            self.table
                .update(
                    &key(user),
                    &[
                        Update::set("lease_id", Value::S(lease.id.clone())),
                        Update::set("lease_owner", Value::S(lease.owner.clone())),
                        Update::set("lease_expires_at", Value::N(lease.expires_at.millis())),
                        Update::set("lease_ms", Value::N(millis(length))),
                    ],
                    Some(&guard.condition(now)),
                )
                .await,
        )
    }

    /// Step 7: store the new token and its version, drop the lease — only while the lease is
    /// still ours (fencing: a holder whose lease was taken over cannot overwrite a newer token).
    pub async fn commit(
        &self,
        user: &UserId,
        lease_id: &str,
        token: &NewToken<'_>,
    ) -> Result<bool, StoreError> {
        applied(
            self.table
                .update(
                    &key(user),
                    &[
                        Update::set("access_token", Value::S(token.secret.expose().to_string())),
                        Update::set("expires_at", Value::N(token.expires_at.millis())),
                        Update::set("refreshed_at", Value::N(token.issued_at.millis())),
                        Update::set("version", Value::N(token.version)),
                        Update::remove("lease_id"),
                        Update::remove("lease_owner"),
                        Update::remove("lease_expires_at"),
                        Update::remove("lease_ms"),
                        Update::remove("backoff_until"),
                        Update::remove("mint_failures"),
                    ],
                    Some(&Cond::eq("lease_id", Value::S(lease_id.to_string()))),
                )
                .await,
        )
    }

    /// Step 8: give the lease back. After the endpoint failed, `backoff_until` says when the
    /// next attempt may be made (and the failure is counted); after the caller ran out of time
    /// or was cancelled, the lease is just dropped: that says nothing about Tarabut.
    pub async fn release(
        &self,
        user: &UserId,
        lease_id: &str,
        backoff_until: Option<Timestamp>,
    ) -> Result<bool, StoreError> {
        let mut updates = vec![
            Update::remove("lease_id"),
            Update::remove("lease_owner"),
            Update::remove("lease_expires_at"),
            Update::remove("lease_ms"),
        ];
        if let Some(until) = backoff_until {
            updates.push(Update::set("backoff_until", Value::N(until.millis())));
            updates.push(Update::increment("mint_failures", 1));
        }
        applied(
            self.table
                .update(
                    &key(user),
                    &updates,
                    Some(&Cond::eq("lease_id", Value::S(lease_id.to_string()))),
                )
                .await,
        )
    }

    /// Step 9: Tarabut refused this token (401): mark that version expired, once. A newer
    /// version (someone already re-minted) is left alone, and so is any token while the last
    /// invalidation is younger than `interval`: a storm of 401s re-mints at most once per
    /// interval per user, instead of once per call.
    pub async fn invalidate(
        &self,
        user: &UserId,
        version: i64,
        now: Timestamp,
        interval: Duration,
    ) -> Result<bool, StoreError> {
        let not_recently = Cond::not_exists("invalidated_at").or(Cond::le(
            "invalidated_at",
            Value::N((now - interval).millis()),
        ));
        let cond = Cond::eq("version", Value::N(version))
            .and(Cond::gt("expires_at", Value::N(0)))
            .and(not_recently);
        applied(
            self.table
                .update(
                    &key(user),
                    &[
                        Update::set("expires_at", Value::N(0)),
                        Update::set("invalidated_at", Value::N(now.millis())),
                    ],
                    Some(&cond),
                )
                .await,
        )
    }
}
