//! Pure insights engine: spending, income, salary detection and balance history over one
//! user's accounts, transactions and balance readings. No I/O, no clock ("today" is a
//! parameter), no global state. Algorithms and parameters: `docs/insight-algorithms.md`;
//! deviations are listed in `docs/insights-deviations.md` (paths from the repository root).

pub mod balance_history;
pub mod calendar;
pub mod error;
pub mod fx;
pub mod income;
pub mod input;
pub mod money;
pub mod periods;
pub mod recurring;
pub mod salary;
pub mod spending;
pub mod taxonomy;

mod categorize;
mod counterparty;
mod flow;
mod keywords;
mod ledger;
mod prepared;
mod schedule;
mod stats;
mod text;
mod transfers;

#[cfg(test)]
mod tests;

pub use balance_history::{BalanceHistoryQuery, BalanceHistoryReport, balance_history};
pub use categorize::categories;
pub use error::InsightsError;
pub use flow::FlowKind;
pub use income::{IncomeQuery, IncomeReport, income};
pub use input::{
    Account, AccountKind, BalanceReading, BalanceType, BookingStatus, Country, Transaction,
};
pub use ledger::DataQuality;
pub use salary::{SalaryReport, salary};
pub use spending::{GroupBy, SpendingQuery, SpendingReport, spending};
pub use taxonomy::Category;
