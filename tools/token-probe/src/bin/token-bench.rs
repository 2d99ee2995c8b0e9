//! Token-coordination benchmark (`make bench`): N separate processes ask for one user's token
//! at once, against dynalite and the sandbox. Compared, in the same run, with the baseline
//! where each process mints on its own (what a per-process mutex amounts to across Lambda
//! environments). Prints a markdown table and a final summary line.
//!
//! Run under `scripts/with-dynalite.sh` with the release build of `token-probe` beside it.

use std::time::Duration;

use shared::identity::UserId;
use shared::testkit::{DynamoEnv, TestEnv, test_env_vars};
use shared::time::Deadline;
use shared::time::{Clock, SystemClock};
use token_probe::{Fleet, ProbeReport, sibling_binary};

const SIZES: [usize; 4] = [1, 8, 32, 64];
const ROUNDS: usize = 5;

#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    /// The stored token is valid but inside the refresh window (refresh-ahead).
    Window,
    /// The stored token has expired: everyone needs the new one.
    Expired,
    /// No coordination: every process mints for itself.
    Baseline,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Window => "lease, in window",
            Scenario::Expired => "lease, expired",
            Scenario::Baseline => "baseline (per-process)",
        }
    }
}

struct Row {
    scenario: Scenario,
    n: usize,
    mints_per_round: Vec<u64>,
    failures: usize,
    dynamo_per_invocation: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

async fn seed(env: &DynamoEnv, user: &UserId, scenario: Scenario) {
    match scenario {
        Scenario::Window => {
            env.control.set_token_lifetime(120).await;
            env.state
                .tokens
                .access_token(user, Deadline::after(Duration::from_secs(10)))
                .await
                .expect("seed token");
            env.backdate_token(user, Duration::from_secs(3600)).await;
            env.control.set_token_lifetime(3600).await;
        }
        Scenario::Expired => env.store_expired_token(user, Duration::from_secs(1)).await,
        Scenario::Baseline => {}
    }
}

async fn measure(env: &DynamoEnv, scenario: Scenario, n: usize) -> Row {
    let probe = sibling_binary("token-probe");
    let vars = test_env_vars(env.table.table_name(), env.sandbox.base_url(), &[]);
    let mut mints_per_round = Vec::new();
    let mut elapsed = Vec::new();
    let mut dynamo = 0u64;
    let mut failures = 0;
    let mut invocations = 0u64;
    for round in 0..ROUNDS {
        let user = UserId::parse(&format!(
            "bench-{}-{n}-{round}-{}",
            scenario as u8,
            SystemClock.now().millis()
        ))
        .expect("user");
        seed(env, &user, scenario).await;
        let before = env.control.mints(user.customer_user_id().as_str()).await;
        let fleet = Fleet::spawn(
            &probe,
            n,
            &vars,
            user.as_str(),
            scenario == Scenario::Baseline,
            20_000,
        )
        .await;
        fleet.start();
        let reports: Vec<ProbeReport> = fleet.reports().await.into_iter().flatten().collect();
        failures += n - reports.iter().filter(|r| r.ok).count();
        for r in &reports {
            elapsed.push(r.elapsed_us);
            dynamo += r.dynamo_requests;
            invocations += 1;
        }
        mints_per_round.push(env.control.mints(user.customer_user_id().as_str()).await - before);
    }
    elapsed.sort_unstable();
    Row {
        scenario,
        n,
        mints_per_round,
        failures,
        dynamo_per_invocation: dynamo as f64 / invocations.max(1) as f64,
        p50_ms: percentile(&elapsed, 50.0),
        p99_ms: percentile(&elapsed, 99.0),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let env = TestEnv::on_dynamodb().await;
    let mut rows = Vec::new();
    for n in SIZES {
        for scenario in [Scenario::Window, Scenario::Expired, Scenario::Baseline] {
            let row = measure(&env, scenario, n).await;
            eprintln!(
                "{:>24} N={:<3} mints/round={:?} p50={:.2}ms p99={:.2}ms",
                row.scenario.name(),
                row.n,
                row.mints_per_round,
                row.p50_ms,
                row.p99_ms
            );
            rows.push(row);
        }
    }
    println!(
        "| scenario | N processes | mints per round (max) | failures | DynamoDB requests / invocation | p50 ms to token | p99 ms to token |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} |",
            r.scenario.name(),
            r.n,
            r.mints_per_round.iter().max().unwrap_or(&0),
            r.failures,
            r.dynamo_per_invocation,
            r.p50_ms,
            r.p99_ms
        );
    }
    let at = |s: Scenario| {
        rows.iter()
            .find(|r| r.n == 64 && r.scenario == s)
            .expect("N=64 row")
    };
    let window = at(Scenario::Window);
    let baseline = at(Scenario::Baseline);
    println!(
        "token-coordination N=64 mints={} baseline_mints={} p99_ms={:.0}",
        window.mints_per_round.iter().max().unwrap_or(&0),
        baseline.mints_per_round.iter().max().unwrap_or(&0),
        window.p99_ms.ceil()
    );
}
