//! How to run a dev server, and the function configuration it derives: the same `Config` the
//! functions read, with defaults pointing at the in-process sandbox and at the dev server
//! itself; variables given (the process environment, for the binary) override them.

use std::collections::HashMap;
use std::time::Duration;

use shared::config::{Config, ConfigError};

use crate::routes::{ROUTES, Route};

pub const DEFAULT_PORT: u16 = 3000;
pub const DEFAULT_SANDBOX_PORT: u16 = 8600;
pub const DEFAULT_TABLE_NAME: &str = "finance-local";
/// The sandbox's default credentials (`SandboxConfig::default()`).
pub const DEFAULT_CLIENT_ID: &str = "sandbox-client";
/// The secrets scripts/with-moto.sh creates in its local Secrets Manager (`make dev` runs
/// the server inside it): the client secret and the cursor key are read from there at start,
/// by the functions' own init code (`shared::secrets`), never from a variable.
pub const DEFAULT_TARABUT_SECRET_ID: &str = "finance-local/tarabut-client";
pub const DEFAULT_CURSOR_KEY_SECRET_ID: &str = "finance-local/cursor-key";
pub const SECRETS_ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_SECRETS_MANAGER";
pub const DYNAMO_ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_DYNAMODB";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice {
    /// The embedded `MemoryTable` (gone when the process ends).
    Memory,
    /// `DynamoTable::from_env(TABLE_NAME)` (the SDK reads `AWS_ENDPOINT_URL_DYNAMODB`,
    /// region and credentials from the process environment); the table is created if missing.
    Dynamo,
}

impl StoreChoice {
    /// DynamoDB when `AWS_ENDPOINT_URL_DYNAMODB` is set, else memory.
    pub fn from_vars(vars: &HashMap<String, String>) -> StoreChoice {
        match vars.get(DYNAMO_ENDPOINT_VAR) {
            Some(v) if !v.trim().is_empty() => StoreChoice::Dynamo,
            _ => StoreChoice::Memory,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DevServerOptions {
    /// API port on 127.0.0.1 (0 = any free port).
    pub port: u16,
    /// Sandbox port on 127.0.0.1 (0 = any free port).
    pub sandbox_port: u16,
    pub store: StoreChoice,
    /// Function variables (`TABLE_NAME`, `TARABUT_*`, `APP_REDIRECT_URL`, `TOKEN_*`, …) that
    /// override the defaults. Only these are read: tests pass a map, the binary its env.
    pub vars: HashMap<String, String>,
    /// Runs the scheduled sync this often, besides `POST /_dev/cron`.
    pub cron_every: Option<Duration>,
    /// The route table; [`ROUTES`] (docs/architecture.md §3) unless a test mounts its own.
    pub routes: &'static [Route],
}

impl Default for DevServerOptions {
    fn default() -> Self {
        DevServerOptions {
            port: DEFAULT_PORT,
            sandbox_port: DEFAULT_SANDBOX_PORT,
            store: StoreChoice::Memory,
            vars: HashMap::new(),
            cron_every: None,
            routes: ROUTES,
        }
    }
}

impl DevServerOptions {
    /// Ephemeral ports, the memory store, no overrides: what tests start.
    pub fn ephemeral() -> DevServerOptions {
        DevServerOptions {
            port: 0,
            sandbox_port: 0,
            ..DevServerOptions::default()
        }
    }

    pub fn var(mut self, name: &str, value: &str) -> DevServerOptions {
        self.vars.insert(name.to_string(), value.to_string());
        self
    }
}

/// The variables in effect: the given ones, else the dev defaults.
pub(crate) struct Vars<'a> {
    given: &'a HashMap<String, String>,
    defaults: HashMap<&'static str, String>,
}

impl<'a> Vars<'a> {
    /// Defaults for a dev server at `api_url` using the sandbox at `sandbox_url`.
    pub fn new(given: &'a HashMap<String, String>, api_url: &str, sandbox_url: &str) -> Vars<'a> {
        let defaults = HashMap::from([
            ("TABLE_NAME", DEFAULT_TABLE_NAME.to_string()),
            ("TARABUT_BASE_URL", sandbox_url.to_string()),
            ("TARABUT_TOKEN_URL", format!("{sandbox_url}/oauth/token")),
            ("TARABUT_CLIENT_ID", DEFAULT_CLIENT_ID.to_string()),
            ("TARABUT_SECRET_ARN", DEFAULT_TARABUT_SECRET_ID.to_string()),
            ("TARABUT_REDIRECT_URL", own_callback_url(api_url)),
            ("APP_REDIRECT_URL", format!("{api_url}/app/linked")),
            (
                "CURSOR_KEY_SECRET_ARN",
                DEFAULT_CURSOR_KEY_SECRET_ID.to_string(),
            ),
        ]);
        Vars { given, defaults }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.given
            .get(name)
            .cloned()
            .or_else(|| self.defaults.get(name).cloned())
    }

    pub fn config(&self) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| self.get(name))
    }
}

pub fn own_callback_url(api_url: &str) -> String {
    format!("{api_url}/tarabut/callback")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_point_at_the_sandbox_and_the_dev_server() {
        let given = HashMap::new();
        let vars = Vars::new(&given, "http://127.0.0.1:3000", "http://127.0.0.1:8600");
        let c = vars.config().unwrap();
        assert_eq!(c.table_name, "finance-local");
        assert_eq!(c.tarabut.base_url.as_str(), "http://127.0.0.1:8600/");
        assert_eq!(
            c.tarabut.token_url.as_str(),
            "http://127.0.0.1:8600/oauth/token"
        );
        assert_eq!(
            c.tarabut.redirect_url.as_str(),
            "http://127.0.0.1:3000/tarabut/callback"
        );
        assert_eq!(
            c.app_redirect_url.as_str(),
            "http://127.0.0.1:3000/app/linked"
        );
        assert_eq!(c.tarabut.client_id, "sandbox-client");
    }

    #[test]
    fn given_variables_override_and_bad_ones_are_named() {
        let given = HashMap::from([
            ("TABLE_NAME".to_string(), "other".to_string()),
            ("SYNC_CONCURRENCY".to_string(), "4".to_string()),
        ]);
        let c = Vars::new(&given, "http://127.0.0.1:3000", "http://127.0.0.1:8600")
            .config()
            .unwrap();
        assert_eq!(c.table_name, "other");
        assert_eq!(c.sync_concurrency, 4);

        let given = HashMap::from([("APP_REDIRECT_URL".to_string(), "nope".to_string())]);
        let err = Vars::new(&given, "http://127.0.0.1:3000", "http://127.0.0.1:8600")
            .config()
            .unwrap_err();
        assert_eq!(err.variable, "APP_REDIRECT_URL");
    }

    #[test]
    fn the_store_follows_the_dynamodb_endpoint_variable() {
        let mut vars = HashMap::new();
        assert_eq!(StoreChoice::from_vars(&vars), StoreChoice::Memory);
        vars.insert(DYNAMO_ENDPOINT_VAR.to_string(), " ".to_string());
        assert_eq!(StoreChoice::from_vars(&vars), StoreChoice::Memory);
        vars.insert(
            DYNAMO_ENDPOINT_VAR.to_string(),
            "http://127.0.0.1:8000".to_string(),
        );
        assert_eq!(StoreChoice::from_vars(&vars), StoreChoice::Dynamo);
    }
}
