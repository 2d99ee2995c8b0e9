//! GET /finance/transactions: the caller's transactions, newest first, a page at a time
//! (`accountId`, `from`, `to`, `direction`, `category`, `limit`, `cursor`).

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::audit::{self, Action, Event};
use shared::http::{self, Reply, respond};
use shared::transactions::{self, TransactionParams};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let params: TransactionParams = http::query(&req)?;
        let account_id = params.account_id.clone();
        let page = transactions::list(state, &user, params).await?;
        let event = Event {
            account_id: account_id.as_deref(),
            request_id: http::request_id(&req),
            ..Event::default()
        };
        audit::read(state, &user, Action::ListTransactions, event).await?;
        Reply::ok(&page)
    })
    .await
}
