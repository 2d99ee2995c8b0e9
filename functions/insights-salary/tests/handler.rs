//! GET /finance/insights/salary driven by `events/insights-salary.json` against a fresh
//! in-memory table and the sandbox's year of demo data (salary on the 27th, moved to the
//! Thursday before when the 27th is a Friday or Saturday).

use chrono::{Datelike, NaiveDate, Utc, Weekday};
use serde_json::json;
use shared::testkit::{ALICE, Event, TestEnv, money, user};

shared::handler_test_helpers!(insights_salary::handle);

const EVENT: &str = "insights-salary";

fn date(v: &serde_json::Value) -> NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_monthly_salary_on_the_27th_is_detected() {
    let env = TestEnv::start().await;
    let alice = user(ALICE);
    env.link_demo_banks(&alice).await;
    let answer = call(&env, &Event::load(EVENT)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let report = answer.json();
    assert_eq!(report["detected"], true, "{report}");
    let p = &report["primary"];
    assert_eq!(p["cadence"], "MONTHLY");
    assert_eq!(p["status"], "MATURE");
    assert_eq!(p["confidenceLabel"], "high", "{p}");
    assert_eq!(money(&p["amount"]).currency().code(), "BHD");
    assert!(
        p["evidence"]["occurrences"].as_u64().unwrap() >= 10,
        "a year of salaries"
    );
    // Paid on the 27th, or the Thursday before when the 27th falls on Bahrain's weekend.
    let last = date(&p["lastPaidDate"]);
    let expected_day = match NaiveDate::from_ymd_opt(last.year(), last.month(), 27)
        .unwrap()
        .weekday()
    {
        Weekday::Fri => 26,
        Weekday::Sat => 25,
        _ => 27,
    };
    assert_eq!(last.day(), expected_day, "{p}");
    let next = date(&p["nextExpectedDate"]);
    assert!(next > last && (next - last).num_days() <= 35, "{p}");
    assert!(next >= Utc::now().date_naive() - chrono::Duration::days(7));
    // It is the BLUE current account's.
    let accounts = env.state.accounts.list(&alice).await.unwrap();
    let salary_account = accounts
        .iter()
        .find(|a| a.account_id == p["accountId"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        salary_account.product_type.as_deref(),
        Some("CurrentAccount")
    );
    assert!(
        report.get("tarabut").is_none(),
        "no corroboration unless asked"
    );
}

#[tokio::test]
async fn tarabut_corroborates_when_asked() {
    let env = TestEnv::start().await;
    env.link_demo_banks(&user(ALICE)).await;
    let answer = call(&env, &Event::load(EVENT).query(&[("corroborate", "true")])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let report = answer.json();
    assert_eq!(report["tarabut"]["available"], true, "{report}");
    assert!(!report["tarabut"]["payments"].as_array().unwrap().is_empty());
    assert_eq!(report["tarabut"]["agrees"], true, "{report}");

    // Tarabut's salary product down: our answer stands, marked unavailable.
    env.control
        .fault(json!({"endpoint": "salary", "status": 503}))
        .await;
    let answer = call(&env, &Event::load(EVENT).query(&[("corroborate", "true")])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let report = answer.json();
    assert_eq!(report["detected"], true);
    assert_eq!(report["tarabut"]["available"], false);
}

#[tokio::test]
async fn no_banks_no_salary() {
    let env = TestEnv::start().await;
    let answer = call(&env, &Event::load(EVENT)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let report = answer.json();
    assert_eq!(report["detected"], false);
    assert!(report["primary"].is_null());
}

#[tokio::test]
async fn bad_queries_are_refused_and_change_nothing() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    for (pairs, status) in [
        (vec![("from", "2026-01-01")], 400),
        (vec![("refresh", "yes")], 400),
        (vec![("corroborate", "1"), ("corroborate", "0")], 400),
    ] {
        let event = Event::load(EVENT).query(&pairs);
        refused(&env, event, status).await;
    }
    for negative in [
        "negative/insights-salary.no-claims",
        "negative/insights-salary.empty-sub",
    ] {
        refused(&env, Event::load(negative), 401).await;
    }
}
