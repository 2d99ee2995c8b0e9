//! Intent bindings: `INTENT#<intentId>` / `INTENT` → the user and connection that created
//! it. The unauthenticated callback trusts nothing but this item.

use std::sync::Arc;
use std::time::Duration;

use crate::identity::UserId;
use crate::store::{Cond, Item, ItemExt, Key, StoreError, Table, Update, Value};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentBinding {
    pub intent_id: String,
    pub user: UserId,
    pub connection_id: String,
    pub expires_at: Timestamp,
    pub consumed_at: Option<Timestamp>,
}

pub fn key(intent_id: &str) -> Key {
    Key::new(format!("INTENT#{intent_id}"), "INTENT")
}

impl IntentBinding {
    fn to_item(&self) -> Item {
        let mut item = key(&self.intent_id).item();
        item.set_s("intent_id", &self.intent_id);
        item.set_s("user_id", self.user.as_str());
        item.set_s("connection_id", &self.connection_id);
        item.set_time("expires_at", self.expires_at);
        // TTL cleans expired bindings up a day later; correctness never depends on it
        // (expiry is checked on read).
        item.set_ttl(self.expires_at + Duration::from_secs(86_400));
        item.set_opt_time("consumed_at", self.consumed_at);
        item
    }

    fn from_item(item: &Item) -> Result<IntentBinding, StoreError> {
        Ok(IntentBinding {
            intent_id: item.s("intent_id")?.to_string(),
            user: UserId::parse(item.s("user_id")?)
                .ok_or_else(|| StoreError::Corrupt("intent user_id".into()))?,
            connection_id: item.s("connection_id")?.to_string(),
            expires_at: item.time("expires_at")?,
            consumed_at: item.opt_time("consumed_at")?,
        })
    }
}

#[derive(Clone)]
pub struct IntentRepo {
    table: Arc<dyn Table>,
}

impl IntentRepo {
    pub fn new(table: Arc<dyn Table>) -> IntentRepo {
        IntentRepo { table }
    }

    pub async fn create(&self, b: &IntentBinding) -> Result<(), StoreError> {
        self.table
            .put(b.to_item(), Some(&Cond::not_exists("pk")))
            .await
    }

    pub async fn get(&self, intent_id: &str) -> Result<Option<IntentBinding>, StoreError> {
        self.table
            .get(&key(intent_id), true)
            .await?
            .map(|i| IntentBinding::from_item(&i))
            .transpose()
    }

    /// Marks the binding used, once: `false` if it was already used (a replayed callback) or
    /// has expired meanwhile.
    pub async fn consume(&self, intent_id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let cond = Cond::exists("pk")
            .and(Cond::not_exists("consumed_at"))
            .and(Cond::gt("expires_at", Value::N(now.millis())));
        match self
            .table
            .update(
                &key(intent_id),
                &[Update::set("consumed_at", Value::N(now.millis()))],
                Some(&cond),
            )
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
