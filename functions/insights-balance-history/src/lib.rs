//! GET /finance/insights/balance-history: A daily balance series per account and in total (`from`, `to`, `accountId?`, `currency?` of the total, `refresh?`).

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::http::{self, Reply, respond};
use shared::insights::{self, BalanceHistoryParams};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let user = http::caller(&req)?;
        let params: BalanceHistoryParams = http::query(&req)?;
        let report = insights::balance_history(state, &user, params, http::deadline(&req)).await?;
        Reply::ok(&report)
    })
    .await
}
