//! Invariants of the generated data.

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::blue::{ATM_FEE_FILS, SAR_TRANSFER_FILS, SAVINGS_TRANSFER_FILS};
use super::build;
use super::model::{AccountKind, Direction, Universe};
use crate::money::bhd_fils_to_sar_halalas;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn account(u: &Universe, kind: AccountKind) -> &super::model::Account {
    u.accounts.iter().find(|a| a.kind == kind).unwrap()
}

#[test]
fn same_user_same_data() {
    let a = build("determinism", date(2025, 6, 30));
    let b = build("determinism", date(2025, 6, 30));
    for (x, y) in a.accounts.iter().zip(&b.accounts) {
        assert_eq!(x.id, y.id);
        assert_eq!(x.booked_minor, y.booked_minor);
        let xs: Vec<_> = x
            .transactions
            .iter()
            .map(|t| (&t.id, t.amount_minor))
            .collect();
        let ys: Vec<_> = y
            .transactions
            .iter()
            .map(|t| (&t.id, t.amount_minor))
            .collect();
        assert_eq!(xs, ys);
    }
    let other = build("someone-else", date(2025, 6, 30));
    assert_ne!(a.accounts[0].id, other.accounts[0].id);
}

#[test]
fn window_is_a_year_ending_today_and_ids_are_unique() {
    let today = date(2025, 6, 30);
    let u = build("window", today);
    let mut ids = HashSet::new();
    for a in &u.accounts {
        assert!(
            !a.transactions.is_empty(),
            "{:?} has no transactions",
            a.kind
        );
        for t in &a.transactions {
            assert!(t.booking_date <= today && t.booking_date >= u.window_start);
            assert!(t.amount_minor > 0);
            assert!(ids.insert(t.id.clone()), "duplicate id {}", t.id);
        }
        // Newest first, ties by id.
        for pair in a.transactions.windows(2) {
            let ordered = pair[0].booking_date > pair[1].booking_date
                || (pair[0].booking_date == pair[1].booking_date && pair[0].id < pair[1].id);
            assert!(ordered);
        }
    }
    assert_eq!(u.window_start, date(2024, 7, 1));
}

#[test]
fn moving_today_keeps_history_and_carries_balances() {
    let early = build("carry", date(2025, 3, 10));
    let later = build("carry", date(2025, 4, 20));
    for (a, b) in early.accounts.iter().zip(&later.accounts) {
        let common_from = later.window_start;
        let old: Vec<_> = a
            .transactions
            .iter()
            .filter(|t| t.booking_date >= common_from)
            .map(|t| (t.id.clone(), t.amount_minor, t.description.clone()))
            .collect();
        let new: Vec<_> = b
            .transactions
            .iter()
            .filter(|t| t.booking_date <= early.today)
            .map(|t| (t.id.clone(), t.amount_minor, t.description.clone()))
            .collect();
        assert_eq!(old, new, "{:?}", a.kind);
        let added: i64 = b
            .transactions
            .iter()
            .filter(|t| t.booking_date > early.today)
            .map(|t| t.signed_minor())
            .sum();
        assert_eq!(a.booked_minor + added, b.booked_minor, "{:?}", a.kind);
    }
}

#[test]
fn current_and_savings_accounts_never_go_negative() {
    for n in 0..60 {
        let user = format!("user-{n}");
        for today in [date(2024, 12, 31), date(2025, 6, 30), date(2026, 12, 31)] {
            let u = build(&user, today);
            for a in u.accounts.iter().filter(|a| a.kind != AccountKind::RedCard) {
                let mut balance = a.opening_minor;
                assert!(balance >= 0, "{user} {:?} opens at {balance}", a.kind);
                for t in a.transactions.iter().rev() {
                    balance += t.signed_minor();
                    assert!(
                        balance >= 0,
                        "{user} {:?} at {} is {balance}",
                        a.kind,
                        t.booking_date
                    );
                }
                assert_eq!(balance, a.booked_minor);
            }
        }
    }
}

#[test]
fn salary_is_on_the_27th_or_the_thursday_before() {
    let u = build("payday", date(2025, 12, 31));
    let salaries: Vec<_> = account(&u, AccountKind::BlueCurrent)
        .transactions
        .iter()
        .filter(|t| t.txn_type == "Salary")
        .collect();
    assert_eq!(salaries.len(), 12);
    let mut shifted = 0;
    for s in &salaries {
        let d = s.booking_date;
        assert!(!matches!(d.weekday(), Weekday::Fri | Weekday::Sat));
        if d.day() != 27 {
            shifted += 1;
            assert_eq!(d.weekday(), Weekday::Thu);
            assert!(d.day() == 25 || d.day() == 26);
        }
        assert!(s.description.starts_with("SALARY "));
        assert_eq!(s.direction, Direction::Credit);
    }
    // In 2025, June's and September's 27th fall on Friday and Saturday.
    assert!(shifted >= 2);
    let amounts: HashSet<_> = salaries.iter().map(|s| s.amount_minor).collect();
    assert_eq!(amounts.len(), 2, "one raise within a calendar year");
}

#[test]
fn own_transfers_have_both_legs() {
    let u = build("transfers", date(2025, 6, 30));
    let blue = account(&u, AccountKind::BlueCurrent);
    let red = account(&u, AccountKind::RedCurrent);
    let savings = account(&u, AccountKind::BlueSavings);
    let outs: Vec<_> = blue
        .transactions
        .iter()
        .filter(|t| t.description.starts_with("TRANSFER TO OWN ACCOUNT SA"))
        .collect();
    assert!(outs.len() >= 11);
    for out in outs {
        assert_eq!(out.amount_minor, SAR_TRANSFER_FILS);
        let leg = red.transactions.iter().find(|t| {
            t.direction == Direction::Credit
                && t.description.starts_with("TRANSFER FROM OWN ACCOUNT BH")
                && t.booking_date >= out.booking_date
                && t.booking_date <= out.booking_date + Days::new(2)
        });
        if out.booking_date + Days::new(2) <= u.today {
            let leg = leg.expect("incoming SAR leg");
            assert_eq!(leg.amount_minor, bhd_fils_to_sar_halalas(SAR_TRANSFER_FILS));
            assert_eq!(leg.amount_minor, 99_734);
        }
    }
    let to_savings = blue
        .transactions
        .iter()
        .filter(|t| t.description.starts_with("TRANSFER TO SAVINGS"))
        .count();
    let into_savings = savings
        .transactions
        .iter()
        .filter(|t| t.description.starts_with("TRANSFER FROM CURRENT"))
        .count();
    assert_eq!(to_savings, into_savings);
    assert!(savings.transactions.iter().all(|t| t.txn_type != "Salary"));
    assert!(
        savings
            .transactions
            .iter()
            .filter(|t| t.description.starts_with("TRANSFER FROM CURRENT"))
            .all(|t| t.amount_minor == SAVINGS_TRANSFER_FILS)
    );
}

#[test]
fn every_atm_withdrawal_has_a_fee_the_same_day() {
    let u = build("cash", date(2025, 6, 30));
    let blue = account(&u, AccountKind::BlueCurrent);
    let withdrawals: Vec<_> = blue
        .transactions
        .iter()
        .filter(|t| t.txn_type == "ATM")
        .collect();
    assert!(!withdrawals.is_empty());
    for w in &withdrawals {
        assert!(w.amount_minor == 20_000 || w.amount_minor == 50_000);
        let fees_that_day = blue
            .transactions
            .iter()
            .filter(|t| t.description == "ATM FEE" && t.booking_date == w.booking_date)
            .count();
        let withdrawals_that_day = withdrawals
            .iter()
            .filter(|x| x.booking_date == w.booking_date)
            .count();
        assert_eq!(fees_that_day, withdrawals_that_day);
    }
    assert!(
        blue.transactions
            .iter()
            .filter(|t| t.description == "ATM FEE")
            .all(|t| t.amount_minor == ATM_FEE_FILS)
    );
}

#[test]
fn refunds_follow_a_purchase_at_the_same_merchant() {
    let u = build("refunds", date(2025, 6, 30));
    for kind in [AccountKind::BlueCurrent, AccountKind::RedCard] {
        let a = account(&u, kind);
        let refunds: Vec<_> = a
            .transactions
            .iter()
            .filter(|t| t.sub_type == "Refund")
            .collect();
        assert!(!refunds.is_empty(), "{kind:?} has no refund");
        for r in refunds {
            let merchant = r.merchant.unwrap().name;
            let earlier = a.transactions.iter().any(|t| {
                t.sub_type == "Purchase"
                    && t.merchant.map(|m| m.name) == Some(merchant)
                    && t.booking_date < r.booking_date
                    && t.amount_minor >= r.amount_minor
            });
            // The purchase may predate the window; only check when it cannot.
            if r.booking_date >= u.window_start + Days::new(31) {
                assert!(earlier, "refund {} without purchase", r.description);
            }
        }
    }
}

#[test]
fn card_is_paid_from_the_current_account() {
    let u = build("card", date(2025, 6, 30));
    let card = account(&u, AccountKind::RedCard);
    let current = account(&u, AccountKind::RedCurrent);
    let payments_in: Vec<_> = card
        .transactions
        .iter()
        .filter(|t| t.sub_type == "CardPayment")
        .collect();
    assert!(payments_in.len() >= 11);
    for p in payments_in {
        assert!(
            current
                .transactions
                .iter()
                .any(|t| t.sub_type == "CardPayment"
                    && t.direction == Direction::Debit
                    && t.booking_date == p.booking_date
                    && t.amount_minor == p.amount_minor)
        );
    }
    assert!(current.transactions.iter().any(|t| {
        t.description
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
    }));
}
