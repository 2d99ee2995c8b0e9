//! The token manager against dynalite and the sandbox. Each `TokenManager` has its own cache
//! and its own HTTP client: one manager = one Lambda environment.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use shared::identity::UserId;
use shared::secret::Secret;
use shared::store::Table;
use shared::testkit::{
    DynamoEnv, SandboxControl, ScriptedTokenTable, TestEnv, test_tarabut_client,
};
use shared::time::{Clock, Deadline, SystemClock};
use shared::token::{
    AccessToken, ClaimGuard, Lease, NewToken, TokenError, TokenManager, TokenRepo,
};

/// Runs one task per future at once and returns their answers in order.
async fn join_all<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

/// Every manager asks for `user`'s token at the same time.
async fn all_ask(
    managers: &[Arc<TokenManager>],
    user: &UserId,
    secs: u64,
) -> Vec<Result<AccessToken, TokenError>> {
    let asks = managers
        .iter()
        .map(|m| {
            let (m, user) = (m.clone(), user.clone());
            async move { m.access_token(&user, deadline(secs)).await }
        })
        .collect();
    join_all(asks).await
}

fn managers(env: &DynamoEnv, n: usize) -> Vec<Arc<TokenManager>> {
    (0..n)
        .map(|i| {
            Arc::new(manager_over(
                env,
                env.table.clone() as Arc<dyn Table>,
                &env.state.config.tarabut,
                &env.state.config.token,
                format!("env-{i}"),
            ))
        })
        .collect()
}

/// The stored token record (it must exist).
async fn stored_token(env: &DynamoEnv, user: &UserId) -> shared::token::TokenRecord {
    TokenRepo::new(env.table.clone())
        .load(user)
        .await
        .unwrap()
        .expect("a stored token")
}

/// One environment's manager over `table`, with these Tarabut and token settings.
fn manager_over(
    env: &DynamoEnv,
    table: Arc<dyn Table>,
    tarabut: &shared::config::TarabutSettings,
    token: &shared::config::TokenSettings,
    owner: impl Into<String>,
) -> TokenManager {
    TokenManager::new(
        table,
        test_tarabut_client(tarabut),
        token,
        env.state.clock.clone(),
        owner,
    )
}

fn deadline(secs: u64) -> Deadline {
    Deadline::after(Duration::from_secs(secs))
}

async fn mints(control: &SandboxControl, user: &UserId) -> u64 {
    control.mints(user.customer_user_id().as_str()).await
}

#[tokio::test]
async fn sixty_four_environments_refresh_ahead_with_one_mint() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("window-user").unwrap();
    // A token with 120 s left of an hour-long life: inside the 300 s refresh window.
    env.control.set_token_lifetime(120).await;
    let first = managers(&env, 1)[0]
        .access_token(&user, deadline(10))
        .await
        .unwrap();
    env.backdate_token(&user, Duration::from_secs(3600)).await;
    assert_eq!(mints(&env.control, &user).await, 1);
    env.control.set_token_lifetime(3600).await;

    let all = managers(&env, 64);
    let results = all_ask(&all, &user, 20).await;
    assert_eq!(
        mints(&env.control, &user).await,
        2,
        "exactly one refresh for 64 callers"
    );
    let now = SystemClock.now();
    for r in results {
        let t = r.expect("every caller gets a token");
        assert!(t.expires_at > now + Duration::from_secs(30), "valid token");
        // Either the refreshed token or, refresh-ahead, the still-valid current one.
        assert!(t.version == first.version || t.version == first.version + 1);
    }
    let stored = stored_token(&env, &user).await;
    assert_eq!(stored.version, Some(2));
    assert!(stored.lease.is_none(), "lease released by the commit");
}

#[tokio::test]
async fn sixty_four_environments_past_expiry_one_mint_all_wait_for_it() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("expired-user").unwrap();
    env.store_expired_token(&user, Duration::from_secs(1)).await;
    let all = managers(&env, 64);
    let results = all_ask(&all, &user, 20).await;
    assert_eq!(mints(&env.control, &user).await, 1);
    let tokens: Vec<_> = results.into_iter().map(|r| r.expect("token")).collect();
    assert!(
        tokens.iter().all(|t| t.version == 2),
        "everyone waited for the one new token"
    );
    assert!(tokens.iter().all(|t| t.secret == tokens[0].secret));
    assert!(tokens[0].secret.expose() != "expired");
}

#[tokio::test]
async fn failing_token_endpoint_serves_the_old_token_and_backs_off() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("failing-user").unwrap();
    env.control.set_token_lifetime(120).await;
    let first = managers(&env, 1)[0]
        .access_token(&user, deadline(10))
        .await
        .unwrap();
    env.backdate_token(&user, Duration::from_secs(3600)).await;
    env.control
        .fault(json!({"endpoint": "token", "status": 503}))
        .await;
    env.control.reset_counters().await;

    let all = managers(&env, 64);
    let results = all_ask(&all, &user, 20).await;
    for r in results {
        assert_eq!(r.expect("old token served").secret, first.secret);
    }
    // One lease holder tried (with its own bounded retries); nobody else hammered.
    let attempts = env.control.calls("token").await;
    assert!((1..=4).contains(&attempts), "{attempts} token calls");
    let stored = stored_token(&env, &user).await;
    assert!(stored.backoff_until.is_some(), "backoff recorded");
    assert_eq!(stored.mint_failures, 1);
    assert!(stored.lease.is_none());

    // During a backoff more callers make no token calls at all. (Stretched to a minute here
    // so the check does not depend on how fast this machine runs the 64 callers above.)
    let key = shared::store::Key::new(format!("USER#{}", user.as_str()), "TOKEN#tarabut");
    env.table
        .update(
            &key,
            &[shared::store::Update::set(
                "backoff_until",
                shared::store::Value::N((SystemClock.now() + Duration::from_secs(60)).millis()),
            )],
            None,
        )
        .await
        .unwrap();
    let again = managers(&env, 8);
    for m in &again {
        assert_eq!(
            m.access_token(&user, deadline(5)).await.unwrap().secret,
            first.secret
        );
    }
    assert_eq!(env.control.calls("token").await, attempts);
}

#[tokio::test]
async fn failing_endpoint_with_an_expired_token_is_a_typed_503() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("no-token-user").unwrap();
    env.store_expired_token(&user, Duration::from_secs(60))
        .await;
    env.control
        .fault(json!({"endpoint": "token", "status": 500}))
        .await;
    let m = &managers(&env, 1)[0];
    match m.access_token(&user, deadline(10)).await {
        Err(TokenError::Unavailable { retry_after }) => {
            assert!(retry_after >= Duration::from_secs(1))
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    // The next caller is told to wait (backoff) without another token call.
    let calls = env.control.calls("token").await;
    assert!(matches!(
        m.access_token(&user, deadline(10)).await,
        Err(TokenError::Unavailable { .. })
    ));
    assert_eq!(env.control.calls("token").await, calls);
}

#[tokio::test]
async fn a_stale_holders_commit_is_fenced_out() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("fenced-user").unwrap();
    let repo = TokenRepo::new(env.table.clone());
    let now = SystemClock.now();
    // Holder A claims and then stalls past its lease.
    let stale = Lease {
        id: "lease-A".into(),
        owner: "A".into(),
        expires_at: now + Duration::from_millis(200),
        length: None,
    };
    assert!(repo.claim(&user, &stale, &guard(None), now).await.unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    // B (a real manager) takes over after the lease expired and commits version 1.
    let fresh = managers(&env, 1)[0]
        .access_token(&user, deadline(10))
        .await
        .unwrap();
    assert_eq!(fresh.version, 1);
    // A wakes up and tries to commit its older token: rejected.
    assert!(
        !repo
            .commit(
                &user,
                "lease-A",
                &NewToken {
                    secret: &Secret::new("A-token"),
                    issued_at: SystemClock.now(),
                    expires_at: SystemClock.now() + Duration::from_secs(3600),
                    version: 2,
                }
            )
            .await
            .unwrap()
    );
    // A's late release cannot clear anything either.
    assert!(
        !repo
            .release(
                &user,
                "lease-A",
                Some(SystemClock.now() + Duration::from_secs(5))
            )
            .await
            .unwrap()
    );
    let stored = repo.load(&user).await.unwrap().unwrap();
    assert_eq!(stored.access_token, Some(fresh.secret));
    assert_eq!(stored.version, Some(1));
    assert!(stored.backoff_until.is_none());
    // A claim based on an old version also loses, lease or not.
    let late = Lease {
        id: "lease-C".into(),
        owner: "C".into(),
        expires_at: SystemClock.now() + Duration::from_secs(10),
        length: None,
    };
    assert!(
        !repo
            .claim(&user, &late, &guard(None), SystemClock.now())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn sixteen_callers_hit_by_401_cause_one_remint() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("revoked-token-user").unwrap();
    env.control
        .create_consent(user.customer_user_id().as_str(), "BLUE")
        .await;
    let first = managers(&env, 1)[0]
        .access_token(&user, deadline(10))
        .await
        .unwrap();
    // Every environment caches the same token...
    let all = managers(&env, 16);
    for m in &all {
        assert_eq!(
            m.access_token(&user, deadline(10)).await.unwrap().secret,
            first.secret
        );
    }
    // ...which Tarabut stops accepting.
    env.control
        .invalidate_tokens(user.customer_user_id().as_str())
        .await;
    let before = mints(&env.control, &user).await;
    let results = join_all(
        all.iter()
            .map(|m| {
                let (m, user) = (m.clone(), user.clone());
                let tarabut = env.state.tarabut.clone();
                async move {
                    m.call(&user, deadline(20), |token| {
                        let tarabut = tarabut.clone();
                        async move { tarabut.accounts(&token, deadline(10)).await }
                    })
                    .await
                }
            })
            .collect(),
    )
    .await;
    for r in results {
        assert!(!r.expect("the call succeeds after one re-mint").is_empty());
    }
    assert_eq!(mints(&env.control, &user).await, before + 1);
    let stored = stored_token(&env, &user).await;
    assert_eq!(stored.version, Some(first.version + 1));
}

#[tokio::test]
async fn a_second_401_is_returned_not_looped() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("always-401").unwrap();
    let m = &managers(&env, 1)[0];
    m.access_token(&user, deadline(10)).await.unwrap();
    env.control
        .fault(json!({"endpoint": "accounts", "status": 401}))
        .await;
    let tarabut = test_tarabut_client(&env.state.config.tarabut);
    let r = m
        .call(&user, deadline(10), |token| {
            let tarabut = tarabut.clone();
            async move { tarabut.accounts(&token, deadline(5)).await }
        })
        .await;
    assert!(matches!(
        r,
        Err(shared::token::CallError::Tarabut(
            shared::tarabut::TarabutError::Unauthorized
        ))
    ));
    assert_eq!(
        env.control.calls("accounts").await,
        2,
        "the call and one retry"
    );
    assert_eq!(mints(&env.control, &user).await, 2, "one re-mint");
}

#[tokio::test]
async fn warm_path_makes_no_dynamodb_requests() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("warm-user").unwrap();
    let m = &managers(&env, 1)[0];
    let setup = env.table.requests().get();
    let first = m.access_token(&user, deadline(10)).await.unwrap();
    let requests = env.table.requests().get();
    assert_eq!(
        requests - setup,
        3,
        "the cold path reads, claims and commits"
    );
    for _ in 0..100 {
        assert_eq!(m.access_token(&user, deadline(10)).await.unwrap(), first);
    }
    assert_eq!(
        env.table.requests().get(),
        requests,
        "zero DynamoDB requests when warm"
    );
    assert_eq!(mints(&env.control, &user).await, 1);
}

#[tokio::test]
async fn a_dead_holders_lease_is_taken_over_after_it_expires() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("orphan-lease").unwrap();
    env.store_expired_token(&user, Duration::from_secs(1)).await;
    let repo = TokenRepo::new(env.table.clone());
    let dead = Lease {
        id: "dead".into(),
        owner: "killed".into(),
        expires_at: SystemClock.now() + Duration::from_millis(1_500),
        length: None,
    };
    assert!(
        repo.claim(&user, &dead, &guard(Some(1)), SystemClock.now())
            .await
            .unwrap()
    );
    let t = managers(&env, 1)[0]
        .access_token(&user, deadline(10))
        .await
        .unwrap();
    assert_eq!(t.version, 2);
    assert!(
        SystemClock.now() >= dead.expires_at,
        "waited for the lease to expire"
    );
    assert_eq!(mints(&env.control, &user).await, 1);
}

#[tokio::test]
async fn waiting_past_the_deadline_is_unavailable() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("impatient").unwrap();
    env.store_expired_token(&user, Duration::from_secs(1)).await;
    let repo = TokenRepo::new(env.table.clone());
    let held = Lease {
        id: "busy".into(),
        owner: "other".into(),
        expires_at: SystemClock.now() + Duration::from_secs(30),
        length: None,
    };
    assert!(
        repo.claim(&user, &held, &guard(Some(1)), SystemClock.now())
            .await
            .unwrap()
    );
    let r = managers(&env, 1)[0]
        .access_token(&user, Deadline::after(Duration::from_millis(800)))
        .await;
    assert!(matches!(r, Err(TokenError::Unavailable { .. })), "{r:?}");
    assert_eq!(mints(&env.control, &user).await, 0);
}

#[tokio::test]
async fn same_process_callers_are_single_flighted() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("one-process").unwrap();
    let m = managers(&env, 1).remove(0);
    let setup = env.table.requests().get();
    let results = all_ask(&vec![m.clone(); 32], &user, 10).await;
    assert!(results.iter().all(|r| r.as_ref().unwrap().version == 1));
    assert_eq!(mints(&env.control, &user).await, 1);
    // One read, one claim, one commit in all: the other 31 callers waited for the flight and
    // then found the token in the cache.
    assert_eq!(env.table.requests().get() - setup, 3);
}

/// A claim's expectations: no lease to replace, `seen` as the version.
fn guard(seen: Option<i64>) -> ClaimGuard {
    ClaimGuard {
        stale_lease: None,
        seen_version: seen,
    }
}

#[tokio::test]
async fn every_token_read_is_a_consistent_read() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("consistent-reader").unwrap();
    env.store_expired_token(&user, Duration::from_secs(1)).await;
    let (before, _) = env.table.requests().token_reads();
    // Cold reads, a wait on a refresh under way, a refresh, and a 401's invalidation.
    let all = managers(&env, 8);
    for r in all_ask(&all, &user, 10).await {
        r.expect("token");
    }
    let t = all[0].access_token(&user, deadline(10)).await.unwrap();
    all[0].invalidate(&user, &t, deadline(10)).await.unwrap();
    all[1].access_token(&user, deadline(10)).await.unwrap();
    let (reads, inconsistent) = env.table.requests().token_reads();
    assert!(reads - before >= 9, "{} token reads", reads - before);
    assert_eq!(inconsistent, 0, "every token read asks for ConsistentRead");
}

/// The fault wrapper over the real local DynamoDB: latency, throttling, 5xx, lost answers and
/// ambiguous writes on top of dynalite's real conditional writes, 16 managers past expiry.
#[tokio::test]
async fn under_table_faults_on_dynamodb_sixteen_callers_share_one_mint() {
    use shared::testkit::faults::{Faults, FaultyTable};
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("faulty-dynamodb").unwrap();
    env.store_expired_token(&user, Duration::from_secs(1)).await;
    let faults = Faults {
        latency: (Duration::from_millis(5), Duration::from_millis(40)),
        throttle: 0.05,
        server_error: 0.05,
        ambiguous_write: 0.2,
        ambiguous_retried: 0.5,
        lost_read: 0.05,
    };
    let all: Vec<Arc<TokenManager>> = (0..16u64)
        .map(|i| {
            let table = FaultyTable::new(env.table.clone(), faults.clone(), i);
            Arc::new(TokenManager::with_seed(
                Arc::new(table) as Arc<dyn Table>,
                test_tarabut_client(&env.state.config.tarabut),
                &env.state.config.token,
                env.state.clock.clone(),
                format!("faulty-{i}"),
                i,
            ))
        })
        .collect();
    let results = all_ask(&all, &user, 20).await;
    let served: Vec<AccessToken> = results.into_iter().filter_map(Result::ok).collect();
    // A caller may lose to three failed reads in a row; nearly all are served.
    assert!(served.len() >= 12, "{} of 16 served", served.len());
    assert_eq!(mints(&env.control, &user).await, 1, "one mint for everyone");
    assert!(served.iter().all(|t| t.version == 2));
    let stored = stored_token(&env, &user).await;
    assert_eq!(stored.version, Some(2));
    assert_eq!(stored.access_token.as_ref(), Some(&served[0].secret));
}

/// A 401 for an old version, arriving after someone re-minted, leaves the new token alone
/// (the invalidation is conditional on the version it refused).
#[tokio::test]
async fn a_stale_invalidation_after_a_remint_changes_nothing() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("stale-401").unwrap();
    let all = managers(&env, 2);
    let v1 = all[0].access_token(&user, deadline(10)).await.unwrap();
    assert!(all[0].invalidate(&user, &v1, deadline(10)).await.unwrap());
    let v2 = all[0].access_token(&user, deadline(10)).await.unwrap();
    assert_eq!(v2.version, v1.version + 1);
    // Past the re-invalidation interval, so only the version condition can refuse it.
    let repo = TokenRepo::new(env.table.clone());
    let later = SystemClock.now() + Duration::from_secs(3600);
    assert!(
        !repo
            .invalidate(&user, v1.version, later, Duration::from_secs(10))
            .await
            .unwrap()
    );
    let stored = repo.load(&user).await.unwrap().unwrap();
    assert_eq!(stored.version, Some(v2.version));
    assert_eq!(stored.expires_at, v2.expires_at, "v2 still valid");
    assert_eq!(
        all[1]
            .access_token(&user, deadline(10))
            .await
            .unwrap()
            .secret,
        v2.secret
    );
}

/// Erase-all forgets the token: the item is gone and this process's copy too, so the next
/// call mints afresh. `forget_cached` drops only this process's copy.
#[tokio::test]
async fn forget_erases_the_stored_and_the_cached_token() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("forgotten-user").unwrap();
    let m = &managers(&env, 1)[0];
    let repo = TokenRepo::new(env.table.clone());
    m.access_token(&user, deadline(10)).await.unwrap();
    assert_eq!(mints(&env.control, &user).await, 1);

    // The stored token goes behind this process's back: the cached copy is still served...
    repo.delete(&user).await.unwrap();
    m.access_token(&user, deadline(10)).await.unwrap();
    assert_eq!(mints(&env.control, &user).await, 1);
    // ...until it is dropped.
    m.forget_cached(&user);
    m.access_token(&user, deadline(10)).await.unwrap();
    assert_eq!(mints(&env.control, &user).await, 2);

    m.forget(&user).await.unwrap();
    assert!(
        repo.load(&user).await.unwrap().is_none(),
        "the item is erased"
    );
    m.access_token(&user, deadline(10)).await.unwrap();
    assert_eq!(
        mints(&env.control, &user).await,
        3,
        "the cached copy outlived forget"
    );
}

/// A failing endpoint's answer tells the caller how long the backoff it recorded lasts: the
/// third failure in a row waits 8 s (2 s doubling).
#[tokio::test]
async fn a_failed_mint_after_earlier_failures_reports_the_longer_backoff() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("thrice-failing-user").unwrap();
    env.store_expired_token(&user, Duration::from_secs(60))
        .await;
    let key = shared::store::Key::new(format!("USER#{}", user.as_str()), "TOKEN#tarabut");
    env.table
        .update(
            &key,
            &[shared::store::Update::set(
                "mint_failures",
                shared::store::Value::N(2),
            )],
            None,
        )
        .await
        .unwrap();
    env.control
        .fault(json!({"endpoint": "token", "status": 500}))
        .await;
    let m = &managers(&env, 1)[0];
    match m.access_token(&user, deadline(10)).await {
        Err(TokenError::Unavailable { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(8));
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    let stored = stored_token(&env, &user).await;
    assert_eq!(stored.mint_failures, 3);
    // The backoff every other caller honours is the same 8 s.
    let backoff = stored
        .backoff_until
        .expect("a backoff")
        .since(SystemClock.now());
    assert!(
        backoff > Duration::from_secs(6) && backoff <= Duration::from_secs(8),
        "{backoff:?}"
    );
}

/// A failed token read is tried again (three reads in all) while time is left: two failures
/// cost nothing but time, a third is the caller's error.
#[tokio::test]
async fn a_failed_token_read_is_tried_again_three_times_in_all() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("throttled-read-user").unwrap();
    let minted = managers(&env, 1)[0]
        .access_token(&user, deadline(10))
        .await
        .unwrap();
    for (failing, served) in [(2, true), (3, false)] {
        let table = Arc::new(ScriptedTokenTable::over(env.table.clone()).failing_reads(failing));
        let m = manager_over(
            &env,
            table.clone() as Arc<dyn Table>,
            &env.state.config.tarabut,
            &env.state.config.token,
            format!("env-reads-{failing}"),
        );
        let answer = m.access_token(&user, deadline(10)).await;
        assert_eq!(table.reads(), 3, "{failing} failing");
        if served {
            assert_eq!(answer.unwrap().secret, minted.secret);
        } else {
            assert!(matches!(answer, Err(TokenError::Store(_))), "{answer:?}");
        }
    }
    assert_eq!(mints(&env.control, &user).await, 1);
}

/// The mint may use the lease less its commit reserve, a quarter of the lease (at most 2 s):
/// with a 4 s lease, a token endpoint that takes 2.5 s still mints (a 2 s reserve would leave
/// it 2 s).
#[tokio::test]
async fn a_short_lease_keeps_a_quarter_for_the_commit_and_the_rest_for_the_mint() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("slow-mint-user").unwrap();
    env.control
        .fault(json!({"endpoint": "token", "latencyMs": 2500}))
        .await;
    let mut settings = env.state.config.token.clone();
    settings.lease = Duration::from_secs(4);
    let m = manager_over(
        &env,
        env.table.clone() as Arc<dyn Table>,
        &env.state.config.tarabut,
        &settings,
        "env-short-lease".to_string(),
    );
    let token = m.access_token(&user, deadline(10)).await;
    assert!(token.is_ok(), "{token:?}");
    assert_eq!(mints(&env.control, &user).await, 1);
}

/// A failing endpoint is the endpoint's fault even when the caller's own deadline is the
/// shorter one (5 s, inside the lease's 8 s budget): the failure is recorded and backs off every
/// caller. Only a caller whose deadline ran out during the mint takes the blame itself.
#[tokio::test]
async fn an_endpoint_failure_within_a_caller_s_short_deadline_is_recorded() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("short-deadline-user").unwrap();
    env.store_expired_token(&user, Duration::from_secs(60))
        .await;
    env.control
        .fault(json!({"endpoint": "token", "status": 500}))
        .await;
    let m = &managers(&env, 1)[0];
    let answer = m.access_token(&user, deadline(5)).await;
    assert!(
        matches!(answer, Err(TokenError::Unavailable { .. })),
        "{answer:?}"
    );
    let stored = stored_token(&env, &user).await;
    assert_eq!(stored.mint_failures, 1);
    assert!(stored.backoff_until.is_some(), "no backoff recorded");
    assert!(stored.lease.is_none());
}

/// Lambda freezes an environment once it has answered: work left to the background may never
/// run. A failed mint gives its lease back before answering, so other callers do not wait for
/// it to lapse. (The call runs on its own runtime, dropped as soon as it answers. The release
/// is slow, 300 ms, as a throttled write is: a release left to the background would still be
/// on its way when the runtime goes, however quick the call's last read.)
#[test]
fn a_failed_mint_releases_its_lease_before_answering() {
    let outer = tokio::runtime::Runtime::new().unwrap();
    let env = outer.block_on(TestEnv::on_dynamodb());
    let user = UserId::parse("frozen-user").unwrap();
    outer.block_on(async {
        env.store_expired_token(&user, Duration::from_secs(60))
            .await;
        env.control
            .fault(json!({"endpoint": "token", "status": 500}))
            .await;
    });
    let lambda = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer = lambda.block_on(async {
        let table = shared::store::DynamoTable::from_env(env.table.table_name()).await;
        let table =
            ScriptedTokenTable::over(Arc::new(table)).slow_releases(Duration::from_millis(300));
        let m = manager_over(
            &env,
            Arc::new(table) as Arc<dyn Table>,
            &env.state.config.tarabut,
            &env.state.config.token,
            "env-frozen".to_string(),
        );
        m.access_token(&user, deadline(10)).await
    });
    drop(lambda);
    assert!(
        matches!(answer, Err(TokenError::Unavailable { .. })),
        "{answer:?}"
    );
    let stored = outer
        .block_on(TokenRepo::new(env.table.clone()).load(&user))
        .unwrap()
        .unwrap();
    assert!(
        stored.lease.is_none(),
        "the lease was left to the background"
    );
    assert_eq!(stored.mint_failures, 1);
}

/// A token request that times out (Tarabut slower than the per-request timeout) is the
/// endpoint's fault even while the caller's deadline, the shorter one, has time left: the
/// failure is recorded and backs off every caller.
#[tokio::test]
async fn a_timed_out_mint_with_time_left_is_the_endpoint_s_fault() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("slow-endpoint-user").unwrap();
    env.store_expired_token(&user, Duration::from_secs(60))
        .await;
    env.control
        .fault(json!({"endpoint": "token", "latencyMs": 3000}))
        .await;
    let mut tarabut = env.state.config.tarabut.clone();
    tarabut.request_timeout = Duration::from_secs(1);
    let m = manager_over(
        &env,
        env.table.clone() as Arc<dyn Table>,
        &tarabut,
        &env.state.config.token,
        "env-timeouts".to_string(),
    );
    // 7 s: inside the lease's 8 s budget, and longer than four 1 s attempts.
    let answer = m.access_token(&user, deadline(7)).await;
    assert!(
        matches!(answer, Err(TokenError::Unavailable { .. })),
        "{answer:?}"
    );
    let stored = stored_token(&env, &user).await;
    assert_eq!(
        stored.mint_failures, 1,
        "the timeouts were blamed on the caller"
    );
    assert!(stored.backoff_until.is_some());
}

/// Every write lands and its answer is lost (the SDK's retry then fails its condition against
/// the write itself): the claim and the commit are settled by reading back, so the call mints
/// once, counts the mint and serves the token it committed.
#[tokio::test]
async fn ambiguous_claims_and_commits_are_settled_by_reading_back() {
    use shared::testkit::MetricsCapture;
    use shared::testkit::faults::{Faults, FaultyTable};

    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("ambiguous-user").unwrap();
    let faults = Faults {
        ambiguous_write: 1.0,
        ambiguous_retried: 1.0,
        ..Faults::default()
    };
    let table = Arc::new(FaultyTable::new(env.table.clone(), faults, 7));
    let m = manager_over(
        &env,
        table.clone() as Arc<dyn Table>,
        &env.state.config.tarabut,
        &env.state.config.token,
        "env-ambiguous".to_string(),
    );
    let capture = MetricsCapture::start();
    let token = m.access_token(&user, deadline(10)).await.unwrap();
    assert!(
        table
            .stats
            .ambiguous_writes
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 2,
        "the claim and the commit were both ambiguous"
    );
    assert_eq!(
        capture.sum("TokenMinted", &[]),
        1.0,
        "the landed commit was not recognised"
    );
    assert_eq!(mints(&env.control, &user).await, 1);
    let stored = stored_token(&env, &user).await;
    assert_eq!(stored.access_token.as_ref(), Some(&token.secret));
    assert!(stored.lease.is_none());
}

/// A rival that read the same version took the lease over and committed that version with its
/// own token just before our commit: ours is fenced out, and the call serves the rival's token,
/// the one the item holds (a token of the same version with another secret is not ours).
#[tokio::test]
async fn a_commit_fenced_out_by_the_same_version_serves_the_stored_token() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("rival-user").unwrap();
    env.store_expired_token(&user, Duration::from_secs(60))
        .await;
    let rival = Secret::new("rival-token");
    let table =
        Arc::new(ScriptedTokenTable::over(env.table.clone()).rival_commits_first(rival.clone()));
    let m = manager_over(
        &env,
        table as Arc<dyn Table>,
        &env.state.config.tarabut,
        &env.state.config.token,
        "env-fenced".to_string(),
    );
    let served = m.access_token(&user, deadline(10)).await.unwrap();
    let stored = stored_token(&env, &user).await;
    assert_eq!(stored.access_token.as_ref(), Some(&rival));
    assert_eq!(
        served.secret, rival,
        "served its own fenced-out token, not the stored one"
    );
    assert_eq!(Some(served.version), stored.version);
    assert_eq!(mints(&env.control, &user).await, 1);
}

/// A double fault: the mint fails, then so does the release made before answering. The lease
/// is released in the background instead, and it still records the endpoint's failure: the
/// next callers back off rather than mint again as soon as the lease is gone.
#[tokio::test]
async fn a_release_left_to_the_background_keeps_the_failure_s_backoff() {
    let env = TestEnv::on_dynamodb().await;
    let user = UserId::parse("double-fault-user").unwrap();
    env.store_expired_token(&user, Duration::from_secs(60))
        .await;
    env.control
        .fault(json!({"endpoint": "token", "status": 500}))
        .await;
    let table = Arc::new(ScriptedTokenTable::over(env.table.clone()).failing_releases(1));
    let m = manager_over(
        &env,
        table.clone() as Arc<dyn Table>,
        &env.state.config.tarabut,
        &env.state.config.token,
        "env-double-fault".to_string(),
    );
    let answer = m.access_token(&user, deadline(10)).await;
    assert!(
        matches!(answer, Err(TokenError::Unavailable { .. })),
        "{answer:?}"
    );
    let mut stored = stored_token(&env, &user).await;
    for _ in 0..50 {
        if stored.lease.is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        stored = stored_token(&env, &user).await;
    }
    assert!(stored.lease.is_none(), "the lease was never released");
    assert_eq!(
        table.releases(),
        2,
        "the inline release, then the background one"
    );
    assert_eq!(stored.mint_failures, 1, "the failure was dropped");
    assert!(stored.backoff_until.is_some(), "the backoff was dropped");
}
