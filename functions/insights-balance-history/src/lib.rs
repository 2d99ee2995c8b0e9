//! GET /finance/insights/balance-history: A daily balance series per account and in total (`from`, `to`, `accountId?`, `currency?` of the total, `refresh?`).

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::audit::{self, Action, Event};
use shared::http::{self, Reply, respond};
use shared::insights::{self, BalanceHistoryParams};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let params: BalanceHistoryParams = http::query(&req)?;
        let account_id = params.account_id.clone();
        let report = insights::balance_history(state, &user, params, http::deadline(&req)).await?;
        let event = Event {
            account_id: account_id.as_deref(),
            request_id: http::request_id(&req),
            ..Event::default()
        };
        audit::read(state, &user, Action::BalanceHistory, event).await?;
        Reply::ok(&report)
    })
    .await
}
