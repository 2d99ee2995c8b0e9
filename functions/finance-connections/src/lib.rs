//! GET /finance/connections: the caller's connections with status and last sync.

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::audit::{self, Action, Event};
use shared::connections;
use shared::http::{self, Reply, respond};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let list = connections::list(state, &user).await?;
        let event = Event {
            request_id: http::request_id(&req),
            ..Event::default()
        };
        audit::read(state, &user, Action::ListConnections, event).await?;
        Reply::ok(&list)
    })
    .await
}
