//! `GET /finance/transactions`'s query string as typed parameters, then as checked filters:
//! the sort-key range the one Query reads, what is filtered after it, and the fingerprint a
//! cursor is bound to.

use chrono::{Duration as Days, NaiveDate};
use insights_engine::Category;
use serde::Deserialize;

use super::cursor::Fingerprint;
use crate::banking::StoredTransaction;
use crate::error::UseCaseError;
use crate::insights::query::{self, QueryDate};
use crate::store::SortKey;

/// Rows a page holds when the caller does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// Most rows a page holds (and a Query reads).
pub const MAX_LIMIT: usize = 200;

/// The query string. serde refuses an unknown or mistyped parameter (`deny_unknown_fields`);
/// [`TransactionParams::filters`] checks the rest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransactionParams {
    pub account_id: Option<String>,
    /// First UTC booking date included.
    pub from: Option<QueryDate>,
    /// First UTC booking date excluded.
    pub to: Option<QueryDate>,
    pub direction: Option<Direction>,
    /// One of the insights engine's categories (`food_and_drink`, …).
    pub category: Option<Category>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Money in: a zero or positive amount.
    Credit,
    /// Money out: a negative amount.
    Debit,
}

impl Direction {
    pub fn of(t: &StoredTransaction) -> Direction {
        if t.amount.minor() < 0 {
            Direction::Debit
        } else {
            Direction::Credit
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        }
    }
}

/// The checked request: filters, page size and the cursor still to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    pub account_id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub direction: Option<Direction>,
    pub category: Option<Category>,
    pub limit: usize,
    pub cursor: Option<String>,
}

impl TransactionParams {
    /// A bad range or limit is a 400; a malformed `accountId` the same 404 as an unknown one.
    pub fn filters(self) -> Result<Filters, UseCaseError> {
        if let (Some(from), Some(to)) = (self.from, self.to) {
            // The insights' rule: [from, to), from before to, at most two years.
            query::range(from, to)?;
        }
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT).contains(&(n as usize)) => n as usize,
            Some(n) => {
                return Err(UseCaseError::Invalid(format!(
                    "limit must be between 1 and {MAX_LIMIT}, got {n}"
                )));
            }
        };
        Ok(Filters {
            account_id: query::account_id(self.account_id.as_deref())?,
            from: self.from.map(|d| d.0),
            to: self.to.map(|d| d.0),
            direction: self.direction,
            category: self.category,
            limit,
            cursor: self.cursor,
        })
    }
}

impl Filters {
    /// The sort keys (`<UTC booking date>#<account>#<id>`) of `[from, to)`. `~` sorts after
    /// every character of a key, so `<date>~` closes a day.
    pub fn sort_range(&self) -> SortKey {
        let last_day = self.to.map(|to| format!("{}~", to - Days::days(1)));
        match (self.from, last_day) {
            (Some(from), Some(hi)) => SortKey::Between(from.to_string(), hi),
            (Some(from), None) => SortKey::Between(from.to_string(), "~".into()),
            (None, Some(hi)) => SortKey::LessOrEqual(hi),
            (None, None) => SortKey::All,
        }
    }

    /// Whether `sort_key` lies in [`Filters::sort_range`]: a cursor's position must (DynamoDB
    /// refuses a start key outside the key condition).
    pub fn in_range(&self, sort_key: &str) -> bool {
        match self.sort_range() {
            SortKey::All => true,
            SortKey::Between(lo, hi) => sort_key >= lo.as_str() && sort_key <= hi.as_str(),
            SortKey::LessOrEqual(hi) => sort_key <= hi.as_str(),
            SortKey::BeginsWith(prefix) => sort_key.starts_with(prefix.as_str()),
        }
    }

    /// The filters a cursor is bound to (the page size is not one: it may change between
    /// pages). One `name=value` line each, values that cannot hold a newline.
    pub fn fingerprint(&self) -> Fingerprint {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let canonical = format!(
            "v1\naccountId={}\nfrom={}\nto={}\ndirection={}\ncategory={}",
            self.account_id.as_deref().unwrap_or_default(),
            date(self.from),
            date(self.to),
            self.direction.map(Direction::as_str).unwrap_or_default(),
            self.category.map(Category::id).unwrap_or_default(),
        );
        Fingerprint::of(&canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Filters, String> {
        let encoded = serde_urlencoded::to_string(pairs).map_err(|e| e.to_string())?;
        let p: TransactionParams =
            serde_urlencoded::from_str(&encoded).map_err(|e| e.to_string())?;
        p.filters().map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_bounds() {
        let f = parse(&[]).unwrap();
        assert_eq!((f.limit, f.sort_range()), (DEFAULT_LIMIT, SortKey::All));
        assert_eq!(parse(&[("limit", "200")]).unwrap().limit, 200);
        assert_eq!(parse(&[("limit", "1")]).unwrap().limit, 1);
        for bad in ["0", "201", "-1", "ten", "1.5", ""] {
            assert!(parse(&[("limit", bad)]).is_err(), "{bad}");
        }
        for bad in [
            vec![("from", "2026-02-01"), ("to", "2026-01-01")],
            vec![("from", "2026-01-01"), ("to", "2026-01-01")],
            vec![("from", "2023-01-01"), ("to", "2026-01-01")],
            vec![("from", "2026-1-1")],
            vec![("to", "2026-02-30")],
            vec![("direction", "in")],
            vec![("category", "groceries")],
            vec![("acountId", "x")],
        ] {
            assert!(parse(&bad).is_err(), "{bad:?}");
        }
        let f = parse(&[("direction", "debit"), ("category", "food_and_drink")]).unwrap();
        assert_eq!(f.direction, Some(Direction::Debit));
        assert_eq!(f.category, Some(Category::FoodAndDrink));
    }

    #[test]
    fn a_half_open_range_of_utc_booking_dates() {
        let f = parse(&[("from", "2026-10-01"), ("to", "2026-11-01")]).unwrap();
        assert_eq!(
            f.sort_range(),
            SortKey::Between("2026-10-01".into(), "2026-10-31~".into())
        );
        assert!(f.in_range("2026-10-01#a#t") && f.in_range("2026-10-31#zz#zz"));
        assert!(!f.in_range("2026-11-01#a#t") && !f.in_range("2026-09-30#a#t"));
        let only_to = parse(&[("to", "2026-11-01")]).unwrap();
        assert_eq!(
            only_to.sort_range(),
            SortKey::LessOrEqual("2026-10-31~".into())
        );
    }

    #[test]
    fn every_filter_changes_the_fingerprint_but_the_page_size_does_not() {
        let base = parse(&[]).unwrap().fingerprint();
        assert_eq!(parse(&[("limit", "7")]).unwrap().fingerprint(), base);
        let cursor = parse(&[("cursor", "abc")]).unwrap().fingerprint();
        assert_eq!(cursor, base);
        for pairs in [
            vec![("accountId", "acc-1")],
            vec![("from", "2026-01-01")],
            vec![("to", "2026-01-01")],
            vec![("direction", "credit")],
            vec![("category", "shopping")],
        ] {
            assert_ne!(parse(&pairs).unwrap().fingerprint(), base, "{pairs:?}");
        }
        // from and to are told apart.
        assert_ne!(
            parse(&[("from", "2026-01-01")]).unwrap().fingerprint(),
            parse(&[("to", "2026-01-01")]).unwrap().fingerprint()
        );
    }
}
