//! GET /finance/insights/salary: Salary detection across the caller's accounts (`refresh?`, `corroborate?` with Tarabut's own salary endpoint).

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::http::{self, Reply, respond};
use shared::reports::{self, Params};

/// The query parameters this route takes; any other is a 400.
pub const PARAMETERS: &[&str] = &["refresh", "corroborate"];

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let user = http::caller(&req)?;
        let params = Params::new(http::query_pairs(&req), PARAMETERS)?;
        let report = reports::salary(state, &user, &params, http::deadline(&req)).await?;
        Reply::ok(&report)
    })
    .await
}
