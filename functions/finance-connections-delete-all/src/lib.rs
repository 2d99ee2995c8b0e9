//! DELETE /finance/connections: revokes every consent of the caller at Tarabut and erases all
//! of their banking data (connections, accounts, transactions, balances, token). Idempotent.

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::audit::{self, Action, Event};
use shared::connections;
use shared::http::{self, Reply, respond};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        connections::delete_all(state, &user, http::deadline(&req)).await?;
        let event = Event {
            request_id: http::request_id(&req),
            ..Event::default()
        };
        audit::change(state, &user, Action::DeleteAllConnections, event).await;
        Ok(Reply::NoContent)
    })
    .await
}
