//! POST /finance/refresh `{connectionId?}`: accounts (new ones too), balances and
//! transactions of one or all of the caller's active connections.

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::audit::{self, Action, Event};
use shared::http::{self, Reply, respond};
use shared::sync::{self, RefreshRequest};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let body: RefreshRequest = http::json_body_or_default(&req)?;
        let connection_id = body.connection_id.clone();
        let refreshed = sync::refresh(state, &user, body, http::deadline(&req)).await?;
        let event = Event {
            connection_id: connection_id.as_deref(),
            request_id: http::request_id(&req),
            ..Event::default()
        };
        audit::change(state, &user, Action::Refresh, event).await;
        Reply::ok(&refreshed)
    })
    .await
}
