//! Audit items: `USER#<user>#AUDIT` / `<epoch ms, 13 digits>#<random>`, with a TTL.

use std::sync::Arc;
use std::time::Duration;

use super::{Action, Event};
use crate::identity::UserId;
use crate::store::{Item, ItemExt, Key, Query, StoreError, Table};
use crate::time::Timestamp;

/// A stored audit item, as the export shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    pub at: String,
}

#[derive(Clone)]
pub struct AuditRepo {
    table: Arc<dyn Table>,
    retention: Duration,
}

fn partition(user: &UserId) -> String {
    format!("USER#{}#AUDIT", user.as_str())
}

impl AuditRepo {
    pub fn new(table: Arc<dyn Table>, retention: Duration) -> AuditRepo {
        AuditRepo { table, retention }
    }

    pub async fn append(
        &self,
        user: &UserId,
        action: Action,
        event: &Event<'_>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        // Two records in one millisecond stay two: the random suffix keeps keys apart.
        let sk = format!(
            "{:013}#{}",
            at.millis().max(0),
            uuid::Uuid::new_v4().simple()
        );
        let mut item: Item = Key::new(partition(user), sk).item();
        item.set_s("user_id", user.as_str());
        item.set_s("action", action.as_str());
        item.set_opt_s("connection_id", event.connection_id.map(str::to_string));
        item.set_opt_s("account_id", event.account_id.map(str::to_string));
        item.set_opt_s("request_id", event.request_id.map(str::to_string));
        item.set_time("at", at);
        item.set_ttl(at + self.retention);
        self.table.put(item, None).await
    }

    /// The user's audit records, oldest first.
    pub async fn list(&self, user: &UserId) -> Result<Vec<AuditRecord>, StoreError> {
        self.table
            .query(&Query::partition(partition(user)))
            .await?
            .iter()
            .map(|i| {
                Ok(AuditRecord {
                    action: i.s("action")?.to_string(),
                    connection_id: i.opt_s("connection_id")?.map(str::to_string),
                    account_id: i.opt_s("account_id")?.map(str::to_string),
                    request_id: i.opt_s("request_id")?.map(str::to_string),
                    at: i.time("at")?.to_rfc3339(),
                })
            })
            .collect()
    }
}
