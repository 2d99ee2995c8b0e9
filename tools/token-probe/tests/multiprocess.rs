//! The token manager's promises across separate OS processes sharing one DynamoDB table
//! (dynalite) and one Tarabut (the sandbox, in this test process).

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use shared::identity::UserId;
use shared::secret::Secret;
use shared::testkit::{TestEnv, test_env_vars};
use shared::time::{Clock, Deadline, SystemClock};
use shared::token::{NewToken, TokenRepo};
use token_probe::Fleet;

fn probe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_token-probe"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_processes_in_the_refresh_window_mint_once() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("mp-window").unwrap();
    let customer = user.customer_user_id();
    // A token with 120 s left of an hour-long life is inside the 300 s refresh window.
    env.control.set_token_lifetime(120).await;
    let seeded = env
        .state
        .tokens
        .access_token(&user, Deadline::after(Duration::from_secs(10)))
        .await
        .unwrap();
    env.backdate_token(&user, Duration::from_secs(3600)).await;
    env.control.set_token_lifetime(3600).await;
    assert_eq!(env.control.mints(customer.as_str()).await, 1);

    let vars = test_env_vars(env.table.table_name(), env.sandbox.base_url(), &[]);
    let fleet = Fleet::spawn(&probe(), 32, &vars, user.as_str(), false, 20_000).await;
    fleet.start();
    let reports = fleet.reports().await;
    assert_eq!(
        env.control.mints(customer.as_str()).await,
        2,
        "one refresh for 32 processes"
    );
    for r in &reports {
        let r = r.as_ref().expect("every process reported");
        assert!(r.ok, "{r:?}");
        let v = r.version.unwrap();
        assert!(v == seeded.version || v == seeded.version + 1);
        // A cold process reads once and tries one claim; the winner also commits.
        assert!((1..=3).contains(&r.dynamo_requests), "{r:?}");
    }
    let stored = TokenRepo::new(env.table.clone())
        .load(&user)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, Some(2));
    assert!(stored.lease.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_processes_past_expiry_mint_once_and_share_it() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("mp-expired").unwrap();
    env.store_expired_token(&user, Duration::from_secs(1)).await;
    let vars = test_env_vars(env.table.table_name(), env.sandbox.base_url(), &[]);
    let fleet = Fleet::spawn(&probe(), 32, &vars, user.as_str(), false, 20_000).await;
    fleet.start();
    let reports = fleet.reports().await;
    assert_eq!(env.control.mints(user.customer_user_id().as_str()).await, 1);
    let hashes: HashSet<_> = reports
        .iter()
        .map(|r| {
            let r = r.as_ref().expect("report");
            assert!(r.ok, "{r:?}");
            assert_eq!(r.version, Some(2));
            r.token_hash.clone().unwrap()
        })
        .collect();
    assert_eq!(hashes.len(), 1, "every process got the one new token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_lease_holder_is_taken_over_after_its_lease() {
    // Lease 3 s, token call timeout 2.5 s (the lease must outlast the call).
    let overrides = [("TOKEN_LEASE_SECS", "3"), ("TARABUT_TIMEOUT_MS", "2500")];
    let env = TestEnv::with_overrides_on_dynamodb(&overrides).await;
    let user = UserId::parse("mp-killed").unwrap();
    env.store_expired_token(&user, Duration::from_secs(1)).await;
    // The first token call hangs for 2 s: the holder is killed while it waits.
    env.control
        .fault(json!({"endpoint": "token", "latencyMs": 2000, "count": 1}))
        .await;
    let vars = test_env_vars(env.table.table_name(), env.sandbox.base_url(), &overrides);
    let mut holder = Fleet::spawn(&probe(), 1, &vars, user.as_str(), false, 20_000).await;
    holder.start();
    let repo = TokenRepo::new(env.table.clone());
    let lease = loop {
        if let Some(lease) = repo.load(&user).await.unwrap().and_then(|r| r.lease) {
            break lease;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    holder.kill(0).await;
    assert_eq!(
        holder.reports().await,
        vec![None],
        "the holder died without reporting"
    );

    let next = Fleet::spawn(&probe(), 1, &vars, user.as_str(), false, 15_000).await;
    next.start();
    let report = next.reports().await.remove(0).expect("report");
    assert!(report.ok, "the next process got a token: {report:?}");
    assert_eq!(report.version, Some(2));
    assert!(
        SystemClock.now() > lease.expires_at,
        "it waited for the dead holder's lease to expire"
    );
    let stored = repo.load(&user).await.unwrap().unwrap();
    assert_eq!(stored.version, Some(2), "exactly one token committed");
    assert!(stored.lease.is_none());
    // The dead holder's commit, were it to arrive now, is fenced out.
    assert!(
        !repo
            .commit(
                &user,
                &lease.id,
                &NewToken {
                    secret: &Secret::new("late"),
                    issued_at: SystemClock.now(),
                    expires_at: SystemClock.now() + Duration::from_secs(3600),
                    version: 2,
                }
            )
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_coordination_every_process_mints() {
    // The baseline of the benchmark, checked: per-process locking cannot see other processes.
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("mp-baseline").unwrap();
    let vars = test_env_vars(env.table.table_name(), env.sandbox.base_url(), &[]);
    let fleet = Fleet::spawn(&probe(), 8, &vars, user.as_str(), true, 20_000).await;
    fleet.start();
    let reports = fleet.reports().await;
    assert!(
        reports
            .iter()
            .all(|r| r.as_ref().is_some_and(|r| r.ok && r.dynamo_requests == 0))
    );
    assert_eq!(env.control.mints(user.customer_user_id().as_str()).await, 8);
}
