//! `/_sandbox/...`: the unauthenticated control plane for tests and benchmarks. Bodies are JSON
//! (any Content-Type accepted) and unknown fields are rejected, so a typo fails loudly.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::{MAX_PAGE_SIZE, MAX_SYNTHETIC_TRANSACTIONS};
use crate::data::ProviderId;
use crate::error::ApiError;
use crate::faults::FaultSpec;
use crate::request::valid_customer_user_id;
use crate::state::{ConsentStatus, IntentStatus, SharedState};
use crate::wire::timestamp;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/_sandbox/health", get(health))
        .route(
            "/_sandbox/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/_sandbox/faults/{id}", delete(remove_fault))
        .route("/_sandbox/counters", get(counters))
        .route("/_sandbox/counters/reset", post(reset_counters))
        .route("/_sandbox/config", get(get_config).post(set_config))
        .route("/_sandbox/tokens/invalidate", post(invalidate_tokens))
        .route("/_sandbox/consents", post(create_consent))
        .route("/_sandbox/consents/{id}", get(consent_state))
        .route("/_sandbox/consents/{id}/expire", post(expire_consent))
        .route("/_sandbox/intents/{id}/expire", post(expire_intent))
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

async fn health() -> &'static str {
    "ok"
}

async fn add_fault(State(state): State<SharedState>, body: Bytes) -> Result<Response, ApiError> {
    let spec: FaultSpec = parse(&body)?;
    let rule = state.faults().add(spec).map_err(ApiError::bad_request)?;
    tracing::info!(id = rule.id, endpoint = rule.endpoint, "fault rule added");
    Ok((StatusCode::CREATED, Json(rule)).into_response())
}

async fn list_faults(State(state): State<SharedState>) -> Response {
    #[derive(Serialize)]
    struct Faults {
        faults: Vec<crate::faults::FaultRule>,
    }
    Json(Faults {
        faults: state.faults().list(),
    })
    .into_response()
}

async fn clear_faults(State(state): State<SharedState>) -> StatusCode {
    state.faults().clear();
    StatusCode::NO_CONTENT
}

async fn remove_fault(
    State(state): State<SharedState>,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    if state.faults().remove(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("fault rule {id} not found")))
    }
}

async fn counters(State(state): State<SharedState>) -> Response {
    Json(state.counters().view()).into_response()
}

async fn reset_counters(State(state): State<SharedState>) -> StatusCode {
    state.counters().reset();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigPatch {
    token_lifetime_secs: Option<u64>,
    page_size: Option<usize>,
    redirect_urls: Option<Vec<String>>,
    /// 0 brings the demo data back.
    synthetic_transactions: Option<usize>,
    /// The client secret the token endpoint accepts from now on (a rotation at Tarabut).
    /// Write-only: the config view never shows it.
    client_secret: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigView {
    token_lifetime_secs: u64,
    page_size: usize,
    redirect_urls: Vec<String>,
    synthetic_transactions: Option<usize>,
    today: String,
}

fn config_view(state: &SharedState) -> ConfigView {
    let settings = state.settings();
    ConfigView {
        token_lifetime_secs: settings.token_lifetime_secs,
        page_size: settings.page_size,
        redirect_urls: settings.redirect_urls.clone(),
        synthetic_transactions: settings.synthetic_transactions,
        today: state.today().to_string(),
    }
}

async fn get_config(State(state): State<SharedState>) -> Json<ConfigView> {
    Json(config_view(&state))
}

/// Changes apply to later calls; already minted tokens keep their expiry.
async fn set_config(
    State(state): State<SharedState>,
    body: Bytes,
) -> Result<Json<ConfigView>, ApiError> {
    let patch: ConfigPatch = parse(&body)?;
    if patch
        .page_size
        .is_some_and(|n| !(1..=MAX_PAGE_SIZE).contains(&n))
    {
        return Err(ApiError::bad_request(format!(
            "pageSize must be within 1..={MAX_PAGE_SIZE}"
        )));
    }
    if patch
        .synthetic_transactions
        .is_some_and(|n| n > MAX_SYNTHETIC_TRANSACTIONS)
    {
        return Err(ApiError::bad_request(format!(
            "syntheticTransactions must be at most {MAX_SYNTHETIC_TRANSACTIONS}"
        )));
    }
    if patch
        .client_secret
        .as_deref()
        .is_some_and(|s| s.trim().is_empty())
    {
        return Err(ApiError::bad_request("clientSecret must not be empty"));
    }
    {
        let mut settings = state.settings_mut();
        if let Some(secret) = patch.client_secret {
            settings.client_secret = secret;
        }
        if let Some(n) = patch.synthetic_transactions {
            settings.synthetic_transactions = (n > 0).then_some(n);
        }
        if let Some(secs) = patch.token_lifetime_secs {
            settings.token_lifetime_secs = secs;
        }
        if let Some(size) = patch.page_size {
            settings.page_size = size;
        }
        if let Some(urls) = patch.redirect_urls {
            settings.redirect_urls = urls;
        }
    }
    Ok(Json(config_view(&state)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserRef {
    customer_user_id: String,
}

#[derive(Serialize)]
struct Invalidated {
    invalidated: usize,
}

/// Every token minted so far for the user stops working; later mints work again.
async fn invalidate_tokens(
    State(state): State<SharedState>,
    body: Bytes,
) -> Result<Json<Invalidated>, ApiError> {
    let user: UserRef = parse(&body)?;
    let invalidated = state
        .store()
        .invalidate_tokens(&user.customer_user_id, std::time::Instant::now());
    tracing::info!(
        customer_user_id = user.customer_user_id,
        invalidated,
        "tokens invalidated"
    );
    Ok(Json(Invalidated { invalidated }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConsentRequest {
    customer_user_id: String,
    provider_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConsentCreated {
    consent_id: String,
    customer_user_id: String,
    provider_id: &'static str,
    status: &'static str,
    expiry_date: String,
    account_ids: Vec<String>,
}

/// An ACTIVE consent without the browser journey.
async fn create_consent(
    State(state): State<SharedState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: ConsentRequest = parse(&body)?;
    if !valid_customer_user_id(&request.customer_user_id) {
        return Err(ApiError::bad_request(
            "customerUserId must be 1 to 40 characters of [A-Za-z0-9_-]",
        ));
    }
    let provider = ProviderId::parse(&request.provider_id).ok_or_else(|| {
        ApiError::bad_request(format!("unknown providerId {:?}", request.provider_id))
    })?;
    let account_ids = state
        .universe(&request.customer_user_id)
        .accounts
        .iter()
        .filter(|a| a.kind.provider() == provider)
        .map(|a| a.id.clone())
        .collect();
    let consent = state
        .store()
        .create_consent(&request.customer_user_id, provider, Utc::now());
    tracing::info!(
        consent_id = consent.id,
        provider = provider.code(),
        "consent created via control plane"
    );
    let created = ConsentCreated {
        consent_id: consent.id,
        customer_user_id: consent.customer_user_id,
        provider_id: provider.code(),
        status: ConsentStatus::Active.as_str(),
        expiry_date: timestamp(consent.expiry),
        account_ids,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConsentState {
    consent_id: String,
    status: &'static str,
}

/// A consent's status as of now (ACTIVE, EXPIRED or REVOKED): what a test asserts after the
/// backend was supposed to revoke it.
async fn consent_state(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> Result<Json<ConsentState>, ApiError> {
    let store = state.store();
    let consent = store
        .consents
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("consent {id} not found")))?;
    Ok(Json(ConsentState {
        status: consent.effective_status(Utc::now()).as_str(),
        consent_id: id,
    }))
}

/// ACTIVE → EXPIRED (idempotent for EXPIRED); a REVOKED consent stays revoked (409).
async fn expire_consent(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> Result<Json<ConsentState>, ApiError> {
    let mut store = state.store();
    let consent = store
        .consents
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(format!("consent {id} not found")))?;
    if consent.status == ConsentStatus::Revoked {
        return Err(ApiError::conflict("the consent is already revoked"));
    }
    consent.status = ConsentStatus::Expired;
    Ok(Json(ConsentState {
        consent_id: id,
        status: ConsentStatus::Expired.as_str(),
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IntentState {
    intent_id: String,
    status: &'static str,
}

/// Moves a PENDING intent's expiry to now (its connect page then answers 410).
async fn expire_intent(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> Result<Json<IntentState>, ApiError> {
    let now = Utc::now();
    let mut store = state.store();
    let intent = store
        .intents
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(format!("intent {id} not found")))?;
    if intent.effective_status(now) != IntentStatus::Pending {
        return Err(ApiError::conflict("only a PENDING intent can be expired"));
    }
    intent.expiry = now;
    Ok(Json(IntentState {
        intent_id: id,
        status: IntentStatus::Expired.as_str(),
    }))
}
