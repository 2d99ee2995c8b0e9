//! GET /finance/insights/income driven by `events/insights-income.json` against a fresh
//! in-memory table and the sandbox's year of demo data.

use chrono::{Datelike, Months, NaiveDate, Utc};
use shared::money::Money;
use shared::testkit::{ALICE, BOB, Event, TestEnv, money, user};

shared::handler_test_helpers!(insights_income::handle);

const EVENT: &str = "insights-income";

/// The six complete months before this one.
fn six_months() -> (NaiveDate, NaiveDate) {
    let this_month = Utc::now().date_naive().with_day(1).unwrap();
    (this_month - Months::new(6), this_month)
}

#[tokio::test]
async fn the_salary_is_a_regular_source_and_transfers_are_not_income() {
    let env = TestEnv::start().await;
    env.link_demo_banks(&user(ALICE)).await;
    let (from, to) = six_months();
    let answer = call(&env, &Event::range(EVENT, from, to, &[])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let report = answer.json();
    let sources = report["sources"].as_array().unwrap();
    let salary = sources
        .iter()
        .find(|s| s["sourceType"] == "salary")
        .unwrap_or_else(|| panic!("no salary source: {report}"));
    assert_eq!(salary["regularity"], "regular");
    assert_eq!(salary["currency"], "BHD");
    // Six monthly salaries (one a month, moved for weekends but in the month).
    assert_eq!(salary["count"], 6, "{salary}");
    // The own-account transfer legs (BHD → SAR, current → savings) are not anybody's income.
    for s in sources {
        let label = s["label"].as_str().unwrap().to_lowercase();
        assert!(!label.contains("own account"), "{s}");
    }
    // Month by month, the total is regular + irregular.
    let periods = report["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 6);
    for p in periods {
        for c in p["currencies"].as_array().unwrap() {
            let total = money(&c["total"]);
            let parts = [money(&c["regular"]), money(&c["irregular"])];
            assert_eq!(Money::sum(total.currency(), &parts).unwrap(), total, "{c}");
        }
    }
}

#[tokio::test]
async fn one_accounts_income() {
    let env = TestEnv::start().await;
    let alice = user(ALICE);
    env.link_demo_banks(&alice).await;
    let card = env
        .state
        .accounts
        .list(&alice)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.product_type.as_deref() == Some("CreditCard"))
        .unwrap();
    let (from, to) = six_months();
    let answer = call(
        &env,
        &Event::range(EVENT, from, to, &[("accountId", &card.account_id)]),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // A card's credits are repayments and refunds, never income.
    let report = answer.json();
    assert!(report["sources"].as_array().unwrap().is_empty(), "{report}");
}

#[tokio::test]
async fn bad_queries_are_refused_and_change_nothing() {
    let env = TestEnv::start().await;
    env.link_demo_banks(&user(ALICE)).await;
    let bob = user(BOB);
    env.link(&bob, "BLUE").await;
    let bobs_account = env.state.accounts.list(&bob).await.unwrap()[0]
        .account_id
        .clone();
    let (from, to) = six_months();
    let (f, t) = (from.to_string(), to.to_string());
    let cases: Vec<(Vec<(&str, &str)>, u16)> = vec![
        (vec![], 400),
        (vec![("from", &t), ("to", &f)], 400),
        (vec![("from", "2020-01-01"), ("to", &t)], 400),
        (vec![("from", &f), ("to", &t), ("groupBy", "category")], 400),
        (
            vec![("from", &f), ("to", &t), ("accountId", &bobs_account)],
            404,
        ),
    ];
    for (pairs, status) in cases {
        let event = Event::load(EVENT).query(&pairs);
        refused(&env, event, status).await;
    }
    for negative in [
        "negative/insights-income.no-claims",
        "negative/insights-income.empty-sub",
    ] {
        refused(&env, Event::load(negative), 401).await;
    }
}
