//! What keeps a user's items and reads bounded (docs/architecture.md §5), on the in-memory table
//! and on DynamoDB (dynalite: run with `scripts/with-dynalite.sh`): balance snapshots expire,
//! pending connections expire and are capped per user.

use std::time::Duration;

use shared::banking::{BalanceSnapshot, ConnectionStatus};
use shared::error::UseCaseError;
use shared::linking::{self, ConnectRequest};
use shared::money::{Currency, Money};
use shared::store::{ItemExt, Key, Query, SortKey, TTL_ATTRIBUTE, Table};
use shared::testkit::{ALICE, BOB, TestEnv, TestTable, deadline, user};
use shared::time::Timestamp;

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(shared::testkit::TestEnv::start().await).await;
                }
            )*
        }
        mod dynamo {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(shared::testkit::TestEnv::on_dynamodb().await).await;
                }
            )*
        }
    };
}

on_both_stores!(
    balance_snapshots_expire_two_years_after_their_reading,
    balance_reads_take_the_window_and_one_reading_each_side,
    a_pending_connection_expires_and_an_active_one_does_not,
    concurrent_connects_leave_at_most_five_unfinished_links,
);

const DAY_SECS: i64 = 86_400;

async fn balance_snapshots_expire_two_years_after_their_reading<T: TestTable>(env: TestEnv<T>) {
    let alice = user(ALICE);
    let at = Timestamp::from_millis(1_780_000_000_123);
    let snapshot = BalanceSnapshot {
        user: alice.clone(),
        connection_id: "c1".into(),
        account_id: "acct-1".into(),
        amount: Money::from_minor(12_500, Currency::from_code("BHD").unwrap()),
        balance_type: "InterimBooked".into(),
        at,
        source: "sync".into(),
    };
    env.state.balances.put_all(&[snapshot]).await.unwrap();
    let items = env
        .table
        .query(&Query::partition(format!("USER#{}#BAL", alice.as_str())))
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].n(TTL_ATTRIBUTE).ok(),
        Some(at.epoch_secs() + 731 * DAY_SECS),
        "{:?}",
        items[0]
    );
}

/// Snapshots of `acct-1` and of `acct-10` (whose key starts like it) at noon of days 0..10.
async fn balance_reads_take_the_window_and_one_reading_each_side<T: TestTable>(env: TestEnv<T>) {
    let alice = user(ALICE);
    let day = |d: u64| Timestamp::from_millis(1_780_000_000_000) + Duration::from_secs(d * 86_400);
    let bhd = Currency::from_code("BHD").unwrap();
    let mut snapshots = Vec::new();
    for account in ["acct-1", "acct-10"] {
        for d in 0..10 {
            snapshots.push(BalanceSnapshot {
                user: alice.clone(),
                connection_id: "c1".into(),
                account_id: account.into(),
                amount: Money::from_minor(d as i64, bhd),
                balance_type: "InterimBooked".into(),
                at: day(d),
                source: "sync".into(),
            });
        }
    }
    env.state.balances.put_all(&snapshots).await.unwrap();
    let read = |start, end, horizon| {
        let (state, alice) = (env.state.clone(), alice.clone());
        async move {
            let got = state
                .balances
                .around(&alice, "acct-1", start, end, horizon)
                .await
                .unwrap();
            assert!(got.iter().all(|s| s.account_id == "acct-1"), "{got:?}");
            got.iter().map(|s| s.amount.minor()).collect::<Vec<_>>()
        }
    };
    let hour = Duration::from_secs(3_600);
    // [day 3, day 6): the one before, the three inside, the one at the end.
    assert_eq!(read(day(3), day(6), hour).await, [2, 3, 4, 5, 6]);
    // The next reading is beyond the horizon: none after.
    assert_eq!(read(day(3), day(6) + hour, hour).await, [2, 3, 4, 5, 6]);
    assert_eq!(read(day(3), day(5) + hour, hour).await, [2, 3, 4, 5]);
    // Nothing before the first reading, nothing after the last.
    assert_eq!(read(day(0), day(1), hour).await, [0, 1]);
    assert_eq!(read(day(9) + hour, day(20), hour).await, [9]);
}

async fn connection_items<T: TestTable>(env: &TestEnv<T>, sub: &str) -> Vec<shared::store::Item> {
    env.table
        .query(
            &Query::partition(format!("USER#{}", user(sub).as_str()))
                .sort(SortKey::BeginsWith("CONN#".into())),
        )
        .await
        .unwrap()
}

async fn a_pending_connection_expires_and_an_active_one_does_not<T: TestTable>(env: TestEnv<T>) {
    let alice = user(ALICE);
    let created = linking::connect(&env.state, &alice, blue(), deadline())
        .await
        .unwrap();
    let items = connection_items(&env, ALICE).await;
    assert_eq!(items.len(), 1);
    let expires_at: Timestamp = created
        .expires_at
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        .into();
    // A day after the intent's expiry: long after any completion could happen (the code
    // lives 5 minutes), and the sweep (every 15 minutes) normally drops it long before.
    assert_eq!(
        items[0].n(TTL_ATTRIBUTE).ok(),
        Some((expires_at + Duration::from_secs(DAY_SECS as u64)).epoch_secs()),
        "{:?}",
        items[0]
    );
    // A completed link is kept for good.
    let id = env.link(&alice, "RED").await;
    let key = Key::new(format!("USER#{}", alice.as_str()), format!("CONN#{id}"));
    let active = env.table.get(&key, true).await.unwrap().unwrap();
    assert_eq!(
        active.s("status").unwrap(),
        ConnectionStatus::Active.as_str()
    );
    assert_eq!(active.opt_n(TTL_ATTRIBUTE).unwrap(), None);
}

fn blue() -> ConnectRequest {
    ConnectRequest {
        provider_id: Some("BLUE".into()),
        ..ConnectRequest::default()
    }
}

/// Ten connects at once for one user: five unfinished links at most remain, every other
/// answer is the typed refusal, and another user is not affected. Not asserted: that one of
/// the ten wins. Racers at the cap each count after their own write and give way above it
/// (`linking::connect`), so when all ten write before any counts, all ten give way: the safe
/// side, and what happened under CI's load (docs/architecture.md §5, "Pending connections"). Progress is proven
/// sequentially below.
async fn concurrent_connects_leave_at_most_five_unfinished_links<T: TestTable>(env: TestEnv<T>) {
    let alice = user(ALICE);
    // The token first, so the connects race on the links and not on the mint.
    env.token_of(ALICE).await;
    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (state, alice) = (env.state.clone(), alice.clone());
        racing.spawn(async move { linking::connect(&state, &alice, blue(), deadline()).await });
    }
    let answers = racing.join_all().await;
    let accepted = answers.iter().filter(|a| a.is_ok()).count();
    for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert!(
            matches!(refused, UseCaseError::TooManyPendingLinks { limit: 5 }),
            "{refused:?}"
        );
    }
    let pending = connection_items(&env, ALICE)
        .await
        .iter()
        .filter(|i| i.s("status").unwrap() == "pending")
        .count();
    assert!(pending <= 5, "{pending} pending connections");
    assert_eq!(
        pending, accepted,
        "every accepted link is pending, no refused one"
    );
    // Sequentially now: full until one finishes.
    while connection_items(&env, ALICE).await.len() < 5 {
        linking::connect(&env.state, &alice, blue(), deadline())
            .await
            .unwrap();
    }
    assert!(matches!(
        linking::connect(&env.state, &alice, blue(), deadline()).await,
        Err(UseCaseError::TooManyPendingLinks { limit: 5 })
    ));
    linking::connect(&env.state, &user(BOB), blue(), deadline())
        .await
        .unwrap();
}
