//! The Lambda Runtime API the function process talks to, on 127.0.0.1.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::error::InvokeError;

/// Lambda's limit on a synchronous invoke's request and response payloads, in bytes.
pub const PAYLOAD_LIMIT: usize = 6_291_556;

const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";

/// An event waiting for the function's next `GET /invocation/next`.
#[derive(Debug)]
pub(crate) struct QueuedEvent {
    pub request_id: String,
    pub deadline_epoch_ms: i64,
    pub trace_id: String,
    pub payload: Bytes,
}

/// What the function told the Runtime API, in the order it happened.
#[derive(Debug)]
pub(crate) enum RuntimeEvent {
    /// The function asked for work: init is over (first time) or it is idle again.
    NextRequested,
    Response {
        request_id: String,
        body: Bytes,
    },
    FunctionError {
        request_id: String,
        error_type: String,
        error_message: String,
    },
    InitError {
        error_type: String,
        error_message: String,
    },
}

impl RuntimeEvent {
    /// What kind of call this was, for logs (bodies may hold tokens: they are never logged).
    pub fn kind(&self) -> &'static str {
        match self {
            RuntimeEvent::NextRequested => "invocation/next",
            RuntimeEvent::Response { .. } => "invocation response",
            RuntimeEvent::FunctionError { .. } => "invocation error",
            RuntimeEvent::InitError { .. } => "init error",
        }
    }
}

/// A running Runtime API. Dropping it stops accepting connections; a pending
/// `invocation/next` then answers 500, which tells a runtime to exit.
pub(crate) struct RuntimeApi {
    pub addr: SocketAddr,
    pub queue: mpsc::Sender<QueuedEvent>,
    pub events: mpsc::UnboundedReceiver<RuntimeEvent>,
    server: JoinHandle<()>,
}

struct ApiState {
    queue: tokio::sync::Mutex<mpsc::Receiver<QueuedEvent>>,
    /// The request id handed out and not yet answered; results for other ids are refused.
    in_flight: Mutex<Option<String>>,
    events: mpsc::UnboundedSender<RuntimeEvent>,
    function_arn: HeaderValue,
}

/// Binds the Runtime API's port on the loopback interface only.
pub(crate) async fn bind() -> Result<TcpListener, InvokeError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|e| InvokeError::io("binding the Runtime API on 127.0.0.1", e))
}

impl RuntimeApi {
    pub(crate) fn serve(listener: TcpListener, function_arn: &str) -> Result<Self, InvokeError> {
        let addr = listener
            .local_addr()
            .map_err(|e| InvokeError::io("reading the Runtime API address", e))?;
        let function_arn = HeaderValue::from_str(function_arn).map_err(|_| {
            InvokeError::io(
                "building the function ARN",
                std::io::Error::other("the function name or region is not a valid header value"),
            )
        })?;
        let (queue_tx, queue_rx) = mpsc::channel(1);
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let state = Arc::new(ApiState {
            queue: tokio::sync::Mutex::new(queue_rx),
            in_flight: Mutex::new(None),
            events: events_tx,
            function_arn,
        });
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route(
                "/2018-06-01/runtime/invocation/{request_id}/response",
                post(invocation_response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{request_id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .layer(DefaultBodyLimit::max(PAYLOAD_LIMIT))
            .with_state(state);
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "the Runtime API server stopped");
            }
        });
        Ok(RuntimeApi {
            addr,
            queue: queue_tx,
            events: events_rx,
            server,
        })
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next_invocation(State(state): State<Arc<ApiState>>) -> Response {
    // One poller at a time takes the next event, as Lambda runs one invocation at a time.
    let mut queue = state.queue.lock().await;
    let _ = state.events.send(RuntimeEvent::NextRequested);
    let Some(event) = queue.recv().await else {
        return api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ContainerError",
            "the local Runtime API is shutting down",
        );
    };
    *lock(&state.in_flight) = Some(event.request_id.clone());
    tracing::debug!(request_id = %event.request_id, "event handed to the function");

    let mut response = event.payload.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    insert_text(headers, "lambda-runtime-aws-request-id", &event.request_id);
    insert_text(
        headers,
        "lambda-runtime-deadline-ms",
        &event.deadline_epoch_ms.to_string(),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        state.function_arn.clone(),
    );
    insert_text(headers, "lambda-runtime-trace-id", &event.trace_id);
    response
}

async fn invocation_response(
    State(state): State<Arc<ApiState>>,
    Path(request_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !finish_in_flight(&state, &request_id) {
        return invalid_request_id();
    }
    let event = match body {
        Ok(body) => RuntimeEvent::Response { request_id, body },
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            // What Lambda answers the caller when a function returns too much.
            let _ = state.events.send(RuntimeEvent::FunctionError {
                request_id,
                error_type: "Function.ResponseSizeTooLarge".to_string(),
                error_message: format!(
                    "Response payload size exceeded maximum allowed payload size ({PAYLOAD_LIMIT} bytes)."
                ),
            });
            return api_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "response payload too large",
            );
        }
        Err(rejection) => RuntimeEvent::FunctionError {
            request_id,
            error_type: "Runtime.InvalidResponse".to_string(),
            error_message: format!("could not read the response body: {rejection}"),
        },
    };
    let _ = state.events.send(event);
    accepted()
}

async fn invocation_error(
    State(state): State<Arc<ApiState>>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !finish_in_flight(&state, &request_id) {
        return invalid_request_id();
    }
    let (error_type, error_message) = read_diagnostic(&headers, body);
    let _ = state.events.send(RuntimeEvent::FunctionError {
        request_id,
        error_type,
        error_message,
    });
    accepted()
}

async fn init_error(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (error_type, error_message) = read_diagnostic(&headers, body);
    let _ = state.events.send(RuntimeEvent::InitError {
        error_type,
        error_message,
    });
    accepted()
}

/// The runtime's `{errorType, errorMessage}` body. `lambda_runtime` puts the useful type in
/// the body and a generic one (`unhandled`) in the header, so the body wins.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Diagnostic {
    error_type: Option<String>,
    error_message: Option<String>,
}

fn read_diagnostic(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> (String, String) {
    let header_type = headers
        .get(ERROR_TYPE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = body.unwrap_or_default();
    match serde_json::from_slice::<Diagnostic>(&body) {
        Ok(diagnostic) => (
            diagnostic
                .error_type
                .or(header_type)
                .unwrap_or_else(|| "Unknown".to_string()),
            diagnostic.error_message.unwrap_or_default(),
        ),
        Err(_) => (
            header_type.unwrap_or_else(|| "Unknown".to_string()),
            String::from_utf8_lossy(&body).into_owned(),
        ),
    }
}

/// Clears the in-flight id if it is `request_id`; false for an unknown or answered id.
fn finish_in_flight(state: &ApiState, request_id: &str) -> bool {
    let mut in_flight = lock(&state.in_flight);
    if in_flight.as_deref() == Some(request_id) {
        *in_flight = None;
        true
    } else {
        tracing::warn!(request_id, "result for a request id that is not in flight");
        false
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn insert_text(headers: &mut HeaderMap, name: &'static str, value: &str) {
    // Our own ids and numbers: always valid header text.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, axum::Json(json!({"status": "OK"}))).into_response()
}

fn invalid_request_id() -> Response {
    api_error(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        "Invalid request ID",
    )
}

fn api_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"errorType": error_type, "errorMessage": message})),
    )
        .into_response()
}
