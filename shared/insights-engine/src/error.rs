//! The one error type the insights engine returns.

use chrono::NaiveDate;

use crate::money::MoneyError;

/// Why an insight could not be computed. The engine never panics on input; anything it cannot
/// answer ends up here so the caller can map it to a problem response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsightsError {
    #[error("invalid date range: from {from} must be before to {to}")]
    InvalidRange { from: NaiveDate, to: NaiveDate },
    #[error("date range of {days} days is longer than the {max} days the engine accepts")]
    RangeTooLong { days: i64, max: i64 },
    #[error("date {0} is outside the years the engine accepts (1970..=2200)")]
    DateOutOfRange(NaiveDate),
    #[error("unknown account {0:?}")]
    UnknownAccount(String),
    #[error(transparent)]
    Money(#[from] MoneyError),
}
