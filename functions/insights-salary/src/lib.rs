//! GET /finance/insights/salary: Salary detection across the caller's accounts (`refresh?`, `corroborate?` with Tarabut's own salary endpoint).

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::audit::{self, Action, Event};
use shared::http::{self, Reply, respond};
use shared::insights::{self, SalaryParams};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let params: SalaryParams = http::query(&req)?;
        let report = insights::salary(state, &user, params, http::deadline(&req)).await?;
        let event = Event {
            request_id: http::request_id(&req),
            ..Event::default()
        };
        audit::read(state, &user, Action::Salary, event).await?;
        Reply::ok(&report)
    })
    .await
}
