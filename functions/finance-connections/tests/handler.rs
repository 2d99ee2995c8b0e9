//! GET /finance/connections driven by `events/finance-connections.json` against a fresh table
//! on the local DynamoDB and an in-process Tarabut sandbox.

// The helper block is the same in every function's handler tests; not every file uses all of it.
#![allow(dead_code)]

use std::time::Duration;

use lambda_http::{Body, Response};
use serde_json::{Value, json};
use shared::deadline::Deadline;
use shared::identity::UserId;
use shared::store::{Item, ItemExt};
use shared::sync::link::{self, ConnectRequest};
use shared::sync::manage;
use shared::testkit::{Event, TestEnv};

// ---- helpers (the same block in every function's handler tests) ----

const EVENT: &str = "finance-connections";
/// The `sub` of the event files.
const ALICE: &str = "user-7f3c1a2e";
const BOB: &str = "user-b0b";

struct Answer {
    status: u16,
    content_type: String,
    headers: lambda_http::http::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn call(env: &TestEnv, event: &Event) -> Answer {
    let response = finance_connections::handle(&env.state, event.request())
        .await
        .expect("the handler answers every request");
    answer(response)
}

fn answer(response: Response<Body>) -> Answer {
    let text = String::from_utf8(response.body().as_ref().to_vec()).unwrap();
    assert_no_secrets(&text);
    for value in response.headers().values() {
        assert_no_secrets(value.to_str().unwrap());
    }
    let answer = Answer {
        status: response.status().as_u16(),
        content_type: String::new(),
        headers: response.headers().clone(),
        text,
    };
    Answer {
        content_type: answer
            .header("content-type")
            .unwrap_or_default()
            .to_string(),
        ..answer
    }
}

/// No client secret, access token, panic or source location ever reaches a client.
fn assert_no_secrets(text: &str) {
    for needle in ["sandbox-secret", "sbx_", "panicked", "backtrace", ".rs:"] {
        assert!(!text.contains(needle), "{needle:?} in a response: {text}");
    }
}

/// An RFC 9457 problem with exactly `type`, `title`, `status`, `detail`.
fn assert_problem(answer: &Answer, status: u16) -> Value {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(answer.content_type, "application/problem+json");
    let problem = answer.json();
    let mut keys: Vec<&str> = problem
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["detail", "status", "title", "type"], "{problem}");
    assert!(problem["type"].as_str().unwrap().starts_with("/problems/"));
    assert!(!problem["title"].as_str().unwrap().is_empty());
    assert_eq!(problem["status"], status);
    assert!(!problem["detail"].as_str().unwrap().is_empty());
    problem
}

/// Sends a bad request: a 4xx problem, and not one item of the table changed.
async fn refused_without_change(env: &TestEnv, event: Event, status: u16) -> Value {
    // Shown only when the test fails: which case it was.
    eprintln!(
        "case: body {} path {}",
        event.0["body"], event.0["pathParameters"]
    );
    let before = env.dump().await;
    let answer = call(env, &event).await;
    let problem = assert_problem(&answer, status);
    assert_eq!(
        env.dump().await,
        before,
        "a refused request changed the table"
    );
    problem
}

fn user(sub: &str) -> UserId {
    UserId::parse(sub).unwrap()
}

fn with_pk<'a>(items: &'a [Item], pk: &str) -> Vec<&'a Item> {
    items.iter().filter(|i| i.s("pk").unwrap() == pk).collect()
}

fn with_sk_prefix<'a>(items: &'a [Item], pk: &str, prefix: &str) -> Vec<&'a Item> {
    with_pk(items, pk)
        .into_iter()
        .filter(|i| i.s("sk").unwrap().starts_with(prefix))
        .collect()
}

fn connection_item<'a>(items: &'a [Item], sub: &str, id: &str) -> &'a Item {
    with_sk_prefix(items, &format!("USER#{sub}"), &format!("CONN#{id}"))
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no connection item {id}"))
}

fn transactions<'a>(items: &'a [Item], sub: &str) -> Vec<&'a Item> {
    with_pk(items, &format!("USER#{sub}#TXN"))
}

fn balances<'a>(items: &'a [Item], sub: &str) -> Vec<&'a Item> {
    with_pk(items, &format!("USER#{sub}#BAL"))
}

fn deadline() -> Deadline {
    Deadline::after(Duration::from_secs(30))
}

async fn list(env: &TestEnv, sub: &str) -> Vec<Value> {
    let before = env.dump().await;
    let answer = call(env, &Event::load(EVENT).user(sub)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.content_type, "application/json");
    assert_eq!(env.dump().await, before, "listing wrote to the table");
    let body = answer.json();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    body["connections"].as_array().unwrap().clone()
}

fn ids(views: &[Value]) -> Vec<&str> {
    views
        .iter()
        .map(|v| v["connectionId"].as_str().unwrap())
        .collect()
}

fn is_iso(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T')
}

#[tokio::test]
async fn lists_the_callers_connections_with_status_and_last_sync() {
    let env = TestEnv::start().await;
    let blue = env.link(&user(ALICE), "BLUE").await;
    let red = env.link(&user(ALICE), "RED").await;
    let pending = link::connect(
        &env.state,
        &user(ALICE),
        ConnectRequest::default(),
        deadline(),
    )
    .await
    .unwrap()
    .connection_id;

    let views = list(&env, ALICE).await;
    assert_eq!(views.len(), 3, "{views:?}");
    // Newest first.
    let created: Vec<&str> = views
        .iter()
        .map(|v| v["createdAt"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    for view in &views {
        let mut keys: Vec<&str> = view
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "accounts",
                "connectionId",
                "consentExpiresAt",
                "createdAt",
                "lastSyncAt",
                "lastSyncStatus",
                "providerId",
                "status"
            ]
        );
        assert!(is_iso(&view["createdAt"]), "{view}");
    }
    for (id, provider) in [(&blue, "BLUE"), (&red, "RED")] {
        let view = views
            .iter()
            .find(|v| v["connectionId"] == id.as_str())
            .unwrap();
        assert_eq!(view["status"], "active");
        assert_eq!(view["providerId"], provider);
        assert_eq!(view["accounts"], 2, "{view}");
        assert!(is_iso(&view["lastSyncAt"]), "{view}");
        assert_eq!(view["lastSyncStatus"], "ok");
        assert!(is_iso(&view["consentExpiresAt"]), "{view}");
    }
    let view = views
        .iter()
        .find(|v| v["connectionId"] == pending.as_str())
        .unwrap();
    assert_eq!(view["status"], "pending");
    assert_eq!(view["accounts"], 0);
    assert_eq!(view["lastSyncAt"], Value::Null);
    assert_eq!(view["lastSyncStatus"], Value::Null);
}

#[tokio::test]
async fn a_connection_whose_consent_expired_shows_reauth_required() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let consent = env
        .state
        .connections
        .get(&user(ALICE), &id)
        .await
        .unwrap()
        .unwrap()
        .consent_id
        .unwrap();
    env.control.expire_consent(&consent).await;
    let request = serde_json::from_value(json!({ "connectionId": id })).unwrap();
    assert!(
        manage::sync_one(&env.state, &user(ALICE), request, deadline())
            .await
            .is_err()
    );
    let views = list(&env, ALICE).await;
    assert_eq!(views[0]["status"], "reauth_required");
    assert_eq!(views[0]["lastSyncStatus"], "reauth_required");
}

#[tokio::test]
async fn deleted_connections_are_hidden() {
    let env = TestEnv::start().await;
    let kept = env.link(&user(ALICE), "BLUE").await;
    let deleted = env.link(&user(ALICE), "RED").await;
    manage::delete(&env.state, &user(ALICE), &deleted, deadline())
        .await
        .unwrap();
    // The tombstone is still in the table, but not in the list.
    let dump = env.dump().await;
    assert!(
        connection_item(&dump, ALICE, &deleted)
            .n("deleted_at")
            .is_ok()
    );
    assert_eq!(ids(&list(&env, ALICE).await), [kept.as_str()]);
}

#[tokio::test]
async fn never_lists_another_users_connections() {
    let env = TestEnv::start().await;
    let alices = env.link(&user(ALICE), "BLUE").await;
    let bobs = env.link(&user(BOB), "RED").await;
    assert_eq!(ids(&list(&env, ALICE).await), [alices.as_str()]);
    assert_eq!(ids(&list(&env, BOB).await), [bobs.as_str()]);
    assert!(list(&env, "user-without-banks").await.is_empty());
}

#[tokio::test]
async fn missing_or_empty_claims_are_401() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    for file in ["no-claims", "empty-sub"] {
        let event = Event::load(&format!("negative/{EVENT}.{file}"));
        let problem = refused_without_change(&env, event, 401).await;
        assert_eq!(problem["type"], "/problems/unauthenticated");
    }
    let whitespace = Event::load(EVENT).claims(json!({ "sub": "   " }));
    refused_without_change(&env, whitespace, 401).await;
    let other_claims = Event::load(EVENT).claims(json!({ "email": "alice@example.com" }));
    refused_without_change(&env, other_claims, 401).await;
}
