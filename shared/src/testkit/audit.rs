//! Checks of the audit trail for handler tests: what was recorded, and that a record holds
//! nothing but who, what, which ids, when and the request id.

use crate::store::{Item, ItemExt};
use crate::testkit::{Event, TestEnv, TestTable, with_pk};

/// The attributes an audit item may have: no amount, balance, description or name.
const AUDIT_ATTRIBUTES: [&str; 9] = [
    "pk",
    "sk",
    "user_id",
    "action",
    "connection_id",
    "account_id",
    "request_id",
    "at",
    "expires_at_s",
];

/// `sub`'s audit items, oldest first, each checked to hold only [`AUDIT_ATTRIBUTES`].
pub async fn audit_items<T: TestTable>(env: &TestEnv<T>, sub: &str) -> Vec<Item> {
    let items = env.dump().await;
    let mine: Vec<Item> = with_pk(&items, &format!("USER#{sub}#AUDIT"))
        .into_iter()
        .cloned()
        .collect();
    for item in &mine {
        for name in item.keys() {
            assert!(
                AUDIT_ATTRIBUTES.contains(&name.as_str()),
                "{name} in an audit item: {item:?}"
            );
        }
    }
    mine
}

/// The newest audit item of `sub` records `action` on these ids under `event`'s API request
/// id; returns how many audit items `sub` has.
pub async fn assert_audited<T: TestTable>(
    env: &TestEnv<T>,
    sub: &str,
    event: &Event,
    action: &str,
    connection_id: Option<&str>,
    account_id: Option<&str>,
) -> usize {
    let items = audit_items(env, sub).await;
    let last = items
        .last()
        .unwrap_or_else(|| panic!("no audit item for {sub}"));
    assert_eq!(
        last.s("action").expect("audit attribute"),
        action,
        "{last:?}"
    );
    assert_eq!(
        last.opt_s("connection_id").expect("audit attribute"),
        connection_id
    );
    assert_eq!(
        last.opt_s("account_id").expect("audit attribute"),
        account_id
    );
    let request_id = event.0["requestContext"]["requestId"].as_str();
    assert!(request_id.is_some(), "the fixture has a request id");
    assert_eq!(
        last.opt_s("request_id").expect("audit attribute"),
        request_id
    );
    assert_eq!(last.s("user_id").expect("audit attribute"), sub);
    items.len()
}

/// `items` without the audit trail's: what a test compares when it asks whether a request
/// changed the user's banking data (an audited request always adds its record).
pub fn without_audit(items: Vec<Item>) -> Vec<Item> {
    items
        .into_iter()
        .filter(|i| !i.s("pk").is_ok_and(|pk| pk.ends_with("#AUDIT")))
        .collect()
}
