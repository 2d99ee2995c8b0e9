//! Income fixtures with hand-computed expectations.

use crate::income::{IncomeQuery, IncomeSourceType, Regularity, income};
use crate::input::{AccountKind, Country};
use crate::recurring::Frequency;

use super::builders::*;

#[test]
fn income_by_source_with_types_regularity_and_monthly_totals() {
    let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
    let sav = account("sav", "BHD", AccountKind::Savings, Country::BH);
    let card = account("card", "BHD", AccountKind::CreditCard, Country::BH);
    let mut txs = Vec::new();
    // Salary on the 27th (Jun 27 2025 is a Friday → Thursday 26th).
    for (i, d) in [
        "2025-01-27",
        "2025-02-27",
        "2025-03-27",
        "2025-04-27",
        "2025-05-27",
        "2025-06-26",
    ]
    .iter()
    .enumerate()
    {
        txs.push(tx(
            &cur,
            &format!("sal{i}"),
            d,
            "1500.000",
            "SALARY GULF AIR",
        ));
    }
    // Monthly profit on savings, on the last day of the month.
    for (i, d) in [
        "2025-01-31",
        "2025-02-28",
        "2025-03-31",
        "2025-04-30",
        "2025-05-31",
        "2025-06-30",
    ]
    .iter()
    .enumerate()
    {
        txs.push(tx(
            &sav,
            &format!("pr{i}"),
            d,
            "3.125",
            "PROFIT DISTRIBUTION SAVINGS",
        ));
    }
    txs.push(tx(&cur, "cd1", "2025-02-10", "200.000", "CASH DEPOSIT CDM"));
    txs.push(tx(&cur, "cd2", "2025-05-03", "50.000", "CASH DEPOSIT CDM"));
    txs.push(tx(
        &cur,
        "p2p",
        "2025-03-14",
        "25.000",
        "BENEFITPAY FROM AHMED",
    ));
    // Not income: a refund, an own transfer, a card repayment.
    txs.push(tx(&cur, "buy", "2025-04-02", "-30.000", "POS AMAZON"));
    txs.push(tx(&cur, "ref", "2025-04-09", "30.000", "REFUND AMAZON"));
    txs.push(tx(&cur, "tr1", "2025-03-01", "-500.000", "TRANSFER"));
    txs.push(tx(&sav, "tr2", "2025-03-01", "500.000", "TRANSFER"));
    txs.push(tx(&card, "cc", "2025-03-05", "120.000", "PAYMENT RECEIVED"));

    let query = IncomeQuery {
        from: date("2025-01-01"),
        to: date("2025-07-01"),
        account_id: None,
    };
    let report = income(&[cur, sav, card], &txs, &query, date("2025-06-30")).unwrap();
    let summary: Vec<_> = report
        .sources
        .iter()
        .map(|s| (s.key.as_str(), s.source_type, s.regularity, s.total))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "d:SALARY GULF AIR",
                IncomeSourceType::Salary,
                Regularity::Regular,
                money("9000.000", "BHD")
            ),
            (
                "cash_deposit",
                IncomeSourceType::CashDeposit,
                Regularity::Irregular,
                money("250.000", "BHD")
            ),
            (
                "d:BENEFITPAY AHMED",
                IncomeSourceType::P2p,
                Regularity::Irregular,
                money("25.000", "BHD")
            ),
            (
                "d:PROFIT DISTRIBUTION SAVINGS",
                IncomeSourceType::Profit,
                Regularity::Regular,
                money("18.750", "BHD")
            ),
        ]
    );
    assert_eq!(report.sources[0].label, "Gulf Air");
    assert_eq!(report.sources[0].frequency, Some(Frequency::Monthly));
    assert_eq!(report.sources[3].frequency, Some(Frequency::Monthly));
    assert_eq!(report.sources[1].count, 2);

    // Feb = 1500 + 3.125 + 200 = 1703.125 (regular 1503.125, irregular 200.000)
    let feb = &report.periods[1].currencies[0];
    assert_eq!(feb.total, money("1703.125", "BHD"));
    assert_eq!(feb.regular, money("1503.125", "BHD"));
    assert_eq!(feb.irregular, money("200.000", "BHD"));

    let total = &report.totals[0];
    // 9000 + 18.750 + 250 + 25 = 9293.750; regular 9018.750; irregular 275.000
    assert_eq!(total.total, money("9293.750", "BHD"));
    assert_eq!(total.regular, money("9018.750", "BHD"));
    assert_eq!(total.irregular, money("275.000", "BHD"));
    // Mean of six months: 9293.750 / 6 = 1548.95833 → 1548.958
    assert_eq!(total.monthly_mean, Some(money("1548.958", "BHD")));
    // Months sorted: 1503.125 ×3, 1528.125, 1553.125, 1703.125; Q1 = 1503.125, Q3 = 1553.125,
    // fences [1428.125, 1628.125] drop 1703.125; median of the other five = 1503.125.
    assert_eq!(total.monthly_median, Some(money("1503.125", "BHD")));
}

#[test]
fn income_json_shape() {
    let cur = account("cur", "SAR", AccountKind::Current, Country::SA);
    let txs = vec![tx(&cur, "a", "2025-01-05", "250.00", "STC PAY FROM SARA")];
    let query = IncomeQuery {
        from: date("2025-01-01"),
        to: date("2025-01-20"),
        account_id: Some("cur".into()),
    };
    let report = income(std::slice::from_ref(&cur), &txs, &query, date("2025-01-20")).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["sources"][0]["sourceType"], "p2p");
    assert_eq!(json["sources"][0]["regularity"], "irregular");
    assert_eq!(json["periods"][0]["isPartial"], true);
    assert_eq!(
        json["periods"][0]["currencies"][0]["bySource"][0]["amount"]["amount"],
        "250.00"
    );
    assert_eq!(json["totals"][0]["monthlyMean"], serde_json::Value::Null);
}
