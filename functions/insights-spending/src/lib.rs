//! GET /finance/insights/spending: Spending by category or merchant per month (`from`, `to` half-open, `groupBy=category|merchant`, `accountId?`, `refresh?`).

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::http::{self, Reply, respond};
use shared::reports::{self, Params};

/// The query parameters this route takes; any other is a 400.
pub const PARAMETERS: &[&str] = &["from", "to", "groupBy", "accountId", "refresh"];

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let user = http::caller(&req)?;
        let params = Params::new(http::query_pairs(&req), PARAMETERS)?;
        let report = reports::spending(state, &user, &params, http::deadline(&req)).await?;
        Reply::ok(&report)
    })
    .await
}
