//! DELETE /finance/connections/{id} driven by `events/finance-connection-delete.json` against
//! a fresh in-memory table and an in-process Tarabut sandbox.

use std::collections::HashSet;

use serde_json::json;
use shared::banking::connection::{ERASE_SETTLE, TOMBSTONE_KEPT};
use shared::error::UseCaseError;
use shared::linking::{self, CallbackQuery, ConnectRequest};
use shared::store::{Item, ItemExt};
use shared::sync;
use shared::testkit::{
    ALICE, BOB, Bank, Event, TestEnv, balances, connection_item, deadline, transactions, user,
    with_pk, with_sk_prefix,
};
use shared::time::Timestamp;

shared::handler_test_helpers!(finance_connection_delete::handle);

const EVENT: &str = "finance-connection-delete";

fn delete_event(sub: &str, id: &str) -> Event {
    Event::load(EVENT).user(sub).path_param("id", id)
}

/// Items that have nothing to do with connection `id` (its own item aside).
fn unrelated<'a>(items: &'a [Item], id: &str) -> Vec<&'a Item> {
    items
        .iter()
        .filter(|i| i.opt_s("connection_id").unwrap() != Some(id))
        .collect()
}

/// The items of connection `id` (its audit records aside: they outlive it by design).
fn of_connection<'a>(items: &'a [Item], id: &str) -> Vec<&'a Item> {
    items
        .iter()
        .filter(|i| i.opt_s("connection_id").unwrap() == Some(id))
        .filter(|i| !i.s("pk").unwrap().ends_with("#AUDIT"))
        .collect()
}

async fn deleted(env: &TestEnv, sub: &str, id: &str) {
    let answer = call(env, &delete_event(sub, id)).await;
    assert_eq!(answer.status, 204, "{}", answer.text);
    assert!(answer.text.is_empty());
}

/// The connection is a tombstone written at `now` and nothing else of it is left (but its
/// intent binding, which only the callback reads and TTL removes).
fn assert_erased(items: &[Item], sub: &str, id: &str, now: Timestamp) {
    let left: Vec<&Item> = of_connection(items, id)
        .into_iter()
        .filter(|i| !i.s("pk").unwrap().starts_with("INTENT#"))
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    let tombstone = connection_item(items, sub, id);
    assert_eq!(tombstone.s("status").unwrap(), "revoked");
    assert_eq!(tombstone.n("deleted_at").unwrap(), now.millis());
    assert_eq!(
        tombstone.n("expires_at_s").unwrap(),
        (now + TOMBSTONE_KEPT).epoch_secs(),
        "the TTL attribute"
    );
    // No longer due for sync; due for the scheduled run's last erasure instead (§3.7).
    assert_eq!(tombstone.s("gsi1pk").unwrap(), "ERASESWEEP");
    assert_eq!(
        tombstone.n("erase_sweep_at").unwrap(),
        (now + ERASE_SETTLE).millis()
    );
    assert!(tombstone.opt_n("next_sync_at").unwrap().is_none());
}

// ---- happy path ----

#[tokio::test]
async fn revokes_and_erases_one_connection_and_leaves_the_others() {
    let env = TestEnv::with_stopped_clock().await;
    let blue = env.link(&user(ALICE), "BLUE").await;
    let red = env.link(&user(ALICE), "RED").await;
    env.link(&user(BOB), "BLUE").await;
    let before = env.dump().await;
    // What each connection holds, as Tarabut reports it: its consent's accounts, every
    // transaction of those, and one balance snapshot per account.
    let bank = Bank::read(&env, ALICE).await;
    let (blue_consent, red_consent) = (
        env.consent_of(ALICE, &blue).await,
        env.consent_of(ALICE, &red).await,
    );
    let held = |consent: &str| {
        let accounts = bank.accounts_of(consent);
        let transactions = bank.transaction_ids(&accounts).len();
        (accounts.len(), transactions, accounts.len())
    };
    let (accounts, txns, bals) = held(&blue_consent);
    for (kind, expected) in [("ACCT#", accounts), ("TXN", txns), ("BAL", bals)] {
        let n = of_connection(&before, &blue)
            .iter()
            .filter(|i| i.s("pk").unwrap().ends_with(kind) || i.s("sk").unwrap().starts_with(kind))
            .count();
        assert_eq!(n, expected, "{kind} items to delete");
    }
    env.control.reset_counters().await;

    deleted(&env, ALICE, &blue).await;
    assert_eq!(env.control.calls("revoke_consent").await, 1);
    let after = env.dump().await;
    assert_erased(&after, ALICE, &blue, env.state.clock.now());
    // Erased: exactly Blue's accounts, transactions and balances (its item became the
    // tombstone; its intent binding stays).
    let key = |i: &Item| {
        (
            i.s("pk").unwrap().to_string(),
            i.s("sk").unwrap().to_string(),
        )
    };
    let kept: HashSet<_> = after.iter().map(key).collect();
    let erased: Vec<&Item> = before.iter().filter(|i| !kept.contains(&key(i))).collect();
    let blues_data: Vec<&Item> = of_connection(&before, &blue)
        .into_iter()
        .filter(|i| {
            !i.s("pk").unwrap().starts_with("INTENT#") && !i.s("sk").unwrap().starts_with("CONN#")
        })
        .collect();
    assert_eq!(erased, blues_data);
    assert_eq!(erased.len(), accounts + txns + bals);
    // Red, Bob's connection and the token are exactly as they were.
    assert_eq!(unrelated(&after, &blue), unrelated(&before, &blue));
    let (accounts, txns, bals) = held(&red_consent);
    let reds = of_connection(&after, &red);
    assert_eq!(reds, of_connection(&before, &red));
    // Its item and intent binding, and its data.
    assert_eq!(reds.len(), 2 + accounts + txns + bals);
    // At Tarabut the consent is gone: only Red's accounts are listed, under Red's consent.
    let token = env.token_of(ALICE).await;
    let listed = env
        .state
        .tarabut()
        .accounts(&token, deadline())
        .await
        .unwrap();
    let mut listed_ids: Vec<String> = listed.iter().map(|a| a.account_id.clone()).collect();
    listed_ids.sort();
    assert_eq!(listed_ids, bank.accounts_of(&red_consent));
    assert!(
        listed
            .iter()
            .all(|a| a.consents.iter().all(|c| c.id != blue_consent))
    );
}

#[tokio::test]
async fn a_repeated_delete_is_204_and_changes_nothing() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    deleted(&env, ALICE, &id).await;
    let before = env.dump().await;
    env.control.reset_counters().await;
    deleted(&env, ALICE, &id).await;
    assert_eq!(
        shared::testkit::without_audit(env.dump().await),
        shared::testkit::without_audit(before)
    );
    assert_eq!(env.control.calls("revoke_consent").await, 0);
}

#[tokio::test]
async fn a_connection_whose_consent_expired_is_still_erased() {
    let env = TestEnv::with_stopped_clock().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.control
        .expire_consent(&env.consent_of(ALICE, &id).await)
        .await;
    deleted(&env, ALICE, &id).await;
    assert_erased(&env.dump().await, ALICE, &id, env.state.clock.now());
}

#[tokio::test]
async fn a_pending_connection_is_erased_without_asking_tarabut() {
    let env = TestEnv::with_stopped_clock().await;
    let id = linking::connect(
        &env.state,
        &user(ALICE),
        ConnectRequest::default(),
        deadline(),
    )
    .await
    .unwrap()
    .connection_id;
    env.control.reset_counters().await;
    deleted(&env, ALICE, &id).await;
    assert_eq!(env.control.calls("revoke_consent").await, 0);
    assert_erased(&env.dump().await, ALICE, &id, env.state.clock.now());
    // A late approval of its intent cannot bring it back: the callback ends the attempt.
    let before = env.dump().await;
    let intent = with_pk(&before, &format!("USER#{ALICE}"))
        .iter()
        .find_map(|i| i.opt_s("intent_id").unwrap())
        .unwrap()
        .to_string();
    let query = CallbackQuery {
        intent_id: Some(intent),
        status: Some("SUCCESSFUL".into()),
        error: None,
    };
    let location = linking::callback(&env.state, query, deadline()).await;
    assert_eq!(
        location.as_str(),
        "https://app.example.test/linked?status=error&error=unknown_intent"
    );
    let after = env.dump().await;
    assert_eq!(
        with_pk(&after, &format!("USER#{ALICE}")),
        with_pk(&before, &format!("USER#{ALICE}")),
        "nothing of Alice's came back"
    );
}

/// Re-linking the same bank (after its consent expired) gives a new connection over the same
/// bank accounts. Removing the old, dead connection must not erase the new one's history.
#[tokio::test]
async fn deleting_an_old_link_of_a_bank_keeps_the_new_links_data() {
    let env = TestEnv::start().await;
    let old = env.link(&user(ALICE), "BLUE").await;
    env.control
        .expire_consent(&env.consent_of(ALICE, &old).await)
        .await;
    let request = serde_json::from_value(json!({ "connectionId": old })).unwrap();
    let refused = sync::sync_one(&env.state, &user(ALICE), request, deadline()).await;
    assert!(
        matches!(&refused, Err(UseCaseError::ReauthRequired { connection_id }) if *connection_id == old),
        "{refused:?}"
    );
    let new = env.link(&user(ALICE), "BLUE").await;
    let before = env.dump().await;
    let transactions_before = transactions(&before, ALICE).len();
    let balances_before = balances(&before, ALICE).len();
    // Every transaction of the bank accounts both links cover.
    let bank = Bank::read(&env, ALICE).await;
    let shared_accounts = bank.accounts_of(&env.consent_of(ALICE, &new).await);
    assert_eq!(
        transactions_before,
        bank.transaction_ids(&shared_accounts).len()
    );

    deleted(&env, ALICE, &old).await;
    let after = env.dump().await;
    assert_eq!(
        transactions(&after, ALICE).len(),
        transactions_before,
        "history lost"
    );
    assert_eq!(
        balances(&after, ALICE).len(),
        balances_before,
        "balances lost"
    );
    let accounts_of =
        |id: &str| with_sk_prefix(&after, &format!("USER#{ALICE}"), &format!("ACCT#{id}#")).len();
    assert_eq!((accounts_of(&old), accounts_of(&new)), (0, 2));
    // And the new link still syncs.
    let request = serde_json::from_value(json!({ "connectionId": new })).unwrap();
    sync::sync_one(&env.state, &user(ALICE), request, deadline())
        .await
        .unwrap();
}

// ---- refusals change nothing ----

#[tokio::test]
async fn a_failing_revoke_is_502_and_deletes_nothing() {
    let env = TestEnv::with_stopped_clock().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.control
        .fault(json!({"endpoint": "revoke_consent", "status": 500}))
        .await;
    let problem = refused(&env, delete_event(ALICE, &id), 502).await;
    assert_eq!(problem["type"], "/problems/upstream-error");
    // Once Tarabut is back, the same request succeeds.
    env.control.clear_faults().await;
    deleted(&env, ALICE, &id).await;
    assert_erased(&env.dump().await, ALICE, &id, env.state.clock.now());
}

#[tokio::test]
async fn another_users_connection_is_404_and_untouched() {
    let env = TestEnv::start().await;
    let alices = env.link(&user(ALICE), "BLUE").await;
    env.control.reset_counters().await;
    let problem = refused(&env, delete_event(BOB, &alices), 404).await;
    assert_eq!(problem["type"], "/problems/not-found");
    assert_eq!(env.control.calls("revoke_consent").await, 0);
}

#[tokio::test]
async fn unknown_malformed_and_missing_ids_are_404() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    // The fixture's own id was never created.
    refused(&env, Event::load(EVENT), 404).await;
    for id in ["a#b", &"a".repeat(500), "", "CONN#x", "../x"] {
        refused(&env, delete_event(ALICE, id), 404).await;
    }
    let mut no_id = Event::load(EVENT);
    no_id.0.as_object_mut().unwrap().remove("pathParameters");
    refused(&env, no_id, 404).await;
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
    assert_eq!(env.control.calls("revoke_consent").await, 0);
}
