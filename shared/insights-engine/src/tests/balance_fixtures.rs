//! Balance history fixtures with hand-computed expectations. Bahrain is UTC+3: 07:00Z is
//! 10:00 local.

use crate::balance_history::{BalanceHistoryQuery, PointSource, balance_history};
use crate::input::{AccountKind, BalanceType, Country};

use super::builders::*;

fn query(from: &str, to: &str) -> BalanceHistoryQuery {
    BalanceHistoryQuery {
        from: date(from),
        to: date(to),
        account_id: None,
        reporting_currency: None,
    }
}

#[test]
fn mid_day_anchor_later_same_day_postings_and_a_gap_at_a_snapshot() {
    let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
    let txs = vec![
        tx(&cur, "t0", "2025-02-27", "-4.000", "POS CAFE").at_utc("2025-02-27T09:00:00Z"), // 12:00 local
        tx(&cur, "t1", "2025-03-01", "-10.000", "POS").at_utc("2025-03-01T07:00:00Z"),
        tx(&cur, "t2", "2025-03-02", "-5.500", "POS").at_utc("2025-03-02T09:00:00Z"),
        tx(&cur, "t3", "2025-03-03", "100.000", "TRANSFER IN").at_utc("2025-03-03T06:00:00Z"), // 09:00
        tx(&cur, "t4", "2025-03-03", "-20.000", "POS").at_utc("2025-03-03T12:00:00Z"), // 15:00, after the anchor
        tx(&cur, "p1", "2025-03-03", "-7.000", "POS")
            .at_utc("2025-03-03T13:00:00Z")
            .pending(),
    ];
    let balances = vec![
        // Anchor: 11:00 local on Mar 3, includes t3 but not t4.
        reading(
            &cur,
            BalanceType::InterimBooked,
            "500.000",
            "2025-03-03T08:00:00Z",
        ),
        // Snapshot: 23:00 local on Feb 27, after t0.
        reading(
            &cur,
            BalanceType::ClosingBooked,
            "425.500",
            "2025-02-27T20:00:00Z",
        ),
    ];
    let report =
        balance_history(&[cur], &txs, &balances, &query("2025-02-25", "2025-03-05")).unwrap();
    let history = &report.accounts[0];
    let days: Vec<_> = history.points.iter().map(|p| (p.date, p.balance)).collect();
    // EOD Mar 3 = 500 − 20 (t4 after the anchor) = 480.000
    // EOD Mar 2 = 480 − (100 − 20) = 400.000; EOD Mar 1 = 400 + 5.5 = 405.500
    // EOD Feb 28 = 405.5 + 10 = 415.500; EOD Feb 27 = 415.500 (no flows on Feb 28)
    // Snapshot at Feb 27 23:00 says 425.500 where the chain says 415.500: adjustment
    // 415.5 − 425.5 = −10.000 on Feb 27. EOD Feb 26 = 425.5 + 4 (t0, before the reading) = 429.500
    assert_eq!(
        days,
        vec![
            (date("2025-02-25"), money("429.500", "BHD")),
            (date("2025-02-26"), money("429.500", "BHD")),
            (date("2025-02-27"), money("415.500", "BHD")),
            (date("2025-02-28"), money("415.500", "BHD")),
            (date("2025-03-01"), money("405.500", "BHD")),
            (date("2025-03-02"), money("400.000", "BHD")),
            (date("2025-03-03"), money("480.000", "BHD")),
            (date("2025-03-04"), money("480.000", "BHD")),
        ]
    );
    let feb27 = &history.points[2];
    assert_eq!(feb27.source, PointSource::Snapshot);
    assert_eq!(feb27.adjustment, Some(money("-10.000", "BHD")));
    // balance(d) = balance(d − 1) + flows(d) + adjustment(d): 429.5 − 4 − 10 = 415.5
    assert_eq!(feb27.flows, money("-4.000", "BHD"));
    assert_eq!(history.points[6].source, PointSource::Anchor);
    assert_eq!(history.points[6].flows, money("80.000", "BHD"));
    assert_eq!(history.adjustments.len(), 1);
    assert_eq!(
        history.adjustments[0].reading_balance,
        money("425.500", "BHD")
    );
    assert_eq!(
        history.adjustments[0].derived_balance,
        money("415.500", "BHD")
    );
    // Coverage starts with t0 and the snapshot on Feb 27.
    assert_eq!(history.coverage_start, Some(date("2025-02-27")));
    assert!(history.points[0].before_coverage && history.points[1].before_coverage);
    assert!(!history.points[2].before_coverage);
    assert!(!history.anchor_time_uncertain);
    assert!(!history.estimated);
    for pair in history.points.windows(2) {
        let expected = pair[0].balance.minor()
            + pair[1].flows.minor()
            + pair[1].adjustment.map_or(0, |a| a.minor());
        assert_eq!(
            pair[1].balance.minor(),
            expected,
            "identity on {}",
            pair[1].date
        );
    }
}

#[test]
fn credit_card_negative_balance_totals_and_unconverted_accounts() {
    let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
    let card = account("card", "BHD", AccountKind::CreditCard, Country::BH);
    let sar = account("sar", "SAR", AccountKind::Savings, Country::SA);
    let eur = account("eur", "EUR", AccountKind::Current, Country::Other);
    let none = account("none", "BHD", AccountKind::Current, Country::BH);
    let txs = vec![
        tx(&card, "k1", "2025-03-01", "-50.000", "POS AMAZON"),
        tx(&card, "k2", "2025-03-02", "100.000", "PAYMENT RECEIVED"),
    ];
    let balances = vec![
        reading(
            &cur,
            BalanceType::InterimBooked,
            "480.000",
            "2025-03-03T08:00:00Z",
        ),
        reading(
            &card,
            BalanceType::InterimBooked,
            "-250.000",
            "2025-03-03T08:00:00Z",
        ),
        reading(
            &sar,
            BalanceType::ClosingBooked,
            "3750.00",
            "2025-03-02T20:00:00Z",
        ),
        reading(
            &eur,
            BalanceType::InterimBooked,
            "1000.00",
            "2025-03-03T08:00:00Z",
        ),
        // A reading in the wrong currency is ignored, never converted.
        reading(
            &sar,
            BalanceType::InterimBooked,
            "1.000",
            "2025-03-03T08:00:00Z",
        ),
    ];
    let mut balances = balances;
    balances[4].amount = money("1.000", "BHD");
    let accounts = [cur, card, sar, eur, none];
    let report = balance_history(
        &accounts,
        &txs,
        &balances,
        &query("2025-02-28", "2025-03-04"),
    )
    .unwrap();
    let card_points: Vec<_> = report
        .accounts
        .iter()
        .find(|a| a.account_id == "card")
        .unwrap()
        .points
        .iter()
        .map(|p| p.balance)
        .collect();
    // EOD Mar 3 = Mar 2 = −250; Mar 1 = −250 − 100 = −350; Feb 28 = −350 + 50 = −300
    assert_eq!(
        card_points,
        vec![
            money("-300.000", "BHD"),
            money("-350.000", "BHD"),
            money("-250.000", "BHD"),
            money("-250.000", "BHD")
        ]
    );
    // Largest account by USD value: 480 BHD (1,276.60 USD) > 3,750 SAR (1,000 USD) → BHD.
    assert_eq!(report.reporting_currency, ccy("BHD"));
    // 3,750.00 SAR × 0.376 / 3.75 = 376.000 BHD.
    // Mar 3 total = 480 − 250 + 376 = 606.000; cash = 480 + 376 = 856.000
    let mar3 = report
        .totals
        .iter()
        .find(|t| t.date == date("2025-03-03"))
        .unwrap();
    assert_eq!(mar3.total, money("606.000", "BHD"));
    assert_eq!(mar3.cash, money("856.000", "BHD"));
    assert_eq!(mar3.accounts_included, 3);
    // Feb 28: cur and sar are before their coverage (flat at the anchor, flagged estimated).
    let feb28 = &report.totals[0];
    assert_eq!(feb28.total, money("556.000", "BHD")); // 480 − 300 + 376
    assert!(feb28.estimated);
    assert_eq!(report.totals.len(), 4);
    assert_eq!(report.unconverted.len(), 1);
    assert_eq!(report.unconverted[0].account_id, "eur");
    assert_eq!(report.missing_balance, vec!["none".to_string()]);
    assert_eq!(report.readings_ignored, 1);

    let mut in_sar = query("2025-03-03", "2025-03-04");
    in_sar.reporting_currency = Some(ccy("SAR"));
    let report = balance_history(&accounts, &txs, &balances, &in_sar).unwrap();
    // 230.000 BHD × 3.75 / 0.376 = 2,293.8829… → 2,293.88; + 3,750.00 = 6,043.88
    assert_eq!(report.totals[0].total, money("6043.88", "SAR"));
}

#[test]
fn date_only_rows_on_the_anchor_day_are_assumed_included_and_flagged() {
    let cur = account("cur", "SAR", AccountKind::Current, Country::SA);
    let txs = vec![tx(&cur, "t1", "2025-03-03", "-50.00", "POS")];
    let balances = vec![reading(
        &cur,
        BalanceType::InterimBooked,
        "1000.00",
        "2025-03-03T08:00:00Z",
    )];
    let report =
        balance_history(&[cur], &txs, &balances, &query("2025-03-02", "2025-03-04")).unwrap();
    let history = &report.accounts[0];
    assert!(history.anchor_time_uncertain);
    // EOD Mar 3 = 1000.00 (the row is taken as already in it); Mar 2 = 1050.00
    assert_eq!(history.points[1].balance, money("1000.00", "SAR"));
    assert_eq!(history.points[0].balance, money("1050.00", "SAR"));
}

#[test]
fn an_available_balance_without_a_booked_one_is_an_estimate_less_pending() {
    let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
    let txs = vec![
        tx(&cur, "p1", "2025-03-03", "-30.000", "POS")
            .at_utc("2025-03-03T05:00:00Z")
            .pending(),
    ];
    let balances = vec![reading(
        &cur,
        BalanceType::InterimAvailable,
        "170.000",
        "2025-03-03T08:00:00Z",
    )];
    let report =
        balance_history(&[cur], &txs, &balances, &query("2025-03-03", "2025-03-04")).unwrap();
    let history = &report.accounts[0];
    // booked ≈ available − Σ pending = 170 − (−30) = 200.000
    assert!(history.estimated);
    assert_eq!(history.points[0].balance, money("200.000", "BHD"));
    assert!(report.totals[0].estimated);
}
