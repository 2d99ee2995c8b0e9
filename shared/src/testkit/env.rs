//! The app state wired to a fresh table on the local DynamoDB and an in-process sandbox.

use std::collections::HashMap;
use std::sync::Arc;

use tarabut_sandbox::RunningSandbox;

use super::sandbox::{SandboxControl, TEST_REDIRECT_URL, start_sandbox};
use crate::AppState;
use crate::config::Config;
use crate::deadline::Deadline;
use crate::identity::UserId;
use crate::store::{DynamoTable, Item, create_table};
use crate::sync::link::{self, CallbackQuery, ConnectRequest};

/// A new, empty table with a unique name on the DynamoDB API at `AWS_ENDPOINT_URL_DYNAMODB`
/// (dynalite, started by `make test`). Without that endpoint the test fails loudly: tests
/// never skip because a service is missing, and never touch a real AWS account.
pub async fn dynamo_table() -> DynamoTable {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost"),
        "AWS_ENDPOINT_URL_DYNAMODB must point at a local DynamoDB (got {endpoint:?}); \
         run the tests with `make test` (scripts/with-dynalite.sh)"
    );
    let name = format!("test-{}", uuid::Uuid::new_v4().simple());
    let table = DynamoTable::from_env(name.clone()).await;
    create_table(table.client(), &name)
        .await
        .unwrap_or_else(|e| panic!("creating table {name}: {e}"));
    table
}

/// The environment a function would get, pointing at the sandbox; `overrides` replace or add
/// variables (e.g. `("TOKEN_LEASE_SECS", "2")`).
pub fn test_env_vars(
    table_name: &str,
    sandbox_base: &str,
    overrides: &[(&str, &str)],
) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("TABLE_NAME".into(), table_name.into()),
        ("TARABUT_BASE_URL".into(), sandbox_base.into()),
        (
            "TARABUT_TOKEN_URL".into(),
            format!("{sandbox_base}/oauth/token"),
        ),
        ("TARABUT_CLIENT_ID".into(), "sandbox-client".into()),
        ("TARABUT_CLIENT_SECRET".into(), "sandbox-secret".into()),
        ("TARABUT_REDIRECT_URL".into(), TEST_REDIRECT_URL.into()),
        (
            "APP_REDIRECT_URL".into(),
            "https://app.example.test/linked".into(),
        ),
    ]);
    for (k, v) in overrides {
        vars.insert((*k).into(), (*v).into());
    }
    vars
}

/// The configuration of [`test_env_vars`].
pub fn test_config(table_name: &str, sandbox_base: &str, overrides: &[(&str, &str)]) -> Config {
    let vars = test_env_vars(table_name, sandbox_base, overrides);
    Config::from_lookup(|k| vars.get(k).cloned()).expect("test configuration")
}

/// Every item of the table (a Scan: tests only; the app never scans), sorted by key.
pub async fn dump(table: &DynamoTable) -> Vec<Item> {
    let mut items = table.scan_all().await.expect("scan");
    items.sort_by(|a, b| (a.get("pk"), a.get("sk")).cmp(&(b.get("pk"), b.get("sk"))));
    items
}

pub struct TestEnv {
    pub sandbox: RunningSandbox,
    pub control: SandboxControl,
    pub table: Arc<DynamoTable>,
    pub state: Arc<AppState>,
}

impl TestEnv {
    pub async fn start() -> TestEnv {
        TestEnv::with_overrides(&[]).await
    }

    pub async fn with_overrides(overrides: &[(&str, &str)]) -> TestEnv {
        let (sandbox, control) = start_sandbox().await;
        let table = Arc::new(dynamo_table().await);
        let config = test_config(table.table_name(), sandbox.base_url(), overrides);
        let state = Arc::new(AppState::new(config, table.clone()).expect("app state"));
        TestEnv {
            sandbox,
            control,
            table,
            state,
        }
    }

    pub async fn dump(&self) -> Vec<Item> {
        dump(&self.table).await
    }

    /// Stores, as version 1, a token Tarabut never issued that expired `ago_ms` ago: the state
    /// in which every caller needs a fresh token.
    pub async fn store_expired_token(&self, user: &UserId, ago_ms: i64) {
        let repo = crate::token::TokenRepo::new(self.table.clone());
        let now = crate::token::now_ms();
        let lease = crate::token::Lease {
            id: "seed".into(),
            owner: "test".into(),
            expires_at: now + 10_000,
        };
        assert!(
            repo.claim(user, &lease, None, now)
                .await
                .expect("seed claim")
        );
        let expired = crate::secret::Secret::new("expired");
        let committed = repo
            .commit(user, "seed", &expired, now - ago_ms, now)
            .await
            .expect("seed commit");
        assert!(committed);
    }

    /// Links both demo banks for `user`: BLUE (Bahrain, BHD current + savings) and RED (Saudi
    /// Arabia, SAR current + credit card), with their year of history synced.
    pub async fn link_demo_banks(&self, user: &UserId) -> [String; 2] {
        [self.link(user, "BLUE").await, self.link(user, "RED").await]
    }

    /// Links a bank for `user` the way a browser would: connect, approve on the sandbox's
    /// connect page, then the callback. Returns the connection id.
    pub async fn link(&self, user: &UserId, provider: &str) -> String {
        let deadline = Deadline::after(std::time::Duration::from_secs(60));
        let created = link::connect(
            &self.state,
            user,
            ConnectRequest {
                provider_id: Some(provider.to_string()),
                ..ConnectRequest::default()
            },
            deadline,
        )
        .await
        .expect("connect");
        let answer = self
            .control
            .answer_connect(&created.connect_url, true, None)
            .await;
        let get = |k: &str| answer.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let location = link::callback(
            &self.state,
            CallbackQuery {
                intent_id: get("intentId"),
                status: get("status"),
                error: get("error"),
            },
            deadline,
        )
        .await;
        let query: HashMap<String, String> = location.query_pairs().into_owned().collect();
        assert_eq!(
            query.get("status").map(String::as_str),
            Some("connected"),
            "{location}"
        );
        query["connectionId"].clone()
    }
}
