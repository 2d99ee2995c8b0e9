//! Router assembly and the in-process server handle.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{MAX_PAGE_SIZE, SandboxConfig, Settings};
use crate::error::ApiError;
use crate::handlers::{accounts, connect, consents, intent, providers, salary, transactions};
use crate::state::{AppState, SharedState};
use crate::{auth, control};

fn router(state: SharedState) -> Router {
    Router::new()
        .route("/oauth/token", post(auth::mint))
        .route("/v1/providers", get(providers::list))
        .route("/accountInformation/v1/intent", post(intent::create))
        .route("/accountInformation/v1/intent/{intentId}", get(intent::get))
        .route("/accountInformation/v2/accounts", get(accounts::list))
        .route(
            "/accountInformation/v2/accounts/{accountId}/balances",
            get(accounts::balances_cached),
        )
        .route(
            "/accountInformation/v2/accounts/{accountId}/balances/refresh",
            get(accounts::balances_refresh),
        )
        .route(
            "/accountInformation/v2/accounts/{accountId}/transactions",
            get(transactions::list),
        )
        .route(
            "/consentInformation/v1/consents/{consentId}",
            delete(consents::revoke),
        )
        .route("/insights/v1/salary", get(salary::list))
        .route("/connect/{intentId}", get(connect::show))
        .route("/connect/{intentId}/approve", get(connect::approve))
        .route("/connect/{intentId}/deny", get(connect::deny))
        .merge(control::routes())
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this endpoint",
            )
        })
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// One line per request; the path only (no query, no headers: nothing secret is logged).
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// A sandbox serving on a loopback port. Dropping it stops the server (without waiting);
/// `shutdown` stops it and waits for in-flight requests.
pub struct RunningSandbox {
    addr: SocketAddr,
    base_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSandbox {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the Tarabut API host to configure in a client.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `base_url() + "/oauth/token"`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.base_url)
    }

    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `cfg.bind` and serves in a background task of the current Tokio runtime.
pub async fn start(cfg: SandboxConfig) -> std::io::Result<RunningSandbox> {
    if !(1..=MAX_PAGE_SIZE).contains(&cfg.page_size) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("page_size must be within 1..={MAX_PAGE_SIZE}"),
        ));
    }
    let listener = TcpListener::bind(cfg.bind).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let state = Arc::new(AppState::new(
        base_url.clone(),
        cfg.today,
        Settings::from(&cfg),
    ));
    let app = router(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(%addr, "tarabut-sandbox started");
    Ok(RunningSandbox {
        addr,
        base_url,
        stop: Some(stop),
        task: Some(task),
    })
}
