//! The normalised, classified view of one user's data that the income, spending and salary
//! insights share.

use super::counterparty::{Analyser, Counterparties};
use super::flow::Flows;
use super::input::{Account, Transaction};
use super::keywords::Lexicon;
use super::ledger::Ledger;

pub struct Prepared<'a> {
    pub ledger: Ledger<'a>,
    pub cps: Counterparties,
    pub flows: Flows,
}

impl<'a> Prepared<'a> {
    pub fn new(accounts: &'a [Account], transactions: &'a [Transaction]) -> Prepared<'a> {
        let lexicon = Lexicon::new();
        let mut analyser = Analyser::new(&lexicon);
        let (ledger, info) = Ledger::build(accounts, transactions, |tx| analyser.analyse(tx));
        let cps = analyser.finish(&ledger, info);
        let flows = Flows::new(&ledger, &cps);
        Prepared { ledger, cps, flows }
    }

    /// Row indexes whose local date is in `[from_day, to_day)` (rows are sorted by date).
    pub fn day_range(&self, from_day: i32, to_day: i32) -> std::ops::Range<usize> {
        let rows = &self.ledger.rows;
        let lo = rows.partition_point(|r| r.day < from_day);
        let hi = rows.partition_point(|r| r.day < to_day);
        lo..hi.max(lo)
    }
}
