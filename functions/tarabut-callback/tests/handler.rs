//! GET /tarabut/callback driven by `events/tarabut-callback.json` against a fresh in-memory
//! table and an in-process Tarabut sandbox. The route is unauthenticated and always answers a
//! 302 to the app.

use std::collections::HashMap;

use serde_json::json;
use sha2::{Digest, Sha256};
use shared::banking::connection::due_sort_key;
use shared::linking::{self, CODE_VALIDITY, ConnectRequest, ConnectResponse};
use shared::store::{Item, ItemExt, Update, Value as Attr};
use shared::testkit::{
    ALICE, Answer, BOB, Event, TestEnv, TestTable, connection_item, deadline, user, with_pk,
    with_sk_prefix,
};

shared::handler_test_helpers!(tarabut_callback::handle);

const EVENT: &str = "tarabut-callback";

const APP: &str = "https://app.example.test/linked";

/// Connects Alice (the use-case, as the connect route does) and answers Tarabut's connect
/// page like a browser: the redirect's query pairs.
async fn consent<T: TestTable>(
    env: &TestEnv<T>,
    approve: bool,
) -> (ConnectResponse, Vec<(String, String)>) {
    let created = linking::connect(
        &env.state,
        &user(ALICE),
        ConnectRequest {
            provider_id: Some("BLUE".into()),
            ..ConnectRequest::default()
        },
        deadline(),
    )
    .await
    .unwrap();
    let pairs = env
        .control
        .answer_connect(&created.connect_url, approve, None)
        .await;
    (created, pairs)
}

fn callback_event(pairs: &[(String, String)]) -> Event {
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Event::load(EVENT).query(&pairs)
}

/// The redirect's query, after checking it is a bare 302 to the app.
fn redirect_query(answer: &Answer) -> HashMap<String, String> {
    assert_eq!(answer.status, 302, "{}", answer.text);
    assert!(answer.text.is_empty());
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let location = answer.header("location").expect("a location");
    let (base, query) = location.split_once('?').expect("a query");
    assert_eq!(base, APP);
    query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

async fn refused_callback(env: &TestEnv, event: Event, code: &str) {
    let before = env.dump().await;
    let query = redirect_query(&call(env, &event).await);
    assert_eq!(
        query.get("status").map(String::as_str),
        Some("error"),
        "{query:?}"
    );
    assert_eq!(
        query.get("error").map(String::as_str),
        Some(code),
        "{query:?}"
    );
    assert!(!query.contains_key("connectionId"), "{query:?}");
    assert_eq!(
        env.dump().await,
        before,
        "a refused callback changed the table"
    );
}

fn binding<'a>(items: &'a [Item], intent_id: &str) -> &'a Item {
    with_pk(items, &format!("INTENT#{intent_id}"))[0]
}

// ---- approval ----

/// Bob starts a link and Alice approves it at her bank (a phished "verify your income" link).
/// Her browser reaches our callback: before link completion existed, this activated Bob's
/// connection with a year of her transactions. Now the callback activates nothing; it hands the
/// browser a one-time code, stored only as its hash.
#[tokio::test]
async fn an_approval_activates_nothing_and_hands_out_a_one_time_code() {
    let env = TestEnv::with_stopped_clock().await;
    let now = env.state.clock.now();
    let bobs = linking::connect(
        &env.state,
        &user(BOB),
        ConnectRequest {
            provider_id: Some("BLUE".into()),
            ..ConnectRequest::default()
        },
        deadline(),
    )
    .await
    .unwrap();
    let pairs = env
        .control
        .answer_connect(&bobs.connect_url, true, None)
        .await;
    let query = redirect_query(&call(&env, &callback_event(&pairs)).await);
    let dump = env.dump().await;
    for prefix in ["ACCT#", "TXN#", "BAL#"] {
        assert!(
            with_sk_prefix(&dump, &format!("USER#{BOB}"), prefix).is_empty(),
            "the approval reached Bob's account: {prefix}"
        );
    }
    assert_eq!(
        connection_item(&dump, BOB, &bobs.connection_id)
            .s("status")
            .unwrap(),
        "pending"
    );
    assert_eq!(query["status"], "approved", "{query:?}");
    assert_eq!(query["intentId"], bobs.intent_id);
    assert_eq!(query["connectionId"], bobs.connection_id);
    let code = &query["code"];
    assert_eq!(code.len(), 64);
    assert!(code.bytes().all(|b| b.is_ascii_hexdigit()));

    // Tarabut's word, not the query's: the attempt holds the consent Tarabut reports.
    let token = env.token_of(BOB).await;
    let intent = env
        .state
        .tarabut()
        .get_intent(&token, &bobs.intent_id, deadline())
        .await
        .unwrap();
    let attempt = binding(&dump, &bobs.intent_id);
    assert_eq!(attempt.s("state").unwrap(), "approved");
    assert_eq!(
        Some(attempt.s("consent_id").unwrap()),
        intent.consent_id.as_deref()
    );
    assert_eq!(attempt.n("consumed_at").unwrap(), now.millis());
    let code_expires = now + CODE_VALIDITY;
    assert_eq!(attempt.n("code_expires_at").unwrap(), code_expires.millis());
    // Swept (revoked) if the code is not used in time.
    assert_eq!(attempt.s("gsi1pk").unwrap(), "LINKSWEEP");
    assert_eq!(attempt.s("gsi1sk").unwrap(), due_sort_key(code_expires));
    // The code is nowhere in the table; its SHA-256 is.
    let hash: String = Sha256::digest(code.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(attempt.s("code_hash").unwrap(), hash);
    assert!(
        !format!("{dump:?}").contains(code.as_str()),
        "the code is stored in clear"
    );
}

#[tokio::test]
async fn tarabuts_tg_intent_id_name_is_understood() {
    let env = TestEnv::start().await;
    let (created, pairs) = consent(&env, true).await;
    let renamed: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| {
            if k == "intentId" {
                ("tgIntentId".into(), v)
            } else {
                (k, v)
            }
        })
        .collect();
    let query = redirect_query(&call(&env, &callback_event(&renamed)).await);
    assert_eq!(query["status"], "approved");
    assert_eq!(query["connectionId"], created.connection_id);
}

#[tokio::test]
async fn replaying_an_approved_callback_changes_nothing() {
    let env = TestEnv::start().await;
    let (_, pairs) = consent(&env, true).await;
    assert_eq!(call(&env, &callback_event(&pairs)).await.status, 302);
    env.control.reset_counters().await;
    refused_callback(&env, callback_event(&pairs), "already_used").await;
    assert_eq!(env.control.calls("get_intent").await, 0);
}

// ---- refusals ----

#[tokio::test]
async fn the_fixtures_unknown_intent_is_an_error_redirect() {
    let env = TestEnv::start().await;
    // An unrelated pending connection, which must stay as it is.
    consent(&env, true).await;
    refused_callback(&env, Event::load(EVENT), "unknown_intent").await;
}

#[tokio::test]
async fn a_denied_consent_redirects_with_failed_and_drops_the_pending_connection() {
    let env = TestEnv::with_stopped_clock().await;
    let (created, pairs) = consent(&env, false).await;
    assert!(
        pairs.contains(&("status".into(), "FAILED".into())),
        "{pairs:?}"
    );
    let query = redirect_query(&call(&env, &callback_event(&pairs)).await);
    assert_eq!(query["status"], "failed");
    assert_eq!(query["connectionId"], created.connection_id);
    assert_eq!(query["error"], "access_denied");
    let dump = env.dump().await;
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "CONN#").is_empty());
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "ACCT#").is_empty());
    let attempt = binding(&dump, &created.intent_id);
    assert_eq!(attempt.s("state").unwrap(), "abandoned");
    assert_eq!(
        attempt.n("consumed_at").unwrap(),
        env.state.clock.now().millis()
    );
    // A replay sweeps it at once (Tarabut: no consent to revoke); after that, neither a
    // replay nor a forged success changes anything.
    let replay = redirect_query(&call(&env, &callback_event(&pairs)).await);
    assert_eq!(replay["error"], "already_used");
    assert_eq!(env.control.calls("revoke_consent").await, 0);
    assert!(
        binding(&env.dump().await, &created.intent_id)
            .opt_s("gsi1pk")
            .unwrap()
            .is_none()
    );
    refused_callback(&env, callback_event(&pairs), "already_used").await;
    let forged = [
        ("intentId".to_string(), created.intent_id.clone()),
        ("status".to_string(), "SUCCESSFUL".to_string()),
    ];
    refused_callback(&env, callback_event(&forged), "already_used").await;
}

#[tokio::test]
async fn an_expired_intent_binding_changes_nothing() {
    let env = TestEnv::start().await;
    let (created, pairs) = consent(&env, true).await;
    let past = Attr::N(1_000);
    env.state
        .table
        .update(
            &shared::banking::intents::key(&created.intent_id),
            &[Update::set("expires_at", past)],
            None,
        )
        .await
        .unwrap();
    refused_callback(&env, callback_event(&pairs), "expired_intent").await;
}

#[tokio::test]
async fn missing_malformed_or_repeated_intent_ids_change_nothing() {
    let env = TestEnv::start().await;
    let (created, _) = consent(&env, true).await;
    let id = created.intent_id.as_str();
    let long = "a".repeat(500);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("status", "SUCCESSFUL")],
        vec![("intentId", ""), ("status", "SUCCESSFUL")],
        vec![("intentId", "a#b"), ("status", "SUCCESSFUL")],
        vec![("intentId", &long), ("status", "SUCCESSFUL")],
        vec![("intentId", id), ("intentId", id), ("status", "SUCCESSFUL")],
        vec![
            ("intentId", id),
            ("status", "SUCCESSFUL"),
            ("status", "SUCCESSFUL"),
        ],
    ];
    for pairs in cases {
        eprintln!("case: {pairs:?}");
        refused_callback(&env, Event::load(EVENT).query(&pairs), "invalid_request").await;
    }
    refused_callback(&env, Event::load(EVENT).query(&[]), "invalid_request").await;
}

/// The query says SUCCESSFUL but Alice never approved: Tarabut's intent is still pending. The
/// callback believes Tarabut, and the hit consumed the intent.
#[tokio::test]
async fn a_success_tarabut_does_not_confirm_activates_nothing_and_ends_the_intent() {
    let env = TestEnv::start().await;
    let created = connect_only(&env).await;
    let forged = [
        ("intentId".to_string(), created.intent_id.clone()),
        ("status".to_string(), "SUCCESSFUL".to_string()),
    ];
    let query = redirect_query(&call(&env, &callback_event(&forged)).await);
    assert_eq!(query["status"], "error");
    assert_eq!(query["error"], "not_approved");
    assert!(!query.contains_key("code"));
    let dump = env.dump().await;
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "CONN#").is_empty());
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "ACCT#").is_empty());
    assert_eq!(
        binding(&dump, &created.intent_id).s("state").unwrap(),
        "abandoned"
    );
}

#[tokio::test]
async fn a_tarabut_failure_while_confirming_activates_nothing() {
    let env = TestEnv::start().await;
    let (created, pairs) = consent(&env, true).await;
    env.control
        .fault(json!({"endpoint": "get_intent", "status": 500}))
        .await;
    let query = redirect_query(&call(&env, &callback_event(&pairs)).await);
    assert_eq!(query["status"], "error");
    assert_eq!(query["error"], "server_error");
    assert!(!query.contains_key("code"));
    let dump = env.dump().await;
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "ACCT#").is_empty());
    // The pending connection is dropped, not left half-linked, and the attempt waits for the
    // sweep, which revokes the consent Alice did give.
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "CONN#").is_empty());
    let attempt = binding(&dump, &created.intent_id);
    assert_eq!(attempt.s("state").unwrap(), "abandoned");
    assert_eq!(attempt.s("gsi1pk").unwrap(), "LINKSWEEP");
}

/// Connects Alice without answering Tarabut's connect page.
async fn connect_only(env: &TestEnv) -> ConnectResponse {
    linking::connect(
        &env.state,
        &user(ALICE),
        ConnectRequest::default(),
        deadline(),
    )
    .await
    .unwrap()
}

// ---- concurrency ----

/// Eight copies of one callback at the same moment, on the local DynamoDB (real network
/// latency interleaves them): the intent is consumed once, by a conditional write, so exactly
/// one gets a code and Tarabut is asked about it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callbacks_for_one_intent_approve_it_once() {
    let env = TestEnv::on_dynamodb().await;
    let (_, pairs) = consent(&env, true).await;
    env.control.reset_counters().await;
    let event = callback_event(&pairs);
    let answers = (0..8).map(|_| {
        let (state, request) = (env.state.clone(), event.request());
        tokio::spawn(async move { tarabut_callback::handle(&state, request).await })
    });
    let mut statuses = Vec::new();
    for a in answers.collect::<Vec<_>>() {
        let answer = Answer::read(a.await.unwrap().unwrap());
        let query = redirect_query(&answer);
        statuses.push(
            query
                .get("error")
                .cloned()
                .unwrap_or(query["status"].clone()),
        );
    }
    statuses.sort();
    let mut expected = vec!["already_used".to_string(); 7];
    expected.push("approved".into());
    assert_eq!(statuses, expected);
    assert_eq!(
        env.control.calls("get_intent").await,
        1,
        "Tarabut asked once"
    );
}
