//! The per-process part: a token cache per user (step 1) and per-user single flight, so a
//! process makes at most one read/claim per user at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use super::policy::AccessToken;
use crate::identity::UserId;
use crate::time::Timestamp;

/// Bound on cached users (the cron serves many users in one process).
const MAX_CACHED_USERS: usize = 10_000;

/// A user's entry: the newest token seen, and the lowest version still worth caching (one above
/// the last version Tarabut refused), so a task still holding a refused token cannot put it
/// back.
#[derive(Default)]
struct Cached {
    token: Option<AccessToken>,
    floor: i64,
}

#[derive(Default)]
pub(super) struct TokenCache {
    tokens: Mutex<HashMap<UserId, Cached>>,
    flights: Arc<Mutex<HashMap<UserId, Arc<AsyncMutex<()>>>>>,
}

/// Holding it means this task is the one in the process working on the user's token.
pub(super) struct Flight {
    user: UserId,
    lock: Option<OwnedMutexGuard<()>>,
    flights: Arc<Mutex<HashMap<UserId, Arc<AsyncMutex<()>>>>>,
}

impl Drop for Flight {
    fn drop(&mut self) {
        let Some(guard) = self.lock.take() else {
            return;
        };
        let mutex = OwnedMutexGuard::mutex(&guard).clone();
        // Release first: a waiter may take the lock now, holding its own reference.
        drop(guard);
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        // The map's reference and `mutex` only: nobody else holds or waits for it.
        if Arc::strong_count(&mutex) == 2
            && flights
                .get(&self.user)
                .is_some_and(|m| Arc::ptr_eq(m, &mutex))
        {
            flights.remove(&self.user);
        }
    }
}

impl TokenCache {
    pub(super) fn get(&self, user: &UserId) -> Option<AccessToken> {
        self.lock_tokens().get(user).and_then(|c| c.token.clone())
    }

    /// Keeps the newest version seen, never one below the floor.
    pub(super) fn put(&self, user: &UserId, token: &AccessToken, now: Timestamp) {
        let mut tokens = self.lock_tokens();
        if let Some(existing) = tokens.get(user)
            && (token.version < existing.floor
                || existing
                    .token
                    .as_ref()
                    .is_some_and(|t| t.version > token.version))
        {
            return;
        }
        if tokens.len() >= MAX_CACHED_USERS && !tokens.contains_key(user) {
            tokens.retain(|_, c| c.token.as_ref().is_some_and(|t| t.expires_at > now));
            if tokens.len() >= MAX_CACHED_USERS {
                tokens.clear();
            }
        }
        let entry = tokens.entry(user.clone()).or_default();
        entry.token = Some(token.clone());
    }

    /// Tarabut refused `version` (a 401): drop it, and never cache it (or an older one) again.
    pub(super) fn forget(&self, user: &UserId, version: i64) {
        let mut tokens = self.lock_tokens();
        let entry = tokens.entry(user.clone()).or_default();
        entry.floor = entry.floor.max(version + 1);
        if entry.token.as_ref().is_some_and(|t| t.version <= version) {
            entry.token = None;
        }
    }

    /// Drops the cached token (its floor stays).
    pub(super) fn clear(&self, user: &UserId) {
        if let Some(entry) = self.lock_tokens().get_mut(user) {
            entry.token = None;
        }
    }

    pub(super) async fn flight(&self, user: &UserId) -> Flight {
        let mutex = {
            let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
            flights.entry(user.clone()).or_default().clone()
        };
        let guard = mutex.lock_owned().await;
        Flight {
            user: user.clone(),
            lock: Some(guard),
            flights: self.flights.clone(),
        }
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, Cached>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
