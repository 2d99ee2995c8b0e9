//! Transaction items: `USER#<user>#TXN` / `<bookingDate>#<accountId>#<transactionId>`. The
//! date-first sort key serves the insights' date-range queries; the deterministic key makes a
//! re-sync of the same transaction overwrite it instead of duplicating it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::identity::UserId;
use crate::money::{Currency, Money, MoneyError};
use crate::store::{Item, ItemExt, Key, Query, SortKey, StoreError, Table, Write};
use crate::tarabut;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTransaction {
    pub user: UserId,
    pub connection_id: String,
    pub account_id: String,
    /// Tarabut's id, or `fp-<hash>` when the bank sent none (BOBF makes it optional).
    pub transaction_id: String,
    pub booked_at: DateTime<Utc>,
    /// Signed: credit +, debit −.
    pub amount: Money,
    /// Digits beyond the currency's exponent were rounded away (half-even) on the way in.
    pub amount_rounded: bool,
    pub description: String,
    pub transaction_type: Option<String>,
    pub sub_transaction_type: Option<String>,
    pub category_group: Option<String>,
    pub category_name: Option<String>,
    pub merchant_name: Option<String>,
    pub merchant_category_code: Option<String>,
    /// `Booked` unless the provider says otherwise.
    pub status: String,
}

pub fn partition(user: &UserId) -> String {
    format!("USER#{}#TXN", user.as_str())
}

#[derive(Debug, thiserror::Error)]
pub enum TransactionMappingError {
    #[error("credit/debit indicator {0:?} is neither Credit nor Debit")]
    Indicator(String),
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl StoredTransaction {
    /// Maps one Tarabut transaction. `ordinal` tells identical id-less rows of one fetch
    /// apart, so each keeps its own stable fingerprint.
    pub fn from_tarabut(
        user: &UserId,
        connection_id: &str,
        account_id: &str,
        t: &tarabut::Transaction,
        ordinal: u32,
    ) -> Result<StoredTransaction, TransactionMappingError> {
        let currency = Currency::from_code(t.amount.currency.trim())?;
        let parsed = Money::parse_unsigned(&t.amount.value, currency)?;
        let amount = match t
            .credit_debit_indicator
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "credit" => parsed.money,
            "debit" => parsed.money.checked_neg()?,
            _ => {
                return Err(TransactionMappingError::Indicator(
                    t.credit_debit_indicator.clone(),
                ));
            }
        };
        let description = t.transaction_description.clone().unwrap_or_default();
        let transaction_id = match t.transaction_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => fingerprint(account_id, t, &description, ordinal),
        };
        let non_empty = |s: &Option<String>| {
            s.as_ref()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Ok(StoredTransaction {
            user: user.clone(),
            connection_id: connection_id.to_string(),
            account_id: account_id.to_string(),
            transaction_id,
            booked_at: t.booking_date_time,
            amount,
            amount_rounded: parsed.rounded,
            description,
            transaction_type: non_empty(&t.transaction_type),
            sub_transaction_type: non_empty(&t.sub_transaction_type),
            category_group: t.category.as_ref().and_then(|c| non_empty(&c.group)),
            category_name: t.category.as_ref().and_then(|c| non_empty(&c.name)),
            merchant_name: t.merchant.as_ref().and_then(|m| non_empty(&m.name)),
            merchant_category_code: t
                .merchant
                .as_ref()
                .and_then(|m| non_empty(&m.merchant_category_code)),
            status: non_empty(&t.status).unwrap_or_else(|| "Booked".to_string()),
        })
    }

    pub fn booking_date(&self) -> NaiveDate {
        self.booked_at.date_naive()
    }

    pub fn sort_key(&self) -> String {
        format!(
            "{}#{}#{}",
            self.booking_date(),
            self.account_id,
            self.transaction_id
        )
    }

    pub fn key(&self) -> Key {
        Key::new(partition(&self.user), self.sort_key())
    }

    fn to_item(&self) -> Item {
        let mut item = self.key().item();
        item.set_s("connection_id", &self.connection_id);
        item.set_s("account_id", &self.account_id);
        item.set_s("transaction_id", &self.transaction_id);
        item.set_n("booked_at", self.booked_at.timestamp_millis());
        item.set_n("amount_minor", self.amount.minor());
        item.set_s("currency", self.amount.currency().code());
        if self.amount_rounded {
            item.insert("amount_rounded".into(), crate::store::Value::Bool(true));
        }
        item.set_s("description", &self.description);
        item.set_opt_s("transaction_type", self.transaction_type.clone());
        item.set_opt_s("sub_transaction_type", self.sub_transaction_type.clone());
        item.set_opt_s("category_group", self.category_group.clone());
        item.set_opt_s("category_name", self.category_name.clone());
        item.set_opt_s("merchant_name", self.merchant_name.clone());
        item.set_opt_s(
            "merchant_category_code",
            self.merchant_category_code.clone(),
        );
        item.set_s("status", &self.status);
        item
    }

    fn from_item(user: &UserId, item: &Item) -> Result<StoredTransaction, StoreError> {
        let currency = Currency::from_code(item.s("currency")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let booked_at = DateTime::from_timestamp_millis(item.n("booked_at")?)
            .ok_or_else(|| StoreError::Corrupt("booked_at out of range".into()))?;
        let opt = |name: &str| -> Result<Option<String>, StoreError> {
            Ok(item.opt_s(name)?.map(str::to_string))
        };
        Ok(StoredTransaction {
            user: user.clone(),
            connection_id: item.s("connection_id")?.to_string(),
            account_id: item.s("account_id")?.to_string(),
            transaction_id: item.s("transaction_id")?.to_string(),
            booked_at,
            amount: Money::from_minor(item.n("amount_minor")?, currency),
            amount_rounded: item.opt_bool("amount_rounded")?.unwrap_or(false),
            description: item.s("description")?.to_string(),
            transaction_type: opt("transaction_type")?,
            sub_transaction_type: opt("sub_transaction_type")?,
            category_group: opt("category_group")?,
            category_name: opt("category_name")?,
            merchant_name: opt("merchant_name")?,
            merchant_category_code: opt("merchant_category_code")?,
            status: item.s("status")?.to_string(),
        })
    }
}

fn fingerprint(
    account_id: &str,
    t: &tarabut::Transaction,
    description: &str,
    ordinal: u32,
) -> String {
    let mut h = Sha256::new();
    for part in [
        account_id,
        &t.booking_date_time.timestamp_millis().to_string(),
        &t.credit_debit_indicator,
        &t.amount.value,
        &t.amount.currency,
        description,
        &ordinal.to_string(),
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    let hex: String = h
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("fp-{hex}")
}

/// Ordinals for a fetch: the n-th identical id-less row gets n.
pub fn ordinals(fetched: &[tarabut::Transaction]) -> Vec<u32> {
    let mut seen: HashMap<(i64, &str, &str, &str, Option<&str>), u32> = HashMap::new();
    fetched
        .iter()
        .map(|t| {
            let k = (
                t.booking_date_time.timestamp_millis(),
                t.credit_debit_indicator.as_str(),
                t.amount.value.as_str(),
                t.amount.currency.as_str(),
                t.transaction_description.as_deref(),
            );
            let n = seen.entry(k).or_insert(0);
            let ordinal = *n;
            *n += 1;
            ordinal
        })
        .collect()
}

#[derive(Clone)]
pub struct TransactionRepo {
    table: Arc<dyn Table>,
    /// Kept this long after its booking date: TTL on write, and ignored on read past it
    /// (DynamoDB deletes expired items only eventually).
    retention: Duration,
}

impl TransactionRepo {
    pub fn new(table: Arc<dyn Table>, retention: Duration) -> TransactionRepo {
        TransactionRepo { table, retention }
    }

    /// Whether `t` is still within the retention period at `now`.
    fn kept(&self, t: &StoredTransaction, now: DateTime<Utc>) -> bool {
        chrono::Duration::from_std(self.retention)
            .map(|r| t.booked_at + r > now)
            .unwrap_or(true)
    }

    fn item_of(&self, t: &StoredTransaction) -> Item {
        let mut item = t.to_item();
        item.set_ttl(Timestamp::from(t.booked_at) + self.retention);
        item
    }

    /// Transactions booked on `[from, to]` (UTC booking dates, inclusive), every account.
    pub async fn range(
        &self,
        user: &UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredTransaction>, StoreError> {
        // `~` sorts after every character of an id, so `to~` closes the last day.
        let q = Query::partition(partition(user))
            .sort(SortKey::Between(from.to_string(), format!("{to}~")));
        let now = Utc::now();
        let mut rows = self
            .table
            .query(&q)
            .await?
            .iter()
            .map(|i| StoredTransaction::from_item(user, i))
            .collect::<Result<Vec<_>, _>>()?;
        rows.retain(|t| self.kept(t, now));
        Ok(rows)
    }

    /// One page of the user's transactions, newest first (descending sort key), in one
    /// Query: at most `limit` rows of `sort` after the sort key `after` (exclusive), and the
    /// sort key the next page starts after, when the Query stopped before the end.
    pub async fn page(
        &self,
        user: &UserId,
        sort: SortKey,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<StoredTransaction>, Option<String>), StoreError> {
        let mut q = Query::partition(partition(user))
            .sort(sort)
            .descending()
            .limit(limit);
        if let Some(sk) = after {
            q = q.after(Key::new(partition(user), sk));
        }
        let page = self.table.query_page(&q).await?;
        let now = Utc::now();
        let mut rows = page
            .items
            .iter()
            .map(|i| StoredTransaction::from_item(user, i))
            .collect::<Result<Vec<_>, _>>()?;
        rows.retain(|t| self.kept(t, now));
        Ok((rows, page.last_key.map(|k| k.sk)))
    }

    /// The first and last booking dates stored for `user` (two keyed queries of one item
    /// each: the sort key starts with the date), or `None` without transactions.
    pub async fn booking_span(
        &self,
        user: &UserId,
    ) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
        let first = Query::partition(partition(user)).limit(1);
        let last = Query::partition(partition(user)).descending().limit(1);
        let mut dates = Vec::with_capacity(2);
        for q in [first, last] {
            if let Some(item) = self.table.query(&q).await?.first() {
                dates.push(StoredTransaction::from_item(user, item)?.booking_date());
            }
        }
        Ok(match dates[..] {
            [first, last] => Some((first, last)),
            _ => None,
        })
    }

    /// Writes the transactions that are new or changed compared with `existing`; returns how
    /// many were new.
    pub async fn upsert(
        &self,
        incoming: Vec<StoredTransaction>,
        existing: &[StoredTransaction],
    ) -> Result<usize, StoreError> {
        let known: HashMap<String, &StoredTransaction> =
            existing.iter().map(|t| (t.sort_key(), t)).collect();
        let mut seen = HashSet::new();
        let mut new = 0;
        let mut writes = Vec::new();
        for t in incoming {
            let sk = t.sort_key();
            if !seen.insert(sk.clone()) {
                continue; // the same transaction twice in one fetch (overlapping pages)
            }
            match known.get(&sk) {
                Some(old) if **old == t => {}
                Some(_) => writes.push(Write::Put(self.item_of(&t))),
                None => {
                    new += 1;
                    writes.push(Write::Put(self.item_of(&t)));
                }
            }
        }
        self.table.batch_write(writes).await?;
        Ok(new)
    }

    /// Deletes the transactions for which `covers(connection_id, account_id)` holds (one keyed
    /// Query of the user's partition, then batched deletes); returns how many.
    pub async fn delete_matching(
        &self,
        user: &UserId,
        covers: impl Fn(&str, &str) -> bool,
    ) -> Result<usize, StoreError> {
        let items = self.table.query(&Query::partition(partition(user))).await?;
        let mut writes = Vec::new();
        for item in items {
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
#[path = "transactions_tests.rs"]
mod tests;
