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

#[derive(Default)]
pub(super) struct TokenCache {
    tokens: Mutex<HashMap<UserId, AccessToken>>,
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
        self.lock_tokens().get(user).cloned()
    }

    /// Keeps the newest version seen.
    pub(super) fn put(&self, user: &UserId, token: &AccessToken, now: Timestamp) {
        let mut tokens = self.lock_tokens();
        if let Some(existing) = tokens.get(user)
            && existing.version > token.version
        {
            return;
        }
        if tokens.len() >= MAX_CACHED_USERS && !tokens.contains_key(user) {
            tokens.retain(|_, t| t.expires_at > now);
            if tokens.len() >= MAX_CACHED_USERS {
                tokens.clear();
            }
        }
        tokens.insert(user.clone(), token.clone());
    }

    /// Drops the cached token if it is the given version (after a 401).
    pub(super) fn forget(&self, user: &UserId, version: i64) {
        let mut tokens = self.lock_tokens();
        if tokens.get(user).is_some_and(|t| t.version == version) {
            tokens.remove(user);
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

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, AccessToken>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}
