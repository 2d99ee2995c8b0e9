//! The token decisions as pure functions over plain values: every case is a table row in a
//! test, and the manager only carries the decisions out (docs/token-protocol.md).
//!
//! The claim condition is derived here too ([`ClaimGuard::condition`]), from the same values
//! [`decide`] looked at, so what the policy decides and what the table enforces cannot drift.

use std::time::Duration;

use super::record::TokenRecord;
use crate::config::TokenSettings;
use crate::secret::Secret;
use crate::store::{Cond, Value};
use crate::tarabut::TarabutError;
use crate::time::Timestamp;

/// A token as handed to data calls: the secret, when it was minted and stops working, and which
/// stored version it is (so a 401 invalidates exactly this version and nothing newer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub secret: Secret,
    pub expires_at: Timestamp,
    /// When it was minted (the request's start, on the minter's clock): with `expires_at`, the
    /// token's lifetime, which scales the refresh window.
    pub issued_at: Timestamp,
    pub version: i64,
}

/// The thresholds of one token, scaled to its lifetime: a token that lives no longer than the
/// configured buffer would otherwise be born inside its refresh window and be minted again on
/// every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Refresh ahead once less than this is left: `min(refresh_buffer, lifetime / 2)`.
    pub refresh_buffer: Duration,
    /// Never hand out a token with less than this left: `min(min_validity, lifetime / 4)`.
    pub min_validity: Duration,
}

impl Window {
    pub fn of(lifetime: Duration, p: &TokenSettings) -> Window {
        Window {
            refresh_buffer: p.refresh_buffer.min(lifetime / 2),
            min_validity: p.min_validity.min(lifetime / 4),
        }
    }

    fn for_token(issued_at: Timestamp, expires_at: Timestamp, p: &TokenSettings) -> Window {
        Window::of(expires_at.since(issued_at), p)
    }
}

impl AccessToken {
    pub fn window(&self, p: &TokenSettings) -> Window {
        Window::for_token(self.issued_at, self.expires_at, p)
    }

    /// Usable at `now`: more than the minimum validity left.
    pub fn usable(&self, now: Timestamp, p: &TokenSettings) -> bool {
        self.expires_at > now + self.window(p).min_validity
    }

    /// Outside the refresh window at `now`.
    pub fn fresh(&self, now: Timestamp, p: &TokenSettings) -> bool {
        self.expires_at > now + self.window(p).refresh_buffer
    }
}

impl TokenRecord {
    /// The stored token if it may be handed out at `now`: above its minimum validity (so never
    /// an expired one, nor an invalidated one, whose `expires_at` is the epoch).
    pub fn usable_token(&self, now: Timestamp, p: &TokenSettings) -> Option<AccessToken> {
        let (Some(secret), Some(version)) = (&self.access_token, self.version) else {
            return None;
        };
        let token = AccessToken {
            secret: secret.clone(),
            expires_at: self.expires_at,
            // An item without `refreshed_at` (written before it was the mint time): judge the
            // token's window by what is left of it.
            issued_at: self.refreshed_at.unwrap_or(now),
            version,
        };
        token.usable(now, p).then_some(token)
    }
}

/// What a claim expects the item to be: the lease it replaces (none, or a stale one this
/// process watched for a whole lease) and the version it saw (none: no token yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimGuard {
    pub stale_lease: Option<String>,
    pub seen_version: Option<i64>,
}

impl ClaimGuard {
    /// The condition of the claim's `UpdateItem`, at the claimer's `now`.
    ///
    /// - the lease: absent, or exactly the stale one watched (never judged by wall clock, so
    ///   clock skew between machines cannot hand a live lease to a second holder);
    /// - the version: exactly the one seen (`version = :v` also means the item still exists, so
    ///   a claim never recreates a deleted item); none seen means no version yet;
    /// - no backoff running: `backoff_until <= :now`, the complement of [`decide`]'s
    ///   `backoff_until > now`.
    pub fn condition(&self, now: Timestamp) -> Cond {
        let lease = match &self.stale_lease {
            None => Cond::not_exists("lease_id"),
            Some(id) => Cond::eq("lease_id", Value::S(id.clone())),
        };
        let version = match self.seen_version {
            Some(v) => Cond::eq("version", Value::N(v)),
            None => Cond::not_exists("version"),
        };
        let not_backing_off =
            Cond::not_exists("backoff_until").or(Cond::le("backoff_until", Value::N(now.millis())));
        lease.and(version).and(not_backing_off)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Usable and outside the refresh window (or someone else is refreshing): use it.
    Serve(AccessToken),
    /// In the refresh window but still usable: try to claim and refresh; if the claim is lost,
    /// use this token without waiting.
    RefreshAhead(AccessToken, ClaimGuard),
    /// Not usable (expired, invalidated, nearly expired, or none yet): claim and mint.
    MustRefresh(ClaimGuard),
    /// Not usable and another holder's lease has not been watched for a whole lease yet: poll
    /// again within `for_at_most`.
    Wait { for_at_most: Duration },
    /// Not usable and minting is backing off after failures: fail for this long.
    Fail { retry_after: Duration },
}

/// Step 1: the in-process cache alone (no I/O): a token outside its refresh window.
pub fn serve_from_cache(now: Timestamp, cached: Option<&AccessToken>, p: &TokenSettings) -> bool {
    cached.is_some_and(|t| t.fresh(now, p))
}

/// Steps 3–5 and 8 on the stored record (read consistently). `lease_watched` is how long this
/// process has seen the record's current lease unchanged, on its own monotonic clock (zero
/// when it has just appeared); `lease_length` is that lease's declared length.
pub fn decide(
    now: Timestamp,
    stored: Option<&TokenRecord>,
    lease_watched: Duration,
    p: &TokenSettings,
) -> Decision {
    let Some(record) = stored else {
        return Decision::MustRefresh(ClaimGuard {
            stale_lease: None,
            seen_version: None,
        });
    };
    let usable = record.usable_token(now, p);
    if let Some(t) = &usable
        && t.fresh(now, p)
    {
        return Decision::Serve(t.clone());
    }
    if let Some(until) = record.backoff_until.filter(|u| *u > now) {
        // A mint failed recently: nobody retries before `until` (no stampede on a failing
        // endpoint); a usable token is served meanwhile.
        return match usable {
            Some(t) => Decision::Serve(t),
            None => Decision::Fail {
                retry_after: until.since(now),
            },
        };
    }
    let stale_lease = match &record.lease {
        None => None,
        Some(lease) => {
            let length = lease.length.unwrap_or(p.lease).min(MAX_LEASE);
            if lease_watched < length {
                // Someone is refreshing: a usable token meanwhile, else wait for them.
                return match usable {
                    Some(t) => Decision::Serve(t),
                    None => Decision::Wait {
                        for_at_most: length - lease_watched,
                    },
                };
            }
            // Watched unchanged for a whole lease: its holder is gone; take it over.
            Some(lease.id.clone())
        }
    };
    let guard = ClaimGuard {
        stale_lease,
        seen_version: record.version,
    };
    match usable {
        Some(t) => Decision::RefreshAhead(t, guard),
        None => Decision::MustRefresh(guard),
    }
}

/// A lease longer than this (a malformed or hostile item) is treated as this long, so no item
/// can stall callers for more than a minute.
pub const MAX_LEASE: Duration = Duration::from_secs(60);

/// Backoff after `failures` consecutive failed mints: 2 s, 4 s, 8 s … capped at 30 s.
pub fn mint_backoff(failures: i64) -> Duration {
    let exp = (failures.max(1) - 1).min(5) as u32;
    Duration::from_millis((2_000_u64 << exp).min(30_000))
}

/// Whose fault a failed mint was. Only the endpoint's failures back off every caller; a caller
/// that ran out of its own time says nothing about Tarabut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MintBlame {
    Endpoint,
    Caller,
}

/// `callers_deadline_passed`: the mint was cut short by the caller's deadline (not by the
/// lease budget), and that deadline has passed.
pub fn blame(error: &TarabutError, callers_deadline_passed: bool) -> MintBlame {
    match error {
        TarabutError::DeadlineExceeded | TarabutError::Timeout if callers_deadline_passed => {
            MintBlame::Caller
        }
        _ => MintBlame::Endpoint,
    }
}

/// After a 401 invalidated a user's token, another 401 within this interval fails its call
/// instead of invalidating again: a storm of 401s (Tarabut refusing every token) mints at most
/// once per interval per user, not once per call.
pub const REINVALIDATE_AFTER: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests;
