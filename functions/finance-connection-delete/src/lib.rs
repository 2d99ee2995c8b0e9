//! DELETE /finance/connections/{id}: revokes the consent at Tarabut, then erases the
//! connection's data. Idempotent; another user's id is 404.

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::audit::{self, Action, Event};
use shared::connections;
use shared::error::UseCaseError;
use shared::http::{self, Reply, respond};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        let user = http::caller(&req)?;
        let id = http::path_param(&req, "id").ok_or(UseCaseError::NotFound("connection"))?;
        connections::delete(state, &user, id, http::deadline(&req)).await?;
        let event = Event {
            connection_id: Some(id),
            request_id: http::request_id(&req),
            ..Event::default()
        };
        audit::change(state, &user, Action::DeleteConnection, event).await;
        Ok(Reply::NoContent)
    })
    .await
}
