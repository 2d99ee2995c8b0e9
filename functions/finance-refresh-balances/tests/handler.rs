//! POST /finance/refresh-balances driven by `events/finance-refresh-balances.json` against a
//! fresh in-memory table and an in-process Tarabut sandbox.

use serde_json::{Value, json};
use shared::store::{Item, ItemExt};
use shared::testkit::{
    ALICE, BOB, Event, TestEnv, balances, connection_item, user, with_sk_prefix,
};

shared::handler_test_helpers!(finance_refresh_balances::handle);

const EVENT: &str = "finance-refresh-balances";

async fn live_balances(env: &TestEnv, sub: &str) -> Value {
    let answer = call(env, &Event::load(EVENT).user(sub)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.content_type, "application/json");
    answer.json()
}

/// `{"amount": "<decimal string>", "currency"}` with exactly the currency's digits; returns
/// the amount in minor units.
fn money_minor(money: &Value) -> i64 {
    let amount = money["amount"]
        .as_str()
        .unwrap_or_else(|| panic!("{money}"));
    let digits = match money["currency"].as_str().unwrap() {
        "BHD" | "KWD" | "OMR" | "JOD" => 3,
        "SAR" | "AED" => 2,
        other => panic!("unexpected currency {other}"),
    };
    let (units, fraction) = amount.split_once('.').unwrap_or_else(|| panic!("{money}"));
    assert_eq!(fraction.len(), digits, "{money}");
    assert!(
        units
            .trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit()),
        "{money}"
    );
    format!("{units}{fraction}").parse().unwrap()
}

fn account_item<'a>(items: &'a [Item], sub: &str, connection: &str, account: &str) -> &'a Item {
    with_sk_prefix(
        items,
        &format!("USER#{sub}"),
        &format!("ACCT#{connection}#{account}"),
    )[0]
}

#[tokio::test]
async fn answers_live_balances_and_stores_one_snapshot_per_account_per_call() {
    let env = TestEnv::start().await;
    let blue = env.link(&user(ALICE), "BLUE").await;
    let red = env.link(&user(ALICE), "RED").await;
    env.link(&user(BOB), "BLUE").await;
    let before = env.dump().await;
    let bobs_before: Vec<Item> = balances(&before, BOB).into_iter().cloned().collect();

    let mut snapshots = balances(&before, ALICE).len();
    for _ in 0..2 {
        let body = live_balances(&env, ALICE).await;
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["accounts", "refreshedAt"]);
        let accounts = body["accounts"].as_array().unwrap();
        assert_eq!(accounts.len(), 4, "{body}");
        let dump = env.dump().await;
        for a in accounts {
            assert_eq!(a["status"], "ok", "{a}");
            assert!(a["balanceType"].is_string() && a["asOf"].is_string(), "{a}");
            let connection = a["connectionId"].as_str().unwrap();
            assert!(connection == blue || connection == red, "{a}");
            let expected = if connection == blue { "BHD" } else { "SAR" };
            assert_eq!(a["balance"]["currency"], expected, "{a}");
            let minor = money_minor(&a["balance"]);
            let stored = account_item(&dump, ALICE, connection, a["accountId"].as_str().unwrap());
            assert_eq!(stored.n("balance_minor").unwrap(), minor);
        }
        snapshots += accounts.len();
        let stored = balances(&dump, ALICE);
        assert_eq!(stored.len(), snapshots, "one new snapshot per account");
        let live = stored
            .iter()
            .filter(|b| b.s("source").unwrap() == "live")
            .count();
        assert_eq!(live % 4, 0);
        let bobs_after: Vec<Item> = balances(&dump, BOB).into_iter().cloned().collect();
        assert_eq!(bobs_after, bobs_before, "another user's balances changed");
    }
}

#[tokio::test]
async fn a_user_without_banks_gets_an_empty_list_and_nothing_is_written() {
    let env = TestEnv::start().await;
    env.link(&user(BOB), "BLUE").await;
    let before = env.dump().await;
    let body = live_balances(&env, ALICE).await;
    assert_eq!(body["accounts"], json!([]));
    assert_eq!(
        shared::testkit::without_audit(env.dump().await),
        shared::testkit::without_audit(before)
    );
}

#[tokio::test]
async fn an_expired_consent_marks_its_connection_and_the_others_still_refresh() {
    let env = TestEnv::start().await;
    let blue = env.link(&user(ALICE), "BLUE").await;
    let red = env.link(&user(ALICE), "RED").await;
    env.control
        .expire_consent(&env.consent_of(ALICE, &blue).await)
        .await;
    let before = balances(&env.dump().await, ALICE).len();
    let body = live_balances(&env, ALICE).await;
    let accounts = body["accounts"].as_array().unwrap();
    // Every account is in the answer, those of the dead consent marked so.
    assert_eq!(accounts.len(), 4, "{body}");
    for a in accounts {
        let expected = if a["connectionId"] == blue.as_str() {
            "reauth_required"
        } else {
            "ok"
        };
        assert_eq!(a["status"], expected, "{a}");
    }
    assert!(
        accounts
            .iter()
            .filter(|a| a["connectionId"] == red.as_str())
            .count()
            == 2
    );
    let dump = env.dump().await;
    assert_eq!(
        connection_item(&dump, ALICE, &blue).s("status").unwrap(),
        "reauth_required"
    );
    assert_eq!(
        balances(&dump, ALICE).len(),
        before + 2,
        "snapshots of red only"
    );
    // Next time, the reauth_required connection's accounts are left out.
    let body = live_balances(&env, ALICE).await;
    assert_eq!(body["accounts"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn one_failing_account_does_not_stop_the_others() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    env.link(&user(ALICE), "RED").await;
    let before = balances(&env.dump().await, ALICE).len();
    // The first live balance asked for fails through all its attempts.
    env.control
        .fault(json!({"endpoint": "balances_refresh", "status": 500, "count": 4}))
        .await;
    let body = live_balances(&env, ALICE).await;
    let mut statuses: Vec<&str> = body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["failed", "ok", "ok", "ok"], "{body}");
    assert_eq!(balances(&env.dump().await, ALICE).len(), before + 3);
}

// ---- refusals change nothing ----

#[tokio::test]
async fn missing_or_empty_claims_are_401() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    env.control.reset_counters().await;
    for file in ["no-claims", "empty-sub"] {
        let event = Event::load(&format!("negative/{EVENT}.{file}"));
        let problem = refused(&env, event, 401).await;
        assert_eq!(problem["type"], "/problems/unauthenticated");
    }
    assert_eq!(env.control.calls("balances_refresh").await, 0);
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    env.control.reset_counters().await;
    let bodies = [
        "{",                             // malformed JSON
        "refresh",                       // malformed JSON
        "42",                            // wrong type
        r#""all""#,                      // wrong type
        r#"{"connectionId": "x"}"#,      // unknown field: the route takes none
        r#"{"accountIds": ["a", "b"]}"#, // unknown field
    ];
    for body in bodies {
        let problem = refused(&env, Event::load(EVENT).body(body), 400).await;
        assert_eq!(problem["type"], "/problems/bad-request", "{body}");
    }
    assert_eq!(env.control.calls("balances_refresh").await, 0);
}

#[tokio::test]
async fn an_oversized_body_is_413_and_another_content_type_415() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    let huge = json!({ "pad": "x".repeat(65 * 1024) }).to_string();
    refused(&env, Event::load(EVENT).body(&huge), 413).await;
    let xml = Event::load(EVENT)
        .body("<refresh/>")
        .header("content-type", "application/xml");
    let problem = refused(&env, xml, 415).await;
    assert_eq!(problem["type"], "/problems/unsupported-media-type");
}

/// Live balances again sooner than the user's interval: 429 with `Retry-After`, Tarabut not
/// asked, nothing written; another user is not held back.
#[tokio::test]
async fn again_too_soon_is_429_and_asks_tarabut_nothing() {
    let env = TestEnv::with_overrides(&[("USER_SYNC_MIN_INTERVAL_SECS", "60")]).await;
    env.link(&user(ALICE), "BLUE").await;
    env.link(&user(BOB), "BLUE").await;
    live_balances(&env, ALICE).await;
    env.control.reset_counters().await;
    let problem = refused(&env, Event::load(EVENT).user(ALICE), 429).await;
    assert_eq!(problem["type"], "/problems/too-many-requests");
    let answer = call(&env, &Event::load(EVENT).user(ALICE)).await;
    let retry: u64 = answer.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(env.control.calls("balances_refresh").await, 0);
    live_balances(&env, BOB).await;
    assert!(env.control.calls("balances_refresh").await > 0);
}
