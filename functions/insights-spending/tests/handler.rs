//! GET /finance/insights/spending driven by `events/insights-spending.json` against a fresh
//! in-memory table and the sandbox's year of demo data.

use chrono::{Datelike, Months, NaiveDate, Utc};
use shared::money::Money;
use shared::testkit::{ALICE, BOB, Event, TestEnv, money, user};

shared::handler_test_helpers!(insights_spending::handle);

const EVENT: &str = "insights-spending";

/// The last complete calendar month before today: [first day, first day of this month).
fn last_month() -> (NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    let this_month = today.with_day(1).unwrap();
    (this_month - Months::new(1), this_month)
}

async fn linked_env() -> TestEnv {
    let env = TestEnv::start().await;
    env.link_demo_banks(&user(ALICE)).await;
    env
}

fn range_event(from: NaiveDate, to: NaiveDate, extra: &[(&str, &str)]) -> Event {
    Event::range(EVENT, from, to, extra)
}

#[tokio::test]
async fn last_month_by_category_nets_add_up_and_transfers_are_excluded() {
    let env = linked_env().await;
    let (from, to) = last_month();
    let answer = call(&env, &range_event(from, to, &[("groupBy", "category")])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.content_type, "application/json");
    let report = answer.json();
    let periods = report["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 1, "one calendar month");
    let currencies = periods[0]["currencies"].as_array().unwrap();
    let codes: Vec<&str> = currencies
        .iter()
        .map(|c| c["total"]["currency"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"BHD") && codes.contains(&"SAR"),
        "{codes:?}"
    );
    for c in currencies {
        // Money is a decimal string with the currency's digits, never a float.
        let total = money(&c["total"]);
        let digits = total.currency().exponent() as usize;
        let text = c["total"]["amount"].as_str().unwrap();
        assert_eq!(text.split('.').nth(1).map(str::len), Some(digits), "{text}");
        // The total is the sum of the group nets (refunds reduce their group; no abs()).
        let nets: Vec<Money> = c["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| money(&g["net"]))
            .collect();
        assert!(!nets.is_empty());
        assert_eq!(Money::sum(total.currency(), &nets).unwrap(), total);
        assert!(total.minor() > 0, "a month of demo life costs something");
    }
    // The monthly 100 BHD → 997.34 SAR own-account transfer is money moved, not spent.
    let bhd = currencies
        .iter()
        .find(|c| c["total"]["currency"] == "BHD")
        .unwrap();
    assert!(
        bhd["excluded"]["internalTransfers"]["count"]
            .as_u64()
            .unwrap()
            >= 1,
        "{bhd}"
    );
    let groups: Vec<&str> = bhd["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert!(!groups.contains(&"transfer_in"), "{groups:?}");
}

#[tokio::test]
async fn by_merchant_and_for_one_account() {
    let env = linked_env().await;
    let (from, to) = last_month();
    let answer = call(&env, &range_event(from, to, &[("groupBy", "merchant")])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let report = answer.json();
    let labels: Vec<String> = report["periods"][0]["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["groups"].as_array().unwrap().iter())
        .map(|g| g["label"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(labels.iter().any(|l| l.contains("lulu")), "{labels:?}");

    let accounts = env.state.accounts.list(&user(ALICE)).await.unwrap();
    let sar = accounts
        .iter()
        .find(|a| a.currency.code() == "SAR")
        .unwrap();
    let answer = call(
        &env,
        &range_event(from, to, &[("accountId", &sar.account_id)]),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let currencies = answer.json()["periods"][0]["currencies"].clone();
    let codes: Vec<&str> = currencies
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["total"]["currency"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["SAR"]);
}

#[tokio::test]
async fn a_range_of_several_months_lists_each_month_once() {
    let env = linked_env().await;
    let (_, to) = last_month();
    let from = to - Months::new(3);
    let answer = call(&env, &range_event(from, to, &[])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let months: Vec<String> = answer.json()["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["month"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(months.len(), 3);
    let mut unique = months.clone();
    unique.dedup();
    assert_eq!(unique, months);
}

#[tokio::test]
async fn refresh_pulls_fresh_data_first() {
    let env = linked_env().await;
    let (from, to) = last_month();
    env.control.reset_counters().await;
    let answer = call(&env, &range_event(from, to, &[("refresh", "true")])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let refreshed = answer.json()["refreshed"].clone();
    assert_eq!(refreshed.as_array().unwrap().len(), 2, "{refreshed}");
    assert!(env.control.calls("transactions").await > 0);
}

/// `refresh=true` sooner than the user's sync interval: the stored data is served at once,
/// with when a refresh is allowed again, and Tarabut is not asked.
#[tokio::test]
async fn refresh_too_soon_serves_the_stored_data_without_asking_tarabut() {
    let env = TestEnv::with_overrides(&[("USER_SYNC_MIN_INTERVAL_SECS", "60")]).await;
    env.link_demo_banks(&user(ALICE)).await;
    let (from, to) = last_month();
    let first = call(&env, &range_event(from, to, &[("refresh", "true")])).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(first.json()["refreshed"].is_array());
    assert!(first.json().get("refreshRetryAfter").is_none());

    env.control.reset_counters().await;
    let again = call(&env, &range_event(from, to, &[("refresh", "true")])).await;
    assert_eq!(again.status, 200, "{}", again.text);
    let mut body = again.json();
    let retry = body["refreshRetryAfter"].as_u64().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(body.get("refreshed").is_none(), "{body}");
    let calls = env.control.counters().await["calls"].clone();
    assert!(
        calls.as_object().unwrap().values().all(|n| n == 0),
        "Tarabut was asked: {calls}"
    );
    // The same report as without refresh.
    let plain = call(&env, &range_event(from, to, &[])).await.json();
    body.as_object_mut().unwrap().remove("refreshRetryAfter");
    assert_eq!(body, plain);
}

#[tokio::test]
async fn bad_queries_are_refused_and_change_nothing() {
    let env = linked_env().await;
    let (from, to) = last_month();
    let bob = user(BOB);
    env.link(&bob, "RED").await;
    let bobs_account = env.state.accounts.list(&bob).await.unwrap()[0]
        .account_id
        .clone();
    let f = from.to_string();
    let t = to.to_string();
    let long_from = (to - Months::new(25)).to_string();
    let cases: Vec<(Vec<(&str, &str)>, u16)> = vec![
        (vec![("to", &t)], 400),
        (vec![("from", &f)], 400),
        (vec![("from", &t), ("to", &f)], 400),
        (vec![("from", &f), ("to", &f)], 400),
        (vec![("from", &long_from), ("to", &t)], 400),
        (vec![("from", "2026-13-01"), ("to", &t)], 400),
        (vec![("from", "yesterday"), ("to", &t)], 400),
        (vec![("from", &f), ("to", &t), ("groupBy", "day")], 400),
        (vec![("from", &f), ("to", &t), ("refresh", "maybe")], 400),
        (vec![("from", &f), ("to", &t), ("limit", "5")], 400),
        (vec![("from", &f), ("from", &f), ("to", &t)], 400),
        (
            vec![("from", &f), ("to", &t), ("accountId", &bobs_account)],
            404,
        ),
        (
            vec![("from", &f), ("to", &t), ("accountId", "no-such-account")],
            404,
        ),
        (vec![("from", &f), ("to", &t), ("accountId", "a#b")], 404),
    ];
    for (pairs, status) in cases {
        let event = Event::load(EVENT).query(&pairs);
        refused(&env, event, status).await;
    }
    for negative in [
        "negative/insights-spending.no-claims",
        "negative/insights-spending.empty-sub",
    ] {
        refused(&env, Event::load(negative), 401).await;
    }
}

#[tokio::test]
async fn a_user_without_banks_gets_empty_months() {
    let env = TestEnv::start().await;
    let (from, to) = last_month();
    let answer = call(&env, &range_event(from, to, &[])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let report = answer.json();
    assert_eq!(report["periods"].as_array().unwrap().len(), 1);
    assert!(
        report["periods"][0]["currencies"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{report}"
    );
}

/// A report of someone's spending must not be kept by a browser or a shared cache, and
/// neither may a problem answer (it says whether an account exists).
#[tokio::test]
async fn answers_and_problems_are_not_stored_by_caches() {
    let env = linked_env().await;
    let (from, to) = last_month();
    let answer = call(&env, &range_event(from, to, &[])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let problem = call(&env, &range_event(to, from, &[])).await;
    assert_eq!(problem.status, 400, "{}", problem.text);
    assert_eq!(problem.header("cache-control"), Some("no-store"));
}

/// An insight read is audited with the account it was asked for, and holds no amount.
#[tokio::test]
async fn an_insight_read_is_audited_with_its_account() {
    let env = linked_env().await;
    let (from, to) = last_month();
    let account = env.state.accounts.list(&user(ALICE)).await.unwrap()[0]
        .account_id
        .clone();
    let event = range_event(from, to, &[("accountId", &account)]);
    assert_eq!(call(&env, &event).await.status, 200);
    shared::testkit::assert_audited(
        &env,
        ALICE,
        &event,
        "insights.spending",
        None,
        Some(&account),
    )
    .await;
}

/// When the access cannot be recorded, the data is not served.
#[tokio::test]
async fn no_answer_without_its_audit_record() {
    let env = linked_env().await;
    // The same table, seen by a process whose audit writes fail.
    let refusing = shared::testkit::RefusingTable::refusing_puts_to(env.table.clone(), "#AUDIT");
    let config = shared::testkit::test_config("memory", env.sandbox.base_url(), &[]);
    let state = shared::AppState::new(config, std::sync::Arc::new(refusing)).unwrap();
    let (from, to) = last_month();
    let answer = shared::testkit::Answer::read(
        insights_spending::handle(&state, range_event(from, to, &[]).request())
            .await
            .unwrap(),
    );
    assert_eq!(answer.status, 500, "{}", answer.text);
    assert!(!answer.text.contains("amount"), "{}", answer.text);
}
