//! GET /finance/insights/income: Income by source per month (`from`, `to`, `accountId?`, `refresh?`).

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::audit::{self, Action, Event};
use shared::http::{self, Reply, respond};
use shared::insights::{self, IncomeParams};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let params: IncomeParams = http::query(&req)?;
        let account_id = params.account_id.clone();
        let report = insights::income(state, &user, params, http::deadline(&req)).await?;
        let event = Event {
            account_id: account_id.as_deref(),
            request_id: http::request_id(&req),
            ..Event::default()
        };
        audit::read(state, &user, Action::Income, event).await?;
        Reply::ok(&report)
    })
    .await
}
