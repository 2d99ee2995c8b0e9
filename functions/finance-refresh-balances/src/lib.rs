//! POST /finance/refresh-balances: live balances of all the caller's accounts, one snapshot
//! per account.

use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::AppState;
use shared::audit::{self, Action, Event};
use shared::http::{self, Reply, respond};
use shared::sync;

/// The route takes no fields; a body, if any, must be an empty JSON object.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let _: NoFields = http::json_body_or_default(&req)?;
        let balances = sync::refresh_balances(state, &user, http::deadline(&req)).await?;
        let event = Event {
            request_id: http::request_id(&req),
            ..Event::default()
        };
        audit::change(state, &user, Action::RefreshBalances, event).await;
        Reply::ok(&balances)
    })
    .await
}
