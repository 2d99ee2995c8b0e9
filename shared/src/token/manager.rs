//! `TokenManager::access_token`: carries out the policy's decisions against the table and
//! Tarabut (docs/token-protocol.md).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::TokenError;
use super::cache::TokenCache;
use super::policy::{AccessToken, Decision, decide, mint_backoff, serve_from_cache};
use super::record::Lease;
use super::repo::TokenRepo;
use crate::config::TokenSettings;
use crate::identity::UserId;
use crate::secret::Secret;
use crate::store::Table;
use crate::tarabut::{TarabutClient, TarabutError};
use crate::time::{Clock, Deadline};

/// Poll interval bounds while another invocation holds the lease (jittered, so waiters do
/// not read in lockstep).
const POLL_MIN_MS: u64 = 50;
const POLL_MAX_MS: u64 = 250;

pub struct TokenManager {
    repo: TokenRepo,
    tarabut: TarabutClient,
    policy: TokenSettings,
    clock: Arc<dyn Clock>,
    /// Identifies this process in leases (for operators reading the item).
    owner: String,
    cache: TokenCache,
}

/// How a claim-and-mint attempt ended.
enum Refresh {
    Committed(AccessToken),
    /// Someone else holds the lease or moved the version first, or our lease was taken over
    /// before our commit (fenced out).
    Lost,
    MintFailed(TarabutError),
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
        tarabut: TarabutClient,
        settings: &TokenSettings,
        clock: Arc<dyn Clock>,
        owner: impl Into<String>,
    ) -> TokenManager {
        TokenManager {
            repo: TokenRepo::new(table),
            tarabut,
            policy: settings.clone(),
            clock,
            owner: owner.into(),
            cache: TokenCache::default(),
        }
    }

    pub fn tarabut(&self) -> &TarabutClient {
        &self.tarabut
    }

    /// A token for `user` valid for at least the minimum validity, or a typed failure before
    /// `deadline`.
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
            .map_err(|_| unavailable(Duration::from_secs(1)))?;
        // Another task of this process may have refreshed while we queued.
        if let Some(t) = self.cached(user) {
            return Ok(t);
        }
        loop {
            if deadline.remaining() < Duration::from_millis(POLL_MIN_MS) {
                return Err(unavailable(Duration::from_secs(1)));
            }
            let record = self.repo.load(user).await?;
            let now = self.clock.now();
            match decide(now, record.as_ref(), &self.policy) {
                Decision::Serve(t) => {
                    self.cache.put(user, &t, now);
                    return Ok(t);
                }
                Decision::Fail { retry_after } => return Err(unavailable(retry_after)),
                Decision::RefreshAhead(current) => {
                    let failures = record.as_ref().map_or(0, |r| r.mint_failures);
                    return match self
                        .refresh(user, Some(current.version), failures, deadline)
                        .await?
                    {
                        Refresh::Committed(fresh) => Ok(fresh),
                        // Someone else is refreshing, or minting failed: the current token
                        // is still good for a while, so serve it without waiting.
                        Refresh::Lost | Refresh::MintFailed(_) => Ok(current),
                    };
                }
                Decision::MustRefresh { seen_version } => {
                    let failures = record.as_ref().map_or(0, |r| r.mint_failures);
                    match self.refresh(user, seen_version, failures, deadline).await? {
                        Refresh::Committed(fresh) => return Ok(fresh),
                        Refresh::Lost => continue,
                        Refresh::MintFailed(e) => {
                            // Step 8: the old token while it still works, else a typed error.
                            let old = record
                                .as_ref()
                                .and_then(|r| r.valid_token(self.clock.now()));
                            return match old {
                                Some(t) => Ok(t),
                                None => Err(mint_failure(e, failures + 1)),
                            };
                        }
                    }
                }
                Decision::Wait { .. } => {
                    let pause = Duration::from_millis(fastrand::u64(POLL_MIN_MS..=POLL_MAX_MS));
                    tokio::time::sleep(pause.min(deadline.remaining())).await;
                }
            }
        }
    }

    /// Step 9: Tarabut answered 401 to a call made with `token`. Invalidate that version (once,
    /// across all processes) and forget it here; the next `access_token` re-mints.
    pub async fn invalidate(&self, user: &UserId, token: &AccessToken) -> Result<(), TokenError> {
        self.cache.forget(user, token.version);
        self.repo.invalidate(user, token.version).await?;
        Ok(())
    }

    /// Runs a Tarabut data call with the user's token; on a 401 invalidates the token and
    /// retries once with a fresh one (never loops: a second 401 is returned).
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
                tracing::info!(user = %user, version = token.version, "Tarabut refused the token; re-minting once");
                self.invalidate(user, &token).await?;
                let fresh = self.access_token(user, deadline).await?;
                Ok(call(fresh.secret).await?)
            }
            other => Ok(other?),
        }
    }

    fn cached(&self, user: &UserId) -> Option<AccessToken> {
        let t = self.cache.get(user)?;
        serve_from_cache(self.clock.now(), Some(&t), &self.policy).then_some(t)
    }

    /// Steps 6–8: claim the lease, mint, commit (fenced) or release with a backoff.
    async fn refresh(
        &self,
        user: &UserId,
        seen_version: Option<i64>,
        failures: i64,
        deadline: Deadline,
    ) -> Result<Refresh, TokenError> {
        let claimed_at = self.clock.now();
        let lease = Lease {
            id: uuid::Uuid::new_v4().to_string(),
            owner: self.owner.clone(),
            expires_at: claimed_at + self.policy.lease,
        };
        if !self
            .repo
            .claim(user, &lease, seen_version, claimed_at)
            .await?
        {
            return Ok(Refresh::Lost);
        }
        // The mint must end while the lease is still ours, with a margin for the commit.
        let lease_len = self.policy.lease;
        let margin = (lease_len / 4).min(Duration::from_secs(1));
        let mint_deadline = Deadline::after(lease_len.saturating_sub(margin)).min(deadline);
        let sent_at = self.clock.now();
        match self
            .tarabut
            .mint_token(&user.customer_user_id(), mint_deadline)
            .await
        {
            Ok(minted) => {
                // Counted from before the request: Tarabut's clock starts after it.
                let expires_at = sent_at + minted.expires_in;
                let committed = self
                    .repo
                    .commit(
                        user,
                        &lease.id,
                        &minted.access_token,
                        expires_at,
                        self.clock.now(),
                    )
                    .await?;
                if !committed {
                    tracing::warn!(user = %user, "token commit fenced out: the lease was taken over");
                    return Ok(Refresh::Lost);
                }
                let token = AccessToken {
                    secret: minted.access_token,
                    expires_at,
                    version: seen_version.unwrap_or(0) + 1,
                };
                self.cache.put(user, &token, self.clock.now());
                tracing::info!(user = %user, version = token.version, "minted Tarabut token");
                Ok(Refresh::Committed(token))
            }
            Err(e) => {
                let backoff_until = self.clock.now() + mint_backoff(failures + 1);
                tracing::warn!(user = %user, error = %e, "minting a Tarabut token failed; backing off");
                self.repo.release(user, &lease.id, backoff_until).await?;
                Ok(Refresh::MintFailed(e))
            }
        }
    }
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
