//! The API Gateway stand-in: matches the route, plays the JWT authorizer, enforces the payload
//! limit, builds the payload 2.0 event, invokes the function's `handle` with a Lambda context,
//! and answers with the function's response, or with API Gateway's own error answers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body as AxumBody, HttpBody};
use axum::extract::{ConnectInfo, Request as AxumRequest, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response as AxumResponse};
use chrono::Utc;
use lambda_http::{Context, RequestExt};
use serde_json::json;
use shared::AppState;

use crate::auth::{self, Refusal};
use crate::event::{GatewayRequest, api_gateway_event};
use crate::routes::{self, Access, Route};

/// API Gateway's request payload limit (HTTP APIs): 10 MB.
pub const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;
/// The Lambda deadline given to each invocation: the functions' `Timeout` in template.yaml,
/// under API Gateway's 30 s integration timeout, so a handler honouring its deadline answers
/// before the gateway gives up.
pub const LAMBDA_BUDGET: Duration = Duration::from_secs(29);
/// How long the gateway waits for a function before answering 503 itself.
pub const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Gateway {
    pub state: Arc<AppState>,
    pub routes: &'static [Route],
    /// `127.0.0.1:PORT` of the dev server, for requests whose `Host` is unusable.
    pub local_host: String,
    /// The documents `POST /finance/export` wrote (the state's export store).
    pub exports: Arc<crate::exports::MemoryExports>,
}

/// The function that served a request, for the request log.
#[derive(Clone, Copy)]
pub struct ServedBy(pub &'static str);

pub async fn handle(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: AxumRequest,
) -> AxumResponse {
    let (parts, body) = request.into_parts();
    let raw_path = parts.uri.path();
    let Some(matched) = routes::find(gateway.routes, parts.method.as_str(), raw_path) else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    let route = matched.route;
    let claims = match route.access {
        Access::Public => None,
        Access::Jwt => match auth::dev_subject(&parts.headers) {
            Ok(sub) => Some(HashMap::from([
                ("sub".to_string(), sub),
                ("iss".to_string(), "dev-server".to_string()),
            ])),
            Err(refusal) => return unauthorized(refusal),
        },
    };
    let body = match read_body(body, MAX_PAYLOAD_BYTES).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
        }
        Err(BodyError::Broken) => return message(StatusCode::BAD_REQUEST, "Bad Request"),
    };

    let request_id = uuid::Uuid::new_v4().to_string();
    let route_key = route.route_key();
    let event = api_gateway_event(&GatewayRequest {
        method: parts.method.as_str(),
        raw_path,
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body: &body,
        source_ip: peer.ip(),
        fallback_host: &gateway.local_host,
        route_key: &route_key,
        path_parameters: &matched.path_parameters,
        claims,
        request_id: &request_id,
        received_at: Utc::now(),
    });

    let mut response = invoke(&gateway.state, route, event.to_string(), &request_id).await;
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("apigw-requestid", id);
    }
    response.extensions_mut().insert(ServedBy(route.function));
    response
}

/// Runs the function in its own task, as Lambda runs it in its own process: a panic or a
/// returned error is a 500 from the gateway, a function past the integration timeout a 503.
async fn invoke(
    state: &Arc<AppState>,
    route: &'static Route,
    event_json: String,
    request_id: &str,
) -> AxumResponse {
    let context = lambda_context(route.function, request_id, LAMBDA_BUDGET);
    let state = state.clone();
    let task = tokio::spawn(async move {
        // Parsed by lambda_http, as the runtime parses the invocation payload.
        let request = lambda_http::request::from_str(&event_json)
            .map_err(|e| format!("lambda_http refused the event: {e}"))?
            .with_lambda_context(context);
        (route.handler)(state, request)
            .await
            .map_err(|e| format!("function returned an error: {e}"))
    });
    match tokio::time::timeout(INTEGRATION_TIMEOUT, task).await {
        Ok(Ok(Ok(response))) => into_axum(response),
        Ok(Ok(Err(error))) => {
            tracing::error!(function = route.function, %error, "invocation failed");
            message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Ok(Err(join_error)) => {
            tracing::error!(function = route.function, error = %join_error, "function panicked");
            message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Err(_) => {
            tracing::error!(function = route.function, "integration timed out");
            message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
        }
    }
}

/// A Lambda context whose deadline is `budget` from now.
pub fn lambda_context(function: &str, request_id: &str, budget: Duration) -> Context {
    let now_ms = Utc::now().timestamp_millis().max(0) as u64;
    let mut context = Context::default();
    context.request_id = request_id.to_string();
    context.deadline = now_ms + budget.as_millis() as u64;
    context.invoked_function_arn = format!("arn:aws:lambda:local:000000000000:function:{function}");
    context
}

fn into_axum(response: lambda_http::Response<lambda_http::Body>) -> AxumResponse {
    let (parts, body) = response.into_parts();
    let bytes: &[u8] = body.as_ref();
    AxumResponse::from_parts(parts, AxumBody::from(bytes.to_vec()))
}

/// API Gateway's own answers: `{"message": "..."}` as JSON.
pub fn message(status: StatusCode, text: &str) -> AxumResponse {
    (status, axum::Json(json!({ "message": text }))).into_response()
}

fn unauthorized(refusal: Refusal) -> AxumResponse {
    let mut response = message(StatusCode::UNAUTHORIZED, "Unauthorized");
    let challenge = match refusal {
        Refusal::Missing => "Bearer",
        Refusal::Invalid => "Bearer error=\"invalid_token\"",
    };
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}

enum BodyError {
    TooLarge,
    Broken,
}

/// Past the limit, this much more is read and discarded so that a client still sending its
/// body gets the 413 rather than a reset connection; beyond it the connection is dropped.
const DRAIN_BYTES: usize = 2 * MAX_PAYLOAD_BYTES;

/// The whole body, kept while it stays within `limit` (a chunked body declares no length, so
/// the count is what arrives).
async fn read_body(mut body: AxumBody, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut bytes = Vec::new();
    let mut received = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(frame) = frame else {
            return Err(if received > limit {
                BodyError::TooLarge
            } else {
                BodyError::Broken
            });
        };
        if let Ok(data) = frame.into_data() {
            received = received.saturating_add(data.len());
            if received <= limit {
                bytes.extend_from_slice(&data);
            } else if received > limit.saturating_add(DRAIN_BYTES) {
                break;
            } else {
                bytes = Vec::new();
            }
        }
    }
    if received > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(bytes)
}
