//! POST /tarabut/connect driven by `events/tarabut-connect.json` against a fresh table on the
//! local DynamoDB and an in-process Tarabut sandbox.

// The helper block is the same in every function's handler tests; not every file uses all of it.
#![allow(dead_code)]

use lambda_http::{Body, Response};
use serde_json::{Value, json};
use shared::identity::UserId;
use shared::store::{Item, ItemExt};
use shared::testkit::{Event, TestEnv};

// ---- helpers (the same block in every function's handler tests) ----

const EVENT: &str = "tarabut-connect";
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
    let response = tarabut_connect::handle(&env.state, event.request())
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

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Every item that is not the caller's Tarabut token.
fn data_items(items: &[Item]) -> Vec<&Item> {
    items
        .iter()
        .filter(|i| i.s("sk").unwrap() != "TOKEN#tarabut")
        .collect()
}

// ---- happy path ----

#[tokio::test]
async fn creates_one_pending_connection_and_one_intent_binding() {
    let env = TestEnv::start().await;
    let answer = call(&env, &Event::load(EVENT)).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.content_type, "application/json");
    let body = answer.json();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["connectUrl", "connectionId", "expiresAt", "intentId"]
    );
    let connect_url = body["connectUrl"].as_str().unwrap();
    assert!(
        connect_url.starts_with(env.sandbox.base_url()),
        "{connect_url}"
    );
    let intent_id = body["intentId"].as_str().unwrap();
    let connection_id = body["connectionId"].as_str().unwrap();
    let expires_at = body["expiresAt"].as_str().unwrap();
    assert!(
        expires_at.ends_with('Z') && expires_at.len() == 24,
        "{expires_at}"
    );

    let dump = env.dump().await;
    let data = data_items(&dump);
    assert_eq!(data.len(), 2, "{data:?}");
    let conn = connection_item(&dump, ALICE, connection_id);
    assert_eq!(conn.s("status").unwrap(), "pending");
    assert_eq!(conn.s("user_id").unwrap(), ALICE);
    assert_eq!(conn.s("intent_id").unwrap(), intent_id);
    assert_eq!(conn.s("provider_id").unwrap(), "BLUE");
    assert!(conn.opt_s("consent_id").unwrap().is_none());
    assert!(
        conn.opt_s("gsi1pk").unwrap().is_none(),
        "a pending connection is not due"
    );
    let binding = with_pk(&dump, &format!("INTENT#{intent_id}"));
    assert_eq!(binding.len(), 1);
    let binding = binding[0];
    assert_eq!(binding.s("sk").unwrap(), "INTENT");
    assert_eq!(binding.s("user_id").unwrap(), ALICE);
    assert_eq!(binding.s("connection_id").unwrap(), connection_id);
    assert!(binding.n("expires_at").unwrap() > now_ms());
    assert!(binding.opt_n("consumed_at").unwrap().is_none());
    assert!(binding.n("expires_at_s").is_ok(), "the TTL attribute");
}

#[tokio::test]
async fn an_empty_body_connects_without_a_preselected_bank() {
    let env = TestEnv::start().await;
    for body in ["", "{}"] {
        let answer = call(&env, &Event::load(EVENT).body(body)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let id = answer.json()["connectionId"].as_str().unwrap().to_string();
        let dump = env.dump().await;
        let conn = connection_item(&dump, ALICE, &id);
        assert!(conn.opt_s("provider_id").unwrap().is_none());
    }
    // Two calls, two pending connections, two bindings.
    assert_eq!(data_items(&env.dump().await).len(), 4);
}

#[tokio::test]
async fn arabic_and_red_are_accepted() {
    let env = TestEnv::start().await;
    let event = Event::load(EVENT).body(r#"{"language": "AR", "providerId": "RED"}"#);
    let answer = call(&env, &event).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
}

#[tokio::test]
async fn a_tarabut_failure_leaves_no_pending_connection() {
    let env = TestEnv::start().await;
    // A token first, so the refused call below has nothing legitimate to write.
    assert_eq!(call(&env, &Event::load(EVENT)).await.status, 201);
    env.control
        .fault(json!({"endpoint": "create_intent", "status": 500}))
        .await;
    let problem = refused_without_change(&env, Event::load(EVENT), 502).await;
    assert_eq!(problem["type"], "/problems/upstream-error");
}

// ---- bad input writes nothing ----

#[tokio::test]
async fn missing_or_empty_claims_are_401() {
    let env = TestEnv::start().await;
    for file in ["no-claims", "empty-sub"] {
        let event = Event::load(&format!("negative/{EVENT}.{file}"));
        let problem = refused_without_change(&env, event, 401).await;
        assert_eq!(problem["type"], "/problems/unauthenticated");
    }
    refused_without_change(&env, Event::load(EVENT).user("a#b"), 401).await;
    assert_eq!(env.control.calls("create_intent").await, 0);
    assert_eq!(env.control.calls("token").await, 0);
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let env = TestEnv::start().await;
    let long = "B".repeat(500);
    let bodies = [
        r#"{"providerId": "BLUE""#.to_string(), // malformed JSON
        "providerId=BLUE".to_string(),          // malformed JSON
        r#"{"providerId": 42}"#.to_string(),    // wrong type
        r#"{"language": 42}"#.to_string(),      // wrong type
        r#"{"language": "FR"}"#.to_string(),    // not a language
        r#"{"connectionId": "x"}"#.to_string(), // unknown field
        r#"{"providerId": "BLUE", "userId": "someone-else"}"#.to_string(), // unknown field
        r#"{"providerId": "a#b"}"#.to_string(), // malformed id
        r#"{"providerId": ""}"#.to_string(),    // malformed id
        json!({ "providerId": long }).to_string(), // malformed id
    ];
    for body in bodies {
        let problem = refused_without_change(&env, Event::load(EVENT).body(&body), 400).await;
        assert_eq!(problem["type"], "/problems/bad-request", "{body}");
    }
    assert_eq!(env.control.calls("create_intent").await, 0);
}

#[tokio::test]
async fn an_oversized_body_is_413_and_another_content_type_415() {
    let env = TestEnv::start().await;
    let huge = json!({ "providerId": "BLUE", "pad": "x".repeat(65 * 1024) }).to_string();
    refused_without_change(&env, Event::load(EVENT).body(&huge), 413).await;
    let form = Event::load(EVENT).header("content-type", "application/x-www-form-urlencoded");
    let problem = refused_without_change(&env, form, 415).await;
    assert_eq!(problem["type"], "/problems/unsupported-media-type");
    assert_eq!(env.control.calls("create_intent").await, 0);
}

/// A `providerId` Tarabut does not offer is the client's mistake (DESIGN §3: bad input gets a
/// clear 4xx). Today Tarabut's 400 is answered as 502 "retry later", which no retry can fix.
#[tokio::test]
async fn a_bank_tarabut_does_not_know_is_a_4xx_and_writes_nothing() {
    let env = TestEnv::start().await;
    // A token first, so the refused call below has nothing legitimate to write.
    assert_eq!(call(&env, &Event::load(EVENT)).await.status, 201);
    let event = Event::load(EVENT).body(r#"{"providerId": "GREEN"}"#);
    refused_without_change(&env, event, 400).await;
}
