//! Prints sample JSON of each report (ignored): `cargo test print_examples -- --ignored --nocapture`.

use crate::balance_history::{BalanceHistoryQuery, balance_history};
use crate::income::{IncomeQuery, income};
use crate::input::{AccountKind, BalanceType, Country};
use crate::salary::salary;
use crate::spending::{GroupBy, SpendingQuery, spending};

use super::builders::*;

#[test]
#[ignore]
fn print_examples() {
    let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
    let card = account("card", "BHD", AccountKind::CreditCard, Country::BH);
    let mut txs = Vec::new();
    for (i, d) in ["2025-01-27", "2025-02-27", "2025-03-27"]
        .iter()
        .enumerate()
    {
        txs.push(tx(
            &cur,
            &format!("s{i}"),
            d,
            "1234.567",
            "SALARY GULF TRADING WLL",
        ));
    }
    txs.push(tx(&card, "p1", "2025-03-05", "-12.500", "POS LULU HYPERMARKET").kind("POS"));
    txs.push(tx(
        &card,
        "r1",
        "2025-03-09",
        "2.500",
        "REFUND LULU HYPERMARKET",
    ));
    txs.push(tx(
        &cur,
        "c1",
        "2025-03-10",
        "-100.000",
        "CREDIT CARD PAYMENT",
    ));
    txs.push(tx(&card, "c2", "2025-03-10", "100.000", "PAYMENT RECEIVED"));
    let accounts = [cur.clone(), card.clone()];
    let s = spending(
        &accounts,
        &txs,
        &SpendingQuery {
            from: date("2025-03-01"),
            to: date("2025-03-15"),
            group_by: GroupBy::Category,
            account_id: None,
        },
    )
    .unwrap();
    println!("{}", serde_json::to_string_pretty(&s).unwrap());
    let i = income(
        &accounts,
        &txs,
        &IncomeQuery {
            from: date("2025-03-01"),
            to: date("2025-04-01"),
            account_id: None,
        },
        date("2025-04-01"),
    )
    .unwrap();
    println!("{}", serde_json::to_string_pretty(&i).unwrap());
    let sal = salary(&accounts, &txs, date("2025-04-01")).unwrap();
    println!("{}", serde_json::to_string_pretty(&sal).unwrap());
    let balances = vec![
        reading(
            &cur,
            BalanceType::InterimBooked,
            "2000.000",
            "2025-03-11T08:00:00Z",
        ),
        reading(
            &card,
            BalanceType::InterimBooked,
            "-10.000",
            "2025-03-11T08:00:00Z",
        ),
    ];
    let b = balance_history(
        &accounts,
        &txs,
        &balances,
        &BalanceHistoryQuery {
            from: date("2025-03-09"),
            to: date("2025-03-11"),
            account_id: None,
            reporting_currency: None,
        },
    )
    .unwrap();
    println!("{}", serde_json::to_string_pretty(&b).unwrap());
}
