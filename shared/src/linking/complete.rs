//! `POST /tarabut/complete`: the app presents the callback's one-time code with its user's JWT.
//! Only the user who started the intent gets the consent; anyone else presenting a valid code
//! (the victim of a phished link) is refused and the consent is revoked at once.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::code;
use super::sweep;
use crate::AppState;
use crate::banking::{Connection, ConnectionStatus, IntentBinding, LinkState};
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::store::StoreError;
use crate::sync::connection::{Scope, SyncOutcome, SyncSummary, sync_connection, valid_id};
use crate::sync::consent::consent_accounts;
use crate::time::Deadline;

/// The sweep leaves an attempt being completed alone this long: longer than any request may
/// run (API Gateway stops at 30 s), so only a completion that died is swept.
const COMPLETION_HOLD: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompleteRequest {
    pub intent_id: String,
    pub code: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteResponse {
    pub connection_id: String,
    pub status: &'static str,
    pub provider_id: Option<String>,
    pub accounts: usize,
    /// The first sync, when it finished within the request (else the cron does it).
    pub first_sync: Option<SyncSummary>,
}

const NO_SUCH_LINK: UseCaseError = UseCaseError::NotFound("link attempt with this code");

pub async fn complete(
    state: &AppState,
    user: &UserId,
    request: CompleteRequest,
    deadline: Deadline,
) -> Result<CompleteResponse, UseCaseError> {
    if !valid_id(&request.intent_id) {
        return Err(UseCaseError::Invalid(
            "intentId must be 1-128 characters of letters, digits, '-' or '_'".into(),
        ));
    }
    if !code::well_formed(&request.code) {
        return Err(UseCaseError::Invalid(
            "code must be the 64 hexadecimal digits the callback gave the app".into(),
        ));
    }
    let hash = code::hash(&request.code);
    let Some(binding) = state.intents.get(&request.intent_id).await? else {
        return Err(NO_SUCH_LINK);
    };
    // Without the code nothing changes, whoever asks.
    if binding.code_hash.as_deref() != Some(hash.as_str()) {
        return Err(NO_SUCH_LINK);
    }
    let now = state.clock.now();
    if binding.user != *user {
        return Err(wrong_user(state, &binding, &hash, deadline).await);
    }
    match binding.state {
        LinkState::Approved => {}
        // Its answer was lost and the app asks again: the same connection.
        LinkState::Completed => return already_completed(state, &binding).await,
        _ => {
            return Err(UseCaseError::Conflict(
                "this bank link can no longer be completed; start linking again".into(),
            ));
        }
    }
    if binding.code_expires_at.is_none_or(|at| at <= now) {
        return Err(UseCaseError::Conflict(
            "the link code has expired; start linking again".into(),
        ));
    }
    if !state
        .intents
        .begin_completion(&binding.intent_id, &hash, now, now + COMPLETION_HOLD)
        .await?
    {
        return Err(UseCaseError::Conflict(
            "this bank link is being completed or can no longer be completed".into(),
        ));
    }
    let activated = match state
        .connections
        .get(&binding.user, &binding.connection_id)
        .await?
    {
        Some(c) if c.status == ConnectionStatus::Pending && c.deleted_at.is_none() => {
            activate(state, c, &binding, deadline).await
        }
        _ => Err(UseCaseError::Conflict(
            "the pending connection of this link is gone".into(),
        )),
    };
    let active = match activated {
        Ok(c) => c,
        Err(e) => {
            // Tarabut confirmed a consent that will never be used: revoke it now (the
            // scheduled run retries if this fails).
            let _ = state
                .intents
                .abandon(&binding.intent_id, LinkState::Completing, None, now)
                .await;
            sweep::sweep_now(state, &binding.intent_id, deadline).await;
            return Err(e);
        }
    };
    state.intents.complete(&binding.intent_id).await?;
    let accounts = state
        .accounts
        .list(user)
        .await?
        .into_iter()
        .filter(|a| a.connection_id == active.connection_id)
        .count();
    // First sync with the time left; the cron catches up if it cannot finish.
    let first_sync = match sync_connection(
        state,
        active.clone(),
        Scope::Transactions,
        deadline.less(Duration::from_secs(1)),
    )
    .await
    {
        Ok(SyncOutcome::Synced(s)) => Some(s),
        Ok(SyncOutcome::ReauthRequired { .. }) => {
            tracing::warn!("consent unusable right after linking");
            None
        }
        Ok(SyncOutcome::Expired { .. }) => {
            tracing::warn!("consent expired right after linking");
            None
        }
        Ok(SyncOutcome::Deleted { .. }) => return Err(UseCaseError::NotFound("connection")),
        Err(e) => {
            tracing::warn!(error = %e, "first sync incomplete; the cron will finish it");
            None
        }
    };
    Ok(CompleteResponse {
        connection_id: active.connection_id,
        status: ConnectionStatus::Active.as_str(),
        provider_id: active.provider_id,
        accounts,
        first_sync,
    })
}

/// A valid code presented by someone who did not start the link: the consent they approved
/// must not reach the starter, so it is revoked at once.
async fn wrong_user(
    state: &AppState,
    binding: &IntentBinding,
    hash: &str,
    deadline: Deadline,
) -> UseCaseError {
    tracing::warn!(
        intent = %binding.intent_id,
        "link code presented by another user than the one who started the link"
    );
    let abandoned = state
        .intents
        .abandon(
            &binding.intent_id,
            LinkState::Approved,
            Some(hash),
            state.clock.now(),
        )
        .await;
    match abandoned {
        Ok(true) => {
            sweep::sweep_now(state, &binding.intent_id, deadline).await;
            UseCaseError::Forbidden(
                "this bank link was started from another account; the bank consent has been revoked"
                    .into(),
            )
        }
        Ok(false) => {
            UseCaseError::Forbidden("this bank link was started from another account".into())
        }
        Err(e) => e.into(),
    }
}

async fn already_completed(
    state: &AppState,
    binding: &IntentBinding,
) -> Result<CompleteResponse, UseCaseError> {
    let conn = state
        .connections
        .get(&binding.user, &binding.connection_id)
        .await?
        .filter(|c| c.deleted_at.is_none())
        .ok_or(NO_SUCH_LINK)?;
    let accounts = state
        .accounts
        .list(&binding.user)
        .await?
        .into_iter()
        .filter(|a| a.connection_id == conn.connection_id)
        .count();
    Ok(CompleteResponse {
        connection_id: conn.connection_id,
        status: conn.status.as_str(),
        provider_id: conn.provider_id,
        accounts,
        first_sync: None,
    })
}

/// Stores the consent's accounts and makes the connection active and due for sync. The
/// consent is the one Tarabut confirmed at the callback; the account list shows it still holds.
async fn activate(
    state: &AppState,
    mut conn: Connection,
    binding: &IntentBinding,
    deadline: Deadline,
) -> Result<Connection, UseCaseError> {
    let consent_id = binding
        .consent_id
        .clone()
        .ok_or_else(|| UseCaseError::Internal("approved link without a consent id".into()))?;
    let listed = state
        .tokens
        .call(&conn.user, deadline, |token| async move {
            state.tarabut().accounts(&token, deadline).await
        })
        .await?;
    let now = state.clock.now();
    conn.consent_id = Some(consent_id);
    let found = consent_accounts(&conn, &listed, Vec::new(), now);
    if found.gone {
        return Err(UseCaseError::Conflict(
            "the consent is not active at Tarabut".into(),
        ));
    }
    let accounts = found.accounts;
    conn.provider_id = conn
        .provider_id
        .or_else(|| accounts.first().and_then(|a| a.provider_id.clone()));
    state.accounts.put_all(&accounts).await?;
    conn.status = ConnectionStatus::Active;
    conn.consent_expires_at = found.expires_at;
    conn.updated_at = now;
    conn.next_sync_at = Some(now);
    match state.connections.save(&conn).await {
        Ok(()) => Ok(conn),
        Err(StoreError::ConditionFailed) => {
            // Deleted while it was activated: the accounts just written go too (§3.7).
            crate::erasure::erase_connection_data(state, &conn.user, &conn.connection_id).await?;
            Err(UseCaseError::Conflict(
                "the pending connection of this link is gone".into(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}
