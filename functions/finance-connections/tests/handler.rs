//! GET /finance/connections driven by `events/finance-connections.json` against a fresh
//! in-memory table and an in-process Tarabut sandbox.

use serde_json::{Value, json};
use shared::linking::{self, ConnectRequest};
use shared::store::ItemExt;
use shared::testkit::{ALICE, BOB, Event, TestEnv, connection_item, deadline, user};
use shared::{connections, sync};

shared::handler_test_helpers!(finance_connections::handle);

const EVENT: &str = "finance-connections";

async fn list(env: &TestEnv, sub: &str) -> Vec<Value> {
    let before = env.dump().await;
    let answer = call(env, &Event::load(EVENT).user(sub)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.content_type, "application/json");
    assert_eq!(
        shared::testkit::without_audit(env.dump().await),
        shared::testkit::without_audit(before),
        "listing wrote to the table"
    );
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
    let pending = linking::connect(
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
                "consecutiveFailures",
                "consentExpiresAt",
                "createdAt",
                "lastSyncAt",
                "lastSyncStatus",
                "parkedAt",
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
        assert_eq!(view["consecutiveFailures"], 0);
        assert_eq!(view["parkedAt"], Value::Null);
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
    let consent = env.consent_of(ALICE, &id).await;
    env.control.expire_consent(&consent).await;
    let request = serde_json::from_value(json!({ "connectionId": id })).unwrap();
    assert!(
        sync::sync_one(&env.state, &user(ALICE), request, deadline())
            .await
            .is_err()
    );
    let views = list(&env, ALICE).await;
    assert_eq!(views[0]["status"], "reauth_required");
    assert_eq!(views[0]["lastSyncStatus"], "reauth_required");
}

/// Scheduled runs that took the connection and never reported (crashes) count as failures;
/// after 8 in a row the next run parks it. The list shows both.
#[tokio::test]
async fn a_parked_connection_shows_its_failures_and_when_it_was_parked() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let repo = &env.state.connections;
    let now = env.state.clock.now();
    for _ in 0..9 {
        let mut conn = repo.get(&user(ALICE), &id).await.unwrap().unwrap();
        conn.next_sync_at = Some(now - std::time::Duration::from_secs(60));
        repo.save(&conn).await.unwrap();
        let due = repo.due(now, 10).await.unwrap();
        repo.take_due(&due[0], now).await.unwrap();
    }
    let views = list(&env, ALICE).await;
    assert_eq!(views[0]["status"], "active");
    assert_eq!(views[0]["consecutiveFailures"], 8, "{:?}", views[0]);
    assert!(is_iso(&views[0]["parkedAt"]), "{:?}", views[0]);
}

#[tokio::test]
async fn deleted_connections_are_hidden() {
    let env = TestEnv::start().await;
    let kept = env.link(&user(ALICE), "BLUE").await;
    let deleted = env.link(&user(ALICE), "RED").await;
    connections::delete(&env.state, &user(ALICE), &deleted, deadline())
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
        let problem = refused(&env, event, 401).await;
        assert_eq!(problem["type"], "/problems/unauthenticated");
    }
    let whitespace = Event::load(EVENT).claims(json!({ "sub": "   " }));
    refused(&env, whitespace, 401).await;
    let other_claims = Event::load(EVENT).claims(json!({ "email": "alice@example.com" }));
    refused(&env, other_claims, 401).await;
}

/// The listing is recorded in the user's audit trail, with the API request id and no content;
/// a refused request is not.
#[tokio::test]
async fn a_listing_is_audited_and_a_refused_request_is_not() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    let event = Event::load(EVENT).user(ALICE);
    assert_eq!(call(&env, &event).await.status, 200);
    let n =
        shared::testkit::assert_audited(&env, ALICE, &event, "connections.list", None, None).await;
    assert_eq!(n, 1);
    assert_eq!(
        call(&env, &Event::load(EVENT).no_claims()).await.status,
        401
    );
    assert_eq!(shared::testkit::audit_items(&env, ALICE).await.len(), 1);
}
