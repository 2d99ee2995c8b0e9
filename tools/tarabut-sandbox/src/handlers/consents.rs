//! `DELETE /consentInformation/v1/consents/{consentId}`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;

use crate::error::ApiError;
use crate::faults::{Endpoint, gate};
use crate::state::{ConsentStatus, SharedState};

/// 204 and the consent becomes REVOKED; an unknown id, another user's consent, or one that is no
/// longer ACTIVE (revoked or expired) is 404.
pub async fn revoke(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(consent_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    gate(&state, Endpoint::RevokeConsent).await?;
    let user = state.authenticate(&headers)?;
    let now = Utc::now();
    let mut store = state.store();
    let consent = store
        .consents
        .get_mut(&consent_id)
        .filter(|c| c.customer_user_id == user && c.effective_status(now) == ConsentStatus::Active)
        .ok_or_else(|| ApiError::not_found(format!("active consent {consent_id} not found")))?;
    consent.status = ConsentStatus::Revoked;
    tracing::info!(consent_id, "consent revoked");
    Ok(StatusCode::NO_CONTENT)
}
