//! A sync over a huge transaction history against the sandbox: pages are saved one by one
//! with a resume checkpoint on the connection, so memory stays flat in the number of pages and
//! an interrupted run resumes where it stopped.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::json;
use shared::store::ItemExt;
use shared::sync::{SyncRequest, sync_one};
use shared::testkit::{ALICE, TestEnv, connection_item, transactions, user, with_sk_prefix};
use shared::time::Deadline;

/// Links BLUE (two accounts) for Alice while the transactions endpoint fails, so nothing is
/// stored and the next sync is a first sync over the whole window; then every account's
/// history becomes `rows` synthetic rows, one per page.
async fn linked_with_synthetic_history(env: &TestEnv, rows: usize) -> (String, Vec<String>) {
    env.control
        .fault(json!({"endpoint": "transactions", "status": 500}))
        .await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.control.clear_faults().await;
    let dump = env.dump().await;
    assert!(transactions(&dump, ALICE).is_empty());
    let mut accounts: Vec<String> =
        with_sk_prefix(&dump, &format!("USER#{ALICE}"), &format!("ACCT#{id}#"))
            .iter()
            .map(|a| a.s("account_id").unwrap().to_string())
            .collect();
    accounts.sort();
    assert_eq!(accounts.len(), 2);
    env.control.set_synthetic_transactions(rows).await;
    env.control.set_page_size(1).await;
    env.control.reset_counters().await;
    (id, accounts)
}

async fn sync(env: &TestEnv, id: &str) -> Result<shared::sync::SyncSummary, String> {
    sync_one(
        &env.state,
        &user(ALICE),
        SyncRequest {
            connection_id: id.to_string(),
        },
        Deadline::after(Duration::from_secs(600)),
    )
    .await
    .map_err(|e| format!("{e:?}"))
}

/// Synthetic transaction ids stored per account; panics on an id stored twice.
async fn stored_synthetic(env: &TestEnv) -> BTreeMap<String, usize> {
    let dump = env.dump().await;
    let mut seen = HashSet::new();
    let mut per_account = BTreeMap::new();
    for t in transactions(&dump, ALICE) {
        let id = t.s("transaction_id").unwrap();
        if id.starts_with("syn-") {
            assert!(seen.insert(id.to_string()), "{id} stored twice");
            *per_account
                .entry(t.s("account_id").unwrap().to_string())
                .or_default() += 1;
        }
    }
    per_account
}

/// 10 000 pages (5 000 one-row pages for each of two accounts): the sync completes in one run
/// and stores every transaction exactly once, with no checkpoint left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_over_ten_thousand_pages_stores_every_transaction_once() {
    let env = TestEnv::start().await;
    let (id, accounts) = linked_with_synthetic_history(&env, 5_000).await;

    let summary = sync(&env, &id).await.expect("the sync completes");
    assert_eq!(summary.new_transactions, 10_000, "{summary:?}");
    assert_eq!(
        env.control.calls("transactions").await,
        10_000,
        "one call per page"
    );
    let stored = stored_synthetic(&env).await;
    assert_eq!(
        stored,
        accounts.iter().map(|a| (a.clone(), 5_000)).collect(),
        "every row once"
    );
    let dump = env.dump().await;
    let conn = connection_item(&dump, ALICE, &id);
    assert_eq!(conn.s("last_sync_status").unwrap(), "ok");
    assert!(
        !conn.contains_key("resume_page"),
        "no checkpoint after a complete run"
    );
}

/// Page 151 of the first account fails (every retry too): the run fails with its checkpoint
/// stored on the connection. The next run starts one page before the checkpoint, not at page 1:
/// 150 pages of the first account are not fetched again.
#[tokio::test]
async fn an_interrupted_sync_resumes_from_its_checkpoint() {
    let env = TestEnv::start().await;
    let (id, accounts) = linked_with_synthetic_history(&env, 300).await;
    env.control
        .fault(json!({"endpoint": "transactions", "status": 500, "after": 150}))
        .await;

    let failed = sync(&env, &id).await;
    assert!(failed.is_err(), "{failed:?}");
    let calls = env.control.calls("transactions").await;
    assert_eq!(calls, 150 + 4, "150 pages, then page 151 and its 3 retries");
    let dump = env.dump().await;
    let conn = connection_item(&dump, ALICE, &id);
    assert_eq!(conn.s("last_sync_status").unwrap(), "failed");
    assert_eq!(conn.s("resume_account").unwrap(), accounts[0]);
    assert_eq!(conn.n("resume_page").unwrap(), 151);
    assert_eq!(
        stored_synthetic(&env).await.get(&accounts[0]).copied(),
        Some(150),
        "the pages read before the failure are stored"
    );

    env.control.clear_faults().await;
    env.control.reset_counters().await;
    let summary = sync(&env, &id).await.expect("the resumed sync completes");
    // Page 150 again (the page before the checkpoint), 151..=300, then all 300 of the second.
    assert_eq!(env.control.calls("transactions").await, 151 + 300);
    assert_eq!(summary.new_transactions, 150 + 300, "{summary:?}");
    assert_eq!(
        stored_synthetic(&env).await,
        accounts.iter().map(|a| (a.clone(), 300)).collect(),
        "every row once"
    );
    let dump = env.dump().await;
    let conn = connection_item(&dump, ALICE, &id);
    assert_eq!(conn.s("last_sync_status").unwrap(), "ok");
    assert!(!conn.contains_key("resume_page"));
}
