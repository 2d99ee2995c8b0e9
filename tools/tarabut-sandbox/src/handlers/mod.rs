//! Tarabut endpoint handlers. Each starts with `gate` (count + faults), then authenticates, then
//! validates, so that an injected fault or a bad token wins over a bad request.

pub mod accounts;
pub mod connect;
pub mod consents;
pub mod intent;
pub mod providers;
pub mod salary;
pub mod transactions;
mod views;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::data::model::{Account, Universe};
use crate::error::ApiError;
use crate::state::{AppState, ProviderAccess};

/// An account the token's user may read (under at least one ACTIVE consent).
pub struct AccountAccess {
    universe: Arc<Universe>,
    index: usize,
}

impl AccountAccess {
    pub fn account(&self) -> &Account {
        &self.universe.accounts[self.index]
    }

    /// First day of visible history.
    pub fn window_start(&self) -> chrono::NaiveDate {
        self.universe.window_start
    }
}

/// 404 when the account was never visible to the user (not theirs, or never consented);
/// 403 when its consent was revoked or has expired.
pub fn authorize_account(
    state: &AppState,
    customer_user_id: &str,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<AccountAccess, ApiError> {
    let universe = state.universe(customer_user_id);
    let not_found = || ApiError::not_found(format!("account {account_id} not found"));
    let index = universe
        .accounts
        .iter()
        .position(|a| a.id == account_id)
        .ok_or_else(not_found)?;
    let provider = universe.accounts[index].kind.provider();
    match state
        .store()
        .provider_access(customer_user_id, provider, now)
    {
        ProviderAccess::Active(_) => Ok(AccountAccess { universe, index }),
        ProviderAccess::Revoked => Err(ApiError::forbidden(
            "consent_revoked",
            "the consent covering this account has been revoked",
        )),
        ProviderAccess::Expired => Err(ApiError::forbidden(
            "consent_expired",
            "the consent covering this account has expired",
        )),
        ProviderAccess::Never => Err(not_found()),
    }
}
