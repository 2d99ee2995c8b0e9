//! `POST /oauth/token`: client credentials + `X-TG-CustomerUserId` → a per-user bearer token.

use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::faults::{Endpoint, gate};
use crate::request::{require_json_content_type, valid_customer_user_id};
use crate::state::{SharedState, TokenRecord};

pub const CUSTOMER_USER_ID_HEADER: &str = "x-tg-customeruserid";
/// Granted scope, space-separated like OAuth scopes.
const SCOPE: &str = "accounts balances transactions consents insights providers";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    scope: &'static str,
}

/// A string field of the token body. Messages name the field but never echo a value: the body
/// carries the client secret.
fn field<'a>(
    body: &'a serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad_request(format!("{name} must be a string"))),
    }
}

pub async fn mint(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TokenResponse>, ApiError> {
    gate(&state, Endpoint::Token).await?;
    require_json_content_type(&headers)?;
    let body: serde_json::Map<String, Value> = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("the body must be a JSON object"))?;
    let client_id =
        field(&body, "clientId")?.ok_or_else(|| ApiError::bad_request("clientId is required"))?;
    let client_secret = field(&body, "clientSecret")?
        .ok_or_else(|| ApiError::bad_request("clientSecret is required"))?;
    let grant_type = field(&body, "grantType")?.unwrap_or("client_credentials");
    if grant_type != "client_credentials" {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grantType must be client_credentials",
        ));
    }
    let customer_user_id = headers
        .get(CUSTOMER_USER_ID_HEADER)
        .ok_or_else(|| ApiError::bad_request("the X-TG-CustomerUserId header is required"))?
        .to_str()
        .ok()
        .filter(|id| valid_customer_user_id(id))
        .ok_or_else(|| {
            ApiError::bad_request("X-TG-CustomerUserId must be 1 to 40 characters of [A-Za-z0-9_-]")
        })?
        .to_owned();

    let lifetime = {
        let settings = state.settings();
        if client_id != settings.client_id || client_secret != settings.client_secret {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "invalid client credentials",
            ));
        }
        settings.token_lifetime_secs
    };

    let access_token = format!(
        "sbx_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let now = Instant::now();
    let expires_at = now
        .checked_add(Duration::from_secs(lifetime))
        .unwrap_or(now + Duration::from_secs(100 * 365 * 86_400));
    state.store().insert_token(
        access_token.clone(),
        TokenRecord {
            customer_user_id: customer_user_id.clone(),
            expires_at,
        },
        now,
    );
    state.counters().count_mint(&customer_user_id);
    tracing::info!(customer_user_id, expires_in = lifetime, "token minted");
    Ok(Json(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime,
        scope: SCOPE,
    }))
}
