//! Link attempts: `INTENT#<intentId>` / `INTENT` → the user and connection that created the
//! intent, and how far the link got. The unauthenticated callback trusts nothing but this item;
//! every step is a conditional write on its `state` (docs/architecture.md §3.5).
//!
//! ```text
//! pending ─callback─▶ checking ─Tarabut confirms─▶ approved ─complete (right user, code)─▶ completing ─▶ completed
//!                        │                            │ wrong user / code expired            │ activation failed
//!                        └──────── not approved ──────┴──────────────▶ abandoned ◀────────────┘
//! ```
//!
//! Every state but `completed` carries `sweep_at` and sits in the sweep index (`gsi1pk` =
//! `LINKSWEEP`): when it comes due, the scheduled run asks Tarabut for the intent's consent and
//! revokes it, so no consent outlives a link that was never completed by its own user.

use std::sync::Arc;
use std::time::Duration;

use crate::banking::connection::due_sort_key;
use crate::identity::UserId;
use crate::store::{
    Cond, GSI1, Item, ItemExt, Key, Query, SortKey, StoreError, Table, Update, Value,
};
use crate::time::Timestamp;

/// The sweep index's partition. Link attempts are few (a handful per user per year), so one
/// partition is enough.
pub const SWEEP_PARTITION: &str = "LINKSWEEP";

/// How long the item outlives its intent. Correctness never depends on TTL; this only bounds
/// how long a sweep that keeps failing (Tarabut down for days) can still revoke.
const KEPT_AFTER_EXPIRY: Duration = Duration::from_secs(7 * 86_400);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Created by `POST /tarabut/connect`; the callback has not been hit.
    Pending,
    /// The callback consumed it and is asking Tarabut.
    Checking,
    /// Tarabut confirmed a consent; a one-time code went to the approving browser.
    Approved,
    /// Its own user presented the code; the connection is being activated.
    Completing,
    Completed,
    /// Never to be completed; its consent (if any) is revoked by the sweep.
    Abandoned,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Pending => "pending",
            LinkState::Checking => "checking",
            LinkState::Approved => "approved",
            LinkState::Completing => "completing",
            LinkState::Completed => "completed",
            LinkState::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<LinkState> {
        Some(match s {
            "pending" => LinkState::Pending,
            "checking" => LinkState::Checking,
            "approved" => LinkState::Approved,
            "completing" => LinkState::Completing,
            "completed" => LinkState::Completed,
            "abandoned" => LinkState::Abandoned,
            _ => return None,
        })
    }

    fn value(self) -> Value {
        Value::S(self.as_str().into())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentBinding {
    pub intent_id: String,
    pub user: UserId,
    pub connection_id: String,
    /// When the intent expires at Tarabut.
    pub expires_at: Timestamp,
    pub state: LinkState,
    /// The first callback hit.
    pub consumed_at: Option<Timestamp>,
    /// The consent Tarabut confirmed at the callback.
    pub consent_id: Option<String>,
    /// SHA-256 (hex) of the one-time code; the code itself is never stored.
    pub code_hash: Option<String>,
    pub code_expires_at: Option<Timestamp>,
    /// When the sweep should look at it; `None` once completed or swept.
    pub sweep_at: Option<Timestamp>,
}

pub fn key(intent_id: &str) -> Key {
    Key::new(format!("INTENT#{intent_id}"), "INTENT")
}

impl IntentBinding {
    /// A new attempt: pending, swept once its intent has expired unless completed first.
    pub fn new(
        intent_id: String,
        user: UserId,
        connection_id: String,
        expires_at: Timestamp,
    ) -> IntentBinding {
        IntentBinding {
            intent_id,
            user,
            connection_id,
            expires_at,
            state: LinkState::Pending,
            consumed_at: None,
            consent_id: None,
            code_hash: None,
            code_expires_at: None,
            sweep_at: Some(expires_at),
        }
    }

    fn to_item(&self) -> Item {
        let mut item = key(&self.intent_id).item();
        item.set_s("intent_id", &self.intent_id);
        item.set_s("user_id", self.user.as_str());
        item.set_s("connection_id", &self.connection_id);
        item.set_time("expires_at", self.expires_at);
        item.set_s("state", self.state.as_str());
        item.set_ttl(self.expires_at + KEPT_AFTER_EXPIRY);
        item.set_opt_time("consumed_at", self.consumed_at);
        item.set_opt_s("consent_id", self.consent_id.clone());
        item.set_opt_s("code_hash", self.code_hash.clone());
        item.set_opt_time("code_expires_at", self.code_expires_at);
        if let Some(at) = self.sweep_at {
            for u in sweep_updates(at) {
                // Plain sets of present values: they cannot fail.
                let _ = u.apply(&mut item);
            }
        }
        item
    }

    fn from_item(item: &Item) -> Result<IntentBinding, StoreError> {
        let consumed_at = item.opt_time("consumed_at")?;
        let state = match item.opt_s("state")? {
            Some(s) => LinkState::parse(s)
                .ok_or_else(|| StoreError::Corrupt(format!("intent state {s:?}")))?,
            // Written before link completion existed: a consumed one was activated by its
            // callback; an unconsumed one can no longer be completed and is left to expire.
            None if consumed_at.is_some() => LinkState::Completed,
            None => LinkState::Abandoned,
        };
        Ok(IntentBinding {
            intent_id: item.s("intent_id")?.to_string(),
            user: UserId::parse(item.s("user_id")?)
                .ok_or_else(|| StoreError::Corrupt("intent user_id".into()))?,
            connection_id: item.s("connection_id")?.to_string(),
            expires_at: item.time("expires_at")?,
            state,
            consumed_at,
            consent_id: item.opt_s("consent_id")?.map(str::to_string),
            code_hash: item.opt_s("code_hash")?.map(str::to_string),
            code_expires_at: item.opt_time("code_expires_at")?,
            sweep_at: item.opt_time("sweep_at")?,
        })
    }
}

fn sweep_updates(at: Timestamp) -> [Update; 3] {
    [
        Update::set("sweep_at", Value::N(at.millis())),
        Update::set("gsi1pk", Value::S(SWEEP_PARTITION.into())),
        Update::set("gsi1sk", Value::S(due_sort_key(at))),
    ]
}

fn out_of_sweep() -> [Update; 3] {
    [
        Update::remove("sweep_at"),
        Update::remove("gsi1pk"),
        Update::remove("gsi1sk"),
    ]
}

fn in_state(state: LinkState) -> Cond {
    Cond::eq("state", state.value())
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

    /// Applies `updates` if `cond` holds: `false` when it did not (someone else moved it on).
    async fn transition(
        &self,
        intent_id: &str,
        cond: Cond,
        updates: &[Update],
    ) -> Result<bool, StoreError> {
        match self
            .table
            .update(
                &key(intent_id),
                updates,
                Some(&Cond::exists("pk").and(cond)),
            )
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The callback's first hit, once: pending and unexpired → checking. `false` for a replayed
    /// or concurrent callback, or an expired intent.
    pub async fn consume(&self, intent_id: &str, now: Timestamp) -> Result<bool, StoreError> {
        self.transition(
            intent_id,
            in_state(LinkState::Pending).and(Cond::gt("expires_at", Value::N(now.millis()))),
            &[
                Update::set("state", LinkState::Checking.value()),
                Update::set("consumed_at", Value::N(now.millis())),
            ],
        )
        .await
    }

    /// Tarabut confirmed `consent_id`: checking → approved, with the code's hash. Swept when
    /// the code expires unused.
    pub async fn approve(
        &self,
        intent_id: &str,
        consent_id: &str,
        code_hash: &str,
        code_expires_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut updates = vec![
            Update::set("state", LinkState::Approved.value()),
            Update::set("consent_id", Value::S(consent_id.into())),
            Update::set("code_hash", Value::S(code_hash.into())),
            Update::set("code_expires_at", Value::N(code_expires_at.millis())),
        ];
        updates.extend(sweep_updates(code_expires_at));
        self.transition(intent_id, in_state(LinkState::Checking), &updates)
            .await
    }

    /// The code's own user presents it in time: approved → completing. The sweep stays away
    /// until `hold_until` (longer than any request), in case this request dies midway.
    pub async fn begin_completion(
        &self,
        intent_id: &str,
        code_hash: &str,
        now: Timestamp,
        hold_until: Timestamp,
    ) -> Result<bool, StoreError> {
        let cond = in_state(LinkState::Approved)
            .and(Cond::eq("code_hash", Value::S(code_hash.into())))
            .and(Cond::gt("code_expires_at", Value::N(now.millis())));
        let mut updates = vec![Update::set("state", LinkState::Completing.value())];
        updates.extend(sweep_updates(hold_until));
        self.transition(intent_id, cond, &updates).await
    }

    /// completing → completed, out of the sweep index. The code's hash stays, so a retried
    /// completion (its answer lost) is recognised.
    pub async fn complete(&self, intent_id: &str) -> Result<bool, StoreError> {
        let mut updates = vec![Update::set("state", LinkState::Completed.value())];
        updates.extend(out_of_sweep());
        self.transition(intent_id, in_state(LinkState::Completing), &updates)
            .await
    }

    /// `from` → abandoned, to be swept at `sweep_at`. `false` if it was not in `from` (with
    /// `code_hash` given, also when the hash differs).
    pub async fn abandon(
        &self,
        intent_id: &str,
        from: LinkState,
        code_hash: Option<&str>,
        sweep_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut cond = in_state(from);
        if let Some(h) = code_hash {
            cond = cond.and(Cond::eq("code_hash", Value::S(h.into())));
        }
        let mut updates = vec![Update::set("state", LinkState::Abandoned.value())];
        updates.extend(sweep_updates(sweep_at));
        self.transition(intent_id, cond, &updates).await
    }

    /// Attempts whose sweep time has come, oldest first: `(intent id, sweep_at as seen)`.
    pub async fn due_for_sweep(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(String, Timestamp)>, StoreError> {
        let q = Query::partition(SWEEP_PARTITION)
            .on_index(GSI1)
            .sort(SortKey::LessOrEqual(due_sort_key(now)))
            .limit(limit);
        self.table
            .query(&q)
            .await?
            .iter()
            .map(|i| Ok((i.s("intent_id")?.to_string(), i.time("sweep_at")?)))
            .collect()
    }

    /// Takes an attempt for sweeping, by one sweeper at a time: it becomes abandoned (it can no
    /// longer be completed) and is held until `hold_until`, when a sweep that died is retried.
    /// With `seen` (the scheduled run), only if its sweep time is still the one the index
    /// showed; without (a callback hitting an abandoned attempt, swept at once), only if it is
    /// abandoned, not yet swept and not held by another sweeper.
    pub async fn take_for_sweep(
        &self,
        intent_id: &str,
        seen: Option<Timestamp>,
        now: Timestamp,
        hold_until: Timestamp,
    ) -> Result<bool, StoreError> {
        let not_held =
            Cond::not_exists("held_until").or(Cond::le("held_until", Value::N(now.millis())));
        let cond = match seen {
            Some(at) => Cond::eq("sweep_at", Value::N(at.millis()))
                .and(Cond::Ne("state".into(), LinkState::Completed.value())),
            None => in_state(LinkState::Abandoned).and(Cond::exists("sweep_at")),
        }
        .and(not_held);
        let mut updates = vec![
            Update::set("state", LinkState::Abandoned.value()),
            Update::set("held_until", Value::N(hold_until.millis())),
        ];
        updates.extend(sweep_updates(hold_until));
        self.transition(intent_id, cond, &updates).await
    }

    /// The sweep is done: its consent is revoked (or there was none), or the connection turned
    /// out active after all (`completed`).
    pub async fn swept(&self, intent_id: &str, outcome: LinkState) -> Result<bool, StoreError> {
        let mut updates = vec![
            Update::set("state", outcome.value()),
            Update::remove("held_until"),
        ];
        updates.extend(out_of_sweep());
        self.transition(intent_id, in_state(LinkState::Abandoned), &updates)
            .await
    }
}

#[cfg(test)]
#[path = "intents_tests.rs"]
mod tests;
