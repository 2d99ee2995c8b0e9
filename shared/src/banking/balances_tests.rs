//! Picking Tarabut's balance, and the snapshots on the embedded table (which passes the
//! same conformance suite as DynamoDB).

use serde_json::json;

use super::*;
use crate::store::{MemoryTable, TTL_ATTRIBUTE};

const DAY: Duration = Duration::from_secs(86_400);
const HOUR: Duration = Duration::from_secs(3600);

fn user() -> UserId {
    UserId::parse("user-1").expect("a user id")
}

fn bhd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::from_code("BHD").expect("BHD"))
}

fn balances(list: serde_json::Value) -> Vec<tarabut::Balance> {
    serde_json::from_value(list).expect("Tarabut balances")
}

fn snapshot(account: &str, at: Timestamp, minor: i64) -> BalanceSnapshot {
    BalanceSnapshot {
        user: user(),
        connection_id: "conn-1".into(),
        account_id: account.into(),
        amount: bhd(minor),
        balance_type: "InterimBooked".into(),
        at,
        source: "sync".into(),
    }
}

#[test]
fn the_preferred_balance_is_picked_and_signed() {
    let list = balances(json!([
        {"type": "ClosingAvailable", "amount": {"value": "9.000", "currency": "BHD"}},
        {"type": "interimbooked", "amount": {"value": "120.500", "currency": "BHD"},
         "creditDebitIndicator": "Debit", "dateTime": "2026-11-20T08:00:00Z"},
        {"type": "Unknown", "amount": {"value": "1.000", "currency": "BHD"}},
    ]));
    let (money, kind, at) = pick_balance(&list).expect("valid").expect("a balance");
    assert_eq!(money, bhd(-120_500));
    assert_eq!(kind, "interimbooked");
    assert_eq!(
        at,
        Some(Timestamp::from(
            "2026-11-20T08:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .expect("a time")
        ))
    );
    // A missing indicator is a credit; an unknown type is the last resort.
    let list = balances(json!([
        {"type": "Unknown", "amount": {"value": "1.000", "currency": "BHD"}},
        {"type": "OpeningBooked", "amount": {"value": "2.000", "currency": "BHD"}},
    ]));
    let (money, kind, at) = pick_balance(&list).expect("valid").expect("a balance");
    assert_eq!(
        (money, kind.as_str(), at),
        (bhd(2_000), "OpeningBooked", None)
    );
    let list = balances(json!([
        {"type": "Unknown", "amount": {"value": "1.000", "currency": "BHD"},
         "creditDebitIndicator": "credit"},
    ]));
    assert_eq!(
        pick_balance(&list).expect("valid").expect("a balance").0,
        bhd(1_000)
    );
    assert_eq!(pick_balance(&[]).expect("valid"), None);
    let bad = balances(json!([{"type": "Expected", "amount": {"value": "1", "currency": "XXX"}}]));
    assert!(pick_balance(&bad).is_err());
}

#[tokio::test]
async fn snapshots_read_back_with_their_ttl_one_per_account_and_instant() {
    let table = Arc::new(MemoryTable::new());
    let repo = BalanceRepo::new(table.clone(), 730 * DAY);
    let now = Timestamp::from(chrono::Utc::now());
    let a = snapshot("acc-1", now - 2 * HOUR, 5_000);
    let b = BalanceSnapshot {
        source: "live".into(),
        balance_type: "ClosingAvailable".into(),
        ..snapshot("acc-1", now - HOUR, -7_250)
    };
    let same_instant = snapshot("acc-1", now - HOUR, 1);
    repo.put_all(&[a.clone(), b.clone(), same_instant])
        .await
        .expect("stored");
    assert_eq!(
        repo.all(&user()).await.expect("all"),
        vec![a.clone(), b.clone()]
    );
    let item = table
        .get(&a.key(), true)
        .await
        .expect("read")
        .expect("item");
    assert_eq!(
        item.n(TTL_ATTRIBUTE).expect("TTL"),
        (a.at + 730 * DAY).epoch_secs()
    );

    let n = repo
        .delete_matching(&user(), |_, acc| acc == "acc-1")
        .await
        .expect("deleted");
    assert_eq!(n, 2);
    assert!(repo.all(&user()).await.expect("all").is_empty());
    assert_eq!(
        repo.delete_matching(&user(), |_, _| true)
            .await
            .expect("deleted"),
        0
    );
}

/// `around` a window: the last snapshot before it, all inside, and the first after it
/// within the horizon (and no other account's).
#[tokio::test]
async fn a_window_reads_its_anchors_and_nothing_else() {
    let repo = BalanceRepo::new(Arc::new(MemoryTable::new()), 730 * DAY);
    let start = Timestamp::from(chrono::Utc::now()) - 30 * DAY;
    let end = start + 10 * DAY;
    let horizon = 3 * DAY;
    let at = |s: &str, offset: Duration, minor| {
        let mut snap = snapshot("acc-1", start, minor);
        snap.at = match s {
            "-" => start - offset,
            "+" => start + offset,
            _ => end + offset,
        };
        snap
    };
    let long_before = at("-", 5 * DAY, 1);
    let just_before = at("-", Duration::from_millis(1), 2);
    let first_inside = at("+", Duration::ZERO, 3);
    let last_inside = at("end", Duration::ZERO, 4);
    let last_inside = BalanceSnapshot {
        at: last_inside.at - Duration::from_millis(1),
        ..last_inside
    };
    let at_end = at("end", Duration::ZERO, 5);
    let after_end = at("end", DAY, 6);
    let other_account = snapshot("acc-10", start + DAY, 7);
    repo.put_all(&[
        long_before,
        just_before.clone(),
        first_inside.clone(),
        last_inside.clone(),
        at_end.clone(),
        after_end,
        other_account,
    ])
    .await
    .expect("stored");
    let got = repo
        .around(&user(), "acc-1", start, end, horizon)
        .await
        .expect("around");
    assert_eq!(got, vec![just_before, first_inside, last_inside, at_end]);

    // Nothing after the window within the horizon: no closing anchor.
    let beyond = BalanceRepo::new(Arc::new(MemoryTable::new()), 730 * DAY);
    beyond
        .put_all(&[snapshot(
            "acc-1",
            end + horizon + Duration::from_millis(1),
            8,
        )])
        .await
        .expect("stored");
    assert!(
        beyond
            .around(&user(), "acc-1", start, end, horizon)
            .await
            .expect("around")
            .is_empty()
    );
    let edge = snapshot("acc-1", end + horizon, 9);
    beyond
        .put_all(std::slice::from_ref(&edge))
        .await
        .expect("stored");
    assert_eq!(
        beyond
            .around(&user(), "acc-1", start, end, horizon)
            .await
            .expect("around"),
        vec![edge]
    );
}

/// Each user's snapshots are in the user's own partition: nobody reads another's.
#[tokio::test]
async fn a_users_snapshots_are_the_users_alone() {
    let table = Arc::new(MemoryTable::new());
    let repo = BalanceRepo::new(table.clone(), 730 * DAY);
    let now = Timestamp::from(chrono::Utc::now());
    let mine = snapshot("acc-1", now - HOUR, 1);
    let other_user = UserId::parse("user-2").expect("a user id");
    let theirs = BalanceSnapshot {
        user: other_user.clone(),
        ..snapshot("acc-1", now - HOUR, 2)
    };
    repo.put_all(&[mine.clone(), theirs.clone()])
        .await
        .expect("stored");
    assert_eq!(
        table.snapshot().len(),
        2,
        "one snapshot overwrote the other"
    );
    assert_eq!(repo.all(&user()).await.expect("all"), vec![mine.clone()]);
    assert_eq!(repo.all(&other_user).await.expect("all"), vec![theirs]);
    let window = repo
        .around(&user(), "acc-1", now - DAY, now, DAY)
        .await
        .expect("around");
    assert_eq!(window, vec![mine]);
    assert_eq!(partition(&user()), "USER#user-1#BAL");
    assert_eq!(
        repo.delete_matching(&other_user, |_, _| true)
            .await
            .expect("deleted"),
        1
    );
    assert_eq!(repo.all(&user()).await.expect("all").len(), 1);
}

#[tokio::test]
async fn a_snapshot_past_its_retention_is_not_read() {
    let repo = BalanceRepo::new(Arc::new(MemoryTable::new()), 10 * DAY);
    let now = Timestamp::from(chrono::Utc::now());
    let expired = snapshot("acc-1", now - 11 * DAY, 1);
    let kept = snapshot("acc-1", now - 9 * DAY, 2);
    repo.put_all(&[expired, kept.clone()])
        .await
        .expect("stored");
    let got = repo
        .around(&user(), "acc-1", now - 20 * DAY, now, DAY)
        .await
        .expect("around");
    assert_eq!(got, vec![kept]);
}
