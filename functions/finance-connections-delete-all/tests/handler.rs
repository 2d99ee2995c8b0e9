//! DELETE /finance/connections driven by `events/finance-connections-delete-all.json` against
//! a fresh table (in memory, or dynalite for the race) and an in-process Tarabut sandbox.

use std::sync::Arc;

use serde_json::json;
use shared::store::{Item, ItemExt};
use shared::sync::{self, SyncRequest};
use shared::testkit::{
    ALICE, Answer, BOB, Event, GatedTable, TestEnv, TestTable, deadline, test_config, test_state,
    user, with_pk,
};

shared::handler_test_helpers!(finance_connections_delete_all::handle);

const EVENT: &str = "finance-connections-delete-all";

async fn erased_all<T: TestTable>(env: &TestEnv<T>, sub: &str) {
    let answer = call(env, &Event::load(EVENT).user(sub)).await;
    assert_eq!(answer.status, 204, "{}", answer.text);
    assert!(answer.text.is_empty());
}

/// What is left of `sub`: only connection tombstones (and the link attempts' bindings, which
/// hold ids and expire by TTL; they are keyed by intent, not by user).
fn assert_only_tombstones_left(items: &[Item], sub: &str, connections: usize) {
    let mine = with_pk(items, &format!("USER#{sub}"));
    assert_eq!(mine.len(), connections, "{mine:?}");
    for item in mine {
        assert!(item.s("sk").unwrap().starts_with("CONN#"), "{item:?}");
        assert_eq!(item.s("status").unwrap(), "revoked");
        assert!(item.n("deleted_at").is_ok());
    }
    for suffix in ["#TXN", "#BAL"] {
        assert!(
            with_pk(items, &format!("USER#{sub}{suffix}")).is_empty(),
            "{suffix}"
        );
    }
}

#[tokio::test]
async fn revokes_every_consent_and_erases_all_of_the_callers_banking_data() {
    let env = TestEnv::start().await;
    let [blue, red] = env.link_demo_banks(&user(ALICE)).await;
    env.link(&user(BOB), "BLUE").await;
    let consents = [
        env.consent_of(ALICE, &blue).await,
        env.consent_of(ALICE, &red).await,
    ];
    let before = env.dump().await;
    assert!(with_pk(&before, &format!("USER#{ALICE}#TXN")).len() > 10);
    let bobs = |items: &[Item]| -> Vec<Item> {
        items
            .iter()
            .filter(|i| i.s("pk").unwrap().starts_with(&format!("USER#{BOB}")))
            .cloned()
            .collect()
    };

    erased_all(&env, ALICE).await;
    let after = env.dump().await;
    assert_only_tombstones_left(&after, ALICE, 2);
    for consent in &consents {
        assert_eq!(env.control.consent_status(consent).await, "REVOKED");
    }
    assert_eq!(
        bobs(&after),
        bobs(&before),
        "another user's data is untouched"
    );

    // Again: 204, nothing changes and Tarabut is not asked.
    env.control.reset_counters().await;
    erased_all(&env, ALICE).await;
    assert_eq!(
        shared::testkit::without_audit(env.dump().await),
        shared::testkit::without_audit(after)
    );
    assert_eq!(env.control.calls("revoke_consent").await, 0);
}

#[tokio::test]
async fn a_user_without_banks_gets_204_and_nothing_changes() {
    let env = TestEnv::start().await;
    env.link(&user(BOB), "BLUE").await;
    let before = env.dump().await;
    erased_all(&env, ALICE).await;
    assert_eq!(
        shared::testkit::without_audit(env.dump().await),
        shared::testkit::without_audit(before)
    );
}

/// Tarabut fails every attempt to revoke the first consent: that connection stays as it was
/// (502), the other is deleted, the token stays (the retry needs it); the retry finishes.
#[tokio::test]
async fn a_failing_revoke_is_502_the_rest_is_erased_and_a_retry_finishes() {
    let env = TestEnv::start().await;
    let [blue, red] = env.link_demo_banks(&user(ALICE)).await;
    env.control
        .fault(json!({"endpoint": "revoke_consent", "status": 500, "count": 4}))
        .await;
    let answer = call(&env, &Event::load(EVENT).user(ALICE)).await;
    assert_eq!(answer.status, 502, "{}", answer.text);
    let dump = env.dump().await;
    let statuses: Vec<String> = [&blue, &red]
        .iter()
        .map(|id| {
            with_pk(&dump, &format!("USER#{ALICE}"))
                .into_iter()
                .find(|i| i.s("sk").unwrap() == format!("CONN#{id}"))
                .unwrap()
                .s("status")
                .unwrap()
                .to_string()
        })
        .collect();
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, ["active", "revoked"], "one deleted, one kept");
    assert!(
        with_pk(&dump, &format!("USER#{ALICE}"))
            .iter()
            .any(|i| i.s("sk").unwrap() == "TOKEN#tarabut"),
        "the token stays while a consent is unrevoked"
    );

    env.control.clear_faults().await;
    erased_all(&env, ALICE).await;
    assert_only_tombstones_left(&env.dump().await, ALICE, 2);
}

/// Erase-all while another Lambda's sync of one connection is writing what it fetched: after
/// the 204 and the sync's end, nothing of the user's banking data is left (the single
/// delete's guarantee, docs/architecture.md §3.7).
#[tokio::test]
async fn erase_all_during_a_sync_leaves_nothing_once_the_sync_ends() {
    let env = TestEnv::on_dynamodb().await;
    env.control
        .fault(json!({"endpoint": "transactions", "status": 500}))
        .await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.control.clear_faults().await;
    let gated = Arc::new(GatedTable::closed((*env.table).clone()));
    let syncing = Arc::new(test_state(
        test_config(env.table.name(), env.sandbox.base_url(), &[]),
        gated.clone(),
        Arc::new(shared::time::SystemClock),
    ));
    let sync = tokio::spawn(async move {
        sync::sync_one(
            &syncing,
            &user(ALICE),
            SyncRequest { connection_id: id },
            deadline(),
        )
        .await
    });
    gated.until_a_write_waits().await;
    erased_all(&env, ALICE).await;
    gated.open();
    assert!(
        sync.await.unwrap().is_err(),
        "the sync finds its connection gone"
    );
    assert_only_tombstones_left(&env.dump().await, ALICE, 1);
}

#[tokio::test]
async fn missing_or_empty_claims_are_401() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    for event in [Event::load(EVENT).no_claims(), Event::load(EVENT).user("")] {
        refused(&env, event, 401).await;
    }
}

/// Erase-all is audited, and the audit trail outlives it: the earlier records are still there.
#[tokio::test]
async fn erase_all_is_audited_and_the_audit_trail_survives_it() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let delete_one = Event::load("finance-connection-delete")
        .user(ALICE)
        .path_param("id", &id);
    let answer = Answer::read(
        finance_connection_delete::handle(&env.state, delete_one.request())
            .await
            .unwrap(),
    );
    assert_eq!(answer.status, 204);
    let event = Event::load(EVENT).user(ALICE);
    erased_all(&env, ALICE).await;
    let n =
        shared::testkit::assert_audited(&env, ALICE, &event, "connections.delete_all", None, None)
            .await;
    assert_eq!(n, 2);
    let first = &shared::testkit::audit_items(&env, ALICE).await[0];
    assert_eq!(first.s("action").unwrap(), "connection.delete");
    assert_eq!(first.s("connection_id").unwrap(), id);
}
