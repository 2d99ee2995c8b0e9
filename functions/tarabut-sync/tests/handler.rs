//! POST /tarabut/sync driven by `events/tarabut-sync.json` against a fresh in-memory table and
//! an in-process Tarabut sandbox.

use std::sync::Arc;

use serde_json::json;
use shared::linking::{self, ConnectRequest};
use shared::store::ItemExt;
use shared::testkit::{
    ALICE, Answer, BOB, Bank, Event, TestEnv, TestTable, assert_problem, balances, connection_item,
    deadline, test_config, test_state, transactions, user, with_sk_prefix,
};
use shared::time::SystemClock;

shared::handler_test_helpers!(tarabut_sync::handle);

const EVENT: &str = "tarabut-sync";

fn sync_event(sub: &str, connection_id: &str) -> Event {
    Event::load(EVENT)
        .user(sub)
        .body(&json!({ "connectionId": connection_id }).to_string())
}

// ---- happy path ----

/// Links BLUE for Alice while Tarabut's transaction endpoint fails, so the callback's first
/// sync stores no transaction and the route's sync has all of them to fetch.
async fn linked_without_transactions(env: &TestEnv) -> String {
    env.control
        .fault(json!({"endpoint": "transactions", "status": 500}))
        .await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.control.clear_faults().await;
    assert!(transactions(&env.dump().await, ALICE).is_empty());
    id
}

#[tokio::test]
async fn syncs_the_connection_and_stores_transactions_and_balances() {
    let env = TestEnv::start().await;
    let id = linked_without_transactions(&env).await;
    let accounts_before = with_sk_prefix(
        &env.dump().await,
        &format!("USER#{ALICE}"),
        &format!("ACCT#{id}#"),
    )
    .len();
    assert!(accounts_before > 0);

    let answer = call(&env, &sync_event(ALICE, &id)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.content_type, "application/json");
    let summary = answer.json();
    assert_eq!(summary["connectionId"], id.as_str());
    assert_eq!(summary["status"], "active");
    assert_eq!(summary["accounts"], accounts_before);
    let new = summary["newTransactions"].as_u64().unwrap();
    assert!(new > 0, "{summary}");
    let synced_at = summary["syncedAt"].as_str().unwrap();
    assert!(
        synced_at.ends_with('Z') && synced_at.contains('T'),
        "{synced_at}"
    );

    let dump = env.dump().await;
    let stored = transactions(&dump, ALICE);
    assert_eq!(
        stored.len() as u64,
        new,
        "every new transaction is one item"
    );
    // What the bank holds, read from the sandbox through the client: the stored values must be
    // exactly these (debits negative, in the currency's minor units).
    let bank = Bank::read(&env, ALICE).await;
    for t in &stored {
        assert_eq!(t.s("connection_id").unwrap(), id);
        assert_eq!(t.s("currency").unwrap(), "BHD");
        let account = t.s("account_id").unwrap();
        let tx_id = t.s("transaction_id").unwrap();
        assert_eq!(
            t.n("amount_minor").unwrap(),
            bank.amount_minor(account, tx_id),
            "{tx_id}"
        );
        // `<bookingDate>#<accountId>#<transactionId>`: deterministic, so re-syncs overwrite.
        let sk = t.s("sk").unwrap();
        assert!(sk[10..].starts_with(&format!("#{account}#")), "{sk}");
    }
    // One balance snapshot per account, and the account carries the latest balance.
    assert_eq!(balances(&dump, ALICE).len(), accounts_before);
    for account in with_sk_prefix(&dump, &format!("USER#{ALICE}"), &format!("ACCT#{id}#")) {
        let account_id = account.s("account_id").unwrap();
        assert_eq!(
            account.n("balance_minor").unwrap(),
            bank.balance_minor(account_id),
            "{account:?}"
        );
        let newest = stored
            .iter()
            .filter(|t| t.s("account_id").unwrap() == account_id)
            .map(|t| &t.s("sk").unwrap()[..10])
            .max()
            .unwrap();
        assert_eq!(account.s("last_booking_date").unwrap(), newest);
        assert_eq!(newest, bank.newest_booking_date(account_id));
    }
    let conn = connection_item(&dump, ALICE, &id);
    assert_eq!(conn.s("status").unwrap(), "active");
    assert_eq!(conn.s("last_sync_status").unwrap(), "ok");
    let synced_at = chrono::DateTime::parse_from_rfc3339(synced_at).unwrap();
    assert_eq!(
        conn.n("last_sync_at").unwrap(),
        synced_at.timestamp_millis(),
        "the answer's syncedAt is the stored last sync"
    );
}

#[tokio::test]
async fn a_second_sync_finds_nothing_new_and_stores_no_duplicate() {
    let env = TestEnv::start().await;
    let id = linked_without_transactions(&env).await;
    let first = call(&env, &sync_event(ALICE, &id)).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let count = transactions(&env.dump().await, ALICE).len();
    assert!(count > 0);

    let second = call(&env, &sync_event(ALICE, &id)).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.json()["newTransactions"], 0);
    assert_eq!(transactions(&env.dump().await, ALICE).len(), count);
}

#[tokio::test]
async fn an_expired_consent_is_409_reauth_required_and_marks_the_connection() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let dump = env.dump().await;
    let consent = connection_item(&dump, ALICE, &id).s("consent_id").unwrap();
    env.control.expire_consent(consent).await;

    let answer = call(&env, &sync_event(ALICE, &id)).await;
    let problem = assert_problem(&answer, 409);
    assert_eq!(problem["type"], "/problems/reauth-required");
    let after = env.dump().await;
    let conn = connection_item(&after, ALICE, &id);
    assert_eq!(conn.s("status").unwrap(), "reauth_required");
    assert!(
        conn.opt_s("gsi1pk").unwrap().is_none(),
        "no longer due for the cron"
    );
    // A repeat answers the same, without asking Tarabut again.
    env.control.reset_counters().await;
    assert_problem(&call(&env, &sync_event(ALICE, &id)).await, 409);
    assert_eq!(env.control.calls("transactions").await, 0);
}

#[tokio::test]
async fn a_pending_connection_is_409_and_changes_nothing() {
    let env = TestEnv::start().await;
    let created = linking::connect(
        &env.state,
        &user(ALICE),
        ConnectRequest::default(),
        deadline(),
    )
    .await
    .unwrap();
    let problem = refused(&env, sync_event(ALICE, &created.connection_id), 409).await;
    assert_eq!(problem["type"], "/problems/conflict");
}

// ---- bad input writes nothing ----

#[tokio::test]
async fn missing_or_empty_claims_are_401() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    for file in ["no-claims", "empty-sub"] {
        let event = Event::load(&format!("negative/{EVENT}.{file}"));
        let problem = refused(&env, event, 401).await;
        assert_eq!(problem["type"], "/problems/unauthenticated");
    }
    refused(&env, Event::load(EVENT).no_claims(), 401).await;
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let bodies = [
        "{\"connectionId\": ".to_string(),       // malformed JSON
        "not json".to_string(),                  // malformed JSON
        r#"{"connectionId": 42}"#.to_string(),   // wrong type
        r#"{"connectionId": null}"#.to_string(), // wrong type
        "{}".to_string(),                        // missing required field
        String::new(),                           // no body at all
        json!({"connectionId": id, "extra": 1}).to_string(), // unknown field
        json!({"connectionid": id}).to_string(), // wrong case = unknown field
    ];
    for body in bodies {
        let problem = refused(&env, Event::load(EVENT).body(&body), 400).await;
        assert_eq!(problem["type"], "/problems/bad-request", "{body}");
    }
}

/// serde's derive reads a struct from a JSON array positionally, so `["<id>"]` is taken as
/// `{"connectionId": "<id>"}` and syncs that connection. An array is not the documented
/// object: it must be refused like any other wrong type.
#[tokio::test]
async fn a_json_array_body_is_400_not_a_positional_object() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let positional = json!([id]).to_string();
    refused(&env, Event::load(EVENT).body(&positional), 400).await;
    refused(&env, Event::load(EVENT).body(r#"["x"]"#), 400).await;
}

#[tokio::test]
async fn an_oversized_body_is_413_and_another_content_type_415() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let huge = json!({ "connectionId": id, "pad": "x".repeat(65 * 1024) }).to_string();
    refused(&env, sync_event(ALICE, &id).body(&huge), 413).await;
    let text = sync_event(ALICE, &id).header("content-type", "text/plain");
    let problem = refused(&env, text, 415).await;
    assert_eq!(problem["type"], "/problems/unsupported-media-type");
}

#[tokio::test]
async fn unknown_foreign_and_malformed_connection_ids_are_404() {
    let env = TestEnv::start().await;
    let alices = env.link(&user(ALICE), "BLUE").await;
    // The fixture's own id was never created.
    refused(&env, Event::load(EVENT), 404).await;
    // Alice's connection, asked for by Bob.
    let problem = refused(&env, sync_event(BOB, &alices), 404).await;
    assert_eq!(problem["type"], "/problems/not-found");
    for id in ["a#b", &"a".repeat(500), "", " ", "../x", "CONN#x"] {
        refused(&env, sync_event(ALICE, id), 404).await;
    }
}

// ---- one sync of a connection at a time ----

/// Two Lambda processes sync the same connection at once (Tarabut slow): one syncs, the other
/// is told a sync is running and when to retry, and Tarabut serves one sync's calls. The lease
/// ends with the sync: the next one runs.
#[tokio::test]
async fn two_syncs_of_one_connection_at_once_make_one_set_of_tarabut_calls() {
    let env = TestEnv::on_dynamodb().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.control.reset_counters().await;
    assert_eq!(call(&env, &sync_event(ALICE, &id)).await.status, 200);
    let one_sync = env.control.counters().await["calls"].clone();

    env.control.reset_counters().await;
    env.control
        .fault(json!({"endpoint": "transactions", "latencyMs": 400}))
        .await;
    let other = Arc::new(test_state(
        test_config(env.table.name(), env.sandbox.base_url(), &[]),
        env.table.clone(),
        Arc::new(SystemClock),
    ));
    let event = sync_event(ALICE, &id);
    let (a, b) = tokio::join!(call(&env, &event), async {
        Answer::read(tarabut_sync::handle(&other, event.request()).await.unwrap())
    });
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.text, b.text);
    let refused = if a.status == 409 { &a } else { &b };
    let problem = assert_problem(refused, 409);
    assert_eq!(problem["type"], "/problems/sync-in-progress");
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "Retry-After {retry}");
    assert_eq!(
        env.control.counters().await["calls"]["transactions"],
        one_sync["transactions"]
    );
    assert_eq!(
        env.control.counters().await["calls"]["balances"],
        one_sync["balances"]
    );

    env.control.clear_faults().await;
    assert_eq!(call(&env, &sync_event(ALICE, &id)).await.status, 200);
}

/// A sync is audited with its connection; one that is refused is not.
#[tokio::test]
async fn a_sync_is_audited_with_its_connection() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let event = sync_event(ALICE, &id);
    assert_eq!(call(&env, &event).await.status, 200);
    let n =
        shared::testkit::assert_audited(&env, ALICE, &event, "connection.sync", Some(&id), None)
            .await;
    assert_eq!(
        call(&env, &sync_event(ALICE, "no-such-connection"))
            .await
            .status,
        404
    );
    assert_eq!(shared::testkit::audit_items(&env, ALICE).await.len(), n);
}
