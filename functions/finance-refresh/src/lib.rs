//! POST /finance/refresh `{connectionId?}`: accounts (new ones too), balances and
//! transactions of one or all of the caller's active connections.

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::http::{self, Reply, respond};
use shared::sync::{self, RefreshRequest};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let user = http::caller(&req)?;
        let body: RefreshRequest = http::json_body_or_default(&req)?;
        let refreshed = sync::refresh(state, &user, body, http::deadline(&req)).await?;
        Reply::ok(&refreshed)
    })
    .await
}
