//! GET /tarabut/callback: Tarabut's browser redirect after consent. Unauthenticated: the
//! stored intent binding says whose it is. Always answers 302 to the app.

use lambda_http::{Body, Error, Request, Response};
use shared::AppState;
use shared::http::{self, Reply, respond};
use shared::linking::{self, CallbackQuery};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, Error> {
    respond(&req, async {
        // A parameter given twice is ambiguous: treat the callback as malformed.
        let query = read_query(&req).unwrap_or_default();
        let location = linking::callback(state, query, http::deadline(&req)).await;
        Ok(Reply::Redirect {
            location: location.to_string(),
        })
    })
    .await
}

fn read_query(req: &Request) -> Result<CallbackQuery, shared::http::HttpError> {
    let intent_id = match http::query_param(req, "intentId")? {
        Some(id) => Some(id),
        None => http::query_param(req, "tgIntentId")?,
    };
    Ok(CallbackQuery {
        intent_id: intent_id.map(str::to_string),
        status: http::query_param(req, "status")?.map(str::to_string),
        error: http::query_param(req, "error")?.map(str::to_string),
    })
}
