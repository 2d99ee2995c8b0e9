//! The app state wired to a fresh table (in memory, or on the local DynamoDB) and an
//! in-process sandbox.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tarabut_sandbox::RunningSandbox;

use super::sandbox::{SandboxControl, TEST_REDIRECT_URL, start_sandbox};
use super::users::user;
use crate::AppState;
use crate::config::Config;
use crate::identity::UserId;
use crate::linking::{self, CallbackQuery, CompleteRequest, ConnectRequest};
use crate::secret::Secret;
use crate::store::{DynamoTable, Item, MemoryTable, Table, create_table};
use crate::time::{Clock, Deadline, ManualClock, SystemClock, Timestamp};

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

/// The deadline of a use case a test calls directly (30 s, an API Gateway request's budget).
pub fn deadline() -> Deadline {
    Deadline::after(Duration::from_secs(30))
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
        // Names of the secrets scripts/with-moto.sh seeds: a function process started by a
        // test reads them at init as a deployed one does. (In-process states are given the
        // same values directly: `test_state`.)
        ("TARABUT_SECRET_ARN".into(), LOCAL_TARABUT_SECRET_ID.into()),
        (
            "CURSOR_KEY_SECRET_ARN".into(),
            LOCAL_CURSOR_KEY_SECRET_ID.into(),
        ),
        ("TARABUT_REDIRECT_URL".into(), TEST_REDIRECT_URL.into()),
        (
            "APP_REDIRECT_URL".into(),
            "https://app.example.test/linked".into(),
        ),
        // Tests sync one user many times in a row; the limit's own tests turn it on.
        ("USER_SYNC_MIN_INTERVAL_SECS".into(), "0".into()),
    ]);
    for (k, v) in overrides {
        vars.insert((*k).into(), (*v).into());
    }
    vars
}

/// The local secrets scripts/with-moto.sh creates in moto's Secrets Manager (and `make dev`,
/// `make invoke` and `make smoke` read): their names, and the values they hold.
pub const LOCAL_TARABUT_SECRET_ID: &str = "finance-local/tarabut-client";
pub const LOCAL_CURSOR_KEY_SECRET_ID: &str = "finance-local/cursor-key";
/// The sandbox's default client secret.
pub const TEST_CLIENT_SECRET: &str = "sandbox-secret";
pub const TEST_CURSOR_KEY: &str = "local-cursor-key-not-a-secret-0123456789";

/// An app state built in process on `config`, given the test secrets directly (what a
/// function reads from Secrets Manager at init: `shared::secrets`, tested against moto in
/// `shared/tests/secrets.rs`).
pub fn test_state(config: Config, table: Arc<dyn Table>, clock: Arc<dyn Clock>) -> AppState {
    let mut state = AppState::with_clock(config, table, clock).expect("app state");
    state
        .tarabut
        .credential()
        .install(Secret::new(TEST_CLIENT_SECRET), None);
    state.cursor_key = Some(Secret::new(TEST_CURSOR_KEY));
    state
}

/// A Tarabut client of its own (another Lambda environment's), given the test client secret.
pub fn test_tarabut_client(
    settings: &crate::config::TarabutSettings,
) -> crate::tarabut::TarabutClient {
    let client = crate::tarabut::TarabutClient::new(settings).expect("Tarabut client");
    client
        .credential()
        .install(Secret::new(TEST_CLIENT_SECRET), None);
    client
}

/// The configuration of [`test_env_vars`].
pub fn test_config(table_name: &str, sandbox_base: &str, overrides: &[(&str, &str)]) -> Config {
    let vars = test_env_vars(table_name, sandbox_base, overrides);
    Config::from_lookup(|k| vars.get(k).cloned()).expect("test configuration")
}

/// A table a [`TestEnv`] can be built on: created empty for one test, and read back whole so
/// a test can compare the table before and after a request.
#[async_trait::async_trait]
pub trait TestTable: Table + Sized + 'static {
    /// A new, empty table no other test uses.
    async fn fresh() -> Self;

    /// The `TABLE_NAME` of the test configuration.
    fn name(&self) -> &str;

    /// Every item, sorted by key (`pk`, then `sk`).
    async fn dump(&self) -> Vec<Item>;
}

/// The embedded table: the default, no service needed.
#[async_trait::async_trait]
impl TestTable for MemoryTable {
    async fn fresh() -> MemoryTable {
        MemoryTable::new()
    }

    fn name(&self) -> &str {
        "memory"
    }

    async fn dump(&self) -> Vec<Item> {
        self.snapshot()
    }
}

/// A fresh table on the local DynamoDB ([`dynamo_table`]), for tests that prove something of
/// DynamoDB itself or share the table with other processes.
#[async_trait::async_trait]
impl TestTable for DynamoTable {
    async fn fresh() -> DynamoTable {
        dynamo_table().await
    }

    fn name(&self) -> &str {
        self.table_name()
    }

    /// A Scan: tests only; the app never scans.
    async fn dump(&self) -> Vec<Item> {
        let mut items = self.scan_all().await.expect("scan");
        items.sort_by(|a, b| (a.get("pk"), a.get("sk")).cmp(&(b.get("pk"), b.get("sk"))));
        items
    }
}

/// The app state of one test: a fresh table (in memory unless the test asks for DynamoDB), an
/// in-process sandbox and its control plane.
pub struct TestEnv<T: TestTable = MemoryTable> {
    pub sandbox: RunningSandbox,
    pub control: SandboxControl,
    pub table: Arc<T>,
    pub state: Arc<AppState>,
}

/// A [`TestEnv`] on the local DynamoDB (`AWS_ENDPOINT_URL_DYNAMODB`).
pub type DynamoEnv = TestEnv<DynamoTable>;

impl TestEnv<MemoryTable> {
    /// The test configuration on a fresh in-memory table.
    pub async fn start() -> TestEnv {
        TestEnv::with_overrides(&[]).await
    }

    /// [`TestEnv::start`] with variables replaced or added (e.g. `("TOKEN_LEASE_SECS", "2")`).
    pub async fn with_overrides(overrides: &[(&str, &str)]) -> TestEnv {
        TestEnv::on(MemoryTable::fresh().await, overrides).await
    }

    /// [`TestEnv::start`] with the app's clock stopped at the host's time now: every time the
    /// app stores is then `env.state.clock.now()`, or a known span from it. (The sandbox keeps
    /// the host's clock.)
    pub async fn with_stopped_clock() -> TestEnv {
        TestEnv::with_clock_stopped_at(SystemClock.now()).await
    }

    /// [`TestEnv::with_stopped_clock`] at `at`: a time off the host's is the app's clock
    /// skewed from Tarabut's (the sandbox keeps the host's).
    pub async fn with_clock_stopped_at(at: Timestamp) -> TestEnv {
        let clock = ManualClock::at(at);
        TestEnv::on_clock(MemoryTable::fresh().await, &[], Arc::new(clock)).await
    }
}

impl TestEnv<DynamoTable> {
    /// The test configuration on a fresh table on the local DynamoDB.
    pub async fn on_dynamodb() -> DynamoEnv {
        TestEnv::with_overrides_on_dynamodb(&[]).await
    }

    /// [`TestEnv::on_dynamodb`] with variables replaced or added.
    pub async fn with_overrides_on_dynamodb(overrides: &[(&str, &str)]) -> DynamoEnv {
        TestEnv::on(DynamoTable::fresh().await, overrides).await
    }
}

impl<T: TestTable> TestEnv<T> {
    /// The test configuration (with `overrides`) on `table` and a new sandbox.
    pub async fn on(table: T, overrides: &[(&str, &str)]) -> TestEnv<T> {
        TestEnv::on_clock(table, overrides, Arc::new(SystemClock)).await
    }

    /// [`TestEnv::on`] with the app reading "now" from `clock`.
    pub async fn on_clock(
        table: T,
        overrides: &[(&str, &str)],
        clock: Arc<dyn Clock>,
    ) -> TestEnv<T> {
        let (sandbox, control) = start_sandbox().await;
        let table = Arc::new(table);
        let config = test_config(table.name(), sandbox.base_url(), overrides);
        let state = Arc::new(test_state(config, table.clone(), clock));
        TestEnv {
            sandbox,
            control,
            table,
            state,
        }
    }

    /// The app state with `store` as its export store (before the state is shared).
    pub fn with_exports(mut self, store: Arc<dyn crate::export::ExportStore>) -> TestEnv<T> {
        Arc::get_mut(&mut self.state)
            .expect("with_exports before the state is shared")
            .exports = Some(store);
        self
    }

    /// The app state with another cursor key (another deployment's), before it is shared.
    pub fn with_cursor_key(mut self, key: &str) -> TestEnv<T> {
        Arc::get_mut(&mut self.state)
            .expect("with_cursor_key before the state is shared")
            .cursor_key = Some(Secret::new(key));
        self
    }

    /// Every item of the table, sorted by key.
    pub async fn dump(&self) -> Vec<Item> {
        self.table.dump().await
    }

    /// The consent id of `sub`'s connection `id`.
    pub async fn consent_of(&self, sub: &str, id: &str) -> String {
        self.state
            .connections
            .get(&user(sub), id)
            .await
            .expect("reading the connection")
            .unwrap_or_else(|| panic!("no connection {id} of {sub}"))
            .consent_id
            .unwrap_or_else(|| panic!("connection {id} has no consent"))
    }

    /// Stores, as version 1, a token Tarabut never issued that expired `ago` ago: the state in
    /// which every caller needs a fresh token.
    pub async fn store_expired_token(&self, user: &UserId, ago: Duration) {
        let repo = crate::token::TokenRepo::new(self.table.clone());
        let now = self.state.clock.now();
        let lease = crate::token::Lease {
            id: "seed".into(),
            owner: "test".into(),
            expires_at: now + Duration::from_secs(10),
            length: None,
        };
        let first = crate::token::ClaimGuard {
            stale_lease: None,
            seen_version: None,
        };
        assert!(
            repo.claim(user, &lease, &first, now)
                .await
                .expect("seed claim")
        );
        let expired = crate::secret::Secret::new("expired");
        let token = crate::token::NewToken {
            secret: &expired,
            // An hour-long token that ran out `ago` ago.
            issued_at: now - ago - Duration::from_secs(3600),
            expires_at: now - ago,
            version: 1,
        };
        let committed = repo
            .commit(user, "seed", &token)
            .await
            .expect("seed commit");
        assert!(committed);
    }

    /// Makes the stored token look minted `age` ago (the refresh window scales with a token's
    /// lifetime: a freshly minted short token is outside it, the same token "minted an hour
    /// ago" with two minutes left is inside it).
    pub async fn backdate_token(&self, user: &UserId, age: Duration) {
        let key = crate::store::Key::new(format!("USER#{}", user.as_str()), "TOKEN#tarabut");
        let then = self.state.clock.now() - age;
        self.table
            .update(
                &key,
                &[crate::store::Update::set(
                    "refreshed_at",
                    crate::store::Value::N(then.millis()),
                )],
                Some(&crate::store::Cond::exists("version")),
            )
            .await
            .expect("backdating the token");
        // The process's own cache still has the token as it was minted.
        self.state.tokens.forget_cached(user);
    }

    /// `sub`'s Tarabut token, through the token manager (a test reading the sandbox as the app
    /// would).
    pub async fn token_of(&self, sub: &str) -> crate::secret::Secret {
        self.state
            .tokens
            .access_token(&super::users::user(sub), super::deadline())
            .await
            .expect("a token")
            .secret
    }

    /// Makes `sub`'s connection `id` due a minute ago by this environment's clock, keeping
    /// everything else as it is (a link's first sync makes it due later).
    pub async fn make_due(&self, sub: &str, id: &str) {
        let mut conn = self
            .state
            .connections
            .get(&user(sub), id)
            .await
            .expect("reading the connection")
            .expect("the connection exists");
        conn.next_sync_at = Some(self.state.clock.now() - Duration::from_secs(60));
        self.state
            .connections
            .save(&conn)
            .await
            .expect("saving the connection");
    }

    /// Links both demo banks for `user`: BLUE (Bahrain, BHD current + savings) and RED (Saudi
    /// Arabia, SAR current + credit card), with their year of history synced.
    pub async fn link_demo_banks(&self, user: &UserId) -> [String; 2] {
        [self.link(user, "BLUE").await, self.link(user, "RED").await]
    }

    /// Links a bank for `user` the way a browser and the app would: connect, approve on the
    /// sandbox's connect page, the callback, then the app's completion with the code. Returns
    /// the connection id.
    pub async fn link(&self, user: &UserId, provider: &str) -> String {
        let deadline = Deadline::after(Duration::from_secs(60));
        let created = linking::connect(
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
        let query = self.approve(&created.connect_url).await;
        assert_eq!(
            query.get("status").map(String::as_str),
            Some("approved"),
            "{query:?}"
        );
        let completed = linking::complete(
            &self.state,
            user,
            CompleteRequest {
                intent_id: query["intentId"].clone(),
                code: query["code"].clone(),
            },
            deadline,
        )
        .await
        .expect("complete");
        assert_eq!(completed.connection_id, created.connection_id);
        completed.connection_id
    }

    /// A browser approving at Tarabut's connect page and following the redirect to our
    /// callback: the query of the callback's redirect to the app (`status`, `intentId`,
    /// `connectionId`, `code` or `error`).
    pub async fn approve(&self, connect_url: &str) -> HashMap<String, String> {
        let answer = self.control.answer_connect(connect_url, true, None).await;
        self.callback(&answer).await
    }

    /// Our callback hit with `pairs` (what Tarabut's redirect carried): the app redirect's query.
    pub async fn callback(&self, pairs: &[(String, String)]) -> HashMap<String, String> {
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let location = linking::callback(
            &self.state,
            CallbackQuery {
                intent_id: get("intentId"),
                status: get("status"),
                error: get("error"),
            },
            Deadline::after(Duration::from_secs(60)),
        )
        .await;
        location.query_pairs().into_owned().collect()
    }
}
