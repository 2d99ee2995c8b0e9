//! Normalisation step 1: accounts and transactions in one canonical order, booked rows split
//! from pending ones, local dates computed, duplicates and unusable rows counted.
//!
//! The canonical order depends only on the content of the rows, never on the input order, so
//! every later tie-break is deterministic.

use std::cmp::Ordering;

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::calendar::{day_number, in_supported_years, is_date_only, local_date};
use super::input::{Account, BookingStatus, Transaction};
use crate::money::Currency;

/// One usable transaction with what every insight needs precomputed.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub tx: &'a Transaction,
    /// Index into `Ledger::accounts`.
    pub account: u32,
    pub date: NaiveDate,
    /// `date` as a day number, for cheap arithmetic.
    pub day: i32,
    pub minor: i64,
    /// The account's currency (rows in another currency are refused), kept here so hot loops
    /// never reach back into the caller's transaction.
    pub currency: Currency,
    pub date_only: bool,
    /// The row has a transaction id (rows without one are never deduplicated).
    pub has_id: bool,
    /// Position in the caller's slice: per-row text work runs in this order, so the input's
    /// strings are read sequentially.
    pub input: u32,
    /// (day, account, amount) packed so the canonical sort compares one integer first.
    sort_key: u128,
    /// Hash of (account, transaction id): second sort key and dedupe key, so the input's
    /// strings are rarely touched again.
    id_hash: u64,
}

/// Fingerprint of (account, transaction id): the second canonical sort key and the dedupe
/// key. It orders rows that tie on (day, account, amount), and reports show that order
/// (transaction id lists, which purchase a refund links to), so it is a fixed function of the
/// content here rather than a map hasher whose output may change with a dependency update.
/// Changing it changes reports. (The FxHash-style multiply per 8-byte word, then MurmurHash3's
/// fmix64 avalanche.)
fn id_hash(account: u32, id: &str) -> u64 {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let add = |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    let mut hash = add(0, u64::from(account));
    let mut chunks = id.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = add(hash, u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        hash = add(hash, u64::from_le_bytes(word));
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

fn pack_sort_key(day: i32, account: u32, minor: i64) -> u128 {
    // Flipping the sign bits keeps signed order in unsigned comparisons.
    let day = u128::from((day as u32) ^ 0x8000_0000);
    let minor = u128::from((minor as u64) ^ (1 << 63));
    (day << 96) | (u128::from(account) << 64) | minor
}

/// Counts of rows the engine could not use, reported with every insight so nothing is dropped
/// silently.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataQuality {
    pub transactions_read: u64,
    pub booked_used: u64,
    pub pending_ignored: u64,
    pub duplicates_ignored: u64,
    pub unknown_account: u64,
    pub currency_mismatch: u64,
    pub date_out_of_range: u64,
}

pub struct Ledger<'a> {
    /// Accounts sorted by id (first of any duplicate id kept).
    pub accounts: Vec<&'a Account>,
    /// Booked rows in canonical order: date, account, amount, id, then the remaining content.
    pub rows: Vec<Row<'a>>,
    /// Pending rows (same order), used only to estimate a booked balance from an available one.
    pub pending: Vec<Row<'a>>,
    pub quality: DataQuality,
    account_index: FxHashMap<&'a str, u32>,
}

fn account_order(a: &Account, b: &Account) -> Ordering {
    a.account_id
        .cmp(&b.account_id)
        .then_with(|| a.currency.cmp(&b.currency))
        .then_with(|| a.kind.cmp(&b.kind))
        .then_with(|| a.country.cmp(&b.country))
        .then_with(|| a.iban.cmp(&b.iban))
        .then_with(|| a.name.cmp(&b.name))
}

/// Total order over everything a report can read from a row, once the packed keys tie.
fn row_order_rest(a: &Row<'_>, b: &Row<'_>) -> Ordering {
    a.tx.transaction_id
        .cmp(&b.tx.transaction_id)
        .then_with(|| a.tx.booked_at.cmp(&b.tx.booked_at))
        .then_with(|| a.tx.description.cmp(&b.tx.description))
        .then_with(|| a.tx.status.cmp(&b.tx.status))
        .then_with(|| a.tx.transaction_type.cmp(&b.tx.transaction_type))
        .then_with(|| a.tx.sub_transaction_type.cmp(&b.tx.sub_transaction_type))
        .then_with(|| a.tx.category_group.cmp(&b.tx.category_group))
        .then_with(|| a.tx.category_name.cmp(&b.tx.category_name))
        .then_with(|| a.tx.merchant_name.cmp(&b.tx.merchant_name))
        .then_with(|| {
            a.tx.merchant_category_code
                .cmp(&b.tx.merchant_category_code)
        })
        .then_with(|| a.tx.counterparty_iban.cmp(&b.tx.counterparty_iban))
}

impl<'a> Ledger<'a> {
    pub fn new(accounts: &'a [Account], transactions: &'a [Transaction]) -> Ledger<'a> {
        Ledger::build(accounts, transactions, |_| ()).0
    }

    /// Builds the ledger and, in the same single pass over the caller's transactions, a
    /// per-row value from `per_row` (called for booked rows, in the caller's order); the
    /// values come back aligned with `rows`.
    pub fn build<E: Copy + Default>(
        accounts: &'a [Account],
        transactions: &'a [Transaction],
        mut per_row: impl FnMut(&'a Transaction) -> E,
    ) -> (Ledger<'a>, Vec<E>) {
        let mut sorted: Vec<&Account> = accounts.iter().collect();
        sorted.sort_by(|a, b| account_order(a, b));
        sorted.dedup_by(|later, earlier| later.account_id == earlier.account_id);
        let account_index: FxHashMap<&str, u32> = sorted
            .iter()
            .enumerate()
            .map(|(i, account)| (account.account_id.as_str(), i as u32))
            .collect();

        let mut quality = DataQuality {
            transactions_read: transactions.len() as u64,
            ..DataQuality::default()
        };
        let mut booked = Vec::with_capacity(transactions.len());
        let mut pending = Vec::new();
        let mut extras: Vec<E> = Vec::with_capacity(transactions.len());
        for (input, tx) in transactions.iter().enumerate() {
            // One value per input position keeps `row.input` a valid index.
            extras.push(E::default());
            let Some(&account) = account_index.get(tx.account_id.as_str()) else {
                quality.unknown_account += 1;
                continue;
            };
            let owner = sorted[account as usize];
            if tx.amount.currency() != owner.currency {
                quality.currency_mismatch += 1;
                continue;
            }
            let date = local_date(tx.booked_at, owner.country);
            if !in_supported_years(date) {
                quality.date_out_of_range += 1;
                continue;
            }
            let day = day_number(date);
            let minor = tx.amount.minor();
            let row = Row {
                tx,
                account,
                date,
                day,
                minor,
                currency: owner.currency,
                date_only: is_date_only(tx.booked_at),
                has_id: !tx.transaction_id.is_empty(),
                input: input as u32,
                sort_key: pack_sort_key(day, account, minor),
                id_hash: id_hash(account, &tx.transaction_id),
            };
            match tx.status {
                BookingStatus::Booked => {
                    if let Some(slot) = extras.last_mut() {
                        *slot = per_row(tx);
                    }
                    booked.push(row)
                }
                BookingStatus::Pending => pending.push(row),
            }
        }
        let booked = canonical_order(booked);
        let pending = canonical_order(pending);

        let before = booked.len();
        let booked = dedupe(booked);
        quality.duplicates_ignored = (before - booked.len()) as u64;
        let pending = if pending.is_empty() {
            pending
        } else {
            // A pending row whose id is already booked is the same payment seen earlier.
            let mut booked_ids: Vec<(u64, u32)> = booked
                .iter()
                .enumerate()
                .map(|(i, row)| (row.id_hash, i as u32))
                .collect();
            booked_ids.sort_unstable();
            dedupe(pending)
                .into_iter()
                .filter(|row| {
                    if !row.has_id {
                        return true;
                    }
                    let lo = booked_ids.partition_point(|(h, _)| *h < row.id_hash);
                    !booked_ids[lo..]
                        .iter()
                        .take_while(|(h, _)| *h == row.id_hash)
                        .any(|(_, i)| same_id(&booked[*i as usize], row))
                })
                .collect()
        };
        quality.pending_ignored = (transactions.len() as u64)
            .saturating_sub(quality.unknown_account)
            .saturating_sub(quality.currency_mismatch)
            .saturating_sub(quality.date_out_of_range)
            .saturating_sub(before as u64);
        quality.booked_used = booked.len() as u64;

        let aligned = booked
            .iter()
            .map(|row| extras[row.input as usize])
            .collect();
        (
            Ledger {
                accounts: sorted,
                rows: booked,
                pending,
                quality,
                account_index,
            },
            aligned,
        )
    }

    pub fn account_position(&self, account_id: &str) -> Option<u32> {
        self.account_index.get(account_id).copied()
    }

    pub fn account(&self, row: &Row<'_>) -> &'a Account {
        self.accounts[row.account as usize]
    }
}

/// Sorts rows canonically: by the packed (day, account, amount) key and the id hash, then
/// by the remaining content on exact ties. A counting pass by day first (bank data spans a
/// few hundred days) leaves only small per-day slices of a compact key array to sort.
fn canonical_order(rows: Vec<Row<'_>>) -> Vec<Row<'_>> {
    type Key = (u128, u64, u32);
    let compare = |a: &Key, b: &Key| {
        a.0.cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then_with(|| row_order_rest(&rows[a.2 as usize], &rows[b.2 as usize]))
    };
    let key_of = |(i, row): (usize, &Row<'_>)| (row.sort_key, row.id_hash, i as u32);
    let (Some(first), Some(last)) = (
        rows.iter().map(|r| r.day).min(),
        rows.iter().map(|r| r.day).max(),
    ) else {
        return rows;
    };
    let span = (i64::from(last) - i64::from(first) + 1) as usize;
    let mut keys: Vec<Key>;
    if span <= rows.len().saturating_mul(4) + 1024 {
        let mut starts = vec![0usize; span + 1];
        for row in &rows {
            starts[(row.day - first) as usize + 1] += 1;
        }
        for d in 1..=span {
            starts[d] += starts[d - 1];
        }
        keys = vec![(0, 0, 0); rows.len()];
        let mut next = starts.clone();
        for (i, row) in rows.iter().enumerate() {
            let slot = &mut next[(row.day - first) as usize];
            keys[*slot] = key_of((i, row));
            *slot += 1;
        }
        for d in 0..span {
            keys[starts[d]..starts[d + 1]].sort_unstable_by(compare);
        }
    } else {
        keys = rows.iter().enumerate().map(key_of).collect();
        keys.sort_unstable_by(compare);
    }
    keys.into_iter().map(|(_, _, i)| rows[i as usize]).collect()
}

/// Keeps one row per (account, transaction id): the latest booking time wins (a re-dated
/// booking replaces the earlier one), ties keep the canonical first. Rows without an id are
/// all kept. Input and output are in canonical order.
///
/// Works on a sorted array of (id hash, position) rather than a hash map: sequential memory
/// access, and the strings are compared only where hashes meet.
fn dedupe(rows: Vec<Row<'_>>) -> Vec<Row<'_>> {
    let mut by_id: Vec<(u64, u32)> = rows
        .iter()
        .enumerate()
        .filter(|(_, row)| row.has_id)
        .map(|(i, row)| (row.id_hash, i as u32))
        .collect();
    by_id.sort_unstable();
    let mut keep: Option<Vec<bool>> = None;
    let mut start = 0;
    while start < by_id.len() {
        let mut end = start + 1;
        while end < by_id.len() && by_id[end].0 == by_id[start].0 {
            end += 1;
        }
        if end - start > 1 {
            let keep = keep.get_or_insert_with(|| vec![true; rows.len()]);
            let group: Vec<usize> = by_id[start..end].iter().map(|(_, i)| *i as usize).collect();
            for (n, &i) in group.iter().enumerate() {
                // Earlier rows of the same id (positions ascend within a hash group).
                if let Some(&kept) = group[..n]
                    .iter()
                    .find(|&&k| keep[k] && same_id(&rows[k], &rows[i]))
                {
                    if rows[i].tx.booked_at > rows[kept].tx.booked_at {
                        keep[kept] = false;
                    } else {
                        keep[i] = false;
                    }
                }
            }
        }
        start = end;
    }
    match keep {
        None => rows,
        Some(keep) => rows
            .into_iter()
            .zip(keep)
            .filter_map(|(row, kept)| kept.then_some(row))
            .collect(),
    }
}

fn same_id(a: &Row<'_>, b: &Row<'_>) -> bool {
    a.account == b.account && a.tx.transaction_id == b.tx.transaction_id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{AccountKind, Country};
    use crate::tests::builders::{TxExt, account, tx};

    #[test]
    fn duplicates_keep_the_latest_booking_and_pending_twins_of_booked_rows_go() {
        let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
        let other = account("other", "BHD", AccountKind::Current, Country::BH);
        let txs = vec![
            tx(&cur, "a", "2025-01-02", "-5.000", "first booking"),
            tx(&cur, "a", "2025-01-03", "-5.000", "re-dated booking"),
            tx(
                &other,
                "a",
                "2025-01-02",
                "-5.000",
                "same id, other account",
            ),
            tx(&cur, "", "2025-01-02", "-1.000", "no id"),
            tx(&cur, "", "2025-01-02", "-1.000", "no id"),
            tx(&cur, "b", "2025-01-01", "-2.000", "pending then booked").pending(),
            tx(&cur, "b", "2025-01-02", "-2.000", "pending then booked"),
            tx(&cur, "c", "2025-01-04", "-3.000", "still pending").pending(),
            tx(&cur, "x", "2025-01-04", "-3.000", "unknown account"),
        ];
        let mut txs = txs;
        txs[8].account_id = "nope".into();
        let accounts = [cur, other];
        let ledger = Ledger::new(&accounts, &txs);
        let descriptions: Vec<_> = ledger
            .rows
            .iter()
            .map(|r| r.tx.description.as_str())
            .collect();
        assert_eq!(
            descriptions,
            // Jan 2 (cur: −2.000 before −1.000), Jan 2 (other), Jan 3.
            vec![
                "pending then booked",
                "no id",
                "no id",
                "same id, other account",
                "re-dated booking"
            ]
        );
        assert_eq!(ledger.quality.duplicates_ignored, 1);
        assert_eq!(ledger.quality.unknown_account, 1);
        assert_eq!(ledger.pending.len(), 1);
        assert_eq!(ledger.pending[0].tx.description, "still pending");
        assert_eq!(ledger.quality.pending_ignored, 2);
    }

    #[test]
    fn id_hash_is_pinned_because_it_orders_tied_rows() {
        // Values of the hasher the engine has always used: a different function would
        // reorder rows that tie on (day, account, amount) and so change reports.
        assert_eq!(id_hash(0, ""), 0);
        assert_eq!(id_hash(0, "t1"), 0xe964_38e7_872d_befe);
        assert_eq!(id_hash(3, "TX-2025-000123456789"), 0xdf72_8937_2189_1782);
        assert_eq!(id_hash(7, "راتب"), 0x8deb_98b9_4812_a26a);
    }
}
