//! POST /tarabut/sync `{connectionId}`: incremental transactions (every page) and balances of
//! one of the caller's connections.

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::audit::{self, Action, Event};
use shared::http::{self, Reply, respond};
use shared::sync::{self, SyncRequest};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let body: SyncRequest = http::json_body(&req)?;
        let summary = sync::sync_one(state, &user, body, http::deadline(&req)).await?;
        let event = Event {
            connection_id: Some(&summary.connection_id),
            request_id: http::request_id(&req),
            ..Event::default()
        };
        audit::change(state, &user, Action::Sync, event).await;
        Reply::ok(&summary)
    })
    .await
}
