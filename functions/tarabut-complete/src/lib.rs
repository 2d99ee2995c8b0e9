//! POST /tarabut/complete: the app presents the callback's one-time code; the connection
//! becomes active only for the user who started the link (docs/architecture.md §3.5).

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::http::{self, Reply, respond};
use shared::linking::{self, CompleteRequest};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let body: CompleteRequest = http::json_body(&req)?;
        let completed = linking::complete(state, &user, body, http::deadline(&req)).await?;
        Reply::ok(&completed)
    })
    .await
}
