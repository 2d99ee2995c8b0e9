//! What a function builds once per cold start and shares across invocations.

use std::sync::Arc;

use crate::audit::AuditRepo;
use crate::banking::{AccountRepo, BalanceRepo, ConnectionRepo, IntentRepo, TransactionRepo};
use crate::config::{Config, ConfigError};
use crate::export::ExportStore;
use crate::quota::LimitRepo;
use crate::secret::Secret;
use crate::store::{DynamoTable, Table};
use crate::tarabut::{TarabutClient, TarabutError};
use crate::time::{Clock, SystemClock};
use crate::token::TokenManager;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("building the Tarabut client: {0}")]
    Tarabut(#[from] TarabutError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretsError),
}

pub struct AppState {
    pub config: Config,
    pub table: Arc<dyn Table>,
    /// Where every use case reads "now" (tests set it).
    pub clock: Arc<dyn Clock>,
    pub tarabut: TarabutClient,
    pub tokens: TokenManager,
    pub connections: ConnectionRepo,
    pub intents: IntentRepo,
    pub accounts: AccountRepo,
    pub transactions: TransactionRepo,
    pub balances: BalanceRepo,
    pub limits: LimitRepo,
    pub audit: AuditRepo,
    /// Where exports are written: set only by the export function's wiring
    /// ([`crate::export::with_s3`]), the dev server and tests; `None` elsewhere.
    pub exports: Option<Arc<dyn ExportStore>>,
    /// The transaction list's cursor key: installed at init by that function's wiring
    /// ([`crate::secrets::with_cursor_key`]), the dev server and tests; `None` elsewhere.
    pub cursor_key: Option<Secret>,
    /// The AWS SDK configuration [`AppState::from_env`] loaded (region, credentials, HTTP
    /// client): the clients a function's wiring adds (S3, Secrets Manager) reuse it rather than
    /// load it again at init. `None` when the state was built otherwise (tests, dev server).
    pub aws: Option<aws_config::SdkConfig>,
}

impl AppState {
    /// Configuration from the environment and a DynamoDB table (the SDK honours
    /// `AWS_ENDPOINT_URL_DYNAMODB` for a local DynamoDB). A bad variable fails here, naming it.
    pub async fn from_env() -> Result<AppState, InitError> {
        let config = Config::from_env()?;
        let aws = aws_config::load_from_env().await;
        let table = DynamoTable::from_sdk_config(&aws, config.table_name.clone());
        let mut state = AppState::new(config, Arc::new(table))?;
        state.aws = Some(aws);
        Ok(state)
    }

    /// The AWS SDK configuration for another client: the one loaded at init, else loaded now.
    pub async fn aws_config(&self) -> aws_config::SdkConfig {
        match &self.aws {
            Some(loaded) => loaded.clone(),
            None => aws_config::load_from_env().await,
        }
    }

    /// [`AppState::from_env`] for a function's `main`: a failure is logged (naming the bad
    /// variable) before it ends the init.
    pub async fn init() -> Result<AppState, InitError> {
        AppState::from_env()
            .await
            .inspect_err(|e| tracing::error!(error = %e, "init failed"))
    }

    pub fn new(config: Config, table: Arc<dyn Table>) -> Result<AppState, InitError> {
        AppState::with_clock(config, table, Arc::new(SystemClock))
    }

    pub fn with_clock(
        config: Config,
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
    ) -> Result<AppState, InitError> {
        let tarabut = TarabutClient::new(&config.tarabut)?;
        let owner = std::env::var("AWS_LAMBDA_LOG_STREAM_NAME")
            .unwrap_or_else(|_| format!("pid-{}", std::process::id()));
        let tokens = TokenManager::new(
            table.clone(),
            tarabut.clone(),
            &config.token,
            clock.clone(),
            owner,
        );
        Ok(AppState {
            connections: ConnectionRepo::new(table.clone()),
            intents: IntentRepo::new(table.clone()),
            accounts: AccountRepo::new(table.clone()),
            transactions: TransactionRepo::new(table.clone(), config.retention),
            balances: BalanceRepo::new(table.clone(), config.retention),
            limits: LimitRepo::new(table.clone()),
            audit: AuditRepo::new(table.clone(), config.audit_retention),
            exports: None,
            cursor_key: None,
            aws: None,
            tokens,
            tarabut,
            table,
            clock,
            config,
        })
    }

    pub fn tarabut(&self) -> &TarabutClient {
        &self.tarabut
    }
}
