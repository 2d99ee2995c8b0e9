//! GET /finance/accounts: the caller's accounts on live connections, with the latest balance
//! and a masked IBAN.

use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::AppState;
use shared::accounts;
use shared::audit::{self, Action, Event};
use shared::http::{self, Reply, respond};

/// The route takes no parameters; one given is a client mistake, not something to ignore.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoParams {}

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let _: NoParams = http::query(&req)?;
        let list = accounts::list(state, &user).await?;
        let event = Event {
            request_id: http::request_id(&req),
            ..Event::default()
        };
        audit::read(state, &user, Action::ListAccounts, event).await?;
        Reply::ok(&list)
    })
    .await
}
