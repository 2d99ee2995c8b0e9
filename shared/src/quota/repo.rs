//! The per-user limit items: `USER#<user>` / `LIMIT#<kind>`, holding when the next
//! user-triggered sync of that kind is allowed. One conditional write claims a slot, so the
//! limit holds across Lambda processes.

use std::sync::Arc;
use std::time::Duration;

use crate::banking::connection::pk;
use crate::identity::UserId;
use crate::store::{Cond, ItemExt, Key, StoreError, Table, Update, Value};
use crate::time::Timestamp;

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Granted,
    /// Another sync of this kind was allowed less than the interval ago.
    Wait(Duration),
}

#[derive(Clone)]
pub struct LimitRepo {
    table: Arc<dyn Table>,
}

impl LimitRepo {
    pub fn new(table: Arc<dyn Table>) -> LimitRepo {
        LimitRepo { table }
    }

    /// Claims the user's slot for `kind` at `now` for `interval`. `claim_id` identifies this
    /// attempt: when the write was applied but its answer lost, the SDK's retry fails the
    /// condition against our own write, and the id read back tells it was ours.
    pub async fn claim(
        &self,
        user: &UserId,
        kind: &str,
        claim_id: &str,
        now: Timestamp,
        interval: Duration,
    ) -> Result<Claim, StoreError> {
        let key = Key::new(pk(user), format!("LIMIT#{kind}"));
        let next = now + interval;
        let cond = Cond::not_exists("next_allowed_at")
            .or(Cond::le("next_allowed_at", Value::N(now.millis())));
        let r = self
            .table
            .update(
                &key,
                &[
                    Update::set("next_allowed_at", Value::N(next.millis())),
                    Update::set("claim_id", Value::S(claim_id.to_string())),
                    // Gone a day after it stops mattering.
                    Update::set(
                        crate::store::TTL_ATTRIBUTE,
                        Value::N((next + Duration::from_secs(86_400)).epoch_secs()),
                    ),
                ],
                Some(&cond),
            )
            .await;
        match r {
            Ok(()) => Ok(Claim::Granted),
            Err(StoreError::ConditionFailed) => {
                let Some(item) = self.table.get(&key, true).await? else {
                    // Expired between the write and the read: retrying is the caller's call.
                    return Ok(Claim::Wait(Duration::from_secs(1)));
                };
                if item.opt_s("claim_id")? == Some(claim_id) {
                    return Ok(Claim::Granted);
                }
                let until = Timestamp::from_millis(item.n("next_allowed_at")?);
                Ok(Claim::Wait(until.since(now)))
            }
            Err(e) => Err(e),
        }
    }
}
