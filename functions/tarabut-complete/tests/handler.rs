//! POST /tarabut/complete driven by `events/tarabut-complete.json` against a fresh in-memory
//! table and an in-process Tarabut sandbox: the link flow end to end (connect, approval at the
//! sandbox's bank page, our callback, the app's completion), and the phishing it must stop.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use shared::banking::connection::{SYNC_INTERVAL, due_sort_key};
use shared::linking::{self, ConnectRequest, ConnectResponse};
use shared::store::{Item, ItemExt, MemoryTable};
use shared::testkit::{
    ALICE, BOB, Bank, Event, TestEnv, TestTable, balances, connection_item, deadline, transactions,
    user, with_pk, with_sk_prefix,
};
use shared::time::{Clock, ManualClock, SystemClock};

shared::handler_test_helpers!(tarabut_complete::handle);

const EVENT: &str = "tarabut-complete";

/// `sub` starts linking BLUE: what the connect route answers.
async fn start<T: TestTable>(env: &TestEnv<T>, sub: &str) -> ConnectResponse {
    linking::connect(
        &env.state,
        &user(sub),
        ConnectRequest {
            provider_id: Some("BLUE".into()),
            ..ConnectRequest::default()
        },
        deadline(),
    )
    .await
    .unwrap()
}

/// The completion request `sub`'s app sends with what the callback's redirect carried.
fn completion(sub: &str, intent_id: &str, code: &str) -> Event {
    Event::load(EVENT)
        .user(sub)
        .body(&json!({ "intentId": intent_id, "code": code }).to_string())
}

/// An environment whose clock the test moves.
async fn with_manual_clock() -> (TestEnv, ManualClock) {
    let clock = ManualClock::at(SystemClock.now());
    let env = TestEnv::on_clock(MemoryTable::fresh().await, &[], Arc::new(clock.clone())).await;
    (env, clock)
}

fn attempt<'a>(items: &'a [Item], intent_id: &str) -> &'a Item {
    with_pk(items, &format!("INTENT#{intent_id}"))[0]
}

/// The consent Tarabut created when the intent was approved.
async fn consent_of_intent<T: TestTable>(env: &TestEnv<T>, owner: &str, intent_id: &str) -> String {
    let token = env.token_of(owner).await;
    let intent = env.control.intent(token.expose(), intent_id).await;
    intent["consentId"]
        .as_str()
        .expect("the approved intent's consent")
        .to_string()
}

fn no_banking_data(items: &[Item], sub: &str) {
    for prefix in ["CONN#", "ACCT#", "TXN#", "BAL#"] {
        assert!(
            with_sk_prefix(items, &format!("USER#{sub}"), prefix).is_empty(),
            "{sub} holds {prefix} items"
        );
    }
}

// ---- success ----

#[tokio::test]
async fn completing_with_the_code_activates_the_connection_and_stores_its_data() {
    let env = TestEnv::with_stopped_clock().await;
    let now = env.state.clock.now();
    let created = start(&env, ALICE).await;
    let query = env.approve(&created.connect_url).await;
    assert_eq!(query["status"], "approved", "{query:?}");
    let answer = call(&env, &completion(ALICE, &query["intentId"], &query["code"])).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    let id = &created.connection_id;
    assert_eq!(body["connectionId"], *id);
    assert_eq!(body["status"], "active");
    assert_eq!(body["providerId"], "BLUE");

    let consent_id = consent_of_intent(&env, ALICE, &created.intent_id).await;
    let bank = Bank::read(&env, ALICE).await;
    let bank_accounts = bank.accounts_of(&consent_id);
    assert_eq!(body["accounts"], bank_accounts.len());
    let dump = env.dump().await;
    assert_eq!(
        body["firstSync"]["newTransactions"],
        transactions(&dump, ALICE).len()
    );

    let conn = connection_item(&dump, ALICE, id);
    assert_eq!(conn.s("status").unwrap(), "active");
    assert_eq!(conn.s("consent_id").unwrap(), consent_id);
    assert_eq!(conn.s("provider_id").unwrap(), "BLUE");
    assert_eq!(
        conn.n("consent_expires_at").unwrap(),
        bank.consent_expiry(&consent_id).millis(),
        "the consent's earliest expiry in Tarabut's account list"
    );
    assert_eq!(conn.s("last_sync_status").unwrap(), "ok");
    assert_eq!(conn.n("last_sync_at").unwrap(), now.millis());
    let next = now + SYNC_INTERVAL;
    assert_eq!(conn.s("gsi1sk").unwrap(), due_sort_key(next));

    // The attempt is completed and out of the sweep index.
    let a = attempt(&dump, &created.intent_id);
    assert_eq!(a.s("state").unwrap(), "completed");
    assert!(a.opt_s("gsi1pk").unwrap().is_none());
    assert!(a.opt_n("sweep_at").unwrap().is_none());

    let accounts = with_sk_prefix(&dump, &format!("USER#{ALICE}"), &format!("ACCT#{id}#"));
    let stored_accounts: Vec<&str> = accounts
        .iter()
        .map(|a| a.s("account_id").unwrap())
        .collect();
    assert_eq!(stored_accounts, bank_accounts, "the consent's accounts");
    for a in &accounts {
        assert_eq!(a.s("connection_id").unwrap(), id);
        assert_eq!(
            a.n("balance_minor").unwrap(),
            bank.balance_minor(a.s("account_id").unwrap()),
            "{a:?}"
        );
    }
    let mut stored_ids: Vec<(String, String)> = transactions(&dump, ALICE)
        .iter()
        .map(|t| {
            (
                t.s("account_id").unwrap().to_string(),
                t.s("transaction_id").unwrap().to_string(),
            )
        })
        .collect();
    stored_ids.sort();
    assert_eq!(stored_ids, bank.transaction_ids(&bank_accounts));
    assert_eq!(balances(&dump, ALICE).len(), accounts.len());
    assert_eq!(env.control.consent_status(&consent_id).await, "ACTIVE");
}

/// The answer of a completion was lost and the app sends it again: the same connection, and
/// no second activation or sync.
#[tokio::test]
async fn a_repeated_completion_answers_the_same_connection() {
    let env = TestEnv::start().await;
    let created = start(&env, ALICE).await;
    let query = env.approve(&created.connect_url).await;
    let event = completion(ALICE, &query["intentId"], &query["code"]);
    assert_eq!(call(&env, &event).await.status, 200);
    let before = env.dump().await;
    env.control.reset_counters().await;
    let again = call(&env, &event).await;
    assert_eq!(again.status, 200, "{}", again.text);
    let body = again.json();
    assert_eq!(body["connectionId"], created.connection_id);
    assert_eq!(body["status"], "active");
    assert_eq!(body["accounts"], 2);
    assert!(body["firstSync"].is_null());
    assert_eq!(env.dump().await, before);
    assert_eq!(env.control.calls("accounts").await, 0);
}

// ---- phishing ----

/// Bob starts a link and gets Alice to approve it at her bank ("verify your income"). Alice's
/// browser lands on our callback and then in her app, which completes with her JWT: refused,
/// and the consent she gave is revoked at once. Bob never receives her data.
#[tokio::test]
async fn a_phished_approval_completed_by_the_victim_is_refused_and_revoked() {
    let env = TestEnv::with_stopped_clock().await;
    let bobs = start(&env, BOB).await;
    // Alice approves Bob's connect URL; her browser follows the redirect to our callback.
    let query = env.approve(&bobs.connect_url).await;
    assert_eq!(query["status"], "approved");
    let consent_id = consent_of_intent(&env, BOB, &bobs.intent_id).await;
    assert_eq!(env.control.consent_status(&consent_id).await, "ACTIVE");

    let answer = call(&env, &completion(ALICE, &query["intentId"], &query["code"])).await;
    assert_eq!(answer.status, 403, "{}", answer.text);
    let problem = answer.json();
    assert_eq!(problem["type"], "/problems/forbidden");
    assert!(
        problem["detail"].as_str().unwrap().contains("revoked"),
        "{problem}"
    );
    assert_eq!(env.control.consent_status(&consent_id).await, "REVOKED");
    let dump = env.dump().await;
    no_banking_data(&dump, BOB);
    no_banking_data(&dump, ALICE);
    let a = attempt(&dump, &bobs.intent_id);
    assert_eq!(a.s("state").unwrap(), "abandoned");
    assert!(
        a.opt_s("gsi1pk").unwrap().is_none(),
        "swept, not left for the cron"
    );

    // Bob, had he the code, can no longer complete; without it he never could.
    let late = call(&env, &completion(BOB, &query["intentId"], &query["code"])).await;
    assert_eq!(late.status, 409, "{}", late.text);
    assert_eq!(env.dump().await, dump);
}

/// Bob cannot complete his own intent without the code that went to the approving browser:
/// any other code, or the one for another intent, is a 404 and changes nothing.
#[tokio::test]
async fn completing_without_the_code_is_refused_and_changes_nothing() {
    let env = TestEnv::start().await;
    let bobs = start(&env, BOB).await;
    let query = env.approve(&bobs.connect_url).await;
    let alices = start(&env, ALICE).await;
    let alices_query = env.approve(&alices.connect_url).await;
    let wrong = "0".repeat(64);
    for event in [
        completion(BOB, &bobs.intent_id, &wrong),
        // Alice's code does not open Bob's intent.
        completion(BOB, &bobs.intent_id, &alices_query["code"]),
        // Nor a code for an intent that does not exist.
        completion(BOB, "no-such-intent", &query["code"]),
    ] {
        let problem = refused(&env, event, 404).await;
        assert_eq!(problem["type"], "/problems/not-found");
    }
    // Still completable by its own user with its own code.
    let ok = call(&env, &completion(BOB, &query["intentId"], &query["code"])).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
}

/// Bob polls the callback with his own intent id before anyone approved: that consumes the
/// intent, so his link is dead. When Alice approves afterwards, the callback her browser hits
/// revokes her consent at once.
#[tokio::test]
async fn polling_the_callback_before_approval_kills_the_intent() {
    let env = TestEnv::with_stopped_clock().await;
    let bobs = start(&env, BOB).await;
    let poll = [
        ("intentId".to_string(), bobs.intent_id.clone()),
        ("status".to_string(), "SUCCESSFUL".to_string()),
    ];
    let early = env.callback(&poll).await;
    assert_eq!(early["status"], "error", "{early:?}");
    assert_eq!(early["error"], "not_approved");
    assert!(!early.contains_key("code"));
    // Alice approves anyway; her browser comes to the callback.
    let late = env.approve(&bobs.connect_url).await;
    assert_eq!(late["error"], "already_used", "{late:?}");
    assert!(!late.contains_key("code"));
    let consent_id = consent_of_intent(&env, BOB, &bobs.intent_id).await;
    assert_eq!(env.control.consent_status(&consent_id).await, "REVOKED");
    no_banking_data(&env.dump().await, BOB);
}

// ---- expiry and the sweep ----

/// An approval whose code is never presented: after the code expires the completion is
/// refused, and the next scheduled run revokes the consent and drops the pending connection.
#[tokio::test]
async fn an_expired_code_is_refused_and_its_consent_is_revoked_by_the_cron() {
    let (env, clock) = with_manual_clock().await;
    let created = start(&env, ALICE).await;
    let query = env.approve(&created.connect_url).await;
    let consent_id = consent_of_intent(&env, ALICE, &created.intent_id).await;
    clock.advance(linking::CODE_VALIDITY);
    let answer = call(&env, &completion(ALICE, &query["intentId"], &query["code"])).await;
    assert_eq!(answer.status, 409, "{}", answer.text);
    assert!(
        answer.json()["detail"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    assert_eq!(env.control.consent_status(&consent_id).await, "ACTIVE");

    let summary = shared::scheduled_sync::run(env.state.clone(), deadline(), None)
        .await
        .unwrap();
    assert_eq!(summary.link_sweep.due, 1, "{summary:?}");
    assert_eq!(summary.link_sweep.revoked, 1, "{summary:?}");
    assert_eq!(env.control.consent_status(&consent_id).await, "REVOKED");
    let dump = env.dump().await;
    no_banking_data(&dump, ALICE);
    assert!(
        attempt(&dump, &created.intent_id)
            .opt_s("gsi1pk")
            .unwrap()
            .is_none()
    );
    // A second run finds nothing left to sweep.
    let again = shared::scheduled_sync::run(env.state.clone(), deadline(), None)
        .await
        .unwrap();
    assert_eq!(again.link_sweep.due, 0);
}

/// Approved at the bank but the browser never came back to us: once the intent expired, the
/// scheduled run asks Tarabut, finds the consent and revokes it.
#[tokio::test]
async fn an_approval_that_never_reached_the_callback_is_revoked_after_the_intent_expires() {
    let (env, clock) = with_manual_clock().await;
    let created = start(&env, ALICE).await;
    env.control
        .answer_connect(&created.connect_url, true, None)
        .await;
    let consent_id = consent_of_intent(&env, ALICE, &created.intent_id).await;
    // Before the intent expires the user may still come back: nothing is swept.
    let early = shared::scheduled_sync::run(env.state.clone(), deadline(), None)
        .await
        .unwrap();
    assert_eq!(early.link_sweep.due, 0);
    let expires = attempt(&env.dump().await, &created.intent_id)
        .time("expires_at")
        .unwrap();
    clock.set(expires);
    let summary = shared::scheduled_sync::run(env.state.clone(), deadline(), None)
        .await
        .unwrap();
    assert_eq!(summary.link_sweep.revoked, 1, "{summary:?}");
    assert_eq!(env.control.consent_status(&consent_id).await, "REVOKED");
    no_banking_data(&env.dump().await, ALICE);
}

/// Tarabut confirmed the consent at the callback, but activating it fails (the account list
/// errors): the error reaches the app and the consent is revoked at once.
#[tokio::test]
async fn a_failed_activation_revokes_the_confirmed_consent() {
    let env = TestEnv::start().await;
    let created = start(&env, ALICE).await;
    let query = env.approve(&created.connect_url).await;
    let consent_id = consent_of_intent(&env, ALICE, &created.intent_id).await;
    env.control
        .fault(json!({"endpoint": "accounts", "status": 500}))
        .await;
    let answer = call(&env, &completion(ALICE, &query["intentId"], &query["code"])).await;
    assert_eq!(answer.status, 502, "{}", answer.text);
    env.control.clear_faults().await;
    assert_eq!(env.control.consent_status(&consent_id).await, "REVOKED");
    no_banking_data(&env.dump().await, ALICE);
}

// ---- bad input ----

#[tokio::test]
async fn malformed_requests_are_refused_and_change_nothing() {
    let env = TestEnv::start().await;
    let created = start(&env, ALICE).await;
    let query = env.approve(&created.connect_url).await;
    let id = query["intentId"].as_str();
    let code = query["code"].as_str();
    let bodies = [
        "".to_string(),
        "not json".to_string(),
        "[]".to_string(),
        json!({ "intentId": id }).to_string(),
        json!({ "code": code }).to_string(),
        json!({ "intentId": id, "code": 42 }).to_string(),
        json!({ "intentId": id, "code": code, "userId": BOB }).to_string(),
        json!({ "intentId": id, "code": code.to_uppercase() }).to_string(),
        json!({ "intentId": id, "code": &code[1..] }).to_string(),
        json!({ "intentId": "a#b", "code": code }).to_string(),
    ];
    for body in bodies {
        eprintln!("body: {body}");
        let problem = refused(&env, Event::load(EVENT).user(ALICE).body(&body), 400).await;
        assert_eq!(problem["status"], 400);
        assert!(
            !problem.to_string().contains(code),
            "the code is echoed: {problem}"
        );
    }
    let valid = completion(ALICE, id, code);
    refused(&env, valid.clone().no_claims(), 401).await;
    refused(&env, valid.clone().user(""), 401).await;
    refused(&env, valid.header("content-type", "text/plain"), 415).await;
}

#[tokio::test]
async fn the_fixture_names_no_link_attempt() {
    let env = TestEnv::start().await;
    start(&env, ALICE).await;
    refused(&env, Event::load(EVENT), 404).await;
}

/// Eight completions of one approval at once on the local DynamoDB: one activates, the rest
/// are refused or answer the same connection; Tarabut's account list is read once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_completions_activate_once() {
    let env = TestEnv::on_dynamodb().await;
    let created = start(&env, ALICE).await;
    let query = env.approve(&created.connect_url).await;
    env.control.reset_counters().await;
    let event = completion(ALICE, &query["intentId"], &query["code"]);
    let answers: Vec<_> = (0..8)
        .map(|_| {
            let (state, request) = (env.state.clone(), event.request());
            tokio::spawn(async move { tarabut_complete::handle(&state, request).await })
        })
        .collect();
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for a in answers {
        let answer = shared::testkit::Answer::read(a.await.unwrap().unwrap());
        *statuses.entry(answer.status).or_default() += 1;
        assert!(matches!(answer.status, 200 | 409), "{}", answer.text);
    }
    assert!(
        statuses.get(&200).copied().unwrap_or(0) >= 1,
        "{statuses:?}"
    );
    assert_eq!(env.control.calls("accounts").await, 1, "{statuses:?}");
    let dump = env.dump().await;
    assert_eq!(
        connection_item(&dump, ALICE, &created.connection_id)
            .s("status")
            .unwrap(),
        "active"
    );
}
