//! GET /finance/insights/balance-history driven by `events/insights-balance-history.json`
//! against a fresh in-memory table and the sandbox's demo data.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use shared::banking::{BalanceSnapshot, balances, transactions};
use shared::store::MemoryTable;
use shared::testkit::{ALICE, BOB, Event, ReadCounter, TestEnv, money, user};
use shared::time::Timestamp;

shared::handler_test_helpers!(insights_balance_history::handle);

const EVENT: &str = "insights-balance-history";

/// The last 30 days, today included: today in the Gulf, as the engine dates balances (after
/// 21:00 UTC the bank's latest balance is already tomorrow's in UTC terms).
fn last_30_days() -> (NaiveDate, NaiveDate) {
    let tomorrow = shared::insights::gulf_today() + Duration::days(1);
    (tomorrow - Duration::days(30), tomorrow)
}

#[tokio::test]
async fn every_day_once_per_account_ending_at_the_banks_balance() {
    let env = TestEnv::start().await;
    let alice = user(ALICE);
    env.link_demo_banks(&alice).await;
    let (from, to) = last_30_days();
    let answer = call(&env, &Event::range(EVENT, from, to, &[("currency", "BHD")])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let report = answer.json();
    let accounts = report["accounts"].as_array().unwrap();
    let stored = env.state.accounts.list(&alice).await.unwrap();
    assert_eq!(accounts.len(), stored.len(), "one series per account");
    for series in accounts {
        let points = series["points"].as_array().unwrap();
        let days: Vec<NaiveDate> = points
            .iter()
            .map(|p| p["date"].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(days.len(), 30, "every day of [from, to)");
        assert_eq!(days.iter().collect::<HashSet<_>>().len(), 30, "each once");
        assert_eq!(days[0], from);
        // The series reaches the balance the bank reported, on the anchor's day.
        let record = stored
            .iter()
            .find(|a| a.account_id == series["accountId"].as_str().unwrap())
            .unwrap();
        let anchor_date: NaiveDate = series["anchor"]["date"].as_str().unwrap().parse().unwrap();
        let at_anchor = points
            .iter()
            .find(|p| p["date"].as_str().unwrap() == anchor_date.to_string())
            .expect("the latest balance is within the last 30 days");
        assert_eq!(
            Some(money(&at_anchor["balance"])),
            record.balance,
            "{series}"
        );
        // balance(d) = balance(d-1) + flows(d) + adjustment(d)
        for pair in points.windows(2) {
            let prev = money(&pair[0]["balance"]);
            let next = money(&pair[1]["balance"]);
            let flows = money(&pair[1]["flows"]);
            let adjustment = pair[1]
                .get("adjustment")
                .filter(|a| !a.is_null())
                .map(money);
            let mut expected = prev.checked_add(flows).unwrap();
            if let Some(a) = adjustment {
                expected = expected.checked_add(a).unwrap();
            }
            assert_eq!(next, expected, "{}", pair[1]);
        }
    }
    // A total per day in BHD; the SAR accounts converted at the peg, none left out.
    let totals = report["totals"].as_array().unwrap();
    assert_eq!(totals.len(), 30);
    assert!(totals.iter().all(|t| t["total"]["currency"] == "BHD"));
    assert!(
        report["unconverted"].as_array().unwrap().is_empty(),
        "{report}"
    );
}

#[tokio::test]
async fn one_account_and_bad_queries() {
    let env = TestEnv::start().await;
    let alice = user(ALICE);
    env.link(&alice, "BLUE").await;
    let bob = user(BOB);
    env.link(&bob, "RED").await;
    let mine = env.state.accounts.list(&alice).await.unwrap()[0]
        .account_id
        .clone();
    let bobs = env.state.accounts.list(&bob).await.unwrap()[0]
        .account_id
        .clone();
    let (from, to) = last_30_days();
    let answer = call(
        &env,
        &Event::range(EVENT, from, to, &[("accountId", &mine)]),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["accounts"].as_array().unwrap().len(), 1);

    let (f, t) = (from.to_string(), to.to_string());
    let cases: Vec<(Vec<(&str, &str)>, u16)> = vec![
        (vec![("from", &f)], 400),
        (vec![("from", &t), ("to", &f)], 400),
        (vec![("from", "2023-01-01"), ("to", &t)], 400),
        (vec![("from", &f), ("to", &t), ("currency", "XYZ")], 400),
        (vec![("from", &f), ("to", &t), ("currency", "bhd")], 400),
        (vec![("from", &f), ("to", &t), ("accountId", &bobs)], 404),
    ];
    for (pairs, status) in cases {
        let event = Event::load(EVENT).query(&pairs);
        refused(&env, event, status).await;
    }
    for negative in [
        "negative/insights-balance-history.no-claims",
        "negative/insights-balance-history.empty-sub",
    ] {
        refused(&env, Event::load(negative), 401).await;
    }
}

/// A window months back reads the snapshots around it and the transactions up to the first
/// reading after it, not every snapshot of the user nor every transaction up to today.
#[tokio::test]
async fn a_past_window_reads_only_what_is_around_it() {
    let env = TestEnv::on(ReadCounter::new(MemoryTable::new()), &[]).await;
    let alice = user(ALICE);
    env.link_demo_banks(&alice).await;
    let accounts = env.state.accounts.list(&alice).await.unwrap();
    let today = shared::insights::gulf_today();
    // A year of snapshots, one every 12 hours for every account, as the cron leaves them.
    let first = today - Duration::days(365);
    let midnight = |d: NaiveDate| Timestamp::from(d.and_hms_opt(0, 0, 0).unwrap().and_utc());
    let mut snapshots = Vec::new();
    for a in &accounts {
        for half_day in 0..730 {
            snapshots.push(BalanceSnapshot {
                user: alice.clone(),
                connection_id: a.connection_id.clone(),
                account_id: a.account_id.clone(),
                amount: a.balance.unwrap(),
                balance_type: "InterimBooked".into(),
                at: midnight(first) + std::time::Duration::from_secs(half_day * 43_200),
                source: "sync".into(),
            });
        }
    }
    env.state.balances.put_all(&snapshots).await.unwrap();
    let (from, to) = (today - Duration::days(200), today - Duration::days(170));
    env.table.reset();
    let answer = call(&env, &Event::range(EVENT, from, to, &[])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);

    // Per account: two a day over the window and a day each side, the last one before and
    // the first one after.
    let snapshots_read = env.table.sort_keys_read(&balances::partition(&alice));
    let bound = accounts.len() * (2 * 32 + 2);
    assert!(
        snapshots_read.len() <= bound,
        "{} snapshots read, at most {bound} needed",
        snapshots_read.len()
    );
    // Transactions from the day before the window to the first reading after it (the day
    // after `to`), plus the 5 days of context.
    let dates: Vec<NaiveDate> = env
        .table
        .sort_keys_read(&transactions::partition(&alice))
        .iter()
        .map(|sk| sk[..10].parse().unwrap())
        .collect();
    assert!(!dates.is_empty());
    let latest = dates.iter().max().unwrap();
    assert!(
        *latest <= to + Duration::days(6),
        "read transactions up to {latest} for a window ending {to}"
    );
    assert!(*dates.iter().min().unwrap() >= from - Duration::days(1));
    // The series are anchored on the reading right after the window.
    for series in answer.json()["accounts"].as_array().unwrap() {
        assert_eq!(series["anchor"]["date"], to.to_string(), "{series}");
        assert_eq!(series["points"].as_array().unwrap().len(), 30);
    }
}
