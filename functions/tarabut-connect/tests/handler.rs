//! POST /tarabut/connect driven by `events/tarabut-connect.json` against a fresh in-memory
//! table and an in-process Tarabut sandbox.

use std::time::Duration;

use serde_json::json;
use shared::store::{Item, ItemExt};
use shared::testkit::{ALICE, Event, TestEnv, connection_item, with_pk};
use shared::time::{Clock, SystemClock};

shared::handler_test_helpers!(tarabut_connect::handle);

const EVENT: &str = "tarabut-connect";

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
    // The app's clock a minute behind Tarabut's: the expiry stored and answered must be the
    // one Tarabut gave the intent, not one the app works out for itself.
    let env = TestEnv::with_clock_stopped_at(SystemClock.now() - Duration::from_secs(60)).await;
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
    let intent_id = body["intentId"].as_str().unwrap();
    let connection_id = body["connectionId"].as_str().unwrap();
    // The intent as Tarabut holds it: the answer passes on its connect page and its expiry.
    let token = env.token_of(ALICE).await;
    let intent = env.control.intent(token.expose(), intent_id).await;
    assert_eq!(intent["intentId"], intent_id);
    assert_eq!(intent["status"], "PENDING");
    assert_eq!(intent["providerId"], "BLUE");
    assert_eq!(
        body["connectUrl"],
        format!("{}/connect/{intent_id}", env.sandbox.base_url())
    );
    let expires_at = body["expiresAt"].as_str().unwrap();
    assert_eq!(
        expires_at, intent["expiry"],
        "Tarabut's expiry, in RFC 3339"
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
    // Milliseconds on both sides: equal texts are equal instants.
    let expiry = binding.time("expires_at").unwrap();
    assert_eq!(expiry.to_rfc3339(), expires_at, "the answer's expiry");
    assert!(binding.opt_n("consumed_at").unwrap().is_none());
    assert_eq!(
        binding.n("expires_at_s").unwrap(),
        (expiry + Duration::from_secs(7 * 86_400)).epoch_secs(),
        "the TTL attribute: a week after the expiry (room for the sweep to revoke)"
    );
    assert_eq!(binding.s("state").unwrap(), "pending");
    // In the sweep index from the start: an approval never brought back to us is revoked
    // once the intent has expired.
    assert_eq!(binding.s("gsi1pk").unwrap(), "LINKSWEEP");
    assert_eq!(binding.n("sweep_at").unwrap(), expiry.millis());
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
    // What reached Tarabut: the connect page is in Arabic, right to left.
    let page = env
        .control
        .connect_page(answer.json()["connectUrl"].as_str().unwrap())
        .await;
    assert!(page.contains(r#"lang="ar" dir="rtl""#), "{page}");
    // And without a language, English.
    let answer = call(&env, &Event::load(EVENT)).await;
    let page = env
        .control
        .connect_page(answer.json()["connectUrl"].as_str().unwrap())
        .await;
    assert!(page.contains(r#"lang="en" dir="ltr""#), "{page}");
}

#[tokio::test]
async fn a_tarabut_failure_leaves_no_pending_connection() {
    let env = TestEnv::start().await;
    // A token first, so the refused call below has nothing legitimate to write.
    assert_eq!(call(&env, &Event::load(EVENT)).await.status, 201);
    env.control
        .fault(json!({"endpoint": "create_intent", "status": 500}))
        .await;
    let problem = refused(&env, Event::load(EVENT), 502).await;
    assert_eq!(problem["type"], "/problems/upstream-error");
}

/// Five links started and not finished: a sixth is refused before Tarabut is asked for an
/// intent, with a problem that says why, and nothing is written.
#[tokio::test]
async fn a_sixth_unfinished_link_is_refused_without_asking_tarabut() {
    let env = TestEnv::start().await;
    for _ in 0..5 {
        assert_eq!(call(&env, &Event::load(EVENT)).await.status, 201);
    }
    let intents = env.control.calls("create_intent").await;
    let problem = refused(&env, Event::load(EVENT), 409).await;
    assert_eq!(problem["type"], "/problems/too-many-pending-links");
    assert!(
        problem["detail"].as_str().unwrap().contains("5 bank links"),
        "{problem}"
    );
    assert_eq!(env.control.calls("create_intent").await, intents);
}

// ---- bad input writes nothing ----

#[tokio::test]
async fn missing_or_empty_claims_are_401() {
    let env = TestEnv::start().await;
    for file in ["no-claims", "empty-sub"] {
        let event = Event::load(&format!("negative/{EVENT}.{file}"));
        let problem = refused(&env, event, 401).await;
        assert_eq!(problem["type"], "/problems/unauthenticated");
    }
    refused(&env, Event::load(EVENT).user("a#b"), 401).await;
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
        let problem = refused(&env, Event::load(EVENT).body(&body), 400).await;
        assert_eq!(problem["type"], "/problems/bad-request", "{body}");
    }
    assert_eq!(env.control.calls("create_intent").await, 0);
}

#[tokio::test]
async fn an_oversized_body_is_413_and_another_content_type_415() {
    let env = TestEnv::start().await;
    let huge = json!({ "providerId": "BLUE", "pad": "x".repeat(65 * 1024) }).to_string();
    refused(&env, Event::load(EVENT).body(&huge), 413).await;
    let form = Event::load(EVENT).header("content-type", "application/x-www-form-urlencoded");
    let problem = refused(&env, form, 415).await;
    assert_eq!(problem["type"], "/problems/unsupported-media-type");
    assert_eq!(env.control.calls("create_intent").await, 0);
}

/// A `providerId` Tarabut does not offer is the client's mistake (docs/architecture.md §3.3: bad input gets a
/// clear 4xx). Today Tarabut's 400 is answered as 502 "retry later", which no retry can fix.
#[tokio::test]
async fn a_bank_tarabut_does_not_know_is_a_4xx_and_writes_nothing() {
    let env = TestEnv::start().await;
    // A token first, so the refused call below has nothing legitimate to write.
    assert_eq!(call(&env, &Event::load(EVENT)).await.status, 201);
    let event = Event::load(EVENT).body(r#"{"providerId": "GREEN"}"#);
    refused(&env, event, 400).await;
}
