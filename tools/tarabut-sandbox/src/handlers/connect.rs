//! The hosted "Connect" journey, reduced to a page with Approve / Deny links (no token needed).
//! Approving creates an ACTIVE consent and redirects the browser to the intent's redirect URL.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

use crate::data::ProviderId;
use crate::request::query_map;
use crate::state::{Intent, IntentStatus, SharedState};
use crate::wire::{html_escape, percent_encode};

fn page(status: StatusCode, arabic: bool, title: &str, body: &str) -> Response {
    let (lang, dir) = if arabic { ("ar", "rtl") } else { ("en", "ltr") };
    let html = format!(
        "<!doctype html>\n<html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <title>{title}</title></head>\n<body><h1>{title}</h1>\n{body}\n</body></html>\n",
        title = html_escape(title),
    );
    (status, Html(html)).into_response()
}

fn not_found(intent_id: &str) -> Response {
    page(
        StatusCode::NOT_FOUND,
        false,
        "Link not found",
        &format!(
            "<p>No connection request {} exists.</p>",
            html_escape(intent_id)
        ),
    )
}

fn gone(intent: &Intent, status: IntentStatus) -> Response {
    let why = match status {
        IntentStatus::Expired => "This link has expired. Please start again from the app.",
        _ => "This connection request has already been completed.",
    };
    page(
        StatusCode::GONE,
        intent.arabic,
        "Link no longer valid",
        &format!("<p>{why}</p>"),
    )
}

/// Appends query parameters to a registered redirect URL, before any fragment.
fn redirect_to(url: &str, params: &[(&str, &str)]) -> Response {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let mut location = base.to_owned();
    let mut separator = if base.contains('?') { '&' } else { '?' };
    for (name, value) in params {
        location.push(separator);
        location.push_str(name);
        location.push('=');
        location.push_str(&percent_encode(value));
        separator = '&';
    }
    if let Some(fragment) = fragment {
        location.push('#');
        location.push_str(fragment);
    }
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

pub async fn show(State(state): State<SharedState>, Path(intent_id): Path<String>) -> Response {
    let store = state.store();
    let Some(intent) = store.intents.get(&intent_id) else {
        return not_found(&intent_id);
    };
    let status = intent.effective_status(Utc::now());
    if status != IntentStatus::Pending {
        return gone(intent, status);
    }
    let providers: Vec<ProviderId> = match intent.provider {
        Some(p) => vec![p],
        None => ProviderId::ALL.to_vec(),
    };
    let id = percent_encode(&intent.id);
    let mut body = String::new();
    if let Some(name) = &intent.first_name {
        body.push_str(&format!("<p>Hello {},</p>\n", html_escape(name)));
    }
    body.push_str("<p>Choose your bank and approve sharing your accounts, balances and transactions.</p>\n<ul>\n");
    for p in providers {
        let info = p.info();
        let name = if intent.arabic {
            info.arabic_display_name
        } else {
            info.display_name
        };
        body.push_str(&format!(
            "<li>{} ({}) <a id=\"approve-{code}\" href=\"/connect/{id}/approve?providerId={code}\">Approve</a></li>\n",
            html_escape(name),
            info.country_code,
            code = p.code(),
        ));
    }
    body.push_str(&format!(
        "</ul>\n<p><a id=\"deny\" href=\"/connect/{id}/deny\">Deny</a></p>"
    ));
    page(StatusCode::OK, intent.arabic, "Connect your bank", &body)
}

pub async fn approve(
    State(state): State<SharedState>,
    Path(intent_id): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let requested = query_map(&uri)
        .ok()
        .and_then(|q| q.get("providerId").cloned())
        .filter(|p| !p.is_empty());
    let now = Utc::now();
    let mut store = state.store();
    let Some(intent) = store.intents.get(&intent_id) else {
        return not_found(&intent_id);
    };
    let status = intent.effective_status(now);
    if status != IntentStatus::Pending {
        return gone(intent, status);
    }
    let provider = match (&requested, intent.provider) {
        (None, Some(pre)) => pre,
        (None, None) => ProviderId::Blue,
        (Some(code), pre) => match ProviderId::parse(code) {
            Some(p) if pre.is_none_or(|pre| pre == p) => p,
            Some(_) => {
                return page(
                    StatusCode::BAD_REQUEST,
                    intent.arabic,
                    "Wrong bank",
                    "<p>This request was made for another bank.</p>",
                );
            }
            None => {
                return page(
                    StatusCode::BAD_REQUEST,
                    intent.arabic,
                    "Unknown bank",
                    &format!("<p>Unknown provider {}.</p>", html_escape(code)),
                );
            }
        },
    };
    let user = intent.customer_user_id.clone();
    let consent = store.create_consent(&user, provider, now);
    let Some(intent) = store.intents.get_mut(&intent_id) else {
        return not_found(&intent_id);
    };
    intent.status = IntentStatus::Successful;
    intent.provider = Some(provider);
    intent.consent_id = Some(consent.id.clone());
    tracing::info!(
        intent_id,
        consent_id = consent.id,
        provider = provider.code(),
        "intent approved"
    );
    redirect_to(
        &intent.redirect_url,
        &[("intentId", &intent.id), ("status", "SUCCESSFUL")],
    )
}

pub async fn deny(State(state): State<SharedState>, Path(intent_id): Path<String>) -> Response {
    let now = Utc::now();
    let mut store = state.store();
    let Some(intent) = store.intents.get_mut(&intent_id) else {
        return not_found(&intent_id);
    };
    let status = intent.effective_status(now);
    if status != IntentStatus::Pending {
        return gone(intent, status);
    }
    intent.status = IntentStatus::Failed;
    tracing::info!(intent_id, "intent denied");
    redirect_to(
        &intent.redirect_url,
        &[
            ("intentId", &intent.id),
            ("status", "FAILED"),
            ("error", "access_denied"),
        ],
    )
}
