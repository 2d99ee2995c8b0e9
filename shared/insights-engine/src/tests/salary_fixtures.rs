//! Salary fixtures with hand-computed expectations.

use crate::input::{AccountKind, Country, Transaction};
use crate::recurring::{Anchor, Frequency};
use crate::salary::{ConfidenceLabel, SalaryIncomeType, SalaryStatus, salary};

use super::builders::*;

/// BHD 1,234.567 due on the 27th in Bahrain (weekend Fri–Sat), Apr 2024 – Mar 2025.
fn bahrain_salary_dates() -> Vec<&'static str> {
    vec![
        "2024-04-25", // 27th is a Saturday → Thursday 25th
        "2024-05-27",
        "2024-06-19", // Eid: paid 8 days early (27th is a Thursday)
        "2024-07-25", // Saturday → Thursday
        "2024-08-27",
        "2024-09-26", // Friday → Thursday
        "2024-10-27", // Sunday is a working day in Bahrain
        "2024-11-27",
        "2024-12-26", // Friday → Thursday
        "2025-01-27",
        "2025-02-27",
        "2025-03-27",
    ]
}

#[test]
fn bahrain_salary_on_the_27th_moved_by_weekends_and_paid_early_before_eid() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let txs: Vec<Transaction> = bahrain_salary_dates()
        .into_iter()
        .enumerate()
        .map(|(i, day)| {
            tx(
                &current,
                &format!("s{i}"),
                day,
                "1234.567",
                "SALARY CREDIT GULF TRADING W.L.L.",
            )
            .iban("BH67BMAG00001299123456")
        })
        .collect();
    let report = salary(&[current], &txs, date("2025-04-10")).unwrap();
    assert!(report.detected);
    let primary = report.primary.unwrap();
    assert_eq!(primary.cadence, Frequency::Monthly);
    // The early Eid payment and the Thursday payments do not move the anchor.
    assert_eq!(primary.anchor, Anchor::DayOfMonth { day: 27 });
    assert_eq!(primary.status, SalaryStatus::Mature);
    assert_eq!(primary.amount, money("1234.567", "BHD"));
    assert_eq!(primary.average_amount, money("1234.567", "BHD"));
    assert_eq!(primary.last_paid_date, date("2025-03-27"));
    // 2025-04-27 is a Sunday, a working day in Bahrain.
    assert_eq!(primary.next_expected_date, Some(date("2025-04-27")));
    // Offsets from the shifted due dates: eleven 0s and one −8.
    // mean = −8/12 = −0.667; variance = 64/12 − 0.444 = 4.889; σ = 2.21 → window 3 days.
    assert_eq!(primary.next_expected_window_days, 3);
    assert_eq!(primary.grace_days, 7);
    // 11 of 11 intervals matched, all amounts equal, 12 months (longevity 1), keyword
    // "SALARY" (1.0), only inflow (magnitude 1.0):
    // 0.35·1 + 0.20·1 + 0.15·1 + 0.20·1 + 0.10·1 = 1.0
    assert_eq!(primary.confidence, 1.0);
    assert_eq!(primary.confidence_label, ConfidenceLabel::High);
    assert_eq!(primary.evidence.occurrences, 12);
    assert_eq!(primary.evidence.months_covered, 12);
    assert_eq!(primary.evidence.keyword_hits, 12);
    assert_eq!(primary.evidence.share_of_inflow, 1.0);
    assert!(primary.evidence.organisation_payer);
    assert_eq!(primary.employer, "Gulf Trading");
    assert_eq!(primary.payer_key, "i:BH67BMAG00001299123456");
    assert_eq!(primary.transaction_ids.len(), 12);
    assert!(primary.amount_change.is_none());
    assert!(report.others.is_empty());
}

#[test]
fn saudi_salary_uses_the_same_friday_saturday_weekend() {
    // 2025-06-27 is a Friday: Riyadh pays Thursday the 26th; 2025-09-27 a Saturday → 25th.
    let current = account("sa", "SAR", AccountKind::Current, Country::SA);
    let days = [
        "2025-05-27",
        "2025-06-26",
        "2025-07-27",
        "2025-08-27",
        "2025-09-25",
    ];
    let txs: Vec<Transaction> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            tx(
                &current,
                &format!("s{i}"),
                d,
                "9500.00",
                "راتب وزارة التعليم",
            )
        })
        .collect();
    let report = salary(&[current], &txs, date("2025-10-05")).unwrap();
    let primary = report.primary.unwrap();
    assert_eq!(primary.anchor, Anchor::DayOfMonth { day: 27 });
    assert_eq!(primary.status, SalaryStatus::Mature);
    // 2025-10-27 is a Monday.
    assert_eq!(primary.next_expected_date, Some(date("2025-10-27")));
    assert_eq!(primary.amount, money("9500.00", "SAR"));
}

fn uae_salary(country: Country) -> (crate::input::Account, Vec<Transaction>) {
    let current = account("ae", "AED", AccountKind::Current, country);
    // Weekend Sat–Sun: Apr 27 and Jul 27 are Sundays → Friday 25th; Sep 27 a Saturday →
    // Friday 26th; Jun 27 is a Friday, a working day. August is paid 9 days late (Sep 5).
    let days = [
        "2025-01-27",
        "2025-02-27",
        "2025-03-27",
        "2025-04-25",
        "2025-05-27",
        "2025-06-27",
        "2025-07-25",
        "2025-09-05",
        "2025-09-26",
        "2025-10-27",
    ];
    let txs = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            tx(
                &current,
                &format!("s{i}"),
                d,
                "15000.00",
                "WPS SALARY ACME LLC",
            )
        })
        .collect();
    (current, txs)
}

#[test]
fn uae_salary_with_sat_sun_weekend_and_a_9_day_wps_delay_is_not_a_miss() {
    let (current, txs) = uae_salary(Country::AE);
    let report = salary(&[current], &txs, date("2025-11-20")).unwrap();
    let primary = report.primary.unwrap();
    assert_eq!(primary.anchor, Anchor::DayOfMonth { day: 27 });
    assert_eq!(primary.status, SalaryStatus::Mature);
    assert_eq!(primary.grace_days, 10);
    // 9 of 9 intervals matched: the late August payment is within the 10-day grace.
    assert_eq!(primary.evidence.cadence_fit, 1.0);
    assert_eq!(primary.evidence.missed_payments, 0);
    // 2025-11-27 is a Thursday.
    assert_eq!(primary.next_expected_date, Some(date("2025-11-27")));
}

#[test]
fn uae_salary_becomes_late_after_the_10_day_grace_but_bahrain_after_7() {
    // Nov 27 due, nothing paid. Dec 6 = due + 9: within the UAE grace, late in Bahrain.
    let (current, txs) = uae_salary(Country::AE);
    let report = salary(std::slice::from_ref(&current), &txs, date("2025-12-06")).unwrap();
    assert_eq!(
        report.primary.as_ref().unwrap().status,
        SalaryStatus::Mature
    );
    // Dec 9 = due + 12 → LATE, still detected; the next date moves to Dec 27 (a Saturday →
    // Friday Dec 26).
    let report = salary(&[current], &txs, date("2025-12-09")).unwrap();
    let primary = report.primary.unwrap();
    assert_eq!(primary.status, SalaryStatus::Late);
    assert!(report.detected);
    assert_eq!(primary.next_expected_date, Some(date("2025-12-26")));

    let (bahrain, txs) = uae_salary(Country::BH);
    let report = salary(&[bahrain], &txs, date("2025-12-06")).unwrap();
    assert_eq!(report.primary.unwrap().status, SalaryStatus::Late);
}

#[test]
fn salary_stops_after_two_missed_months() {
    let (current, txs) = uae_salary(Country::AE);
    // Nov 27 + 10 and Dec 26 + 10 both passed by 2026-01-10 → STOPPED, not detected.
    let report = salary(&[current], &txs, date("2026-01-10")).unwrap();
    assert!(!report.detected);
    let primary = report.primary.unwrap();
    assert_eq!(primary.status, SalaryStatus::Stopped);
    assert_eq!(primary.next_expected_date, None);
}

#[test]
fn payroll_keyword_groups_credits_whose_payer_text_varies() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let rows = [
        ("2025-01-27", "SALARY CREDIT FOR JAN 2025 REF 88213"),
        ("2025-02-27", "راتب شهر فبراير ٢٠٢٥"),
        ("2025-03-27", "SALARY CREDIT FOR MAR 2025 REF 90412"),
        ("2025-04-27", "راتب شهر أبريل ٢٠٢٥"),
    ];
    let txs: Vec<Transaction> = rows
        .iter()
        .enumerate()
        .map(|(i, (d, text))| tx(&current, &format!("s{i}"), d, "800.000", text))
        .collect();
    let report = salary(&[current], &txs, date("2025-05-05")).unwrap();
    assert!(report.detected);
    let primary = report.primary.unwrap();
    // Every fingerprint is a single token ("SALARY" / "راتب"): too weak as a payer key, so
    // the credits are grouped by their payroll keyword.
    assert_eq!(primary.payer_key, "salary-keyword:cur");
    assert_eq!(primary.evidence.occurrences, 4);
    assert_eq!(primary.evidence.keyword_hits, 4);
    assert_eq!(primary.status, SalaryStatus::Mature);
}

#[test]
fn two_employers_and_a_pension_give_a_primary_and_others() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let savings = account("sav", "BHD", AccountKind::Savings, Country::BH);
    let mut txs = Vec::new();
    let months = [
        "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06",
    ];
    for (i, m) in months.iter().enumerate() {
        // Main job on the 25th (a weekend 25th is not in this window's test: Jan 25 2025 is
        // a Saturday → paid Thursday 23rd).
        let main_day = if *m == "2025-01" {
            format!("{m}-23")
        } else {
            format!("{m}-25")
        };
        txs.push(
            tx(
                &current,
                &format!("a{i}"),
                &main_day,
                "2000.000",
                "SALARY BAPCO B.S.C.",
            )
            .iban("BH11AAAA0000000000000001"),
        );
        // Second job, smaller, on the 10th, into the savings account.
        txs.push(
            tx(
                &savings,
                &format!("b{i}"),
                &format!("{m}-10"),
                "400.000",
                "PAYROLL EVENING TUTORS WLL",
            )
            .iban("BH22BBBB0000000000000002"),
        );
        // Social insurance pension on the 1st.
        txs.push(
            tx(
                &current,
                &format!("p{i}"),
                &format!("{m}-01"),
                "300.000",
                "SIO PENSION PAYMENT",
            )
            .iban("BH33CCCC0000000000000003"),
        );
    }
    let report = salary(&[current, savings], &txs, date("2025-07-05")).unwrap();
    assert!(report.detected);
    let primary = report.primary.unwrap();
    assert_eq!(primary.payer_key, "i:BH11AAAA0000000000000001");
    assert_eq!(primary.amount, money("2000.000", "BHD"));
    assert_eq!(report.others.len(), 2);
    let second = report
        .others
        .iter()
        .find(|o| o.account_id == "sav")
        .unwrap();
    assert_eq!(second.amount, money("400.000", "BHD"));
    assert_eq!(second.income_type, SalaryIncomeType::Salary);
    assert_eq!(second.anchor, Anchor::DayOfMonth { day: 10 });
    let pension = report
        .others
        .iter()
        .find(|o| o.income_type == SalaryIncomeType::Pension)
        .unwrap();
    assert_eq!(pension.amount, money("300.000", "BHD"));
}

#[test]
fn a_raise_mid_year_is_reported_as_an_amount_change() {
    let current = account("cur", "SAR", AccountKind::Current, Country::SA);
    let mut txs = Vec::new();
    // 2024-07..2024-12 at 10,000.00; 2025-01..2025-06 at 12,000.00, all on the 1st or the
    // next business day.
    let days = [
        ("2024-07-01", "10000.00"),
        ("2024-08-01", "10000.00"),
        ("2024-09-01", "10000.00"),
        ("2024-10-01", "10000.00"),
        ("2024-11-03", "10000.00"),
        ("2024-12-01", "10000.00"),
        ("2025-01-01", "12000.00"),
        ("2025-02-02", "12000.00"),
        ("2025-03-02", "12000.00"),
        ("2025-04-01", "12000.00"),
        ("2025-05-01", "12000.00"),
        ("2025-06-01", "12000.00"),
    ];
    for (i, (d, a)) in days.iter().enumerate() {
        txs.push(tx(&current, &format!("s{i}"), d, a, "PAYROLL SAUDI ARAMCO"));
    }
    let report = salary(&[current], &txs, date("2025-06-15")).unwrap();
    let primary = report.primary.unwrap();
    // Median of the last three (12,000 ×3) = 12,000.00.
    assert_eq!(primary.amount, money("12000.00", "SAR"));
    let change = primary.amount_change.unwrap();
    // New level = median of the last two = 12,000; the run at that level starts in January;
    // previous = median of Oct, Nov, Dec = 10,000. 20 % > 15 % → reported.
    assert_eq!(change.new_amount, money("12000.00", "SAR"));
    assert_eq!(change.previous_amount, money("10000.00", "SAR"));
    assert_eq!(change.changed_on, date("2025-01-01"));
    // Each payment is within 15 % of its local median of three, so the step does not break
    // the stream: amount fit 1.0.
    assert_eq!(primary.evidence.amount_fit, 1.0);
    assert_eq!(primary.status, SalaryStatus::Mature);
}

#[test]
fn a_missed_month_is_a_gap_not_a_break() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    // Monthly on the 27th, Jan–Aug 2025 business days; April missing.
    let days = [
        "2025-01-27",
        "2025-02-27",
        "2025-03-27",
        "2025-05-27",
        "2025-06-26",
        "2025-07-27",
        "2025-08-27",
    ];
    let txs: Vec<Transaction> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            tx(
                &current,
                &format!("s{i}"),
                d,
                "650.500",
                "SALARY ALBA B.S.C.",
            )
        })
        .collect();
    let report = salary(&[current], &txs, date("2025-09-01")).unwrap();
    let primary = report.primary.unwrap();
    // 6 intervals, all matched (Mar→May is a 2-cycle step: matched with one miss).
    assert_eq!(primary.evidence.cadence_fit, 1.0);
    assert_eq!(primary.evidence.missed_payments, 1);
    assert_eq!(primary.status, SalaryStatus::Mature);
    // 7 cycles covered → longevity 1; confidence 1.0.
    assert_eq!(primary.evidence.months_covered, 7);
    assert_eq!(primary.confidence, 1.0);
}

#[test]
fn a_monthly_transfer_from_a_relative_is_not_a_salary() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let mut txs = Vec::new();
    for (i, m) in ["01", "02", "03", "04", "05"].iter().enumerate() {
        txs.push(
            tx(
                &current,
                &format!("f{i}"),
                &format!("2025-{m}-05"),
                "100.000",
                "TRANSFER FROM AHMED ALI",
            )
            .iban("BH44DDDD0000000000000004"),
        );
        txs.push(tx(
            &current,
            &format!("s{i}"),
            &format!("2025-{m}-27"),
            "900.000",
            "SALARY GPIC B.S.C.",
        ));
    }
    let report = salary(&[current], &txs, date("2025-06-01")).unwrap();
    assert!(report.detected);
    // No payroll word, no organisation, and 100 / 1000 of monthly inflow (< 0.5): not a salary.
    assert!(report.others.is_empty());
}
