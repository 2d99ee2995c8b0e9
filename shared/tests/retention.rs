//! Retention (docs/architecture.md §5): transactions and balance snapshots carry a TTL of their
//! date plus `RETENTION_DAYS`, and a row past it is never read, whether or not DynamoDB's TTL
//! has removed it yet (it deletes expired items only eventually).

use chrono::{Duration as Days, Utc};
use shared::store::{ItemExt, Table};
use shared::testkit::{ALICE, TestEnv, user};

const DAY_SECS: i64 = 86_400;

#[tokio::test]
async fn rows_expire_their_retention_after_their_date_and_are_not_read_past_it() {
    let env = TestEnv::with_overrides_on_dynamodb(&[("RETENTION_DAYS", "400")]).await;
    env.link(&user(ALICE), "BLUE").await;
    let items = env.dump().await;
    let txns = shared::testkit::transactions(&items, ALICE);
    assert!(!txns.is_empty());
    for t in &txns {
        let booked_s = t.n("booked_at").unwrap() / 1000;
        assert_eq!(
            t.n("expires_at_s").unwrap(),
            booked_s + 400 * DAY_SECS,
            "{t:?}"
        );
    }
    for b in shared::testkit::balances(&items, ALICE) {
        let at_s = b.n("at").unwrap() / 1000;
        assert_eq!(b.n("expires_at_s").unwrap(), at_s + 400 * DAY_SECS, "{b:?}");
    }

    // A row 401 days old that DynamoDB has not removed yet is not read.
    let mut old = txns[0].clone();
    let booked = Utc::now() - Days::days(401);
    let date = booked.date_naive();
    let sk = old.s("sk").unwrap().to_string();
    let rest = sk.split_once('#').unwrap().1;
    old.insert(
        "sk".into(),
        shared::store::Value::S(format!("{date}#{rest}")),
    );
    old.insert(
        "booked_at".into(),
        shared::store::Value::N(booked.timestamp_millis()),
    );
    env.table.put(old, None).await.unwrap();
    let today = Utc::now().date_naive();
    let read = env
        .state
        .transactions
        .range(&user(ALICE), date - Days::days(1), today)
        .await
        .unwrap();
    assert_eq!(read.len(), txns.len(), "the expired row is not read");
    assert_eq!(
        shared::testkit::transactions(&env.dump().await, ALICE).len(),
        txns.len() + 1,
        "though it is still stored"
    );
}
