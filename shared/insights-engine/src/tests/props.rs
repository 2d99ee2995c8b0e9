//! Property tests over generated ledgers.

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;

use crate::balance_history::{BalanceHistoryQuery, balance_history};
use crate::calendar::{is_date_only, local_date};
use crate::income::{IncomeQuery, income};
use crate::input::{Account, AccountKind, BalanceReading, BalanceType, Country, Transaction};
use crate::money::Money;
use crate::salary::salary;
use crate::spending::{GroupBy, SpendingQuery, spending};

use super::builders::*;

const DESCRIPTIONS: &[&str] = &[
    "POS LULU HYPERMARKET",
    "SALARY CREDIT GULF TRADING WLL",
    "REFUND LULU HYPERMARKET",
    "TRANSFER",
    "ATM WITHDRAWAL",
    "ATM FEE",
    "شراء بنده",
    "راتب شهر يناير",
    "CREDIT CARD PAYMENT",
    "NETFLIX.COM",
    "CASH DEPOSIT",
    "BENEFITPAY FROM ALI",
];

fn accounts() -> Vec<Account> {
    vec![
        with_iban(
            account("a-cur", "BHD", AccountKind::Current, Country::BH),
            "BH01AAAA0000000000000001",
        ),
        account("b-card", "BHD", AccountKind::CreditCard, Country::BH),
        account("c-sar", "SAR", AccountKind::Current, Country::SA),
        account("d-sav", "SAR", AccountKind::Savings, Country::SA),
    ]
}

/// (account, day offset, minute of day or None for date-only, amount, description, merchant?)
type RawTx = (usize, i64, Option<i64>, i64, usize, bool);

fn raw_tx() -> impl Strategy<Value = RawTx> {
    (
        0usize..4,
        0i64..150,
        prop::option::of(0i64..1440),
        prop_oneof![-200_000i64..-1, 1i64..200_000],
        0usize..DESCRIPTIONS.len(),
        any::<bool>(),
    )
}

fn build(raw: &[RawTx]) -> Vec<Transaction> {
    let accounts = accounts();
    raw.iter()
        .enumerate()
        .map(|(i, (a, day, minute, amount, desc, merchant))| {
            let account = &accounts[*a];
            let date = date("2025-01-01") + Duration::days(*day);
            let mut t = tx(
                account,
                &format!("t{i}"),
                &date.to_string(),
                "0",
                DESCRIPTIONS[*desc],
            );
            t.amount = Money::from_minor(*amount, account.currency);
            if let Some(m) = minute {
                // 1 second past midnight at least, so the value is never date-only.
                t.booked_at = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 1).unwrap())
                    + Duration::minutes(*m);
            }
            if *merchant && *desc == 0 {
                t.merchant_name = Some("Lulu Hypermarket".into());
            }
            t
        })
        .collect()
}

fn readings(anchor_minutes: &[(i64, i64)]) -> Vec<BalanceReading> {
    let accounts = accounts();
    anchor_minutes
        .iter()
        .zip(&accounts)
        .map(|((minute, amount), account)| BalanceReading {
            account_id: account.account_id.clone(),
            kind: BalanceType::InterimBooked,
            amount: Money::from_minor(*amount, account.currency),
            at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 1).unwrap() + Duration::minutes(*minute),
        })
        .collect()
}

fn spending_query(group_by: GroupBy) -> SpendingQuery {
    SpendingQuery {
        from: date("2025-01-01"),
        to: date("2025-06-01"),
        group_by,
        account_id: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn spending_total_is_the_sum_of_group_nets(raw in prop::collection::vec(raw_tx(), 0..80)) {
        let txs = build(&raw);
        for group_by in [GroupBy::Category, GroupBy::Merchant] {
            let report = spending(&accounts(), &txs, &spending_query(group_by)).unwrap();
            for period in &report.periods {
                for c in &period.currencies {
                    let nets: i64 = c.groups.iter().map(|g| g.net.minor()).sum();
                    prop_assert_eq!(c.total.minor(), nets);
                    prop_assert_eq!(c.total.minor(), c.gross.minor() - c.refunds.minor());
                    let counts: u32 = c.groups.iter().map(|g| g.count).sum();
                    prop_assert_eq!(c.count, counts);
                }
            }
        }
    }

    #[test]
    fn reordering_inputs_changes_no_report(
        raw in prop::collection::vec(raw_tx(), 0..60),
        seed in any::<u64>(),
        anchors in prop::collection::vec((0i64..150 * 1440, -5_000_000i64..5_000_000), 4),
    ) {
        let txs = build(&raw);
        let mut shuffled = txs.clone();
        // A deterministic permutation from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut accounts_rev = accounts();
        accounts_rev.reverse();
        let balances = readings(&anchors);
        let mut balances_rev = balances.clone();
        balances_rev.reverse();
        let today = date("2025-05-20");
        for group_by in [GroupBy::Category, GroupBy::Merchant] {
            let a = serde_json::to_value(spending(&accounts(), &txs, &spending_query(group_by)).unwrap()).unwrap();
            let b = serde_json::to_value(spending(&accounts_rev, &shuffled, &spending_query(group_by)).unwrap()).unwrap();
            prop_assert_eq!(a, b);
        }
        let iq = IncomeQuery { from: date("2025-01-01"), to: date("2025-06-01"), account_id: None };
        let a = serde_json::to_value(income(&accounts(), &txs, &iq, today).unwrap()).unwrap();
        let b = serde_json::to_value(income(&accounts_rev, &shuffled, &iq, today).unwrap()).unwrap();
        prop_assert_eq!(a, b);
        let a = serde_json::to_value(salary(&accounts(), &txs, today).unwrap()).unwrap();
        let b = serde_json::to_value(salary(&accounts_rev, &shuffled, today).unwrap()).unwrap();
        prop_assert_eq!(a, b);
        let bq = BalanceHistoryQuery { from: date("2024-12-20"), to: date("2025-06-01"), account_id: None, reporting_currency: None };
        let a = serde_json::to_value(balance_history(&accounts(), &txs, &balances, &bq).unwrap()).unwrap();
        let b = serde_json::to_value(balance_history(&accounts_rev, &shuffled, &balances_rev, &bq).unwrap()).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn balance_series_has_every_day_once_and_ends_at_the_anchor(
        raw in prop::collection::vec(raw_tx(), 0..80),
        anchors in prop::collection::vec((0i64..150 * 1440, -5_000_000i64..5_000_000), 4),
        from_offset in 0i64..120,
        length in 1i64..200,
    ) {
        let txs = build(&raw);
        let balances = readings(&anchors);
        let from = date("2024-12-01") + Duration::days(from_offset);
        let to = from + Duration::days(length);
        let q = BalanceHistoryQuery { from, to, account_id: None, reporting_currency: None };
        let report = balance_history(&accounts(), &txs, &balances, &q).unwrap();
        prop_assert_eq!(report.totals.len() as i64, length);
        for (history, reading) in report.accounts.iter().zip(&balances) {
            prop_assert_eq!(history.points.len() as i64, length);
            for (k, point) in history.points.iter().enumerate() {
                prop_assert_eq!(point.date, from + Duration::days(k as i64));
            }
            for pair in history.points.windows(2) {
                let adjustment = pair[1].adjustment.map_or(0, |a| a.minor());
                prop_assert_eq!(pair[1].balance.minor(), pair[0].balance.minor() + pair[1].flows.minor() + adjustment);
            }
            // EOD of the anchor's day = reading + the same-day rows booked after it (date-only
            // rows of that day are taken as already in the reading).
            let account = accounts().into_iter().find(|a| a.account_id == history.account_id).unwrap();
            let anchor_day = local_date(reading.at, account.country);
            let after: i64 = txs
                .iter()
                .filter(|t| t.account_id == account.account_id)
                .filter(|t| local_date(t.booked_at, account.country) == anchor_day)
                .filter(|t| !is_date_only(t.booked_at) && t.booked_at > reading.at)
                .map(|t| t.amount.minor())
                .sum();
            if let Some(point) = history.points.iter().find(|p| p.date == anchor_day) {
                prop_assert_eq!(point.balance.minor(), reading.amount.minor() + after);
            }
        }
    }
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[A-Za-z0-9 ./*#-]{0,40}",
        "\\PC{0,30}",
        Just("راتب شهر يناير ٢٠٢٥".to_string()),
        Just("SALARY".to_string()),
        Just("REFUND".to_string()),
    ]
}

fn any_instant() -> impl Strategy<Value = chrono::DateTime<Utc>> {
    prop_oneof![
        Just(chrono::DateTime::<Utc>::MIN_UTC),
        Just(chrono::DateTime::<Utc>::MAX_UTC),
        (0i64..400 * 86_400).prop_map(|s| Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap() + Duration::seconds(s)),
        (-4_000_000_000_000i64..4_000_000_000_000).prop_map(|s| chrono::DateTime::<Utc>::from_timestamp(s, 0).unwrap_or_default()),
    ]
}

fn any_amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(0i64),
        any::<i64>(),
        -5_000_000i64..5_000_000
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever the input, every entry point answers Ok or a typed error, never a panic.
    #[test]
    fn no_input_makes_the_engine_panic(
        rows in prop::collection::vec((0usize..5, any_instant(), any_amount(), any_text(), any::<bool>(), prop::option::of(any_text())), 0..40),
        reads in prop::collection::vec((0usize..5, any_instant(), any_amount(), 0usize..6), 0..8),
        from_offset in prop_oneof![-600i64..600, -100_000i64..100_000],
        length in prop_oneof![-10i64..800, 1i64..5000],
        today_offset in prop_oneof![-600i64..900, -100_000i64..100_000],
    ) {
        let mut accounts = accounts();
        accounts.push(account("a-cur", "EUR", AccountKind::Other, Country::Other)); // duplicate id
        let ids = ["a-cur", "b-card", "c-sar", "d-sav", "ghost"];
        let txs: Vec<Transaction> = rows
            .iter()
            .enumerate()
            .map(|(i, (a, at, amount, text, pending, merchant))| {
                let currency = if i % 7 == 0 { ccy("EUR") } else if *a >= 2 { ccy("SAR") } else { ccy("BHD") };
                Transaction {
                    account_id: ids[*a].to_string(),
                    transaction_id: format!("{}", i % 5),
                    booked_at: *at,
                    status: if *pending { crate::input::BookingStatus::Pending } else { crate::input::BookingStatus::Booked },
                    amount: Money::from_minor(*amount, currency),
                    description: text.clone(),
                    transaction_type: merchant.clone(),
                    sub_transaction_type: None,
                    category_group: merchant.clone(),
                    category_name: merchant.clone(),
                    merchant_name: merchant.clone(),
                    merchant_category_code: merchant.clone(),
                    counterparty_iban: merchant.clone(),
                }
            })
            .collect();
        let kinds = [BalanceType::InterimBooked, BalanceType::ClosingBooked, BalanceType::Expected, BalanceType::InterimAvailable, BalanceType::ClosingAvailable, BalanceType::Other];
        let balances: Vec<BalanceReading> = reads
            .iter()
            .map(|(a, at, amount, k)| BalanceReading {
                account_id: ids[*a].to_string(),
                kind: kinds[*k],
                amount: Money::from_minor(*amount, if *a >= 2 { ccy("SAR") } else { ccy("BHD") }),
                at: *at,
            })
            .collect();
        let from = date("2025-01-01") + Duration::days(from_offset);
        let to = from + Duration::days(length);
        let today = date("2025-01-01") + Duration::days(today_offset);
        for group_by in [GroupBy::Category, GroupBy::Merchant] {
            let _ = spending(&accounts, &txs, &SpendingQuery { from, to, group_by, account_id: None });
        }
        let _ = spending(&accounts, &txs, &SpendingQuery { from, to, group_by: GroupBy::Category, account_id: Some("c-sar".into()) });
        let _ = income(&accounts, &txs, &IncomeQuery { from, to, account_id: None }, today);
        let _ = salary(&accounts, &txs, today);
        let _ = balance_history(&accounts, &txs, &balances, &BalanceHistoryQuery { from, to, account_id: None, reporting_currency: None });
    }
}
