//! Starting the dev server: the sandbox, the store, the app state, the router; and the handle
//! that keeps them running.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use reqwest::Url;
use shared::AppState;
use shared::config::ConfigError;
use shared::secret::Secret;
use shared::secrets::{self, SecretStore, SecretsError, SecretsManagerStore, parse_tarabut_secret};
use shared::state::InitError;
use shared::store::{DynamoTable, MemoryTable, StoreError, Table, create_table};
use tarabut_sandbox::{RunningSandbox, SandboxConfig};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::dev_routes;
use crate::exports::{self, MemoryExports};
use crate::gateway::{self, Gateway, ServedBy};
use crate::options::{
    DEFAULT_CLIENT_ID, DEFAULT_TARABUT_SECRET_ID, DYNAMO_ENDPOINT_VAR, DevServerOptions,
    SECRETS_ENDPOINT_VAR, StoreChoice, Vars, own_callback_url,
};

#[derive(Debug, thiserror::Error)]
pub enum DevServerError {
    #[error("cannot listen on 127.0.0.1:{port} for the {what}: {source}")]
    Bind {
        what: &'static str,
        port: u16,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("building the app state: {0}")]
    Init(#[from] InitError),
    #[error("creating DynamoDB table {table}: {source}")]
    Table { table: String, source: StoreError },
    #[error(
        "{SECRETS_ENDPOINT_VAR} is not set: the dev server reads its secrets from a local Secrets Manager; run it with `make dev` (scripts/with-moto.sh starts one)"
    )]
    NoSecretsManager,
    #[error(transparent)]
    Secret(#[from] SecretsError),
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKind {
    Memory,
    Dynamo { table: String, endpoint: String },
}

impl std::fmt::Display for StoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreKind::Memory => f.write_str("in-memory table (emptied when the server stops)"),
            StoreKind::Dynamo { table, endpoint } => {
                write!(f, "DynamoDB table {table} at {endpoint}")
            }
        }
    }
}

/// A dev server and its sandbox serving on loopback ports. Dropping it stops both (without
/// waiting); `shutdown` stops them and waits for in-flight requests.
pub struct RunningDevServer {
    addr: SocketAddr,
    api_url: String,
    sandbox_url: String,
    /// `None` only while `shutdown` stops it.
    sandbox: Option<RunningSandbox>,
    state: Arc<AppState>,
    store: StoreKind,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    cron: Option<JoinHandle<()>>,
}

impl RunningDevServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the API base URL.
    pub fn url(&self) -> &str {
        &self.api_url
    }

    /// The in-process Tarabut sandbox (its control plane is under `/_sandbox`).
    pub fn sandbox_url(&self) -> &str {
        &self.sandbox_url
    }

    /// The state every handler is given (configuration, table, repositories).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    pub fn store(&self) -> &StoreKind {
        &self.store
    }

    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(cron) = self.cron.take() {
            cron.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        };
        if let Some(sandbox) = self.sandbox.take() {
            sandbox.shutdown().await?;
        }
        served
    }
}

impl Drop for RunningDevServer {
    fn drop(&mut self) {
        if let Some(cron) = self.cron.take() {
            cron.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the sandbox and the API on 127.0.0.1, in background tasks of the current runtime.
pub async fn serve(options: DevServerOptions) -> Result<RunningDevServer, DevServerError> {
    let listener = bind("API", options.port).await?;
    let addr = listener
        .local_addr()
        .map_err(|source| DevServerError::Bind {
            what: "API",
            port: options.port,
            source,
        })?;
    let api_url = format!("http://{addr}");
    // The secrets come from Secrets Manager as in a function; the sandbox is started with the
    // client secret stored there, so the functions' read is what makes the mints work.
    if std::env::var_os(SECRETS_ENDPOINT_VAR).is_none() {
        return Err(DevServerError::NoSecretsManager);
    }
    let secrets: Arc<dyn SecretStore> = Arc::new(SecretsManagerStore::from_env().await);
    let client_secret = {
        let id = options
            .vars
            .get("TARABUT_SECRET_ARN")
            .map_or(DEFAULT_TARABUT_SECRET_ID, |v| v.trim())
            .to_string();
        parse_tarabut_secret(&id, &secrets.secret_string(&id).await?)?
    };
    let sandbox = start_sandbox(&options, &api_url, &client_secret).await?;
    let vars = Vars::new(&options.vars, &api_url, sandbox.base_url());
    let config = vars.config()?;

    let (table, store): (Arc<dyn Table>, StoreKind) = match options.store {
        StoreChoice::Memory => (Arc::new(MemoryTable::new()), StoreKind::Memory),
        StoreChoice::Dynamo => {
            let table = DynamoTable::from_env(config.table_name.clone()).await;
            create_table(table.client(), table.table_name())
                .await
                .map_err(|source| DevServerError::Table {
                    table: config.table_name.clone(),
                    source,
                })?;
            let endpoint = std::env::var(DYNAMO_ENDPOINT_VAR)
                .unwrap_or_else(|_| "the AWS default endpoint".into());
            let kind = StoreKind::Dynamo {
                table: config.table_name.clone(),
                endpoint,
            };
            (Arc::new(table), kind)
        }
    };
    let exports = Arc::new(MemoryExports::new(&api_url));
    let state = AppState::new(config, table)?;
    secrets::install_tarabut_secret(&state, secrets.clone()).await?;
    let mut state = secrets::install_cursor_key(state, secrets).await?;
    state.exports = Some(exports.clone());
    let state = Arc::new(state);

    let gateway = Arc::new(Gateway {
        state: state.clone(),
        routes: options.routes,
        local_host: addr.to_string(),
        exports,
    });
    let app = router(gateway);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
    });
    let cron = options
        .cron_every
        .map(|every| tokio::spawn(cron_loop(state.clone(), every)));
    tracing::info!(api = %api_url, sandbox = sandbox.base_url(), store = %store, "dev-server started");
    Ok(RunningDevServer {
        addr,
        api_url,
        sandbox_url: sandbox.base_url().to_string(),
        sandbox: Some(sandbox),
        state,
        store,
        stop: Some(stop),
        task: Some(task),
        cron,
    })
}

async fn bind(what: &'static str, port: u16) -> Result<TcpListener, DevServerError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|source| DevServerError::Bind { what, port, source })
}

/// The sandbox, accepting the credentials the functions will use and redirecting to the
/// callback URL they register (the dev server's own unless overridden).
async fn start_sandbox(
    options: &DevServerOptions,
    api_url: &str,
    client_secret: &Secret,
) -> Result<RunningSandbox, DevServerError> {
    let given = |name: &str, default: &str| {
        options
            .vars
            .get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| default.to_string())
    };
    let own_callback = own_callback_url(api_url);
    let redirect = given("TARABUT_REDIRECT_URL", &own_callback);
    // The client sends the URL as `Url` prints it; the sandbox compares strings exactly.
    let mut redirect_urls = vec![own_callback.clone()];
    if let Ok(url) = Url::parse(&redirect) {
        redirect_urls.push(url.to_string());
    }
    redirect_urls.dedup();
    tarabut_sandbox::start(SandboxConfig {
        client_id: given("TARABUT_CLIENT_ID", DEFAULT_CLIENT_ID),
        client_secret: client_secret.expose().to_string(),
        redirect_urls,
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, options.sandbox_port)),
        ..SandboxConfig::default()
    })
    .await
    .map_err(|source| DevServerError::Bind {
        what: "Tarabut sandbox",
        port: options.sandbox_port,
        source,
    })
}

fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/app/linked", get(dev_routes::app_linked))
        .route("/_dev/cron", post(dev_routes::cron))
        .route("/_dev/exports/{*rest}", get(exports::serve))
        .fallback(gateway::handle)
        .layer(middleware::from_fn(log_request))
        .with_state(gateway)
}

/// One line per request: method, path (no query, no headers: nothing secret), status, time.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let function = response.extensions().get::<ServedBy>().map_or("-", |s| s.0);
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        function,
        "request"
    );
    response
}

async fn cron_loop(state: Arc<AppState>, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = dev_routes::run_cron(state.clone()).await {
            tracing::error!(%error, "scheduled cron run failed");
        }
    }
}
