//! A synthetic history: `n` rows per account spread over the visible window, newest first,
//! one debit each with a unique id. Replaces the demo data when `syntheticTransactions` is set,
//! so a test can ask for tens of thousands of pages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{Days, NaiveDate};

use super::WINDOW_DAYS;
use super::model::{Account, Direction, Txn};

/// (account, today, n): what a history is built from.
type HistoryKey = (String, NaiveDate, usize);

/// Built histories; a handful at a time in practice.
#[derive(Default)]
pub struct SyntheticCache {
    entries: Mutex<HashMap<HistoryKey, Arc<Vec<Txn>>>>,
}

/// Histories kept before the cache is cleared wholesale (each is a few MB at most).
const MAX_CACHED: usize = 16;

impl SyntheticCache {
    pub fn get(&self, account: &Account, today: NaiveDate, n: usize) -> Arc<Vec<Txn>> {
        let key = (account.id.clone(), today, n);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = entries.get(&key) {
            return Arc::clone(found);
        }
        if entries.len() >= MAX_CACHED {
            entries.clear();
        }
        let built = Arc::new(build(account, today, n));
        Arc::clone(entries.entry(key).or_insert(built))
    }
}

/// Row `i` is booked `i * WINDOW_DAYS / n` days before today (newest first), 1.000 + i minor.
fn build(account: &Account, today: NaiveDate, n: usize) -> Vec<Txn> {
    let n64 = n.max(1) as u64;
    (0..n as u64)
        .map(|i| Txn {
            id: format!("syn-{}-{i:06}", account.id),
            account: account.kind,
            booking_date: today
                .checked_sub_days(Days::new(i * (WINDOW_DAYS - 1) / n64))
                .unwrap_or(today),
            description: format!("synthetic row {i}"),
            txn_type: "POS",
            sub_type: "Purchase",
            direction: Direction::Debit,
            amount_minor: 1_000 + i as i64,
            category: None,
            merchant: None,
        })
        .collect()
}
