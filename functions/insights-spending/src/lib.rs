//! GET /finance/insights/spending: Spending by category or merchant per month (`from`, `to` half-open, `groupBy=category|merchant`, `accountId?`, `refresh?`).

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::http::{self, Reply, respond};
use shared::insights::{self, SpendingParams};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let user = http::caller(&req)?;
        let params: SpendingParams = http::query(&req)?;
        let report = insights::spending(state, &user, params, http::deadline(&req)).await?;
        Reply::ok(&report)
    })
    .await
}
