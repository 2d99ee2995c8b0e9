//! `GET /tarabut/callback`: Tarabut's browser redirect after the bank. Unauthenticated, so it
//! decides nothing on its own: the first hit consumes the intent whatever its query says, the
//! outcome comes from Tarabut, and an approval yields only a one-time code for the app to
//! complete with its user's JWT (`complete.rs`).

use std::time::Duration;

use reqwest::Url;

use super::code::LinkCode;
use super::confirm::{Outcome, intent_outcome};
use super::sweep;
use crate::AppState;
use crate::banking::{ConnectionStatus, IntentBinding, LinkState};
use crate::error::UseCaseError;
use crate::store::StoreError;
use crate::sync::connection::valid_id;
use crate::time::Deadline;

/// How long the app has to present the code. It arrives with the redirect, so a minute would
/// do; five leave room for an app that must start and sign in first.
pub const CODE_VALIDITY: Duration = Duration::from_secs(5 * 60);

/// The query of Tarabut's redirect, as received. Only the intent id is used; `status` and
/// `error` are logged, never believed.
#[derive(Debug, Default, Clone)]
pub struct CallbackQuery {
    pub intent_id: Option<String>,
    pub status: Option<String>,
    pub error: Option<String>,
}

/// Handles the redirect and always answers with the app URL to send the browser to:
/// `status=approved` with `intentId`, `connectionId` and the one-time `code`, or
/// `status=failed|error` with an `error` code (and the connection id when known).
pub async fn callback(state: &AppState, query: CallbackQuery, deadline: Deadline) -> Url {
    let app = &state.config.app_redirect_url;
    match handle(state, &query, deadline).await {
        Ok(approved) => redirect(
            app,
            &[
                ("status", "approved"),
                ("intentId", &approved.intent_id),
                ("connectionId", &approved.connection_id),
                ("code", approved.code.as_str()),
            ],
        ),
        Err(CallbackError {
            code,
            connection_id,
            cause,
        }) => {
            match &cause {
                Some(e) => tracing::warn!(code, error = %e, "callback failed"),
                None => tracing::info!(
                    code,
                    query_status = query.status.as_deref().unwrap_or("-"),
                    "callback refused"
                ),
            }
            let status = if code == "access_denied" {
                "failed"
            } else {
                "error"
            };
            let mut pairs = vec![("status", status)];
            if let Some(c) = connection_id.as_deref() {
                pairs.push(("connectionId", c));
            }
            pairs.push(("error", code));
            redirect(app, &pairs)
        }
    }
}

struct Approved {
    intent_id: String,
    connection_id: String,
    code: LinkCode,
}

struct CallbackError {
    code: &'static str,
    connection_id: Option<String>,
    cause: Option<UseCaseError>,
}

fn refused(code: &'static str) -> CallbackError {
    CallbackError {
        code,
        connection_id: None,
        cause: None,
    }
}

fn store_failed(e: StoreError) -> CallbackError {
    CallbackError {
        code: "server_error",
        connection_id: None,
        cause: Some(e.into()),
    }
}

fn redirect(app: &Url, pairs: &[(&str, &str)]) -> Url {
    let mut url = app.clone();
    url.query_pairs_mut().extend_pairs(pairs);
    url
}

async fn handle(
    state: &AppState,
    query: &CallbackQuery,
    deadline: Deadline,
) -> Result<Approved, CallbackError> {
    let intent_id = query
        .intent_id
        .as_deref()
        .map(str::trim)
        .filter(|i| valid_id(i))
        .ok_or_else(|| refused("invalid_request"))?;
    let binding = state
        .intents
        .get(intent_id)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| refused("unknown_intent"))?;
    let now = state.clock.now();
    match binding.state {
        LinkState::Pending if binding.expires_at <= now => return Err(refused("expired_intent")),
        LinkState::Pending => {}
        LinkState::Abandoned => {
            // A hit on an attempt that can no longer complete is most likely the browser of
            // someone who approved after it died (a phished victim): revoke what they approved
            // now rather than at the next scheduled run.
            sweep::sweep_now(state, intent_id, deadline).await;
            return Err(refused("already_used"));
        }
        _ => return Err(refused("already_used")),
    }
    // One use only, decided atomically, before anything is asked: a hit before approval (an
    // attacker polling his own intent) kills the intent.
    if !state
        .intents
        .consume(intent_id, now)
        .await
        .map_err(store_failed)?
    {
        return Err(refused("already_used"));
    }
    let fail = |code: &'static str, cause: Option<UseCaseError>| CallbackError {
        code,
        connection_id: Some(binding.connection_id.clone()),
        cause,
    };
    // The user may have deleted the pending connection meanwhile: the link is over, and
    // anything approved for it is revoked once the intent expires.
    match state
        .connections
        .get(&binding.user, &binding.connection_id)
        .await
    {
        Ok(Some(c)) if c.status == ConnectionStatus::Pending && c.deleted_at.is_none() => {}
        Ok(_) => {
            abandon(state, &binding).await;
            return Err(refused("unknown_intent"));
        }
        Err(e) => {
            abandon(state, &binding).await;
            return Err(store_failed(e));
        }
    }
    match intent_outcome(state, &binding, deadline).await {
        Ok(Outcome::Consent(consent_id)) => {
            let code = LinkCode::generate().map_err(|e| fail("server_error", Some(e)))?;
            let approved = state
                .intents
                .approve(intent_id, &consent_id, &code.hash(), now + CODE_VALIDITY)
                .await
                .map_err(|e| fail("server_error", Some(e.into())))?;
            if !approved {
                return Err(fail("already_used", None));
            }
            Ok(Approved {
                intent_id: intent_id.to_string(),
                connection_id: binding.connection_id.clone(),
                code,
            })
        }
        Ok(Outcome::NotApproved { denied }) => {
            abandon(state, &binding).await;
            Err(fail(
                if denied {
                    "access_denied"
                } else {
                    "not_approved"
                },
                None,
            ))
        }
        Err(e) => {
            abandon(state, &binding).await;
            Err(fail("server_error", Some(e)))
        }
    }
}

/// The attempt failed at the callback: it cannot complete any more, and once its intent has
/// expired (when no one can approve it any more) the sweep revokes anything approved late.
async fn abandon(state: &AppState, binding: &IntentBinding) {
    let sweep_at = binding.expires_at.max(state.clock.now());
    if let Err(e) = state
        .intents
        .abandon(&binding.intent_id, LinkState::Checking, None, sweep_at)
        .await
    {
        tracing::warn!(error = %e, "could not mark the link attempt abandoned");
    }
    super::discard_pending(state, &binding.user, &binding.connection_id).await;
}
