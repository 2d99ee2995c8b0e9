//! Every function binary run under AWS's Runtime Interface Emulator with its
//! `events/<name>.json`, against a fresh table on the local DynamoDB, a fresh bucket on the
//! local S3 and an in-process Tarabut sandbox (`make test` runs it under scripts/with-rie.sh,
//! scripts/with-moto.sh and scripts/with-dynalite.sh).
//!
//! Which binaries: by default the host's debug builds, built from the test with `cargo build
//! --package <fn>... --message-format=json-render-diagnostics`, their paths read from cargo's
//! `compiler-artifact` messages. With `INVOKE_FUNCTIONS_DIR=target/lambda` (what `make smoke`
//! sets) the deployed artifacts instead, `<dir>/<fn>/bootstrap`, run through
//! `INVOKE_THROUGH` (qemu-user for the arm64 bootstraps on an x86_64 host).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use invoke::{
    CapturedOutput, FunctionSpec, InvokeError, OutputMode, Runner, Session, StartOptions,
    load_env_file, logical_id_for,
};
use serde_json::{Value, json};
use shared::store::{ItemExt, Table};
use shared::testkit::{
    ALICE, DynamoEnv, Event, TestEnv, export_bucket, export_keys, test_env_vars, user,
    workspace_root,
};
use shared::time::{Clock, SystemClock};

const FUNCTIONS: [&str; 17] = [
    "tarabut-connect",
    "tarabut-callback",
    "tarabut-complete",
    "tarabut-sync",
    "finance-connections",
    "finance-accounts",
    "finance-transactions",
    "finance-connection-delete",
    "finance-connections-delete-all",
    "finance-export",
    "finance-refresh",
    "finance-refresh-balances",
    "cron-sync-banks",
    "insights-spending",
    "insights-income",
    "insights-salary",
    "insights-balance-history",
];

/// The path of a function binary: a packaged bootstrap under `INVOKE_FUNCTIONS_DIR`, or the
/// host's debug build, all of them built once per test run.
fn binary(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("INVOKE_FUNCTIONS_DIR") {
        let bootstrap = workspace_root().join(dir).join(name).join("bootstrap");
        assert!(
            bootstrap.is_file(),
            "{} is missing: run `make package` first",
            bootstrap.display()
        );
        return bootstrap;
    }
    static BUILT: OnceLock<Result<HashMap<String, PathBuf>, String>> = OnceLock::new();
    match BUILT.get_or_init(build_functions) {
        Ok(built) => built
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no binary named {name}: {built:?}")),
        Err(message) => panic!("building the functions failed: {message}"),
    }
}

fn build_functions() -> Result<HashMap<String, PathBuf>, String> {
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(["build", "--message-format=json-render-diagnostics"]);
    for name in FUNCTIONS {
        cargo.args(["--package", name]);
    }
    let output = cargo
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo build exited with {}", output.status));
    }
    let mut built = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let is_bin = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"));
        if message["reason"] == "compiler-artifact"
            && is_bin
            && let (Some(name), Some(executable)) = (
                message["target"]["name"].as_str(),
                message["executable"].as_str(),
            )
        {
            built.insert(name.to_string(), PathBuf::from(executable));
        }
    }
    Ok(built)
}

/// What a function gets: `events/env.json` (Parameters and its own block), then the test's
/// table and sandbox, and the local DynamoDB and Secrets Manager this test process was given.
fn environment(env: &DynamoEnv, function: &str) -> Vec<(String, String)> {
    let file = workspace_root().join("events/env.json");
    let mut vars = load_env_file(&file, &logical_id_for(function)).expect("events/env.json");
    let mut ours: Vec<(String, String)> =
        test_env_vars(env.table.table_name(), env.sandbox.base_url(), &[])
            .into_iter()
            .collect();
    ours.sort();
    vars.extend(ours);
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .expect("AWS_ENDPOINT_URL_DYNAMODB: run under scripts/with-dynalite.sh");
    vars.push(("AWS_ENDPOINT_URL_DYNAMODB".into(), endpoint));
    // The secrets the functions read at init (seeded by scripts/with-moto.sh).
    let secrets = std::env::var("AWS_ENDPOINT_URL_SECRETS_MANAGER")
        .expect("AWS_ENDPOINT_URL_SECRETS_MANAGER: run under scripts/with-moto.sh");
    vars.push(("AWS_ENDPOINT_URL_SECRETS_MANAGER".into(), secrets));
    vars
}

/// What hosts the functions: AWS's Runtime Interface Emulator (`INVOKE_EMULATOR`, set by
/// scripts/with-rie.sh), through `INVOKE_THROUGH` when set.
fn runner() -> Runner {
    let emulator = std::env::var_os("INVOKE_EMULATOR")
        .expect("INVOKE_EMULATOR: run under scripts/with-rie.sh (make test does)");
    Runner::rie(
        emulator,
        &std::env::var("INVOKE_THROUGH").unwrap_or_default(),
    )
}

fn options(output: &CapturedOutput) -> StartOptions {
    StartOptions {
        output: OutputMode::Capture(output.clone()),
        // Debug builds, or arm64 under qemu, on a shared machine: room for a slow init.
        init_timeout: Duration::from_secs(60),
        runner: runner(),
    }
}

/// A running function and everything it printed.
struct Running {
    function: String,
    session: Session,
    output: CapturedOutput,
}

async fn start(env: &DynamoEnv, function: &str) -> Running {
    start_with(env, function, &[]).await
}

/// [`start`] with variables added to (or replacing) the function's environment.
async fn start_with(env: &DynamoEnv, function: &str, extra: &[(&str, &str)]) -> Running {
    let mut vars = environment(env, function);
    vars.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let spec = FunctionSpec::new(binary(function))
        .envs(vars)
        // Debug builds on a shared machine: room for a slow answer, never a timed assertion.
        .timeout(Duration::from_secs(60));
    let output = CapturedOutput::new();
    let session = Session::start_with(spec, options(&output))
        .await
        .unwrap_or_else(|e| panic!("{function} did not start: {e}"));
    Running {
        function: function.to_string(),
        session,
        output,
    }
}

impl Running {
    /// Invokes with an event and returns the function's response payload.
    async fn invoke(&mut self, event: Value) -> Value {
        let invocation = self.session.invoke(event).await.unwrap();
        let response = invocation
            .outcome
            .response()
            .unwrap_or_else(|| panic!("a function error: {:?}", invocation.outcome))
            .clone();
        assert_no_secrets(&response.to_string());
        response
    }

    /// Stops the process; nothing it logged holds a secret. With `INVOKE_INIT_REPORT` set
    /// (`make smoke` sets it), appends the init time the emulator reported to that file.
    async fn stop(self) {
        self.session.shutdown().await;
        assert_no_secrets(&self.output.stdout());
        assert_no_secrets(&self.output.stderr());
        if let Some(path) = std::env::var_os("INVOKE_INIT_REPORT") {
            record_init(&path, &self.function, &self.output.stderr());
        }
    }
}

/// The emulator logs `INIT REPORT(durationMs: 12.3)` once the function's init is done.
fn record_init(path: &std::ffi::OsStr, function: &str, emulator_log: &str) {
    use std::io::Write;
    let Some(ms) = emulator_log
        .lines()
        .find_map(|l| l.split("INIT REPORT(durationMs: ").nth(1))
        .and_then(|rest| rest.split(')').next())
    else {
        panic!("{function}: no INIT REPORT in the emulator's log:\n{emulator_log}");
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("INVOKE_INIT_REPORT");
    writeln!(file, "{function} {ms}").expect("INVOKE_INIT_REPORT");
}

fn assert_no_secrets(text: &str) {
    for needle in ["sandbox-secret", "sbx_"] {
        assert!(!text.contains(needle), "{needle:?} in {text}");
    }
}

/// An API Gateway (payload 2.0) response: its status and its body as JSON (or `Null`).
fn http_answer(response: &Value) -> (u64, Value) {
    let status = response["statusCode"]
        .as_u64()
        .unwrap_or_else(|| panic!("not an API Gateway response: {response}"));
    let body = response["body"]
        .as_str()
        .filter(|b| !b.is_empty())
        .map(|b| serde_json::from_str(b).unwrap_or_else(|e| panic!("{e}: {b}")))
        .unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn tarabut_connect_answers_201_and_stores_a_pending_connection() {
    let env = TestEnv::on_dynamodb().await;
    let mut f = start(&env, "tarabut-connect").await;
    let (status, body) = http_answer(&f.invoke(Event::load("tarabut-connect").0).await);
    assert_eq!(status, 201, "{body}");
    let id = body["connectionId"].as_str().unwrap();
    let conn = env
        .state
        .connections
        .get(&user(ALICE), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conn.status.as_str(), "pending");
    // The same process again, now without claims.
    let refused = f
        .invoke(Event::load("negative/tarabut-connect.no-claims").0)
        .await;
    assert_eq!(http_answer(&refused).0, 401);
    f.stop().await;
}

#[tokio::test]
async fn tarabut_callback_redirects_an_unknown_intent_with_status_error() {
    let env = TestEnv::on_dynamodb().await;
    let mut f = start(&env, "tarabut-callback").await;
    let response = f.invoke(Event::load("tarabut-callback").0).await;
    assert_eq!(http_answer(&response).0, 302, "{response}");
    let location = response["headers"]["location"].as_str().unwrap();
    assert!(
        location.starts_with("https://app.example.test/linked?"),
        "{location}"
    );
    assert!(location.contains("status=error"), "{location}");
    assert!(location.contains("error=unknown_intent"), "{location}");
    assert!(env.dump().await.is_empty());
    f.stop().await;
}

/// The whole link through the binaries: connect, the approval at the sandbox, the callback's
/// redirect with the code, and the completion by the same user.
#[tokio::test]
async fn tarabut_complete_activates_the_link_its_own_user_started() {
    let env = TestEnv::on_dynamodb().await;
    let mut connect = start(&env, "tarabut-connect").await;
    let (status, created) = http_answer(&connect.invoke(Event::load("tarabut-connect").0).await);
    assert_eq!(status, 201, "{created}");
    connect.stop().await;
    let query = env.approve(created["connectUrl"].as_str().unwrap()).await;
    assert_eq!(query["status"], "approved", "{query:?}");
    let mut f = start(&env, "tarabut-complete").await;
    let body = json!({ "intentId": query["intentId"], "code": query["code"] }).to_string();
    // Bob presents Alice's code: refused.
    let (status, problem) = http_answer(
        &f.invoke(
            Event::load("tarabut-complete")
                .user(shared::testkit::BOB)
                .body(&body)
                .0,
        )
        .await,
    );
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["type"], "/problems/forbidden");
    let refused = f
        .invoke(Event::load("negative/tarabut-complete.no-claims").0)
        .await;
    assert_eq!(http_answer(&refused).0, 401);
    f.stop().await;
    // The refusal revoked the consent: the link is over for Alice too.
    let conn = env
        .state
        .connections
        .get(&user(ALICE), created["connectionId"].as_str().unwrap())
        .await
        .unwrap();
    assert!(conn.is_none(), "{conn:?}");
}

#[tokio::test]
async fn tarabut_sync_syncs_a_linked_connection() {
    let env = TestEnv::on_dynamodb().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let mut f = start(&env, "tarabut-sync").await;
    let event = Event::load("tarabut-sync").body(&json!({ "connectionId": id }).to_string());
    let (status, body) = http_answer(&f.invoke(event.0).await);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["connectionId"], id.as_str());
    assert_eq!(body["accounts"], 2);
    // The fixture's own id was never created.
    let (status, body) = http_answer(&f.invoke(Event::load("tarabut-sync").0).await);
    assert_eq!(status, 404, "{body}");
    f.stop().await;
}

#[tokio::test]
async fn finance_connections_lists_the_callers_connections() {
    let env = TestEnv::on_dynamodb().await;
    let id = env.link(&user(ALICE), "RED").await;
    let mut f = start(&env, "finance-connections").await;
    let (status, body) = http_answer(&f.invoke(Event::load("finance-connections").0).await);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["connections"][0]["connectionId"], id.as_str());
    assert_eq!(body["connections"][0]["status"], "active");
    f.stop().await;
}

/// The two read routes over a linked bank: the accounts with a masked IBAN, a page of
/// transactions newest first at the event's limit, with a cursor to the next page.
#[tokio::test]
async fn finance_accounts_and_transactions_list_what_the_sync_stored() {
    let env = TestEnv::on_dynamodb().await;
    let alice = user(ALICE);
    let id = env.link(&alice, "BLUE").await;
    let stored = env.state.accounts.list(&alice).await.unwrap();
    let mut f = start(&env, "finance-accounts").await;
    let (status, body) = http_answer(&f.invoke(Event::load("finance-accounts").0).await);
    assert_eq!(status, 200, "{body}");
    let accounts = body["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), stored.len(), "{body}");
    assert!(accounts.iter().all(|a| a["connectionId"] == id.as_str()));
    assert!(
        accounts.iter().all(|a| a["maskedIban"]
            .as_str()
            .is_none_or(|m| m.starts_with("•••• "))),
        "{body}"
    );
    f.stop().await;

    let mut f = start(&env, "finance-transactions").await;
    let (status, body) = http_answer(&f.invoke(Event::load("finance-transactions").0).await);
    assert_eq!(status, 200, "{body}");
    let rows = body["transactions"].as_array().unwrap();
    // The event asks for 50; the sandbox's year holds more.
    assert_eq!(rows.len(), 50, "{body}");
    let dates: Vec<&str> = rows
        .iter()
        .map(|r| r["bookedAt"].as_str().unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {dates:?}"
    );
    assert!(body["nextCursor"].is_string(), "{body}");
    let refused = f
        .invoke(Event::load("negative/finance-transactions.no-claims").0)
        .await;
    assert_eq!(http_answer(&refused).0, 401);
    f.stop().await;
}

#[tokio::test]
async fn finance_connection_delete_erases_a_linked_connection() {
    let env = TestEnv::on_dynamodb().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let mut f = start(&env, "finance-connection-delete").await;
    let mut event = Event::load("finance-connection-delete").path_param("id", &id);
    event.0["rawPath"] = json!(format!("/finance/connections/{id}"));
    event.0["requestContext"]["http"]["path"] = event.0["rawPath"].clone();
    let response = f.invoke(event.0).await;
    assert_eq!(http_answer(&response).0, 204, "{response}");
    let conn = env
        .state
        .connections
        .get(&user(ALICE), &id)
        .await
        .unwrap()
        .unwrap();
    assert!(conn.deleted_at.is_some());
    assert!(
        env.state
            .accounts
            .list(&user(ALICE))
            .await
            .unwrap()
            .is_empty()
    );
    // The fixture's own id was never created.
    let response = f.invoke(Event::load("finance-connection-delete").0).await;
    assert_eq!(http_answer(&response).0, 404, "{response}");
    f.stop().await;
}

#[tokio::test]
async fn finance_connections_delete_all_erases_every_connection_and_the_token() {
    let env = TestEnv::on_dynamodb().await;
    env.link(&user(ALICE), "BLUE").await;
    env.link(&user(ALICE), "RED").await;
    let mut f = start(&env, "finance-connections-delete-all").await;
    let response = f
        .invoke(Event::load("finance-connections-delete-all").0)
        .await;
    assert_eq!(http_answer(&response).0, 204, "{response}");
    let connections = env.state.connections.list(&user(ALICE)).await.unwrap();
    assert_eq!(connections.len(), 2);
    assert!(connections.iter().all(|c| c.deleted_at.is_some()));
    assert!(
        env.state
            .accounts
            .list(&user(ALICE))
            .await
            .unwrap()
            .is_empty()
    );
    let token = shared::store::Key::new(format!("USER#{ALICE}"), "TOKEN#tarabut");
    assert!(env.table.get(&token, true).await.unwrap().is_none());
    let response = f
        .invoke(Event::load("negative/finance-connections-delete-all.no-claims").0)
        .await;
    assert_eq!(http_answer(&response).0, 401, "{response}");
    f.stop().await;
}

/// The export binary, with the test's bucket on the local S3 (moto): the document is written
/// there and its presigned URL serves it; without claims nothing more is written.
#[tokio::test]
async fn finance_export_writes_the_document_to_s3_and_answers_its_url() {
    let env = TestEnv::on_dynamodb().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let store = export_bucket().await;
    let s3 = std::env::var("AWS_ENDPOINT_URL_S3").expect("run under scripts/with-moto.sh");
    let mut f = start_with(
        &env,
        "finance-export",
        &[
            ("EXPORT_BUCKET", store.bucket()),
            ("AWS_ENDPOINT_URL_S3", &s3),
        ],
    )
    .await;
    let (status, body) = http_answer(&f.invoke(Event::load("finance-export").0).await);
    assert_eq!(status, 201, "{body}");
    let document: Value = reqwest::get(body["url"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["userId"], ALICE);
    assert_eq!(document["connections"][0]["connectionId"], id.as_str());
    assert_eq!(export_keys(&store).await.len(), 1);
    let refused = f
        .invoke(Event::load("negative/finance-export.no-claims").0)
        .await;
    assert_eq!(http_answer(&refused).0, 401);
    assert_eq!(export_keys(&store).await.len(), 1);
    f.stop().await;
}

#[tokio::test]
async fn finance_refresh_refreshes_every_active_connection() {
    let env = TestEnv::on_dynamodb().await;
    env.link(&user(ALICE), "BLUE").await;
    env.link(&user(ALICE), "RED").await;
    let mut f = start(&env, "finance-refresh").await;
    let (status, body) = http_answer(&f.invoke(Event::load("finance-refresh").0).await);
    assert_eq!(status, 200, "{body}");
    let items = body["connections"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{body}");
    assert!(items.iter().all(|i| i["status"] == "active"), "{body}");
    f.stop().await;
}

#[tokio::test]
async fn finance_refresh_balances_answers_and_stores_live_balances() {
    let env = TestEnv::on_dynamodb().await;
    env.link(&user(ALICE), "BLUE").await;
    let before = shared::testkit::without_audit(env.dump().await).len();
    let mut f = start(&env, "finance-refresh-balances").await;
    let (status, body) = http_answer(&f.invoke(Event::load("finance-refresh-balances").0).await);
    assert_eq!(status, 200, "{body}");
    let accounts = body["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{body}");
    for a in accounts {
        assert_eq!(a["balance"]["currency"], "BHD", "{a}");
        assert!(
            a["balance"]["amount"].is_string(),
            "money is a decimal string: {a}"
        );
    }
    assert_eq!(
        shared::testkit::without_audit(env.dump().await).len(),
        before + 2,
        "one snapshot per account"
    );
    assert_eq!(shared::testkit::audit_items(&env, ALICE).await.len(), 1);
    f.stop().await;
}

#[tokio::test]
async fn cron_sync_banks_syncs_the_due_connections() {
    let env = TestEnv::on_dynamodb().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.make_due(ALICE, &id).await;
    let mut f = start(&env, "cron-sync-banks").await;
    let summary = f.invoke(Event::load("cron-sync-banks").0).await;
    assert_eq!(summary["due"], 1, "{summary}");
    assert_eq!(summary["synced"], 1, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    let dump = env.dump().await;
    let item = dump
        .iter()
        .find(|i| i.s("sk").unwrap() == format!("CONN#{id}"))
        .unwrap();
    assert!(item.time("next_sync_at").unwrap() > SystemClock.now());
    f.stop().await;
}

/// At TRACE, a route that mints a token, stores it in DynamoDB and calls Tarabut with it logs
/// neither that token, nor the client secret, nor the caller's JWT: the runtime, the HTTP and
/// the AWS SDK crates, which print events, headers and bodies at DEBUG and TRACE, stay at INFO
/// whatever the level says.
#[tokio::test]
async fn trace_logs_hold_no_token_secret_or_jwt() {
    let env = TestEnv::on_dynamodb().await;
    let alice = user(ALICE);
    let id = env.link(&alice, "BLUE").await;
    // No stored token: the function mints one (the client secret goes to the token endpoint)
    // and writes it to the table.
    let token_key = shared::store::Key::new(format!("USER#{}", alice.as_str()), "TOKEN#tarabut");
    env.table.delete(&token_key, None).await.unwrap();
    let trace = [("AWS_LAMBDA_LOG_LEVEL", "TRACE"), ("RUST_LOG", "trace")];
    let mut f = start_with(&env, "tarabut-sync", &trace).await;
    // A JWT as API Gateway passes it on (the authorizer verified it; the claims are in the
    // request context, the header is forwarded too).
    let jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTdmM2MxYTJlIn0.c2lnbmF0dXJlLW9mLXRoZS1qd3Q";
    let mut event = Event::load("tarabut-sync")
        .body(&json!({ "connectionId": id }).to_string())
        .0;
    event["headers"]["authorization"] = json!(format!("Bearer {jwt}"));
    let (status, body) = http_answer(&f.invoke(event).await);
    assert_eq!(status, 200, "{body}");
    let output = format!("{}\n{}", f.output.stdout(), f.output.stderr());
    f.session.shutdown().await;
    // The token the function minted and stored.
    env.state.tokens.forget_cached(&alice);
    let minted = env.token_of(ALICE).await;
    assert!(env.control.mints(alice.customer_user_id().as_str()).await >= 2);
    // The capture saw our own TRACE lines: the level took effect, so silence below is real.
    assert!(
        output
            .lines()
            .any(|l| l.contains("\"level\":\"TRACE\"") && l.contains("answered")),
        "no TRACE line of ours in:\n{output}"
    );
    for (what, needle) in [
        ("the access token", minted.expose()),
        ("the client secret", "sandbox-secret"),
        ("the JWT", jwt),
        ("the JWT's signature", jwt.rsplit('.').next().unwrap()),
        ("a sandbox token", "sbx_"),
    ] {
        let leaks: Vec<String> = output
            .lines()
            .filter(|l| l.contains(needle))
            .map(|l| l.replace(needle, "<HERE>").chars().take(300).collect())
            .collect();
        assert!(leaks.is_empty(), "{what} in the TRACE logs: {leaks:#?}");
    }
}

/// A function without `TABLE_NAME`, or the export function without `EXPORT_BUCKET` (optional
/// for the others), fails its init with a message naming the variable.
#[tokio::test]
async fn a_missing_variable_fails_the_init_naming_it() {
    let env = TestEnv::on_dynamodb().await;
    for (function, variable) in [
        ("tarabut-sync", "TABLE_NAME"),
        ("cron-sync-banks", "TABLE_NAME"),
        ("finance-export", "EXPORT_BUCKET"),
    ] {
        let vars: Vec<(String, String)> = environment(&env, function)
            .into_iter()
            .filter(|(k, _)| k != variable)
            .collect();
        let spec = FunctionSpec::new(binary(function)).envs(vars);
        let output = CapturedOutput::new();
        // The emulator inits the function at once but reports a failed init to the first
        // invoke (502), as Lambda fails the first request of a broken function.
        let failed = match Session::start_with(spec, options(&output)).await {
            Ok(mut session) => {
                let invoked = session.invoke(Event::load(function).0).await;
                session.shutdown().await;
                invoked.err()
            }
            Err(e) => Some(e),
        };
        match failed {
            Some(InvokeError::InitError { .. } | InvokeError::ProcessExited { .. }) => {}
            Some(other) => panic!("{function}: expected an init error, got {other}"),
            None => panic!("{function} answered without {variable}"),
        }
        // The function's lines reach the emulator's stdout; the emulator's own, its stderr.
        let printed = format!("{}\n{}", output.stdout(), output.stderr());
        assert!(
            printed.contains(&format!("configuration variable {variable}")),
            "{function} output: {printed}"
        );
        assert_no_secrets(&printed);
    }
}

/// The four insight functions answer over a linked user's synced year, in one process each.
#[tokio::test]
async fn insight_functions_answer_their_events() {
    let env = TestEnv::on_dynamodb().await;
    env.link_demo_banks(&user(ALICE)).await;
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(60);
    let to = today + chrono::Duration::days(1);
    for (function, field) in [
        ("insights-spending", "periods"),
        ("insights-income", "sources"),
        ("insights-salary", "primary"),
        ("insights-balance-history", "accounts"),
    ] {
        let mut f = start(&env, function).await;
        let event = if function == "insights-salary" {
            Event::load(function)
        } else {
            Event::range(function, from, to, &[])
        };
        let (status, body) = http_answer(&f.invoke(event.0).await);
        assert_eq!(status, 200, "{function}: {body}");
        assert!(!body[field].is_null(), "{function}: {body}");
        let refused = f
            .invoke(Event::load(&format!("negative/{function}.no-claims")).0)
            .await;
        assert_eq!(http_answer(&refused).0, 401, "{function}");
        f.stop().await;
    }
}
