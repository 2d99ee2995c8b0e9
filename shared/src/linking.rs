//! Linking a bank: the intent (connect) and Tarabut's browser redirect back (callback).

use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::banking::{Connection, ConnectionStatus, IntentBinding};
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::store::StoreError;
use crate::sync::connection::{Scope, SyncOutcome, sync_connection, valid_id};
use crate::sync::consent::consent_accounts;
use crate::tarabut::{CreateIntent, IntentConsent, IntentUser, Language, TarabutError};
use crate::time::{Deadline, Timestamp};
use crate::token::CallError;

/// An intent Tarabut returns without an expiry is treated as valid this long.
const DEFAULT_INTENT_VALIDITY: Duration = Duration::from_secs(15 * 60);

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
        .create(&IntentBinding {
            intent_id: created.intent_id.clone(),
            user: user.clone(),
            connection_id: connection_id.clone(),
            expires_at,
            consumed_at: None,
        })
        .await
        .map_err(|e| match e {
            StoreError::ConditionFailed => {
                UseCaseError::Upstream("Tarabut reused an intent id".into())
            }
            other => other.into(),
        })?;
    state
        .connections
        .create(&Connection {
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
        })
        .await?;
    Ok(ConnectResponse {
        connect_url: created.connect_url,
        intent_id: created.intent_id,
        connection_id,
        expires_at: expires_at.to_rfc3339(),
    })
}

/// The query of Tarabut's redirect, as received (nothing in it is trusted).
#[derive(Debug, Default, Clone)]
pub struct CallbackQuery {
    pub intent_id: Option<String>,
    pub status: Option<String>,
    pub error: Option<String>,
}

/// Handles the redirect and always answers with the app URL to send the browser to:
/// `status=connected|failed|error`, the connection id when known, and an error code.
pub async fn callback(state: &AppState, query: CallbackQuery, deadline: Deadline) -> Url {
    let app = &state.config.app_redirect_url;
    match handle_callback(state, &query, deadline).await {
        Ok(connection_id) => redirect(app, "connected", Some(&connection_id), None),
        Err(CallbackError {
            code,
            connection_id,
            cause,
        }) => {
            match &cause {
                Some(e) => tracing::warn!(code, error = %e, "callback failed"),
                None => tracing::info!(code, "callback refused"),
            }
            let status = if code == "access_denied" {
                "failed"
            } else {
                "error"
            };
            redirect(app, status, connection_id.as_deref(), Some(code))
        }
    }
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

fn redirect(app: &Url, status: &str, connection_id: Option<&str>, error: Option<&str>) -> Url {
    let mut url = app.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("status", status);
        if let Some(c) = connection_id {
            q.append_pair("connectionId", c);
        }
        if let Some(e) = error {
            q.append_pair("error", e);
        }
    }
    url
}

async fn handle_callback(
    state: &AppState,
    query: &CallbackQuery,
    deadline: Deadline,
) -> Result<String, CallbackError> {
    let intent_id = query
        .intent_id
        .as_deref()
        .map(str::trim)
        .filter(|i| valid_id(i))
        .ok_or_else(|| refused("invalid_request"))?;
    let store_failed = |e: StoreError| CallbackError {
        code: "server_error",
        connection_id: None,
        cause: Some(e.into()),
    };
    let binding = state
        .intents
        .get(intent_id)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| refused("unknown_intent"))?;
    let now = state.clock.now();
    if binding.consumed_at.is_some() {
        return Err(refused("already_used"));
    }
    if binding.expires_at <= now {
        return Err(refused("expired_intent"));
    }
    let conn = match state
        .connections
        .get(&binding.user, &binding.connection_id)
        .await
    {
        Ok(Some(c)) if c.status == ConnectionStatus::Pending && c.deleted_at.is_none() => c,
        Ok(_) => return Err(refused("unknown_intent")),
        Err(e) => return Err(store_failed(e)),
    };
    // One use only, decided atomically: a replayed or concurrent callback stops here.
    if !state
        .intents
        .consume(intent_id, now)
        .await
        .map_err(store_failed)?
    {
        return Err(refused("already_used"));
    }
    let connection_id = conn.connection_id.clone();
    let fail = |code: &'static str, cause: Option<UseCaseError>| CallbackError {
        code,
        connection_id: Some(connection_id.clone()),
        cause,
    };
    let succeeded = query
        .status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("successful") || s.eq_ignore_ascii_case("success"));
    if !succeeded {
        discard_pending(state, &conn).await;
        return Err(fail("access_denied", None));
    }
    match activate(state, conn.clone(), intent_id, deadline).await {
        Ok(active) => {
            // First sync with the time left; the cron catches up if it cannot finish.
            let budget = deadline.less(Duration::from_secs(1));
            match sync_connection(state, active, Scope::Transactions, budget).await {
                Ok(SyncOutcome::Synced(s)) => {
                    tracing::info!(connection = %s.connection_id, new = s.new_transactions, "first sync done")
                }
                Ok(SyncOutcome::ReauthRequired { .. }) => {
                    tracing::warn!("consent unusable right after linking")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "first sync incomplete; the cron will finish it")
                }
            }
            Ok(connection_id)
        }
        Err(e) => {
            discard_pending(state, &conn).await;
            let code = match e {
                UseCaseError::Conflict(_) => "consent_not_confirmed",
                _ => "server_error",
            };
            Err(fail(code, Some(e)))
        }
    }
}

/// Confirms the consent with Tarabut (never the callback's word alone), stores the accounts
/// and makes the connection active and due for sync.
async fn activate(
    state: &AppState,
    mut conn: Connection,
    intent_id: &str,
    deadline: Deadline,
) -> Result<Connection, UseCaseError> {
    let user = conn.user.clone();
    let intent = state
        .tokens
        .call(&user, deadline, |token| async move {
            state
                .tarabut()
                .get_intent(&token, intent_id, deadline)
                .await
        })
        .await?;
    let status_ok = intent.status.as_deref().is_none_or(|s| {
        s.eq_ignore_ascii_case("successful")
            || s.eq_ignore_ascii_case("success")
            || s.eq_ignore_ascii_case("completed")
    });
    let consent_id = match (status_ok, intent.consent_id) {
        (true, Some(c)) if !c.trim().is_empty() => c,
        _ => {
            return Err(UseCaseError::Conflict(
                "Tarabut does not confirm the consent".into(),
            ));
        }
    };
    let listed = state
        .tokens
        .call(&user, deadline, |token| async move {
            state.tarabut().accounts(&token, deadline).await
        })
        .await?;
    let now = state.clock.now();
    conn.consent_id = Some(consent_id);
    conn.provider_id = intent.provider_id.or(conn.provider_id);
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
    state.connections.save(&conn).await?;
    Ok(conn)
}

/// Drops a pending connection whose linking failed (only while it is still pending).
async fn discard_pending(state: &AppState, conn: &Connection) {
    if let Err(e) = state.connections.delete_pending(conn).await {
        tracing::warn!(error = %e, "could not discard the pending connection");
    }
}
