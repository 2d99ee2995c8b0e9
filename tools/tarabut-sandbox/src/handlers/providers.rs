//! `GET /v1/providers`.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;

use crate::data::ProviderId;
use crate::data::catalogue::provider_logo_url;
use crate::error::ApiError;
use crate::faults::{Endpoint, gate};
use crate::state::SharedState;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderView {
    provider_id: &'static str,
    name: &'static str,
    display_name: &'static str,
    arabic_display_name: &'static str,
    logo_url: String,
    country_code: &'static str,
    ais_status: &'static str,
    pis_status: &'static str,
}

#[derive(Serialize)]
pub struct ProvidersResponse {
    providers: Vec<ProviderView>,
}

pub async fn list(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Json<ProvidersResponse>, ApiError> {
    gate(&state, Endpoint::Providers).await?;
    state.authenticate(&headers)?;
    let providers = ProviderId::ALL
        .into_iter()
        .map(|id| {
            let info = id.info();
            ProviderView {
                provider_id: id.code(),
                name: info.name,
                display_name: info.display_name,
                arabic_display_name: info.arabic_display_name,
                logo_url: provider_logo_url(id),
                country_code: info.country_code,
                ais_status: "AVAILABLE",
                pis_status: "UNAVAILABLE",
            }
        })
        .collect();
    Ok(Json(ProvidersResponse { providers }))
}
