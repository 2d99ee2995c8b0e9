//! The export document, written as it is read: one JSON object whose arrays are serialised
//! row by row into one buffer, transactions a month at a time. A user with 200,000
//! transactions is then never held twice as whole item maps plus text (docs/architecture.md
//! §3.11 has the figures).

use std::collections::HashSet;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::rows::{AccountRow, BalanceRow, ConnectionRow, LinkAttemptRow, TransactionRow};
use crate::AppState;
use crate::erasure;
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::time::Timestamp;

/// Names the document's shape, for whoever reads a saved copy later.
pub const FORMAT: &str = "gulf-finance-export/1";

/// Booking dates read per transaction query: bounds what is held besides the output buffer.
const TRANSACTION_WINDOW_DAYS: u64 = 31;

/// How many rows of each kind the document holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub connections: usize,
    pub link_attempts: usize,
    pub accounts: usize,
    pub transactions: usize,
    pub balance_snapshots: usize,
    pub audit_records: usize,
}

/// Everything the backend holds for `user` that an export gives back (§3.11): every
/// connection (tombstones too) and its link attempt, the accounts, transactions and balance
/// snapshots that reads show ([`erasure::visible_accounts`]: nothing of a deleted connection),
/// and the audit trail.
pub async fn build(
    state: &AppState,
    user: &UserId,
    generated_at: Timestamp,
) -> Result<(Vec<u8>, Counts), UseCaseError> {
    let mut out = Writer::new();
    let mut counts = Counts::default();
    out.raw("{\"format\":");
    out.value(&FORMAT)?;
    out.raw(",\"userId\":");
    out.value(&user.as_str())?;
    out.raw(",\"generatedAt\":");
    out.value(&generated_at.to_rfc3339())?;

    let mut connections = state.connections.list(user).await?;
    connections
        .sort_by(|a, b| (a.created_at, &a.connection_id).cmp(&(b.created_at, &b.connection_id)));
    out.open("connections");
    for c in &connections {
        out.row(&ConnectionRow::from(c))?;
    }
    out.close();
    counts.connections = connections.len();

    // Link attempts are keyed by intent, not by user: found through the connections' intent
    // ids, and given back only when the binding names this user.
    out.open("linkAttempts");
    for c in &connections {
        if let Some(binding) = state.intents.get(&c.intent_id).await?
            && binding.user == *user
        {
            out.row(&LinkAttemptRow::from(&binding))?;
            counts.link_attempts += 1;
        }
    }
    out.close();

    let accounts = erasure::visible_accounts(state, user).await?;
    let visible: HashSet<&str> = accounts.iter().map(|a| a.account_id.as_str()).collect();
    out.open("accounts");
    for a in &accounts {
        out.row(&AccountRow::from(a))?;
    }
    out.close();
    counts.accounts = accounts.len();

    out.open("transactions");
    if let Some((first, last)) = state.transactions.booking_span(user).await? {
        for (from, to) in windows(first, last) {
            for t in state.transactions.range(user, from, to).await? {
                if visible.contains(t.account_id.as_str()) {
                    out.row(&TransactionRow::from(&t))?;
                    counts.transactions += 1;
                }
            }
        }
    }
    out.close();

    out.open("balanceSnapshots");
    for b in state.balances.all(user).await? {
        if visible.contains(b.account_id.as_str()) {
            out.row(&BalanceRow::from(&b))?;
            counts.balance_snapshots += 1;
        }
    }
    out.close();

    // Who read, synced, deleted or exported this user's data, and when (docs §3.10): never
    // financial content, so the records are given back as stored.
    out.open("auditRecords");
    for record in state.audit.list(user).await? {
        out.row(&record)?;
        counts.audit_records += 1;
    }
    out.close();

    out.raw(",\"counts\":");
    out.value(&counts)?;
    out.raw("}");
    Ok((out.finish(), counts))
}

/// A JSON object written piecewise into one buffer.
struct Writer {
    buf: Vec<u8>,
    first: bool,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            buf: Vec::with_capacity(64 * 1024),
            first: true,
        }
    }

    fn raw(&mut self, text: &str) {
        self.buf.extend_from_slice(text.as_bytes());
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), UseCaseError> {
        serde_json::to_writer(&mut self.buf, value)
            .map_err(|e| UseCaseError::Internal(format!("serialising the export: {e}")))
    }

    fn open(&mut self, name: &str) {
        self.raw(",\"");
        self.raw(name);
        self.raw("\":[");
        self.first = true;
    }

    fn row<T: Serialize>(&mut self, row: &T) -> Result<(), UseCaseError> {
        if !std::mem::take(&mut self.first) {
            self.buf.push(b',');
        }
        self.value(row)
    }

    fn close(&mut self) {
        self.buf.push(b']');
    }

    fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// `[first, last]` cut into consecutive windows of [`TRANSACTION_WINDOW_DAYS`] booking dates.
fn windows(first: NaiveDate, last: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut from = first;
    while from <= last {
        let to = from
            .checked_add_days(Days::new(TRANSACTION_WINDOW_DAYS - 1))
            .map_or(last, |d| d.min(last));
        out.push((from, to));
        from = match to.checked_add_days(Days::new(1)) {
            Some(next) => next,
            None => break,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_every_day_once() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            windows(d("2026-01-05"), d("2026-01-05")),
            [(d("2026-01-05"), d("2026-01-05"))]
        );
        let w = windows(d("2025-12-01"), d("2026-11-30"));
        assert_eq!(w.first().unwrap().0, d("2025-12-01"));
        assert_eq!(w.last().unwrap().1, d("2026-11-30"));
        for pair in w.windows(2) {
            assert_eq!(pair[0].1.succ_opt().unwrap(), pair[1].0);
        }
    }
}
