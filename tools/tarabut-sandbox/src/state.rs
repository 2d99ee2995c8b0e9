//! Shared server state: settings, tokens, intents, consents, counters, faults, demo data.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use axum::http::HeaderMap;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::config::Settings;
use crate::counters::Counters;
use crate::data::model::{Account, Txn, Universe};
use crate::data::synthetic::SyntheticCache;
use crate::data::{ProviderId, UniverseCache};
use crate::error::ApiError;
use crate::faults::FaultBook;
use crate::request::bearer_token;

pub type SharedState = Arc<AppState>;

pub struct AppState {
    /// `http://127.0.0.1:PORT`, used for connect URLs and pagination links.
    pub base_url: String,
    today: Option<NaiveDate>,
    settings: RwLock<Settings>,
    store: Mutex<Store>,
    counters: Mutex<Counters>,
    faults: Mutex<FaultBook>,
    universes: UniverseCache,
    synthetic: SyntheticCache,
}

/// A poisoned lock still guards consistent data here (every critical section is a few plain
/// assignments), so recover rather than propagate the panic of another request.
fn relock<T>(result: Result<T, std::sync::PoisonError<T>>) -> T {
    result.unwrap_or_else(|e| e.into_inner())
}

impl AppState {
    pub fn new(base_url: String, today: Option<NaiveDate>, settings: Settings) -> Self {
        Self {
            base_url,
            today,
            settings: RwLock::new(settings),
            store: Mutex::new(Store::default()),
            counters: Mutex::new(Counters::default()),
            faults: Mutex::new(FaultBook::default()),
            universes: UniverseCache::default(),
            synthetic: SyntheticCache::default(),
        }
    }

    pub fn settings(&self) -> RwLockReadGuard<'_, Settings> {
        relock(self.settings.read())
    }

    pub fn settings_mut(&self) -> RwLockWriteGuard<'_, Settings> {
        relock(self.settings.write())
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        relock(self.store.lock())
    }

    pub fn counters(&self) -> MutexGuard<'_, Counters> {
        relock(self.counters.lock())
    }

    pub fn faults(&self) -> MutexGuard<'_, FaultBook> {
        relock(self.faults.lock())
    }

    /// The last day of demo data.
    pub fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| Utc::now().date_naive())
    }

    pub fn universe(&self, customer_user_id: &str) -> Arc<Universe> {
        self.universes.get(customer_user_id, self.today())
    }

    /// The synthetic history that replaces the account's demo transactions while
    /// `syntheticTransactions` is set.
    pub fn synthetic_history(&self, account: &Account) -> Option<Arc<Vec<Txn>>> {
        let n = self.settings().synthetic_transactions?;
        Some(self.synthetic.get(account, self.today(), n))
    }

    /// The customer user id of the request's bearer token; 401 otherwise.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let token = bearer_token(headers)
            .ok_or_else(|| ApiError::invalid_token("missing Authorization: Bearer token"))?;
        self.store()
            .token_user(token, Instant::now())
            .ok_or_else(|| ApiError::invalid_token("the access token is invalid or has expired"))
    }
}

pub struct TokenRecord {
    pub customer_user_id: String,
    pub expires_at: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentStatus {
    Pending,
    Successful,
    Failed,
    Expired,
}

impl IntentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IntentStatus::Pending => "PENDING",
            IntentStatus::Successful => "SUCCESSFUL",
            IntentStatus::Failed => "FAILED",
            IntentStatus::Expired => "EXPIRED",
        }
    }
}

pub struct Intent {
    pub id: String,
    pub customer_user_id: String,
    pub redirect_url: String,
    /// Pre-selected at creation, or chosen on the connect page.
    pub provider: Option<ProviderId>,
    pub arabic: bool,
    pub first_name: Option<String>,
    pub expiry: DateTime<Utc>,
    /// Pending, Successful or Failed; Expired is derived from `expiry`.
    pub status: IntentStatus,
    pub consent_id: Option<String>,
}

impl Intent {
    pub fn effective_status(&self, now: DateTime<Utc>) -> IntentStatus {
        if self.status == IntentStatus::Pending && now >= self.expiry {
            IntentStatus::Expired
        } else {
            self.status
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentStatus {
    Active,
    Revoked,
    Expired,
}

impl ConsentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::Active => "ACTIVE",
            ConsentStatus::Revoked => "REVOKED",
            ConsentStatus::Expired => "EXPIRED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Consent {
    pub id: String,
    pub customer_user_id: String,
    pub provider: ProviderId,
    pub status: ConsentStatus,
    pub created_at: DateTime<Utc>,
    pub expiry: DateTime<Utc>,
}

impl Consent {
    pub fn effective_status(&self, now: DateTime<Utc>) -> ConsentStatus {
        if self.status == ConsentStatus::Active && now >= self.expiry {
            ConsentStatus::Expired
        } else {
            self.status
        }
    }
}

/// How a user may reach a provider's accounts.
pub enum ProviderAccess {
    /// The ACTIVE consents covering it, oldest first.
    Active(Vec<Consent>),
    Revoked,
    Expired,
    Never,
}

pub const CONSENT_LIFETIME_DAYS: i64 = 365;
pub const INTENT_LIFETIME_MINUTES: i64 = 15;
/// Expired tokens are swept after this many mints, keeping memory flat under benchmarks.
const SWEEP_EVERY_MINTS: u32 = 1024;

#[derive(Default)]
pub struct Store {
    tokens: HashMap<String, TokenRecord>,
    pub intents: HashMap<String, Intent>,
    pub consents: HashMap<String, Consent>,
    mints_since_sweep: u32,
}

impl Store {
    pub fn insert_token(&mut self, token: String, record: TokenRecord, now: Instant) {
        self.mints_since_sweep += 1;
        if self.mints_since_sweep >= SWEEP_EVERY_MINTS {
            self.mints_since_sweep = 0;
            self.tokens.retain(|_, r| r.expires_at > now);
        }
        self.tokens.insert(token, record);
    }

    pub fn token_user(&self, token: &str, now: Instant) -> Option<String> {
        self.tokens
            .get(token)
            .filter(|r| r.expires_at > now)
            .map(|r| r.customer_user_id.clone())
    }

    /// Removes every token of the user; returns how many were still valid.
    pub fn invalidate_tokens(&mut self, customer_user_id: &str, now: Instant) -> usize {
        let mut valid = 0;
        self.tokens.retain(|_, r| {
            let drop = r.customer_user_id == customer_user_id;
            if drop && r.expires_at > now {
                valid += 1;
            }
            !drop
        });
        valid
    }

    pub fn create_consent(
        &mut self,
        customer_user_id: &str,
        provider: ProviderId,
        now: DateTime<Utc>,
    ) -> Consent {
        let consent = Consent {
            id: uuid::Uuid::new_v4().to_string(),
            customer_user_id: customer_user_id.to_owned(),
            provider,
            status: ConsentStatus::Active,
            created_at: now,
            expiry: now + Duration::days(CONSENT_LIFETIME_DAYS),
        };
        self.consents.insert(consent.id.clone(), consent.clone());
        consent
    }

    pub fn provider_access(
        &self,
        customer_user_id: &str,
        provider: ProviderId,
        now: DateTime<Utc>,
    ) -> ProviderAccess {
        let mut active = Vec::new();
        // When nothing is active, the most recent consent tells why.
        let mut latest_inactive: Option<&Consent> = None;
        for c in self
            .consents
            .values()
            .filter(|c| c.customer_user_id == customer_user_id && c.provider == provider)
        {
            if c.effective_status(now) == ConsentStatus::Active {
                active.push(c.clone());
            } else if latest_inactive.is_none_or(|l| (c.created_at, &c.id) > (l.created_at, &l.id))
            {
                latest_inactive = Some(c);
            }
        }
        if !active.is_empty() {
            active.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
            return ProviderAccess::Active(active);
        }
        match latest_inactive.map(|c| c.effective_status(now)) {
            Some(ConsentStatus::Revoked) => ProviderAccess::Revoked,
            Some(_) => ProviderAccess::Expired,
            None => ProviderAccess::Never,
        }
    }
}
