//! GET /finance/insights/income: Income by source per month (`from`, `to`, `accountId?`, `refresh?`).

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::http::{self, Reply, respond};
use shared::insights::{self, IncomeParams};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let user = http::caller(&req)?;
        let params: IncomeParams = http::query(&req)?;
        let report = insights::income(state, &user, params, http::deadline(&req)).await?;
        Reply::ok(&report)
    })
    .await
}
