//! The metrics a process emits, read back as CloudWatch would: every line parsed and checked
//! as EMF (`shared::testkit::check_emf`), and the values matching what happened, against the
//! in-process Tarabut sandbox and the in-memory table. (The cron's summary line is checked
//! in `functions/cron-sync-banks/tests/handler.rs`.)

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use shared::insights::{self, SalaryParams};
use shared::store::Table;
use shared::sync::{Scope, load_connection, sync_connection};
use shared::tarabut::TarabutClient;
use shared::testkit::{ALICE, MetricsCapture, TestEnv, deadline, user};
use shared::token::TokenManager;

/// The metric names of every line, in order.
fn names(capture: &MetricsCapture) -> Vec<String> {
    capture
        .lines()
        .iter()
        .flat_map(|line| {
            line["_aws"]["CloudWatchMetrics"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|d| d["Metrics"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| m["Name"].as_str().map(str::to_string))
        .collect()
}

/// A mint: one `TokenMinted`, one `TarabutCall` to the token endpoint answered 200 with its
/// latency; the token served from the cache next is not counted again.
#[tokio::test]
async fn a_token_mint_is_one_mint_and_one_token_call() {
    let env = TestEnv::start().await;
    let capture = MetricsCapture::start();
    env.state
        .tokens
        .access_token(&user(ALICE), deadline())
        .await
        .expect("a token");
    env.state
        .tokens
        .access_token(&user(ALICE), deadline())
        .await
        .expect("the cached token");

    assert_eq!(capture.sum("TokenMinted", &[]), 1.0);
    assert_eq!(
        capture.sum("TarabutCall", &[("Endpoint", "token"), ("Status", "200")]),
        1.0
    );
    let latency = capture.values("TarabutLatency", &[("Endpoint", "token")]);
    assert_eq!(latency.len(), 1, "{latency:?}");
    assert!(latency[0] > 0.0 && latency[0] < 30_000.0, "{latency:?}");
    assert_eq!(
        names(&capture),
        ["TarabutCall", "TarabutLatency", "TokenMinted"],
        "nothing else was emitted"
    );
    // No user id, customer id or token anywhere in a metric line.
    let text = serde_json::to_string(&capture.lines()).expect("JSON");
    let customer = user(ALICE).customer_user_id();
    assert!(
        !text.contains(ALICE) && !text.contains(customer.as_str()),
        "{text}"
    );
    assert!(!text.contains("sbx_"), "{text}");
}

/// Tarabut's token endpoint failing: every attempt is a `TarabutCall` with its status, and
/// the mint that gave up is one `TokenMintFailed`, no `TokenMinted`.
#[tokio::test]
async fn a_failed_mint_counts_each_attempt_and_one_failure() {
    let env = TestEnv::start().await;
    env.control
        .fault(json!({"endpoint": "token", "status": 503}))
        .await;
    let capture = MetricsCapture::start();
    let result = env
        .state
        .tokens
        .access_token(&user(ALICE), deadline())
        .await;
    assert!(result.is_err(), "{result:?}");

    let attempts = env.control.counters().await["faultsInjected"]
        .as_u64()
        .expect("a count");
    assert!(attempts >= 2, "retried: {attempts}");
    assert_eq!(
        capture.sum("TarabutCall", &[("Endpoint", "token"), ("Status", "503")]),
        attempts as f64
    );
    assert_eq!(capture.sum("TokenMintFailed", &[]), 1.0);
    assert_eq!(capture.sum("TokenMinted", &[]), 0.0);
}

/// Two processes want a token at once while Tarabut is slow: the second finds the first's
/// lease, waits for it (`LeaseWaited`) and gets the token the first minted; one mint in all.
#[tokio::test]
async fn a_caller_waiting_on_another_lease_is_counted() {
    let env = TestEnv::start().await;
    env.control
        .fault(json!({"endpoint": "token", "latencyMs": 600}))
        .await;
    let other = TokenManager::new(
        env.table.clone() as Arc<dyn Table>,
        TarabutClient::new(&env.state.config.tarabut).expect("a client"),
        &env.state.config.token,
        env.state.clock.clone(),
        "other-process",
    );
    let capture = MetricsCapture::start();
    let alice = user(ALICE);
    let first = env.state.tokens.access_token(&alice, deadline());
    let second = async {
        // Starts once the first holds the lease and is minting.
        tokio::time::sleep(Duration::from_millis(200)).await;
        other.access_token(&alice, deadline()).await
    };
    let (first, second) = tokio::join!(first, second);
    let (first, second) = (first.expect("a token"), second.expect("a token"));
    assert_eq!(first.version, second.version, "one token for both");

    assert_eq!(capture.sum("TokenMinted", &[]), 1.0);
    assert_eq!(
        capture.sum("LeaseWaited", &[]),
        1.0,
        "once per call, not per poll"
    );
    assert_eq!(capture.sum("LeaseLost", &[]), 0.0);
    assert_eq!(capture.sum("TarabutCall", &[("Endpoint", "token")]), 1.0);
}

/// An insight: one `InsightLatency` line under its `Insight` dimension.
#[tokio::test]
async fn an_insight_reports_its_latency() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    let capture = MetricsCapture::start();
    insights::salary(
        &env.state,
        &user(ALICE),
        SalaryParams::default(),
        deadline(),
    )
    .await
    .expect("a salary report");

    let latency = capture.values("InsightLatency", &[("Insight", "salary")]);
    assert_eq!(latency.len(), 1, "{:?}", capture.lines());
    assert!(latency[0] >= 0.0 && latency[0] < 30_000.0, "{latency:?}");
    assert_eq!(
        names(&capture),
        ["InsightLatency"],
        "no Tarabut call without corroborate"
    );
}

/// A connection's sync: `SyncSucceeded`, and one `TarabutCall` per call by endpoint; the
/// same sync failing (Tarabut down for transactions) is a `SyncFailed`.
#[tokio::test]
async fn sync_outcomes_are_counted() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.control.reset_counters().await;
    let capture = MetricsCapture::start();
    let sync = || async {
        let conn = load_connection(&env.state, &user(ALICE), &id)
            .await
            .expect("the connection");
        sync_connection(&env.state, conn, Scope::Transactions, deadline()).await
    };
    sync().await.expect("synced");
    assert_eq!(capture.sum("SyncSucceeded", &[]), 1.0);
    assert_eq!(capture.sum("SyncFailed", &[]), 0.0);
    let calls = env.control.calls("transactions").await;
    assert!(calls > 0);
    assert_eq!(
        capture.sum(
            "TarabutCall",
            &[("Endpoint", "transactions"), ("Status", "200")]
        ),
        calls as f64,
        "one line per call"
    );

    env.control
        .fault(json!({"endpoint": "transactions", "status": 503}))
        .await;
    let failed = sync().await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(capture.sum("SyncFailed", &[]), 1.0);
    assert_eq!(capture.sum("SyncSucceeded", &[]), 1.0);
    assert!(
        capture.sum(
            "TarabutCall",
            &[("Endpoint", "transactions"), ("Status", "503")]
        ) >= 1.0
    );
}
