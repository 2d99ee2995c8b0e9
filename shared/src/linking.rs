//! Linking a bank, in three steps so a consent reaches only the account that started it
//! (docs/architecture.md §3.5):
//! 1. `connect`: the caller's intent and a pending connection ([`connect`]);
//! 2. `callback`: Tarabut's browser redirect, unauthenticated; it consumes the intent on its first
//!    hit, asks Tarabut for the outcome and hands the browser a one-time code ([`callback`]);
//! 3. `complete`: the app presents the code with the caller's JWT; only the user who started
//!    the intent activates the connection ([`complete`]).
//!
//! Whatever is never completed by its own user is revoked at Tarabut ([`sweep`]).

use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::banking::{Connection, ConnectionStatus, IntentBinding};
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::store::StoreError;
use crate::sync::connection::valid_id;
use crate::tarabut::{CreateIntent, IntentConsent, IntentUser, Language, TarabutError};
use crate::time::{Deadline, Timestamp};
use crate::token::CallError;

mod callback;
mod code;
mod complete;
mod confirm;
pub mod sweep;

pub use callback::{CODE_VALIDITY, CallbackQuery, callback};
pub use complete::{CompleteRequest, CompleteResponse, complete};
pub use sweep::{SweepSummary, sweep};

/// An intent Tarabut returns without an expiry is treated as valid this long.
const DEFAULT_INTENT_VALIDITY: Duration = Duration::from_secs(15 * 60);

/// Links a user may have started and not finished at once. Each holds a Tarabut intent and
/// items in the table; a real user needs one or two, a loop would drain the shared quota.
pub const MAX_PENDING_LINKS: usize = 5;

/// How long a pending connection outlives its intent (TTL). A completion comes within the
/// intent's life plus the code's 5 minutes, and the callback or the sweep (every 15 minutes)
/// normally drops an unfinished one long before; this bounds what a failing sweep leaves.
const PENDING_KEPT_AFTER_EXPIRY: Duration = Duration::from_secs(86_400);

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectRequest {
    /// Language of Tarabut's connect pages.
    #[serde(default)]
    pub language: Language,
    /// Pre-selects a bank (skips Tarabut's bank list).
    pub provider_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectResponse {
    pub connect_url: String,
    pub intent_id: String,
    pub connection_id: String,
    pub expires_at: String,
}

/// Creates a Tarabut intent for the caller and records a pending connection bound to it.
pub async fn connect(
    state: &AppState,
    user: &UserId,
    request: ConnectRequest,
    deadline: Deadline,
) -> Result<ConnectResponse, UseCaseError> {
    if let Some(p) = &request.provider_id
        && !(valid_id(p) && p.len() <= 64)
    {
        return Err(UseCaseError::Invalid(
            "providerId must be 1-64 characters of letters, digits, '-' or '_'".into(),
        ));
    }
    // Before asking Tarabut: a refused attempt costs no intent.
    if state
        .connections
        .count_pending(user, state.clock.now())
        .await?
        >= MAX_PENDING_LINKS
    {
        return Err(UseCaseError::TooManyPendingLinks {
            limit: MAX_PENDING_LINKS,
        });
    }
    let intent = CreateIntent {
        user: IntentUser {
            customer_user_id: user.customer_user_id().as_str().to_string(),
        },
        provider_type: "Retail",
        language: request.language,
        consent: request
            .provider_id
            .map(|provider_id| IntentConsent { provider_id }),
        redirect_url: state.tarabut().redirect_url().to_string(),
    };
    let created = state
        .tokens
        .call(user, deadline, |token| {
            let intent = &intent;
            async move {
                state
                    .tarabut()
                    .create_intent(&token, intent, deadline)
                    .await
            }
        })
        .await
        .map_err(|e| match (e, &intent.consent) {
            // Tarabut refusing an intent that names a bank means the bank id is wrong: the
            // caller's mistake, not an outage.
            (CallError::Tarabut(TarabutError::Rejected { status, .. }), Some(c))
                if (400..500).contains(&status) =>
            {
                UseCaseError::Invalid(format!(
                    "Tarabut does not accept providerId {:?}",
                    c.provider_id
                ))
            }
            (other, _) => other.into(),
        })?;
    if !valid_id(&created.intent_id) || Url::parse(&created.connect_url).is_err() {
        return Err(UseCaseError::Upstream(
            "intent without a usable id or connect URL".into(),
        ));
    }
    let now = state.clock.now();
    let expires_at = created
        .expiry
        .map(Timestamp::from)
        .filter(|e| *e > now)
        .unwrap_or(now + DEFAULT_INTENT_VALIDITY);
    let connection_id = uuid::Uuid::new_v4().to_string();
    // The binding first: a connection without one could never be activated, while a binding
    // without its connection is refused by the callback and expires.
    state
        .intents
        .create(&IntentBinding::new(
            created.intent_id.clone(),
            user.clone(),
            connection_id.clone(),
            expires_at,
        ))
        .await
        .map_err(|e| match e {
            StoreError::ConditionFailed => {
                UseCaseError::Upstream("Tarabut reused an intent id".into())
            }
            other => other.into(),
        })?;
    state
        .connections
        .create_pending(
            &Connection {
                user: user.clone(),
                connection_id: connection_id.clone(),
                status: ConnectionStatus::Pending,
                intent_id: created.intent_id.clone(),
                provider_id: intent.consent.as_ref().map(|c| c.provider_id.clone()),
                consent_id: None,
                consent_expires_at: None,
                created_at: now,
                updated_at: now,
                last_sync_at: None,
                last_sync_status: None,
                next_sync_at: None,
                deleted_at: None,
                erase_sweep_at: None,
                sync: Default::default(),
            },
            expires_at + PENDING_KEPT_AFTER_EXPIRY,
        )
        .await?;
    // Concurrent connects all passed the check above: counting again after our own write,
    // the last writer sees every other survivor's, so no more than the cap stay. (Two racing
    // at the cap may both give way: refusing too many is the safe side.)
    if state.connections.count_pending(user, now).await? > MAX_PENDING_LINKS {
        discard_pending(state, user, &connection_id).await;
        return Err(UseCaseError::TooManyPendingLinks {
            limit: MAX_PENDING_LINKS,
        });
    }
    Ok(ConnectResponse {
        connect_url: created.connect_url,
        intent_id: created.intent_id,
        connection_id,
        expires_at: expires_at.to_rfc3339(),
    })
}

/// Drops a pending connection whose linking failed (only while it is still pending: a late
/// callback must not remove a connection that became active meanwhile).
async fn discard_pending(state: &AppState, user: &UserId, connection_id: &str) {
    if let Err(e) = state.connections.delete_pending(user, connection_id).await {
        tracing::warn!(error = %e, "could not discard the pending connection");
    }
}
