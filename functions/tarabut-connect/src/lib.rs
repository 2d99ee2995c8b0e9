//! POST /tarabut/connect: creates a Tarabut intent for the caller and a pending connection.

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::http::{self, Reply, respond};
use shared::linking::{self, ConnectRequest};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let body: ConnectRequest = http::json_body_or_default(&req)?;
        let created = linking::connect(state, &user, body, http::deadline(&req)).await?;
        Reply::created(&created)
    })
    .await
}
