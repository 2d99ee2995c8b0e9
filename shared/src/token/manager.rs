//! `TokenManager::access_token`: carries out the policy's decisions against the table and the
//! token endpoint (docs/token-protocol.md). Every wait, table request and mint is bounded by
//! the caller's deadline; a lease this process holds is released on every way out, a
//! cancelled caller included.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::TokenError;
use super::cache::TokenCache;
use super::endpoint::TokenEndpoint;
use super::policy::{
    AccessToken, ClaimGuard, Decision, MintBlame, REINVALIDATE_AFTER, blame, decide, mint_backoff,
    serve_from_cache,
};
use super::record::{Lease, TokenRecord};
use super::repo::{NewToken, TokenRepo};
use crate::config::TokenSettings;
use crate::identity::UserId;
use crate::metrics;
use crate::secret::Secret;
use crate::store::{StoreError, Table};
use crate::tarabut::TarabutError;
use crate::time::{Clock, Deadline, Timestamp};

/// Polling while another invocation holds the lease: the first pause is at most this, each
/// next one twice as long up to [`POLL_MAX`], each drawn from its upper half (jitter, so
/// waiters do not read in lockstep and a hot item sees about 2 reads a second per waiter).
const POLL_FIRST: Duration = Duration::from_millis(50);
const POLL_MAX: Duration = Duration::from_millis(500);
/// Attempts at one read when the table fails it (throttled, lost answer).
const READ_ATTEMPTS: u32 = 3;

pub struct TokenManager {
    repo: TokenRepo,
    endpoint: Arc<dyn TokenEndpoint>,
    policy: TokenSettings,
    clock: Arc<dyn Clock>,
    /// Identifies this process in leases (`<owner>/<random>`; lease ids add a counter).
    instance: String,
    leases: AtomicU64,
    rng: Mutex<fastrand::Rng>,
    cache: TokenCache,
}

/// How a claim-and-mint attempt ended.
enum Refresh {
    Committed(AccessToken),
    /// Someone else holds the lease or moved the version first, or our lease was taken over
    /// before our commit (fenced out). Carries the item as read while finding that out, if it
    /// was (the next decision starts from it instead of reading again).
    Lost(Option<Option<TokenRecord>>),
    MintFailed(TarabutError, MintBlame),
}

/// A Tarabut data call made with a managed token failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Tarabut(#[from] TarabutError),
}

impl TokenManager {
    pub fn new(
        table: Arc<dyn Table>,
        endpoint: impl TokenEndpoint + 'static,
        settings: &TokenSettings,
        clock: Arc<dyn Clock>,
        owner: impl Into<String>,
    ) -> TokenManager {
        TokenManager::with_seed(table, endpoint, settings, clock, owner, fastrand::u64(..))
    }

    /// [`TokenManager::new`] with its random choices (lease ids, poll jitter) drawn from
    /// `seed`: the deterministic simulation replays a run from its seed.
    pub fn with_seed(
        table: Arc<dyn Table>,
        endpoint: impl TokenEndpoint + 'static,
        settings: &TokenSettings,
        clock: Arc<dyn Clock>,
        owner: impl Into<String>,
        seed: u64,
    ) -> TokenManager {
        let mut rng = fastrand::Rng::with_seed(seed);
        let instance = format!("{}/{:08x}", owner.into(), rng.u32(..));
        TokenManager {
            repo: TokenRepo::new(table),
            endpoint: Arc::new(endpoint),
            policy: settings.clone(),
            clock,
            instance,
            leases: AtomicU64::new(0),
            rng: Mutex::new(rng),
            cache: TokenCache::default(),
        }
    }

    /// A token for `user` above its minimum validity, or a typed failure by `deadline`.
    pub async fn access_token(
        &self,
        user: &UserId,
        deadline: Deadline,
    ) -> Result<AccessToken, TokenError> {
        if let Some(t) = self.cached(user) {
            return Ok(t);
        }
        let _flight = tokio::time::timeout_at(deadline.instant(), self.cache.flight(user))
            .await
            .map_err(|_| unavailable(Duration::ZERO))?;
        // Another task of this process may have refreshed while we queued.
        if let Some(t) = self.cached(user) {
            return Ok(t);
        }
        let mut watch = LeaseWatch::default();
        let mut polls = 0u32;
        let mut refreshed_ahead = false;
        let mut just_read: Option<Option<TokenRecord>> = None;
        loop {
            if deadline.remaining() < POLL_FIRST {
                return Err(unavailable(Duration::ZERO));
            }
            let record = match just_read.take() {
                Some(record) => record,
                None => self.load(user, deadline).await?,
            };
            let now = self.clock.now();
            let watched = watch.observe(record.as_ref().and_then(|r| r.lease.as_ref()));
            let failures = record.as_ref().map_or(0, |r| r.mint_failures);
            match decide(now, record.as_ref(), watched, &self.policy) {
                Decision::Serve(t) => return Ok(self.hand_out(user, t)),
                Decision::Fail { retry_after } => return Err(unavailable(retry_after)),
                Decision::Wait { for_at_most } => {
                    if polls == 0 {
                        metrics::lease_waited();
                    }
                    self.pause(polls, for_at_most, deadline).await;
                    polls += 1;
                }
                // Refreshing ahead is best effort, once per call: after a lost or failed
                // attempt the token of a fresh read is served (never the snapshot read before
                // the claim: it may have been invalidated or run low meanwhile).
                Decision::RefreshAhead(t, _) if refreshed_ahead => {
                    return Ok(self.hand_out(user, t));
                }
                Decision::RefreshAhead(_, guard) => {
                    refreshed_ahead = true;
                    match self.refresh(user, &guard, failures, deadline).await? {
                        Refresh::Committed(fresh) => return Ok(fresh),
                        Refresh::Lost(read) => {
                            metrics::lease_lost();
                            just_read = read;
                        }
                        Refresh::MintFailed(..) => {}
                    }
                }
                Decision::MustRefresh(guard) => {
                    match self.refresh(user, &guard, failures, deadline).await? {
                        Refresh::Committed(fresh) => return Ok(fresh),
                        Refresh::Lost(read) => {
                            metrics::lease_lost();
                            just_read = read;
                        }
                        Refresh::MintFailed(e, MintBlame::Caller) => {
                            tracing::info!(user = %user, error = %e, "no time left to mint a token");
                            return Err(unavailable(Duration::ZERO));
                        }
                        Refresh::MintFailed(e, MintBlame::Endpoint) => {
                            // Step 8: a token of a fresh read if one is still usable, else a
                            // typed error.
                            let fresh = self.load(user, deadline).await?;
                            let now = self.clock.now();
                            return match fresh.and_then(|r| r.usable_token(now, &self.policy)) {
                                Some(t) => Ok(self.hand_out(user, t)),
                                None => Err(mint_failure(e, failures + 1)),
                            };
                        }
                    }
                }
            }
        }
    }

    /// Step 9: Tarabut answered 401 to a call made with `token`. Invalidates that version
    /// (once across all processes, at most once per [`REINVALIDATE_AFTER`] per user) and
    /// forgets it here. Inside the user's single flight, so no task of this process can put the
    /// refused token back in the cache. `true` when the token was invalidated by this call.
    pub async fn invalidate(
        &self,
        user: &UserId,
        token: &AccessToken,
        deadline: Deadline,
    ) -> Result<bool, TokenError> {
        let _flight = tokio::time::timeout_at(deadline.instant(), self.cache.flight(user))
            .await
            .map_err(|_| unavailable(Duration::ZERO))?;
        self.cache.forget(user, token.version);
        let invalidated = bounded(
            deadline,
            self.repo
                .invalidate(user, token.version, self.clock.now(), REINVALIDATE_AFTER),
        )
        .await
        .map_err(TokenError::Store)?;
        Ok(invalidated)
    }

    /// Runs a Tarabut data call with the user's token; on a 401 invalidates the token and
    /// retries once with a fresh one (never loops: a second 401 is returned, and so is the
    /// first when no fresher token can be had yet).
    pub async fn call<T, F, Fut>(
        &self,
        user: &UserId,
        deadline: Deadline,
        mut call: F,
    ) -> Result<T, CallError>
    where
        F: FnMut(Secret) -> Fut,
        Fut: Future<Output = Result<T, TarabutError>>,
    {
        let token = self.access_token(user, deadline).await?;
        match call(token.secret.clone()).await {
            Err(TarabutError::Unauthorized) => {
                tracing::info!(user = %user, version = token.version, "Tarabut refused the token");
                self.invalidate(user, &token, deadline).await?;
                let fresh = self.access_token(user, deadline).await?;
                if fresh.version == token.version {
                    // Invalidated too recently by someone: a 401 storm is not met with a mint
                    // per call.
                    return Err(CallError::Tarabut(TarabutError::Unauthorized));
                }
                Ok(call(fresh.secret).await?)
            }
            other => Ok(other?),
        }
    }

    /// Erases the user's token: the item and this process's cached copy (erase-all).
    pub async fn forget(&self, user: &UserId) -> Result<(), TokenError> {
        self.cache.clear(user);
        self.repo.delete(user).await?;
        Ok(())
    }

    /// Drops the user's cached token (tests that rewrite the stored one).
    pub fn forget_cached(&self, user: &UserId) {
        self.cache.clear(user);
    }

    fn cached(&self, user: &UserId) -> Option<AccessToken> {
        let t = self.cache.get(user)?;
        serve_from_cache(self.clock.now(), Some(&t), &self.policy).then_some(t)
    }

    fn hand_out(&self, user: &UserId, token: AccessToken) -> AccessToken {
        self.cache.put(user, &token, self.clock.now());
        token
    }

    /// Step 2, with a failed read tried again (a throttled request or a lost answer) within
    /// the deadline.
    async fn load(
        &self,
        user: &UserId,
        deadline: Deadline,
    ) -> Result<Option<TokenRecord>, TokenError> {
        let mut attempt = 0;
        loop {
            match bounded(deadline, self.repo.load(user)).await {
                Ok(record) => return Ok(record),
                Err(e @ (StoreError::Corrupt(_) | StoreError::Invalid(_))) => {
                    return Err(TokenError::Store(e));
                }
                Err(e) => {
                    attempt += 1;
                    if attempt >= READ_ATTEMPTS || deadline.remaining() < POLL_FIRST {
                        return Err(TokenError::Store(e));
                    }
                    let pause = self.jitter(POLL_FIRST * attempt);
                    tokio::time::sleep(pause.min(deadline.remaining())).await;
                }
            }
        }
    }

    /// Waits before the next poll (capped exponential, jittered), never past `for_at_most` or
    /// the deadline.
    async fn pause(&self, polls: u32, for_at_most: Duration, deadline: Deadline) {
        let cap = POLL_FIRST.saturating_mul(1 << polls.min(8)).min(POLL_MAX);
        let pause = self
            .jitter(cap)
            .min(for_at_most.max(Duration::from_millis(1)))
            .min(deadline.remaining());
        tokio::time::sleep(pause).await;
    }

    /// A duration in `[cap / 2, cap]`.
    fn jitter(&self, cap: Duration) -> Duration {
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let ms = cap.as_millis().max(2) as u64;
        Duration::from_millis(rng.u64(ms / 2..=ms))
    }

    fn new_lease(&self) -> Lease {
        let n = self.leases.fetch_add(1, Ordering::Relaxed);
        Lease {
            id: format!("{}/{n}", self.instance),
            owner: self.instance.clone(),
            expires_at: self.clock.now() + self.policy.lease,
            length: Some(self.policy.lease),
        }
    }

    /// Steps 6–8: claim the lease, mint, commit (fenced) or release. The whole attempt fits in
    /// one lease counted from before the claim was sent, less a reserve for the commit's round
    /// trip; a watcher takes over only after watching the lease for a whole lease from after
    /// the claim landed, so the two cannot overlap unless the commit outlasts its reserve.
    async fn refresh(
        &self,
        user: &UserId,
        guard: &ClaimGuard,
        failures: i64,
        deadline: Deadline,
    ) -> Result<Refresh, TokenError> {
        let started = Instant::now();
        let lease_end = Deadline::at(started + self.policy.lease);
        let lease = self.new_lease();
        let claim_deadline = deadline.min(lease_end);
        // Armed before the claim is sent: a caller cancelled while the claim is in flight (it
        // may land) still gives the lease back.
        let mut held = HeldLease::new(self.repo.clone(), user.clone(), lease.id.clone());
        match bounded(
            claim_deadline,
            self.repo.claim(user, &lease, guard, self.clock.now()),
        )
        .await
        {
            Ok(true) => {}
            // Lost, or ambiguous: a claim DynamoDB applied whose answer was lost is retried
            // (by the SDK) and then fails its condition against our own lease. Read who holds
            // it.
            Ok(false) | Err(_) => match self.load(user, claim_deadline).await {
                Ok(record) if holder_of(record.as_ref()) == Some(lease.id.as_str()) => {}
                Ok(record) => {
                    held.disarm();
                    return Ok(Refresh::Lost(Some(record)));
                }
                // Unknown: if it did land, `held` gives it back rather than make others wait.
                Err(_) => return Ok(Refresh::Lost(None)),
            },
        };

        let reserve = (self.policy.lease / 4).min(Duration::from_secs(2));
        let budget = lease_end.less(reserve);
        let callers_deadline_binds = deadline <= budget;
        let mint_deadline = deadline.min(budget);
        let sent_at = self.clock.now();
        let minted = self
            .endpoint
            .mint(&user.customer_user_id(), mint_deadline)
            .await;
        match minted {
            Ok(minted) => {
                let token = AccessToken {
                    secret: minted.access_token,
                    // Counted from before the request: Tarabut's clock starts after it.
                    expires_at: sent_at + minted.expires_in,
                    issued_at: sent_at,
                    version: guard.seen_version.unwrap_or(0) + 1,
                };
                let new = NewToken {
                    secret: &token.secret,
                    issued_at: token.issued_at,
                    expires_at: token.expires_at,
                    version: token.version,
                };
                let committed = self
                    .commit(user, &lease.id, &new, &token, lease_end, deadline)
                    .await;
                if !committed {
                    // Our lease was taken over (or the answer never came): `held` releases
                    // it if it is still ours.
                    tracing::warn!(user = %user, "token commit fenced out: the lease was taken over");
                    return Ok(Refresh::Lost(None));
                }
                held.disarm();
                if Instant::now() > lease_end.instant() {
                    tracing::warn!(user = %user, "token commit landed after the lease's end");
                }
                tracing::info!(user = %user, version = token.version, "minted Tarabut token");
                metrics::token_minted();
                Ok(Refresh::Committed(self.hand_out(user, token)))
            }
            Err(e) => {
                let blame = blame(&e, callers_deadline_binds && deadline.is_past());
                let backoff_until = match blame {
                    MintBlame::Endpoint => {
                        tracing::warn!(user = %user, error = %e, "minting a Tarabut token failed; backing off");
                        metrics::token_mint_failed();
                        Some(self.clock.now() + mint_backoff(failures + 1))
                    }
                    MintBlame::Caller => None,
                };
                if !deadline.is_past()
                    && let Ok(true) =
                        bounded(deadline, self.repo.release(user, &lease.id, backoff_until)).await
                {
                    held.disarm();
                } else {
                    // Out of time or unanswered: release in the background, without backoff
                    // unless the endpoint failed.
                    held.release_with(backoff_until);
                }
                Ok(Refresh::MintFailed(e, blame))
            }
        }
    }

    /// Step 7, tried again after a transient failure (throttled, a 5xx) while the lease is
    /// still ours: the token is minted, and losing it to a throttled write would cost a second
    /// mint. A failed condition or an unanswered attempt is settled by reading back.
    async fn commit(
        &self,
        user: &UserId,
        lease_id: &str,
        new: &NewToken<'_>,
        token: &AccessToken,
        lease_end: Deadline,
        deadline: Deadline,
    ) -> bool {
        let until = lease_end.min(deadline);
        let mut attempt = 0u32;
        loop {
            match bounded(until, self.repo.commit(user, lease_id, new)).await {
                Ok(true) => return true,
                // Fenced out, or ambiguous: did it land anyway?
                Ok(false) => return self.committed(user, token, deadline).await,
                Err(_) if self.committed(user, token, deadline).await => return true,
                Err(_) => {
                    attempt += 1;
                    if until.remaining() < POLL_FIRST {
                        return false;
                    }
                    let pause = self.jitter(POLL_FIRST.saturating_mul(1 << attempt.min(4)));
                    tokio::time::sleep(pause.min(until.remaining())).await;
                }
            }
        }
    }

    /// After a commit that failed or went unanswered: did it land?
    async fn committed(&self, user: &UserId, token: &AccessToken, deadline: Deadline) -> bool {
        match self.load(user, deadline).await {
            Ok(Some(r)) => {
                r.version == Some(token.version) && r.access_token.as_ref() == Some(&token.secret)
            }
            _ => false,
        }
    }
}

fn holder_of(record: Option<&TokenRecord>) -> Option<&str> {
    record.and_then(|r| r.lease.as_ref()).map(|l| l.id.as_str())
}

/// How long this process has watched the item's current lease unchanged, on its monotonic
/// clock (wall clocks of different machines disagree; a lease is judged on one clock only).
#[derive(Default)]
struct LeaseWatch {
    seen: Option<(String, Instant)>,
}

impl LeaseWatch {
    fn observe(&mut self, lease: Option<&Lease>) -> Duration {
        match (lease, &self.seen) {
            (None, _) => {
                self.seen = None;
                Duration::ZERO
            }
            (Some(l), Some((id, since))) if *id == l.id => since.elapsed(),
            (Some(l), _) => {
                self.seen = Some((l.id.clone(), Instant::now()));
                Duration::ZERO
            }
        }
    }
}

/// A lease this process holds. Dropped while armed (an error path, or the caller's future
/// cancelled mid-mint) it is released in the background, without backoff: a cancelled caller
/// says nothing about Tarabut, and the next caller should not wait a whole lease for it.
struct HeldLease {
    repo: TokenRepo,
    user: UserId,
    lease_id: String,
    armed: bool,
    backoff_until: Option<Timestamp>,
}

impl HeldLease {
    fn new(repo: TokenRepo, user: UserId, lease_id: String) -> HeldLease {
        HeldLease {
            repo,
            user,
            lease_id,
            armed: true,
            backoff_until: None,
        }
    }

    fn disarm(&mut self) {
        self.armed = false;
    }

    fn release_with(mut self, backoff_until: Option<Timestamp>) {
        self.backoff_until = backoff_until;
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (repo, user, lease_id, backoff) = (
            self.repo.clone(),
            self.user.clone(),
            std::mem::take(&mut self.lease_id),
            self.backoff_until,
        );
        runtime.spawn(async move {
            // Conditional on the lease still being ours: harmless after a takeover.
            let released = tokio::time::timeout(
                Duration::from_secs(5),
                repo.release(&user, &lease_id, backoff),
            )
            .await;
            if !matches!(released, Ok(Ok(_))) {
                tracing::warn!(user = %user, "could not release a token lease; it lapses on its own");
            }
        });
    }
}

/// A table request bounded by the deadline; running out of time is an error like any other
/// (the request may still land: callers of writes read back when it matters).
async fn bounded<T>(
    deadline: Deadline,
    request: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout_at(deadline.instant(), request)
        .await
        .unwrap_or_else(|_| Err(StoreError::Backend("no time left for the request".into())))
}

fn unavailable(retry_after: Duration) -> TokenError {
    TokenError::Unavailable {
        retry_after: retry_after.max(Duration::from_secs(1)),
    }
}

/// Waiting helps with an endpoint that is down or slow; it does not fix refused credentials.
fn mint_failure(e: TarabutError, failures: i64) -> TokenError {
    if e.is_retryable() || matches!(e, TarabutError::DeadlineExceeded) {
        unavailable(mint_backoff(failures))
    } else {
        TokenError::Mint(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(id: &str) -> Lease {
        Lease {
            id: id.into(),
            owner: "env".into(),
            expires_at: Timestamp::EPOCH,
            length: Some(Duration::from_secs(10)),
        }
    }

    /// A lease is judged by how long this process has watched that very lease: a new holder's
    /// lease starts from zero, however long the one before it was watched.
    #[test]
    fn a_lease_is_watched_from_when_it_appears() {
        let mut watch = LeaseWatch::default();
        assert_eq!(watch.observe(Some(&lease("a"))), Duration::ZERO);
        std::thread::sleep(Duration::from_millis(20));
        assert!(watch.observe(Some(&lease("a"))) >= Duration::from_millis(20));
        assert_eq!(
            watch.observe(Some(&lease("b"))),
            Duration::ZERO,
            "another holder's lease inherited the watch"
        );
        std::thread::sleep(Duration::from_millis(20));
        assert!(watch.observe(Some(&lease("b"))) >= Duration::from_millis(20));
        assert_eq!(watch.observe(None), Duration::ZERO);
        assert_eq!(
            watch.observe(Some(&lease("b"))),
            Duration::ZERO,
            "watched across a gap"
        );
    }
}
