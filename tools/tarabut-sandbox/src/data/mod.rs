//! Deterministic demo data: every customer user id owns a "bank universe" (two banks, four
//! accounts, a year of transactions ending on "today") derived from a hash of the id.
//!
//! Generation is keyed by calendar month, not by "today": the transactions of a past date keep
//! their ids and amounts when "today" moves on, and balances are carried from a fixed epoch so
//! that tomorrow's booked balance is today's plus tomorrow's transactions.

mod blue;
pub mod calendar;
pub mod catalogue;
mod ids;
pub mod model;
mod profile;
mod red;
mod sink;
pub mod synthetic;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{Days, NaiveDate};

use calendar::Month;
use model::{Account, AccountKind, Universe};
use profile::Profile;
use sink::Sink;

pub use catalogue::ProviderId;

/// Days of history visible through the API, ending on "today" inclusive.
pub const WINDOW_DAYS: u64 = 365;

/// Balances are carried from here (or from the window start when that is earlier).
fn anchor_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// At most this many months are generated before the window, to bound the cost for far-future
/// dates (beyond 2030 the epoch then moves, and with it the carried balances).
const MAX_MONTHS_BEFORE_WINDOW: i64 = 72;

pub fn build(customer_user_id: &str, today: NaiveDate) -> Universe {
    let profile = Profile::new(customer_user_id);
    let window_start = today - Days::new(WINDOW_DAYS - 1);
    let window_month = Month::of(window_start);
    let earliest = Month::from_key(window_month.key() - MAX_MONTHS_BEFORE_WINDOW);
    let epoch_month = Month::of(anchor_epoch()).clamp(earliest, window_month);
    let epoch = epoch_month.first();
    let last = Month::of(today);

    let mut sink = Sink::new(&profile);
    // Two months early: refunds and transfer legs that originate there land after the epoch, and
    // the card statement outstanding at the epoch is the month before it.
    let mut m = epoch_month.prev().prev();
    while m <= last {
        blue::month(&profile, m, &mut sink);
        red::month(&profile, m, &mut sink);
        m = m.next();
    }
    let card_spend = red::card_payments(&profile, epoch_month, last, &mut sink);

    let mut openings = profile.openings;
    openings[AccountKind::RedCard.index()] = -card_spend
        .get(&epoch_month.prev().key())
        .copied()
        .unwrap_or(0);

    let mut accounts: Vec<Account> = AccountKind::ALL
        .into_iter()
        .map(|kind| Account {
            id: profile.account_id(kind).to_owned(),
            kind,
            identifier: profile.identifiers[kind.index()].clone(),
            holder: profile.holder.clone(),
            description: describe(&profile.holder, kind),
            opening_minor: openings[kind.index()],
            booked_minor: 0,
            transactions: Vec::new(),
        })
        .collect();

    for txn in sink.txns {
        if txn.booking_date < epoch || txn.booking_date > today {
            continue;
        }
        let account = &mut accounts[txn.account.index()];
        if txn.booking_date < window_start {
            account.opening_minor += txn.signed_minor();
        } else {
            account.transactions.push(txn);
        }
    }
    for account in &mut accounts {
        account.transactions.sort_by(|a, b| {
            b.booking_date
                .cmp(&a.booking_date)
                .then_with(|| a.id.cmp(&b.id))
        });
        account.booked_minor = account.opening_minor
            + account
                .transactions
                .iter()
                .map(|t| t.signed_minor())
                .sum::<i64>();
    }

    Universe {
        today,
        window_start,
        accounts,
    }
}

fn describe(holder: &str, kind: AccountKind) -> String {
    let what = match kind {
        AccountKind::BlueCurrent | AccountKind::RedCurrent => "Current",
        AccountKind::BlueSavings => "Savings",
        AccountKind::RedCard => "Credit Card",
    };
    format!("{holder} - {} {what}", kind.currency().code())
}

/// Universes are pure functions of (user, today); the cache only saves the regeneration.
#[derive(Default)]
pub struct UniverseCache {
    entries: Mutex<HashMap<(String, NaiveDate), Arc<Universe>>>,
}

/// About 100 KB each; cleared wholesale when full (regeneration is cheap and deterministic).
const MAX_CACHED_UNIVERSES: usize = 256;

impl UniverseCache {
    pub fn get(&self, customer_user_id: &str, today: NaiveDate) -> Arc<Universe> {
        let key = (customer_user_id.to_owned(), today);
        if let Some(found) = self.lock().get(&key) {
            return Arc::clone(found);
        }
        // Built outside the lock: two racing builders produce identical values.
        let built = Arc::new(build(customer_user_id, today));
        let mut entries = self.lock();
        if entries.len() >= MAX_CACHED_UNIVERSES {
            entries.clear();
        }
        Arc::clone(entries.entry(key).or_insert(built))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, NaiveDate), Arc<Universe>>> {
        // A poisoned cache holds only complete values; keep using it.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests;
