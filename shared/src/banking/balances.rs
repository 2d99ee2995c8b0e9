//! Balance snapshots: `USER#<user>#BAL` / `<accountId>#<epoch ms>`, one per account per sync
//! or live refresh: extra anchors for the balance history.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::identity::UserId;
use crate::money::{Currency, Money, MoneyError};
use crate::store::{Item, ItemExt, Key, Query, SortKey, StoreError, Table, Write};
use crate::tarabut;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceSnapshot {
    pub user: UserId,
    pub connection_id: String,
    pub account_id: String,
    /// Signed from the holder's view: a card owing money is negative.
    pub amount: Money,
    /// Tarabut's balance type (`InterimBooked`, `ClosingAvailable`, …).
    pub balance_type: String,
    /// The balance's own time (its `dateTime`, else when it was fetched).
    pub at: Timestamp,
    /// `sync` (cached balances) or `live` (`/balances/refresh`).
    pub source: String,
}

pub fn partition(user: &UserId) -> String {
    format!("USER#{}#BAL", user.as_str())
}

/// Preference order: booked balances match booked-only transaction flows (docs/insight-algorithms.md §8).
const PREFERENCE: [&str; 6] = [
    "InterimBooked",
    "ClosingBooked",
    "Expected",
    "InterimAvailable",
    "ClosingAvailable",
    "OpeningBooked",
];

/// The best balance of a Tarabut balances list, signed by its indicator.
pub fn pick_balance(
    balances: &[tarabut::Balance],
) -> Result<Option<(Money, String, Option<Timestamp>)>, MoneyError> {
    let rank = |b: &tarabut::Balance| {
        PREFERENCE
            .iter()
            .position(|p| p.eq_ignore_ascii_case(&b.kind))
            .unwrap_or(PREFERENCE.len())
    };
    let Some(best) = balances.iter().min_by_key(|b| rank(b)) else {
        return Ok(None);
    };
    let currency = Currency::from_code(best.amount.currency.trim())?;
    // BOBF: zero counts as Credit; a missing indicator is Credit.
    let parsed = Money::parse_unsigned(&best.amount.value, currency)?;
    let debit = best
        .credit_debit_indicator
        .as_deref()
        .is_some_and(|i| i.eq_ignore_ascii_case("debit"));
    let money = if debit {
        parsed.money.checked_neg()?
    } else {
        parsed.money
    };
    Ok(Some((
        money,
        best.kind.clone(),
        best.date_time.map(Timestamp::from),
    )))
}

impl BalanceSnapshot {
    fn key(&self) -> Key {
        Key::new(
            partition(&self.user),
            format!("{}#{:013}", self.account_id, self.at.millis().max(0)),
        )
    }

    fn to_item(&self) -> Item {
        let mut item = self.key().item();
        item.set_s("connection_id", &self.connection_id);
        item.set_s("account_id", &self.account_id);
        item.set_n("amount_minor", self.amount.minor());
        item.set_s("currency", self.amount.currency().code());
        item.set_s("balance_type", &self.balance_type);
        item.set_time("at", self.at);
        item.set_s("source", &self.source);
        item
    }

    fn from_item(user: &UserId, item: &Item) -> Result<BalanceSnapshot, StoreError> {
        let currency = Currency::from_code(item.s("currency")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(BalanceSnapshot {
            user: user.clone(),
            connection_id: item.s("connection_id")?.to_string(),
            account_id: item.s("account_id")?.to_string(),
            amount: Money::from_minor(item.n("amount_minor")?, currency),
            balance_type: item.s("balance_type")?.to_string(),
            at: item.time("at")?,
            source: item.s("source")?.to_string(),
        })
    }
}

#[derive(Clone)]
pub struct BalanceRepo {
    table: Arc<dyn Table>,
    /// A snapshot is kept this long after its reading (`RETENTION_DAYS`, two years by
    /// default): TTL on write, ignored on read past it. The account item keeps the latest
    /// balance for good, so an account whose snapshots all expired still has an anchor.
    retention: Duration,
}

impl BalanceRepo {
    pub fn new(table: Arc<dyn Table>, retention: Duration) -> BalanceRepo {
        BalanceRepo { table, retention }
    }

    pub async fn put_all(&self, snapshots: &[BalanceSnapshot]) -> Result<(), StoreError> {
        // Two readings of one account at the same millisecond are one snapshot.
        let mut seen = HashSet::new();
        let writes = snapshots
            .iter()
            .filter(|s| seen.insert(s.key()))
            .map(|s| {
                let mut item = s.to_item();
                item.set_ttl(s.at + self.retention);
                Write::Put(item)
            })
            .collect();
        self.table.batch_write(writes).await
    }

    /// The snapshots of one account that a window `[start, end)` needs, oldest first: the
    /// last one before `start`, every one inside, and the first one at or after `end` if it is
    /// within `horizon` of it. Three keyed queries on the sort key, so the read is bounded by
    /// the window and not by the account's history.
    pub async fn around(
        &self,
        user: &UserId,
        account_id: &str,
        start: Timestamp,
        end: Timestamp,
        horizon: Duration,
    ) -> Result<Vec<BalanceSnapshot>, StoreError> {
        let sk = |at: Timestamp| format!("{account_id}#{:013}", at.millis().max(0));
        let one_ms = Duration::from_millis(1);
        let pk = partition(user);
        let before = Query::partition(pk.clone())
            .sort(SortKey::Between(
                format!("{account_id}#"),
                sk(start - one_ms),
            ))
            .descending()
            .limit(1);
        let inside =
            Query::partition(pk.clone()).sort(SortKey::Between(sk(start), sk(end - one_ms)));
        let after = Query::partition(pk)
            .sort(SortKey::Between(sk(end), sk(end + horizon)))
            .limit(1);
        let mut items = Vec::new();
        for q in [before, inside, after] {
            items.extend(self.table.query(&q).await?);
        }
        let now = Timestamp::from(chrono::Utc::now());
        let mut snapshots = items
            .iter()
            .map(|i| BalanceSnapshot::from_item(user, i))
            .collect::<Result<Vec<_>, _>>()?;
        snapshots.retain(|s| s.at + self.retention > now);
        Ok(snapshots)
    }

    /// Every snapshot of `user` (oldest first per account): the export. Bounded by the
    /// snapshots' 731-day TTL (about 1,500 per account with two syncs a day).
    pub async fn all(&self, user: &UserId) -> Result<Vec<BalanceSnapshot>, StoreError> {
        self.table
            .query(&Query::partition(partition(user)))
            .await?
            .iter()
            .map(|i| BalanceSnapshot::from_item(user, i))
            .collect()
    }

    /// Deletes the snapshots for which `covers(connection_id, account_id)` holds; returns how
    /// many.
    pub async fn delete_matching(
        &self,
        user: &UserId,
        covers: impl Fn(&str, &str) -> bool,
    ) -> Result<usize, StoreError> {
        let mut writes = Vec::new();
        for item in self.table.query(&Query::partition(partition(user))).await? {
            if covers(item.s("connection_id")?, item.s("account_id")?) {
                writes.push(Write::Delete(Key::of(&item)?));
            }
        }
        let n = writes.len();
        self.table.batch_write(writes).await?;
        Ok(n)
    }
}

#[cfg(test)]
#[path = "balances_tests.rs"]
mod tests;
