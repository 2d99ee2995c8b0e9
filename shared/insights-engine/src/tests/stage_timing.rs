//! Manual profiling aid (ignored): `cargo test --release stage_timing -- --ignored --nocapture`.

use std::time::Instant;

use chrono::Duration;

use crate::counterparty::Counterparties;
use crate::flow::Flows;
use crate::input::{AccountKind, Country};
use crate::keywords::Lexicon;
use crate::ledger::Ledger;

use super::builders::*;

#[test]
#[ignore]
fn stage_timing() {
    let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
    let card = account("card", "BHD", AccountKind::CreditCard, Country::BH);
    let descriptions = [
        "POS LULU HYPERMARKET 4521XXXX1234 REF8812",
        "ATM WITHDRAWAL",
        "مطعم البيك",
        "TRANSFER",
        "SALARY GULF",
    ];
    let txs: Vec<_> = (0..100_000)
        .map(|i| {
            let account = if i % 3 == 0 { &cur } else { &card };
            let day = (date("2023-07-01") + Duration::days(i64::from(i % 730))).to_string();
            let mut t = tx(
                account,
                &format!("tx-{i:08}"),
                &day,
                "-1.500",
                descriptions[i as usize % 5],
            );
            t.transaction_type = Some("POS".into());
            t
        })
        .collect();
    let accounts = [cur, card];
    for _ in 0..3 {
        let t0 = Instant::now();
        let ledger = Ledger::new(&accounts, &txs);
        let t1 = Instant::now();
        let lexicon = Lexicon::new();
        let cps = Counterparties::new(&ledger, &lexicon);
        let t2 = Instant::now();
        let flows = Flows::new(&ledger, &cps);
        let t3 = Instant::now();
        println!(
            "ledger {:?} counterparties {:?} flows {:?} ({} rows, {} flows)",
            t1 - t0,
            t2 - t1,
            t3 - t2,
            ledger.rows.len(),
            flows.kind.len()
        );
    }
}
