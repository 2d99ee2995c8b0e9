//! Paging an account's history, decided here and nowhere else (pure): where a fetch starts
//! (fresh, or at a stored checkpoint), when it must stop, and the ordinals that tell identical
//! id-less rows apart across page boundaries.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::banking::SyncCheckpoint;
use crate::tarabut;

/// Safety stop for a history that never reports its last page, per account and query
/// (counted across resumed runs: the page number is the count). Saving page by page keeps
/// memory flat, so the limit bounds time and Tarabut calls only: 20 000 pages is years of a
/// busy account at Tarabut's page sizes.
pub const MAX_PAGES: u32 = 20_000;

/// Where one account's fetch starts: its own query and page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    pub from: NaiveDate,
    pub page: u32,
}

/// A checkpoint for this account resumes its query one page before the page it names: rows
/// that moved a page later (new bookings at the head) and identical id-less rows that straddle
/// the boundary are read again, never skipped. Otherwise the fetch starts at page 1 from
/// `fresh_from`.
pub fn start(resume: Option<&SyncCheckpoint>, account_id: &str, fresh_from: NaiveDate) -> Start {
    match resume {
        Some(cp) if cp.account_id == account_id => Start {
            from: cp.from,
            page: cp.next_page.saturating_sub(1).max(1),
        },
        _ => Start {
            from: fresh_from,
            page: 1,
        },
    }
}

/// Whether `page` is past the safety stop.
pub fn past_limit(page: u32) -> bool {
    page > MAX_PAGES
}

type RowKey = (i64, String, String, String, Option<String>);

/// Ordinals of identical id-less rows (the n-th identical row of a fetch gets n), carried from
/// one page to the next. Identical rows share their booking time, so they are adjacent in the
/// listing: only the previous page's counts are kept, which keeps memory flat.
#[derive(Debug, Default)]
pub struct PageOrdinals {
    previous: HashMap<RowKey, u32>,
}

impl PageOrdinals {
    pub fn next(&mut self, page: &[tarabut::Transaction]) -> Vec<u32> {
        let mut current: HashMap<RowKey, u32> = HashMap::new();
        let ordinals = page
            .iter()
            .map(|t| {
                let k: RowKey = (
                    t.booking_date_time.timestamp_millis(),
                    t.credit_debit_indicator.clone(),
                    t.amount.value.clone(),
                    t.amount.currency.clone(),
                    t.transaction_description.clone(),
                );
                let carried = self.previous.get(&k).copied().unwrap_or(0);
                let n = current.entry(k).or_insert(carried);
                let ordinal = *n;
                *n += 1;
                ordinal
            })
            .collect();
        self.previous = current;
        ordinals
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::banking::transactions::ordinals;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    #[test]
    fn a_checkpoint_of_this_account_resumes_one_page_early() {
        let cp = SyncCheckpoint {
            account_id: "a".into(),
            from: day(1),
            next_page: 151,
        };
        assert_eq!(
            start(Some(&cp), "a", day(9)),
            Start {
                from: day(1),
                page: 150
            }
        );
        assert_eq!(
            start(Some(&cp), "b", day(9)),
            Start {
                from: day(9),
                page: 1
            }
        );
        assert_eq!(start(None, "a", day(9)).page, 1);
        let first = SyncCheckpoint { next_page: 1, ..cp };
        assert_eq!(start(Some(&first), "a", day(9)).page, 1);
    }

    #[test]
    fn the_limit_is_inclusive() {
        assert!(!past_limit(MAX_PAGES));
        assert!(past_limit(MAX_PAGES + 1));
    }

    fn row(desc: &str) -> tarabut::Transaction {
        serde_json::from_value(serde_json::json!({
            "creditDebitIndicator": "Debit",
            "amount": {"value": "1.000", "currency": "BHD"},
            "bookingDateTime": "2026-03-01T00:00:00Z",
            "transactionDescription": desc,
        }))
        .unwrap()
    }

    #[test]
    fn ordinals_continue_across_a_page_boundary_as_over_the_whole_fetch() {
        let rows = vec![row("x"), row("x"), row("y"), row("x"), row("x"), row("y")];
        let whole = ordinals(&rows);
        let mut paged = PageOrdinals::default();
        let mut got = Vec::new();
        for page in rows.chunks(2) {
            got.extend(paged.next(page));
        }
        // x x | y x | x y: the run of x's continues over each boundary it touches.
        assert_eq!(whole, vec![0, 1, 0, 2, 3, 1]);
        assert_eq!(got, vec![0, 1, 0, 2, 3, 1]);
    }
}
