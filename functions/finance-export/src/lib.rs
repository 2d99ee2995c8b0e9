//! POST /finance/export (body empty or `{}`): a complete copy of what the backend holds for
//! the caller, written to S3 as one JSON document; answers `201 {url, expiresAt, bytes}` with a
//! presigned GET URL valid for `EXPORT_URL_TTL_SECS`.

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::export::{self, ExportRequest};
use shared::http::{self, Reply, respond};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let body: ExportRequest = http::json_body_or_default(&req)?;
        let receipt = export::export(state, &user, body, http::request_id(&req)).await?;
        Reply::created(&receipt)
    })
    .await
}
