//! Routes that exist only on the dev server: the app page the callback redirects to, and the
//! scheduled sync on demand.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use lambda_runtime::LambdaEvent;
use serde_json::json;
use shared::AppState;
use shared::scheduled_sync::CronSummary;

use crate::gateway::{Gateway, lambda_context, message};

/// The cron function's deadline per run: its `Timeout` in template.yaml (a run stops taking
/// work 10 s before it).
pub const CRON_BUDGET: Duration = Duration::from_secs(300);

/// `GET /app/linked`: where `APP_REDIRECT_URL` points by default, so a browser walk through
/// connect → approve → callback ends on a readable page. It stands in for the app: after an
/// approval it completes the link (`POST /tarabut/complete` with the one-time code) as the dev
/// user typed in, the way the app does with its user's JWT.
pub async fn app_linked(Query(query): Query<BTreeMap<String, String>>) -> Html<String> {
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or("—");
    let rows: String = ["status", "connectionId", "error"]
        .iter()
        .map(|name| {
            format!(
                "<tr><th>{name}</th><td><code>{}</code></td></tr>",
                escape(field(name))
            )
        })
        .collect();
    let completion = match (query.get("intentId"), query.get("code")) {
        (Some(intent_id), Some(code)) if field("status") == "approved" => format!(
            "<form id=\"complete\"><p>Complete the link as dev user \
             <input name=\"user\" value=\"sara\"> <button>Complete</button></p></form>\
             <pre id=\"result\"></pre>\
             <script>\
             document.getElementById('complete').addEventListener('submit', async (e) => {{\
               e.preventDefault();\
               const user = new FormData(e.target).get('user');\
               const r = await fetch('/tarabut/complete', {{method: 'POST', headers: \
                 {{'authorization': 'Bearer dev:' + user, 'content-type': 'application/json'}}, \
                 body: JSON.stringify({{intentId: {intent_id}, code: {code}}})}});\
               document.getElementById('result').textContent = r.status + ' ' + await r.text();\
             }});\
             </script>",
            intent_id = js_string(intent_id),
            code = js_string(code),
        ),
        _ => String::new(),
    };
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Bank link: {status}</title></head>\
         <body><h1>Bank link: {status}</h1><table>{rows}</table>{completion}\
         <p>This page stands in for the app (<code>APP_REDIRECT_URL</code>). Next: \
         <code>POST /tarabut/sync</code> with <code>{{\"connectionId\": \"…\"}}</code>, then \
         <code>GET /finance/connections</code>.</p></body></html>",
        status = escape(field("status")),
    ))
}

/// A JavaScript string literal of `text` that cannot end the script element.
fn js_string(text: &str) -> String {
    serde_json::to_string(text)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `POST /_dev/cron`: one run of the scheduled sync, answered with its summary.
pub async fn cron(State(gateway): State<Arc<Gateway>>) -> Response {
    match run_cron(gateway.state.clone()).await {
        Ok(summary) => (StatusCode::OK, Json(summary)).into_response(),
        Err(error) => {
            tracing::error!(%error, "cron run failed");
            message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

/// Invokes the `cron-sync-banks` function with an EventBridge scheduled event, as the
/// schedule does.
pub async fn run_cron(state: Arc<AppState>) -> Result<CronSummary, lambda_runtime::Error> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let event = json!({
        "version": "0",
        "id": request_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": "local",
        "resources": ["arn:aws:events:local:000000000000:rule/dev-server-cron"],
        "detail": {}
    });
    let context = lambda_context("cron-sync-banks", &request_id, CRON_BUDGET);
    cron_sync_banks::handle(state, LambdaEvent::new(event, context)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_app_page_escapes_what_it_shows() {
        let query = BTreeMap::from([
            ("status".to_string(), "error".to_string()),
            ("error".to_string(), "<script>x</script>".to_string()),
        ]);
        let Html(page) = app_linked(Query(query)).await;
        assert!(page.contains("Bank link: error"));
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!page.contains("<script>"));
    }
}
