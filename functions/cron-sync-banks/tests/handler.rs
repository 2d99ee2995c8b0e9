//! The scheduled sync driven by `events/cron-sync-banks.json` against a fresh in-memory table
//! and an in-process Tarabut sandbox.

use std::time::Duration;

use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use shared::connections;
use shared::scheduled_sync::{CronSummary, FailedRun};
use shared::store::{Item, ItemExt};
use shared::testkit::{
    ALICE, BOB, CAROL, Event, MetricsCapture, TestEnv, connection_item, deadline, user,
};
use shared::time::{Clock, SystemClock, Timestamp};

fn now() -> Timestamp {
    SystemClock.now()
}

/// Runs the cron with the schedule's event and this Lambda context.
async fn run_with(env: &TestEnv, context: Context) -> CronSummary {
    let event = Event::load("cron-sync-banks").0;
    cron_sync_banks::handle(env.state.clone(), LambdaEvent::new(event, context))
        .await
        .expect("the cron reports, it does not fail")
}

async fn run(env: &TestEnv) -> CronSummary {
    run_with(env, Context::default()).await
}

/// The counts of a summary, its time aside.
fn counts(s: &CronSummary) -> [usize; 5] {
    [s.due, s.synced, s.failed, s.reauth_required, s.skipped]
}

/// Three linked connections of two users, all due.
async fn three_due(env: &TestEnv) -> Vec<(&'static str, String)> {
    let mut linked = Vec::new();
    for (sub, provider) in [(ALICE, "BLUE"), (ALICE, "RED"), (BOB, "BLUE")] {
        let id = env.link(&user(sub), provider).await;
        env.make_due(sub, &id).await;
        linked.push((sub, id));
    }
    linked
}

async fn due_now(env: &TestEnv) -> usize {
    env.state.connections.due(now(), 100).await.unwrap().len()
}

#[tokio::test]
async fn syncs_every_due_connection_and_leaves_none_due() {
    let env = TestEnv::start().await;
    let due = three_due(&env).await;
    let not_due = env.link(&user(CAROL), "RED").await;
    let before = env.dump().await;
    assert_eq!(due_now(&env).await, 3);

    let summary = run(&env).await;
    assert_eq!(counts(&summary), [3, 3, 0, 0, 0], "{summary:?}");
    let reported = serde_json::to_value(&summary).unwrap();
    for key in [
        "due",
        "synced",
        "failed",
        "reauthRequired",
        "skipped",
        "elapsedMs",
    ] {
        assert!(reported[key].is_u64(), "{key} missing in {reported}");
    }
    assert_eq!(due_now(&env).await, 0);
    let after = env.dump().await;
    for (sub, id) in &due {
        let (old, new) = (
            connection_item(&before, sub, id),
            connection_item(&after, sub, id),
        );
        assert_eq!(new.s("status").unwrap(), "active");
        assert_eq!(new.s("last_sync_status").unwrap(), "ok");
        assert!(new.n("last_sync_at").unwrap() > old.n("last_sync_at").unwrap());
        assert!(new.time("next_sync_at").unwrap() > now());
    }
    assert_eq!(
        connection_item(&after, CAROL, &not_due),
        connection_item(&before, CAROL, &not_due),
        "a connection that was not due was touched"
    );
    // Right after, there is nothing left to do.
    assert_eq!(counts(&run(&env).await), [0, 0, 0, 0, 0]);
}

#[tokio::test]
async fn an_expired_consent_does_not_stop_the_others() {
    let env = TestEnv::start().await;
    let due = three_due(&env).await;
    let (sub, expired) = &due[1];
    env.control
        .expire_consent(&env.consent_of(sub, expired).await)
        .await;

    let summary = run(&env).await;
    assert_eq!(counts(&summary), [3, 2, 0, 1, 0], "{summary:?}");
    assert_eq!(due_now(&env).await, 0);
    let after = env.dump().await;
    let conn = connection_item(&after, sub, expired);
    assert_eq!(conn.s("status").unwrap(), "reauth_required");
    assert!(
        conn.opt_s("gsi1pk").unwrap().is_none(),
        "never due again until re-linked"
    );
    for (sub, id) in [&due[0], &due[2]] {
        assert_eq!(
            connection_item(&after, sub, id)
                .s("last_sync_status")
                .unwrap(),
            "ok"
        );
    }
}

#[tokio::test]
async fn a_failing_connection_does_not_stop_the_others_and_is_retried_later() {
    // One sync at a time, so the injected failures all land on one connection.
    let env = TestEnv::with_overrides(&[("SYNC_CONCURRENCY", "1")]).await;
    let due = three_due(&env).await;
    env.control
        .fault(json!({"endpoint": "transactions", "status": 503, "count": 4}))
        .await;

    let summary = run(&env).await;
    assert_eq!(counts(&summary), [3, 2, 1, 0, 0], "{summary:?}");
    assert_eq!(due_now(&env).await, 0);
    let after = env.dump().await;
    let failed: Vec<&Item> = due
        .iter()
        .map(|(sub, id)| connection_item(&after, sub, id))
        .filter(|c| c.s("last_sync_status").unwrap() == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0].s("status").unwrap(),
        "active",
        "a failure is not a reauth"
    );
    // Due again after the retry interval, not at the next 12-hour sync.
    let next = failed[0].time("next_sync_at").unwrap();
    assert!(
        next > now() && next < now() + Duration::from_secs(3600),
        "{next}"
    );
}

/// The run's summary is one EMF line of the `GulfFinance` namespace without dimensions, with
/// what happened: 3 due, one made to fail (Tarabut's 503s, retried, all on one connection).
/// Each sync and each Tarabut call has its own line too.
#[tokio::test]
async fn the_run_reports_its_summary_as_one_emf_line() {
    let env = TestEnv::with_overrides(&[("SYNC_CONCURRENCY", "1")]).await;
    three_due(&env).await;
    env.control
        .fault(json!({"endpoint": "transactions", "status": 503, "count": 4}))
        .await;
    let capture = MetricsCapture::start();

    let summary = run(&env).await;
    assert_eq!(counts(&summary), [3, 2, 1, 0, 0], "{summary:?}");
    // `lines` checks every line as EMF (numeric metrics, string dimensions, limits).
    let cron: Vec<Value> = capture
        .lines()
        .into_iter()
        .filter(|l| l.get("CronDue").is_some())
        .collect();
    assert_eq!(cron.len(), 1, "{cron:?}");
    let line = &cron[0];
    for (name, value) in [
        ("CronDue", 3.0),
        ("CronSynced", 2.0),
        ("CronFailed", 1.0),
        ("CronReauth", 0.0),
        ("CronSkipped", 0.0),
    ] {
        assert_eq!(line[name].as_f64(), Some(value), "{name} in {line}");
    }
    let directive = &line["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "GulfFinance");
    assert_eq!(directive["Dimensions"], json!([[]]));
    assert_eq!(capture.sum("SyncSucceeded", &[]), 2.0);
    assert_eq!(capture.sum("SyncFailed", &[]), 1.0);
    assert_eq!(
        capture.sum(
            "TarabutCall",
            &[("Endpoint", "transactions"), ("Status", "503")]
        ),
        4.0
    );
}

/// A run where most syncs fail (Tarabut answering 503 to every transactions call) fails the
/// invocation, so Lambda's `Errors` metric and its alarm see it.
#[tokio::test]
async fn a_run_where_most_syncs_fail_fails_the_invocation() {
    let env = TestEnv::start().await;
    three_due(&env).await;
    env.control
        .fault(json!({"endpoint": "transactions", "status": 503}))
        .await;
    let event = Event::load("cron-sync-banks").0;
    let result = cron_sync_banks::handle(
        env.state.clone(),
        LambdaEvent::new(event, Context::default()),
    )
    .await;
    let error = result.expect_err("every sync failed: the invocation must fail");
    let failed = error
        .downcast_ref::<FailedRun>()
        .unwrap_or_else(|| panic!("not a failed run: {error}"));
    assert_eq!(counts(&failed.summary), [3, 0, 3, 0, 0], "{failed:?}");
    assert!(
        error.to_string().contains("3 of 3 attempted syncs failed"),
        "{error}"
    );
    // The connections still got their failure recorded and back off like any failure.
    assert_eq!(due_now(&env).await, 0);
}

#[tokio::test]
async fn takes_no_work_when_the_deadline_is_nearly_over() {
    let env = TestEnv::start().await;
    three_due(&env).await;
    let before = env.dump().await;
    env.control.reset_counters().await;
    let mut context = Context::default();
    // The cron stops taking work 10 s before its deadline.
    context.deadline = (now() + Duration::from_secs(2)).millis() as u64;

    let summary = run_with(&env, context).await;
    assert_eq!(counts(&summary), [3, 0, 0, 0, 3], "{summary:?}");
    assert_eq!(
        env.dump().await,
        before,
        "left connections must stay as they were"
    );
    assert_eq!(
        due_now(&env).await,
        3,
        "what was left is due for the next run"
    );
    let calls = env.control.counters().await["calls"].clone();
    let total: u64 = calls
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 0, "{calls}");
    // The next run, with time, does the work.
    assert_eq!(counts(&run(&env).await), [3, 3, 0, 0, 0]);
}

#[tokio::test]
async fn nothing_due_is_an_empty_run_that_writes_nothing() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    let before = env.dump().await;
    let summary = run(&env).await;
    assert_eq!(counts(&summary), [0, 0, 0, 0, 0]);
    assert_eq!(env.dump().await, before);
}

#[tokio::test]
async fn deleted_connections_are_not_synced() {
    let env = TestEnv::start().await;
    let due = three_due(&env).await;
    let (sub, id) = &due[0];
    connections::delete(&env.state, &user(sub), id, deadline())
        .await
        .unwrap();
    let before = env.dump().await;
    let summary = run(&env).await;
    assert_eq!(counts(&summary), [2, 2, 0, 0, 0], "{summary:?}");
    let after = env.dump().await;
    assert_eq!(
        connection_item(&after, sub, id),
        connection_item(&before, sub, id),
        "the tombstone was touched"
    );
}

/// The schedule's event content is not used: any JSON runs the same.
#[tokio::test]
async fn any_event_payload_is_accepted() {
    let env = TestEnv::start().await;
    for payload in [json!({}), Value::Null, json!({"detail": {"force": true}})] {
        let summary = cron_sync_banks::handle(
            env.state.clone(),
            LambdaEvent::new(payload, Context::default()),
        )
        .await
        .unwrap();
        assert_eq!(counts(&summary), [0, 0, 0, 0, 0]);
    }
}

// ---- overlapping runs ----

/// Two scheduled runs at the same moment, on the local DynamoDB, both reading the due index
/// before either takes the connection: the take is conditional on the `next_sync_at` the
/// index showed, so one run syncs it and the other skips it. Five rounds, so the runs overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_overlapping_runs_sync_a_due_connection_once() {
    let env = TestEnv::on_dynamodb().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    for round in 0..5 {
        env.make_due(ALICE, &id).await;
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let state = env.state.clone();
                let event = Event::load("cron-sync-banks").0;
                tokio::spawn(async move {
                    cron_sync_banks::handle(state, LambdaEvent::new(event, Context::default()))
                        .await
                        .expect("a summary")
                })
            })
            .collect();
        let mut synced = 0;
        for r in runs {
            synced += r.await.unwrap().synced;
        }
        assert_eq!(
            synced, 1,
            "round {round}: the connection was synced {synced} times"
        );
    }
}

/// A DELETE while a slow scheduled sync of the same connection is under way: the sync's final
/// save is conditional on the item not being deleted, so the tombstone stays a tombstone (what
/// the sync wrote is shared/tests/erasure.rs's concern).
#[tokio::test]
async fn a_delete_during_a_sync_is_not_undone_by_the_sync() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.make_due(ALICE, &id).await;
    env.control
        .fault(json!({"endpoint": "transactions", "latencyMs": 800}))
        .await;
    let cron = {
        let state = env.state.clone();
        let event = Event::load("cron-sync-banks").0;
        tokio::spawn(async move {
            cron_sync_banks::handle(state, LambdaEvent::new(event, Context::default())).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    connections::delete(&env.state, &user(ALICE), &id, deadline())
        .await
        .expect("deleted");
    cron.await.unwrap().expect("a summary");
    let dump = env.dump().await;
    let conn = connection_item(&dump, ALICE, &id);
    assert_eq!(conn.s("status").unwrap(), "revoked", "still a tombstone");
    assert!(conn.n("deleted_at").is_ok());
    assert!(conn.get("next_sync_at").is_none(), "off the schedule");
    assert_eq!(
        conn.s("gsi1pk").unwrap(),
        "ERASESWEEP",
        "due for its last erasure only"
    );
}

/// The user syncs a connection (Tarabut slow) when the schedule finds it due: the scheduled run
/// leaves it to the user's sync, which records the result, and Tarabut serves one sync.
#[tokio::test]
async fn a_connection_the_user_is_syncing_is_left_to_that_sync() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.make_due(ALICE, &id).await;
    env.control.reset_counters().await;
    env.control
        .fault(json!({"endpoint": "transactions", "latencyMs": 600}))
        .await;
    let users_sync = {
        let state = env.state.clone();
        let id = id.clone();
        tokio::spawn(async move {
            shared::sync::sync_one(
                &state,
                &user(ALICE),
                shared::sync::SyncRequest { connection_id: id },
                deadline(),
            )
            .await
        })
    };
    while env.control.calls("transactions").await == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let summary = run(&env).await;
    assert_eq!(counts(&summary), [1, 0, 0, 0, 1], "{summary:?}");
    let synced = users_sync.await.unwrap().expect("the user's sync");
    assert_eq!(synced.status, "active");
    let accounts = env
        .state
        .accounts
        .list_for_connection(&user(ALICE), &id)
        .await
        .unwrap();
    assert_eq!(
        env.control.calls("balances").await,
        accounts.len() as u64,
        "one sync's balance calls"
    );
}

/// A transactions answer past the client's body cap fails that connection's sync (a failed
/// sync, due again later), not the run: the others sync.
#[tokio::test]
async fn an_oversize_answer_fails_one_connection_not_the_run() {
    // One sync at a time, so the oversize answer lands on one connection.
    let env = TestEnv::with_overrides(&[("SYNC_CONCURRENCY", "1")]).await;
    let due = three_due(&env).await;
    env.control
        .serve_oversize_transactions(20 * 1024 * 1024, Some(1))
        .await;
    env.control.reset_counters().await;

    let summary = run(&env).await;
    assert_eq!(counts(&summary), [3, 2, 1, 0, 0], "{summary:?}");
    assert_eq!(
        env.control.counters().await["faultsInjected"],
        1,
        "the oversize answer was not retried"
    );
    let after = env.dump().await;
    let failed: Vec<&Item> = due
        .iter()
        .map(|(sub, id)| connection_item(&after, sub, id))
        .filter(|c| c.s("last_sync_status").unwrap() == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].s("status").unwrap(), "active");
    assert!(failed[0].time("next_sync_at").unwrap() > now());
}

/// Each scheduled sync is recorded in its user's audit trail under the invocation's id.
#[tokio::test]
async fn a_scheduled_sync_is_audited_with_the_invocation_id() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.make_due(ALICE, &id).await;
    let mut context = Context::default();
    context.request_id = "invocation-1".into();
    let summary = run_with(&env, context).await;
    assert_eq!(summary.synced, 1, "{summary:?}");
    let items = shared::testkit::audit_items(&env, ALICE).await;
    let last = items.last().expect("an audit item");
    assert_eq!(last.s("action").unwrap(), "connection.scheduled_sync");
    assert_eq!(last.s("connection_id").unwrap(), id);
    assert_eq!(last.s("request_id").unwrap(), "invocation-1");
}

/// A due connection whose consent reached its expiry date is marked `expired` and leaves the
/// schedule without a call to Tarabut; the list shows it expired, its accounts still show, and
/// the user's sync of it is a 409 `consent-expired`.
#[tokio::test]
async fn a_consent_past_its_date_is_marked_expired_and_never_synced_again() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let mut conn = env
        .state
        .connections
        .get(&user(ALICE), &id)
        .await
        .unwrap()
        .unwrap();
    conn.consent_expires_at = Some(now() - Duration::from_secs(1));
    conn.next_sync_at = Some(now() - Duration::from_secs(60));
    env.state.connections.save(&conn).await.unwrap();
    // Before the schedule marks it, the list already says so.
    let listed = connections::list(&env.state, &user(ALICE)).await.unwrap();
    assert_eq!(listed.connections[0].status, "expired");

    env.control.reset_counters().await;
    let summary = run(&env).await;
    assert_eq!(
        (summary.due, summary.expired, summary.synced),
        (1, 1, 0),
        "{summary:?}"
    );
    assert_eq!(env.control.calls("transactions").await, 0);
    assert_eq!(env.control.calls("accounts").await, 0);
    let stored = connection_item(&env.dump().await, ALICE, &id).clone();
    assert_eq!(stored.s("status").unwrap(), "expired");
    assert!(!stored.contains_key("next_sync_at"));
    assert!(!stored.contains_key("gsi1pk"), "off the schedule");
    assert_eq!(run(&env).await.due, 0);

    let err = shared::sync::sync_one(
        &env.state,
        &user(ALICE),
        shared::sync::SyncRequest {
            connection_id: id.clone(),
        },
        deadline(),
    )
    .await
    .unwrap_err();
    let problem = shared::http::HttpError::from(err).problem();
    assert_eq!(
        (problem.status, problem.type_uri.as_str()),
        (409, "/problems/consent-expired")
    );
    let accounts = shared::accounts::list(&env.state, &user(ALICE))
        .await
        .unwrap();
    assert_eq!(
        accounts.accounts.len(),
        2,
        "its data stays the user's until deleted"
    );
    assert_eq!(env.control.calls("transactions").await, 0);
}
