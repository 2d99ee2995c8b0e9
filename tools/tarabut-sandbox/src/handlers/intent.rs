//! `POST /accountInformation/v1/intent` and `GET /accountInformation/v1/intent/{intentId}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::data::ProviderId;
use crate::error::ApiError;
use crate::faults::{Endpoint, gate};
use crate::request::json_body;
use crate::state::{INTENT_LIFETIME_MINUTES, Intent, IntentStatus, SharedState};
use crate::wire::timestamp;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentUser {
    customer_user_id: String,
    /// Greets the user on the connect page.
    first_name: Option<String>,
    // Accepted and type-checked like the real API, otherwise unused.
    #[serde(rename = "lastName")]
    _last_name: Option<String>,
    #[serde(rename = "email")]
    _email: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentConsent {
    provider_id: Option<String>,
}

/// Unknown fields are accepted (real callers send more, e.g. `userIpAddress`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateIntentRequest {
    user: IntentUser,
    provider_type: Option<String>,
    language: Option<String>,
    consent: Option<IntentConsent>,
    redirect_url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateIntentResponse {
    connect_url: String,
    intent_id: String,
    expiry: String,
}

pub async fn create(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CreateIntentResponse>, ApiError> {
    gate(&state, Endpoint::CreateIntent).await?;
    let user = state.authenticate(&headers)?;
    let request: CreateIntentRequest = json_body(&headers, &body)?;
    if request.user.customer_user_id != user {
        return Err(ApiError::forbidden(
            "forbidden",
            "user.customerUserId must equal the X-TG-CustomerUserId the token was minted for",
        ));
    }
    if let Some(kind) = request.provider_type.as_deref()
        && kind != "Retail"
        && kind != "Corporate"
    {
        return Err(ApiError::bad_request(
            "providerType must be Retail or Corporate",
        ));
    }
    let arabic = match request.language.as_deref() {
        None | Some("EN") => false,
        Some("AR") => true,
        Some(_) => return Err(ApiError::bad_request("language must be EN or AR")),
    };
    let provider = match request.consent.and_then(|c| c.provider_id) {
        None => None,
        Some(code) => Some(ProviderId::parse(&code).ok_or_else(|| {
            ApiError::bad_request(format!("unknown consent.providerId {code:?}"))
        })?),
    };
    let registered = state.settings().redirect_urls.clone();
    if !registered.contains(&request.redirect_url) {
        return Err(ApiError::bad_request(format!(
            "redirectUrl is not one of the registered redirect URLs {registered:?}"
        )));
    }

    let now = Utc::now();
    let intent = Intent {
        id: uuid::Uuid::new_v4().to_string(),
        customer_user_id: user,
        redirect_url: request.redirect_url,
        provider,
        arabic,
        first_name: request.user.first_name,
        expiry: now + Duration::minutes(INTENT_LIFETIME_MINUTES),
        status: IntentStatus::Pending,
        consent_id: None,
    };
    let response = CreateIntentResponse {
        connect_url: format!("{}/connect/{}", state.base_url, intent.id),
        intent_id: intent.id.clone(),
        expiry: timestamp(intent.expiry),
    };
    tracing::info!(intent_id = intent.id, "intent created");
    state.store().intents.insert(intent.id.clone(), intent);
    Ok(Json(response))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentView {
    intent_id: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    consent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider_id: Option<&'static str>,
    customer_user_id: String,
    expiry: String,
}

pub async fn get(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(intent_id): Path<String>,
) -> Result<Json<IntentView>, ApiError> {
    gate(&state, Endpoint::GetIntent).await?;
    let user = state.authenticate(&headers)?;
    let now = Utc::now();
    let store = state.store();
    let intent = store
        .intents
        .get(&intent_id)
        .filter(|i| i.customer_user_id == user)
        .ok_or_else(|| ApiError::not_found(format!("intent {intent_id} not found")))?;
    let status = intent.effective_status(now);
    Ok(Json(IntentView {
        intent_id: intent.id.clone(),
        status: status.as_str(),
        consent_id: intent
            .consent_id
            .clone()
            .filter(|_| status == IntentStatus::Successful),
        provider_id: intent.provider.map(ProviderId::code),
        customer_user_id: intent.customer_user_id.clone(),
        expiry: timestamp(intent.expiry),
    }))
}
