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

/// Every piece of evidence below 1, so each weight of the confidence shows in the figure:
/// an organisation paying by IBAN without a payroll word, a bonus in March, one month paid
/// 30 % more, five months of history and cash deposits beside the salary.
fn medium_confidence_salary() -> (crate::input::Account, Vec<Transaction>) {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    // The 20th is a working day in Bahrain from January to May 2025 (Apr 20 is a Sunday).
    let credits = [
        ("s1", "2025-01-20", "1000.000"),
        ("s2", "2025-02-20", "1300.000"),
        ("b3", "2025-03-10", "200.000"),
        ("s3", "2025-03-20", "1000.000"),
        ("s4", "2025-04-20", "1000.000"),
        ("s5", "2025-05-20", "1000.000"),
    ];
    let mut txs: Vec<Transaction> = credits
        .iter()
        .map(|(id, d, a)| tx(&current, id, d, a, "ALBA B.S.C.").iban("BH71ALBA0000000000000555"))
        .collect();
    for (i, m) in ["01", "02", "03", "04", "05"].iter().enumerate() {
        txs.push(tx(
            &current,
            &format!("c{i}"),
            &format!("2025-{m}-02"),
            "400.000",
            "CASH DEPOSIT CDM SEEF",
        ));
    }
    (current, txs)
}

#[test]
fn a_medium_confidence_salary_weighs_every_piece_of_evidence() {
    let (current, txs) = medium_confidence_salary();
    let report = salary(&[current], &txs, date("2025-06-05")).unwrap();
    assert!(report.detected);
    assert!(report.others.is_empty());
    let primary = report.primary.unwrap();
    assert_eq!(primary.payer_key, "i:BH71ALBA0000000000000555");
    assert_eq!(primary.cadence, Frequency::Monthly);
    assert_eq!(primary.anchor, Anchor::DayOfMonth { day: 20 });
    // Six occurrences; the March 10 bonus is an extra in March's cycle, so 4 of the 5
    // intervals are between consecutive primary payments: cadence fit 4/5.
    assert_eq!(primary.evidence.occurrences, 6);
    assert_eq!(primary.evidence.cadence_fit, 0.8);
    // Primary amounts 1000, 1300, 1000, 1000, 1000: 1300 is 30 % off the median and its
    // local median of three (1000): amount fit 4/5.
    assert_eq!(primary.evidence.amount_fit, 0.8);
    // Score 0.65·0.8 + 0.25·0.8 + 0.10·0.95 = 0.815 ≥ 0.78 with 5 payments: MATURE.
    assert_eq!(primary.status, SalaryStatus::Mature);
    assert_eq!(primary.evidence.months_covered, 5);
    assert_eq!(primary.evidence.keyword_hits, 0);
    assert!(primary.evidence.organisation_payer);
    assert_eq!(primary.evidence.missed_payments, 0);
    // Median of the last three (1000 ×3); the mean after trimming (IQR 0: 1300 is out).
    assert_eq!(primary.amount, money("1000.000", "BHD"));
    assert_eq!(primary.average_amount, money("1000.000", "BHD"));
    assert_eq!(primary.last_amount, money("1000.000", "BHD"));
    // Monthly inflow (salary, bonus, deposits): 1400, 1700, 1600, 1400, 1400 → median 1400.
    // regularity 0.8, stability 0.8, longevity 5/6, keyword 0.5 (organisation), magnitude
    // 1000/1400: 0.35·0.8 + 0.20·0.8 + 0.15·5/6 + 0.20·0.5 + 0.10·(5/7)
    //  = 0.28 + 0.16 + 0.125 + 0.1 + 0.0714 = 0.7364
    assert_eq!(primary.confidence, 0.736);
    assert_eq!(primary.confidence_label, ConfidenceLabel::Medium);
    // (4 × 1000 + 1300 + 200) / (5500 + 5 × 400) = 5500 / 7500
    assert_eq!(primary.evidence.share_of_inflow, 0.733);
    // 2025-06-20 is a Friday: paid the Thursday before (an inflow, no weekend seen yet).
    assert_eq!(primary.next_expected_date, Some(date("2025-06-19")));
    assert_eq!(primary.next_expected_window_days, 2);
    assert!(primary.amount_change.is_none());
    assert_eq!(
        primary.transaction_ids,
        ["s1", "s2", "b3", "s3", "s4", "s5"]
    );
}

/// Three monthly payments by IBAN with a payroll word, the first one `first` BHD.
fn three_payments(first: &str) -> (crate::input::Account, Vec<Transaction>) {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let txs = [
        ("s1", "2025-01-20", first),
        ("s2", "2025-02-20", "1000.000"),
        ("s3", "2025-03-20", "1000.000"),
    ]
    .iter()
    .map(|(id, d, a)| {
        tx(&current, id, d, a, "SALARY NASS CORPORATION").iban("BH08NASS0000000000000777")
    })
    .collect();
    (current, txs)
}

#[test]
fn a_pro_rated_first_month_is_left_out_of_the_average_only() {
    let (current, txs) = three_payments("600.000");
    let report = salary(&[current], &txs, date("2025-04-05")).unwrap();
    let primary = report.primary.unwrap();
    // 600 is more than 15 % below the median (1000 − 150 = 850): the average is over the
    // two full months; the amount is the median of all three.
    assert_eq!(primary.average_amount, money("1000.000", "BHD"));
    assert_eq!(primary.amount, money("1000.000", "BHD"));
    // 600 is out of the 15 % band: amount fit 2/3, accepted as a variable amount (IBAN
    // payer, every amount within ×0.5–×2 of the median); score 0.65 + 0.25·2/3 + 0.095.
    assert_eq!(primary.evidence.amount_fit, 0.667);
    assert_eq!(primary.status, SalaryStatus::Mature);
    // 0.35·1 + 0.20·2/3 + 0.15·3/6 + 0.20·1 + 0.10·1 (inflow is the salary alone)
    //  = 0.35 + 0.1333 + 0.075 + 0.2 + 0.1 = 0.8583
    assert_eq!(primary.confidence, 0.858);
    // Only the average leaves the first month out: the last two payments agree and differ
    // from the one before by more than 15 %, so the step from 600 is reported.
    let change = primary.amount_change.unwrap();
    assert_eq!(change.new_amount, money("1000.000", "BHD"));
    assert_eq!(change.previous_amount, money("600.000", "BHD"));
    assert_eq!(change.changed_on, date("2025-02-20"));
}

#[test]
fn a_first_month_exactly_15_percent_lower_counts_in_the_average() {
    let (current, txs) = three_payments("850.000");
    let report = salary(&[current], &txs, date("2025-04-05")).unwrap();
    let primary = report.primary.unwrap();
    // 850 = 1000 − 15 %: not more than 15 % below, so kept: (850 + 1000 + 1000) / 3.
    assert_eq!(primary.average_amount, money("950.000", "BHD"));
    assert_eq!(primary.amount, money("1000.000", "BHD"));
    // Within the band: amount fit 1, and no pay change.
    assert_eq!(primary.evidence.amount_fit, 1.0);
    assert!(primary.amount_change.is_none());
    // Monthly inflow 850, 1000, 1000 → median 1000, magnitude 1:
    // 0.35 + 0.20 + 0.15·3/6 + 0.20 + 0.10 = 0.925
    assert_eq!(primary.confidence, 0.925);
}

/// `amount` BHD with a payroll word on `days`, and 400.000 BHD of cash deposited on the 2nd
/// of January, February and March 2025.
fn wages_and_deposits(days: &[&str], amount: &str) -> (crate::input::Account, Vec<Transaction>) {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let mut txs: Vec<Transaction> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            tx(
                &current,
                &format!("w{i}"),
                d,
                amount,
                "WAGES GULF CONSTRUCTION WLL",
            )
            .iban("BH19GCON0000000000000042")
        })
        .collect();
    for (i, m) in ["01", "02", "03"].iter().enumerate() {
        txs.push(tx(
            &current,
            &format!("c{i}"),
            &format!("2025-{m}-02"),
            "400.000",
            "CASH DEPOSIT",
        ));
    }
    (current, txs)
}

/// Magnitude compares the pay's monthly equivalent with the median monthly inflow; months
/// covered are calendar months for pay that is not monthly. Each case: cadence, amount and
/// keyword fits 1, three months covered (longevity 0.5), so confidence = 0.825 + 0.1·magnitude.
#[test]
fn weekly_biweekly_and_semi_monthly_pay_count_by_their_monthly_equivalent() {
    // Weekly, every Thursday from Jan 2 to Mar 27 2025: 13 × 150.000. Monthly inflow
    // Jan 5 × 150 + 400 = 1150, Feb and Mar 4 × 150 + 400 = 1000 → median 1000.
    // 150 × 52 / 12 = 650 → magnitude 0.65 → 0.825 + 0.065 = 0.89.
    let thursdays: Vec<String> = (0..13)
        .map(|k| (date("2025-01-02") + chrono::Days::new(7 * k)).to_string())
        .collect();
    let days: Vec<&str> = thursdays.iter().map(String::as_str).collect();
    let (current, txs) = wages_and_deposits(&days, "150.000");
    let primary = salary(&[current], &txs, date("2025-04-01"))
        .unwrap()
        .primary
        .unwrap();
    assert_eq!(primary.cadence, Frequency::Weekly);
    assert_eq!(primary.evidence.occurrences, 13);
    assert_eq!(primary.evidence.months_covered, 3);
    assert_eq!(primary.confidence, 0.89);

    // Biweekly, every other Thursday from Jan 2: 7 × 300.000. Monthly inflow Jan 3 × 300 +
    // 400 = 1300, Feb and Mar 2 × 300 + 400 = 1000 → median 1000.
    // 300 × 26 / 12 = 650 → magnitude 0.65 → 0.89.
    let days = [
        "2025-01-02",
        "2025-01-16",
        "2025-01-30",
        "2025-02-13",
        "2025-02-27",
        "2025-03-13",
        "2025-03-27",
    ];
    let (current, txs) = wages_and_deposits(&days, "300.000");
    let primary = salary(&[current], &txs, date("2025-04-01"))
        .unwrap()
        .primary
        .unwrap();
    assert_eq!(primary.cadence, Frequency::Biweekly);
    assert_eq!(primary.evidence.months_covered, 3);
    assert_eq!(primary.confidence, 0.89);

    // Semi-monthly on the 12th and the 26th (working days in Bahrain): 6 × 250.000.
    // Monthly inflow 2 × 250 + 400 = 900; 250 × 2 = 500 → magnitude 5/9
    // → 0.825 + 0.0556 = 0.8806.
    let days = [
        "2025-01-12",
        "2025-01-26",
        "2025-02-12",
        "2025-02-26",
        "2025-03-12",
        "2025-03-26",
    ];
    let (current, txs) = wages_and_deposits(&days, "250.000");
    let primary = salary(&[current], &txs, date("2025-04-01"))
        .unwrap()
        .primary
        .unwrap();
    assert_eq!(primary.cadence, Frequency::SemiMonthly);
    assert_eq!(primary.evidence.months_covered, 3);
    assert_eq!(primary.confidence, 0.881);
}

/// Credits below the currency's salary floor are not salaries however regular: 50 BHD,
/// 500 SAR/AED/QAR, 130 USD/EUR/GBP/CHF (major units). At the floor they are.
#[test]
fn salary_floors_per_currency_are_inclusive() {
    let cases = [
        ("BHD", Country::BH, "49.999", "50.000"),
        ("SAR", Country::SA, "499.99", "500.00"),
        ("USD", Country::AE, "129.99", "130.00"),
    ];
    for (code, country, below, at) in cases {
        for (amount, detected) in [(below, false), (at, true)] {
            let current = account("cur", code, AccountKind::Current, country);
            // The 20th of January to March 2025 (Mon, Thu, Thu): a working day everywhere.
            // The salary is the only inflow, and 5 % of it is below every floor.
            let txs: Vec<Transaction> = ["2025-01-20", "2025-02-20", "2025-03-20"]
                .iter()
                .enumerate()
                .map(|(i, d)| tx(&current, &format!("s{i}"), d, amount, "SALARY ACME TRADING"))
                .collect();
            let report = salary(&[current], &txs, date("2025-04-05")).unwrap();
            assert_eq!(report.detected, detected, "{amount} {code}");
        }
    }
}

/// The primary is the salary with the highest confidence × amount (in USD), not the largest
/// amount nor the highest confidence; the others follow in the same order.
#[test]
fn the_primary_salary_has_the_highest_confidence_times_amount() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let mut txs = Vec::new();
    let months = ["01", "02", "03", "04", "05", "06"];
    for (i, m) in months.iter().enumerate() {
        // A: 1000.000 with a payroll word on the 20th (Jun 20 is a Friday: paid Thursday).
        let day = if *m == "06" { "19" } else { "20" };
        txs.push(
            tx(
                &current,
                &format!("a{i}"),
                &format!("2025-{m}-{day}"),
                "1000.000",
                "SALARY ALBA",
            )
            .iban("BH10AAAA0000000000000001"),
        );
        // C: 300.000 with a payroll word on the 27th (Jun 27 is a Friday too).
        let day = if *m == "06" { "26" } else { "27" };
        txs.push(
            tx(
                &current,
                &format!("c{i}"),
                &format!("2025-{m}-{day}"),
                "300.000",
                "PAYROLL TUTORS",
            )
            .iban("BH30CCCC0000000000000003"),
        );
        // B: 1200.000 from an organisation, no payroll word, since April, on the 8th.
        if i >= 3 {
            txs.push(
                tx(
                    &current,
                    &format!("b{i}"),
                    &format!("2025-{m}-08"),
                    "1200.000",
                    "BATELCO B.S.C.",
                )
                .iban("BH20BBBB0000000000000002"),
            );
        }
    }
    let report = salary(&[current], &txs, date("2025-07-05")).unwrap();
    // Monthly inflow 1300 (Jan–Mar), 2500 (Apr–Jun) → median 1900. Cadence and amount fits
    // are 1 for all three.
    // A: 0.35 + 0.20 + 0.15 + 0.20 + 0.10·1000/1900 = 0.9526 → × 1000 = 952.6
    // B: 0.35 + 0.20 + 0.15·3/6 + 0.20·0.5 + 0.10·1200/1900 = 0.7882 → × 1200 = 945.8
    // C: 0.35 + 0.20 + 0.15 + 0.20 + 0.10·300/1900 = 0.9158 → × 300 = 274.7
    let primary = report.primary.unwrap();
    assert_eq!(
        (primary.payer_key.as_str(), primary.confidence),
        ("i:BH10AAAA0000000000000001", 0.953)
    );
    let others: Vec<(&str, f64)> = report
        .others
        .iter()
        .map(|o| (o.payer_key.as_str(), o.confidence))
        .collect();
    assert_eq!(
        others,
        vec![
            ("i:BH20BBBB0000000000000002", 0.788),
            ("i:BH30CCCC0000000000000003", 0.916)
        ]
    );
}

/// A pension larger than the salary: the salary is the primary while it is paid; once it has
/// stopped, the pension is the primary and the stopped salary is kept among the others.
#[test]
fn a_pension_is_the_primary_only_when_no_salary_is_current() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let mut txs = Vec::new();
    // Salary on the 20th, January to May 2025 (all working days), then nothing.
    for (i, m) in ["01", "02", "03", "04", "05"].iter().enumerate() {
        txs.push(
            tx(
                &current,
                &format!("s{i}"),
                &format!("2025-{m}-20"),
                "1500.000",
                "SALARY GPIC",
            )
            .iban("BH40SSSS0000000000000004"),
        );
    }
    // Pension on the 6th, January to July (Jun 6 is a Friday: paid Thursday the 5th).
    for (i, d) in [
        "2025-01-06",
        "2025-02-06",
        "2025-03-06",
        "2025-04-06",
        "2025-05-06",
        "2025-06-05",
        "2025-07-06",
    ]
    .iter()
    .enumerate()
    {
        txs.push(
            tx(&current, &format!("p{i}"), d, "2000.000", "GOSI PENSION")
                .iban("BH50PPPP0000000000000005"),
        );
    }
    let pension_key = "i:BH50PPPP0000000000000005";
    let salary_key = "i:BH40SSSS0000000000000004";

    // June 1: both current. The pension ranks first (same evidence, larger amount) but the
    // salary is the primary.
    let report = salary(std::slice::from_ref(&current), &txs, date("2025-06-01")).unwrap();
    assert!(report.detected);
    let primary = report.primary.unwrap();
    assert_eq!(
        (primary.payer_key.as_str(), primary.income_type),
        (salary_key, SalaryIncomeType::Salary)
    );
    let others: Vec<_> = report
        .others
        .iter()
        .map(|o| (o.payer_key.as_str(), o.income_type, o.status))
        .collect();
    assert_eq!(
        others,
        vec![(pension_key, SalaryIncomeType::Pension, SalaryStatus::Mature)]
    );

    // July 31: the June 20 and July 20 salaries are more than 7 days overdue (STOPPED); the
    // pension is the current income.
    let report = salary(&[current], &txs, date("2025-07-31")).unwrap();
    assert!(report.detected);
    let primary = report.primary.unwrap();
    assert_eq!(
        (primary.payer_key.as_str(), primary.status),
        (pension_key, SalaryStatus::Mature)
    );
    let others: Vec<_> = report
        .others
        .iter()
        .map(|o| (o.payer_key.as_str(), o.status))
        .collect();
    assert_eq!(others, vec![(salary_key, SalaryStatus::Stopped)]);
}

/// Basic pay and an allowance credited the same day by the same payer are one payment.
#[test]
fn basic_pay_and_an_allowance_on_the_same_day_are_one_salary_payment() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let mut txs = Vec::new();
    for (i, m) in ["01", "02", "03"].iter().enumerate() {
        let day = format!("2025-{m}-20");
        txs.push(
            tx(&current, &format!("b{i}"), &day, "800.000", "SALARY BASIC")
                .iban("BH60EEEE0000000000000006"),
        );
        txs.push(
            tx(
                &current,
                &format!("h{i}"),
                &day,
                "200.000",
                "SALARY HOUSING",
            )
            .iban("BH60EEEE0000000000000006"),
        );
    }
    let report = salary(&[current], &txs, date("2025-04-05")).unwrap();
    let primary = report.primary.unwrap();
    assert_eq!(primary.evidence.occurrences, 3);
    assert_eq!(primary.amount, money("1000.000", "BHD"));
    assert_eq!(primary.last_amount, money("1000.000", "BHD"));
    assert_eq!(primary.evidence.cadence_fit, 1.0);
    // Same-day rows in canonical order: the smaller amount first.
    assert_eq!(
        primary.transaction_ids,
        ["h0", "b0", "h1", "b1", "h2", "b2"]
    );
}

/// A credit is a salary candidate only from 5 % of the median monthly inflow (when that is
/// above the currency's floor): a 2000 BHD salary and a monthly allowance `a` from another
/// payer give a median inflow of 2000 + a, so the allowance counts from a ≥ 100 + a/20.
#[test]
fn a_credit_below_5_percent_of_the_monthly_inflow_is_not_a_salary() {
    for (allowance, counted) in [("105.000", false), ("106.000", true)] {
        let current = account("cur", "BHD", AccountKind::Current, Country::BH);
        let mut txs = Vec::new();
        for (i, m) in ["01", "02", "03"].iter().enumerate() {
            let day = format!("2025-{m}-20");
            txs.push(
                tx(&current, &format!("s{i}"), &day, "2000.000", "SALARY ALBA")
                    .iban("BH70SSSS0000000000000007"),
            );
            txs.push(
                tx(
                    &current,
                    &format!("a{i}"),
                    &day,
                    allowance,
                    "SALARY TRANSPORT ALLOWANCE",
                )
                .iban("BH80AAAA0000000000000008"),
            );
        }
        // 105.000 < 2105.000 / 20 = 105.250; 106.000 ≥ 2106.000 / 20 = 105.300.
        let report = salary(&[current], &txs, date("2025-04-05")).unwrap();
        assert_eq!(
            report.primary.unwrap().payer_key,
            "i:BH70SSSS0000000000000007"
        );
        let others: Vec<_> = report.others.iter().map(|o| o.payer_key.as_str()).collect();
        let expected: Vec<&str> = if counted {
            vec!["i:BH80AAAA0000000000000008"]
        } else {
            vec![]
        };
        assert_eq!(others, expected, "allowance {allowance}");
    }
}

/// Without a payroll word or an organisation as payer, a stream is a salary only when it is
/// monthly and at least half the median monthly inflow: the same money from a person weekly
/// is not.
#[test]
fn a_dominant_monthly_credit_from_a_person_is_a_salary_but_not_a_weekly_one() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let monthly: Vec<Transaction> = ["2025-01-20", "2025-02-20", "2025-03-20"]
        .iter()
        .enumerate()
        .map(|(i, d)| {
            tx(&current, &format!("m{i}"), d, "1000.000", "AHMED ALI")
                .iban("BH90PPPP0000000000000009")
        })
        .collect();
    let report = salary(std::slice::from_ref(&current), &monthly, date("2025-04-05")).unwrap();
    assert!(report.detected);
    let primary = report.primary.unwrap();
    assert_eq!(primary.payer_key, "i:BH90PPPP0000000000000009");
    assert_eq!(primary.evidence.keyword_hits, 0);
    assert!(!primary.evidence.organisation_payer);
    // 0.35 + 0.20 + 0.15·3/6 + 0.20·0 + 0.10·1 = 0.725
    assert_eq!(primary.confidence, 0.725);

    // Every Thursday from Jan 2 to Mar 27 2025, 250.000: the only inflow (monthly
    // equivalent 250 × 52 / 12 ≈ 1083 ≥ half of it) but weekly.
    let weekly: Vec<Transaction> = (0..13)
        .map(|k| {
            let d = (date("2025-01-02") + chrono::Days::new(7 * k)).to_string();
            tx(&current, &format!("w{k}"), &d, "250.000", "AHMED ALI")
                .iban("BH90PPPP0000000000000009")
        })
        .collect();
    let report = salary(&[current], &weekly, date("2025-04-01")).unwrap();
    assert!(!report.detected);
    assert_eq!(report.primary, None);
}

/// The employer is named from the stream's most frequent label (payroll words removed), not
/// its first: here the employer was renamed after January.
#[test]
fn the_employer_is_the_most_frequent_label_of_a_renamed_payer() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let mut txs = vec![
        // Another row first in the ledger.
        tx(&current, "x0", "2025-01-02", "-12.500", "LULU HYPERMARKET").kind("POS"),
    ];
    for (i, (d, text)) in [
        ("2025-01-20", "SALARY GULF AVIATION"),
        ("2025-02-20", "SALARY GULF AIR"),
        ("2025-03-20", "SALARY GULF AIR"),
        ("2025-04-20", "SALARY GULF AIR"),
    ]
    .iter()
    .enumerate()
    {
        txs.push(
            tx(&current, &format!("s{i}"), d, "900.000", text).iban("BH11GFAA0000000000000011"),
        );
    }
    let report = salary(&[current], &txs, date("2025-05-05")).unwrap();
    let primary = report.primary.unwrap();
    assert_eq!(primary.payer_key, "i:BH11GFAA0000000000000011");
    assert_eq!(primary.employer, "Gulf Air");
}

/// A raise two payments ago, after five months at the old level: the new level is the last
/// two payments, the previous one the three before them.
#[test]
fn a_raise_seen_in_the_last_two_payments_is_an_amount_change() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let txs: Vec<Transaction> = [
        ("2025-01-20", "800.000"),
        ("2025-02-20", "800.000"),
        ("2025-03-20", "800.000"),
        ("2025-04-20", "800.000"),
        ("2025-05-20", "800.000"),
        // Jun 20 is a Friday: paid Thursday.
        ("2025-06-19", "1000.000"),
        ("2025-07-20", "1000.000"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (d, a))| {
        tx(&current, &format!("s{i}"), d, a, "SALARY BATELCO").iban("BH12BTLC0000000000000012")
    })
    .collect();
    let report = salary(&[current], &txs, date("2025-08-05")).unwrap();
    let primary = report.primary.unwrap();
    // Median of the last three: 800, 1000, 1000.
    assert_eq!(primary.amount, money("1000.000", "BHD"));
    // 1000 is 25 % off the overall median (800) but within 15 % of its local median of
    // three (800, 1000, 1000 → 1000): amount fit 1.
    assert_eq!(primary.evidence.amount_fit, 1.0);
    let change = primary.amount_change.unwrap();
    assert_eq!(change.new_amount, money("1000.000", "BHD"));
    assert_eq!(change.previous_amount, money("800.000", "BHD"));
    assert_eq!(change.changed_on, date("2025-06-19"));
}

/// The search window is the 12 full months before the current one plus the current month
/// up to today, inclusive: older payments and later ones are not read.
#[test]
fn the_salary_window_is_twelve_full_months_and_the_current_month_to_today() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    // The 20th, or the Thursday before when it falls on a Friday or Saturday.
    let days = [
        "2024-01-18",
        "2024-02-20",
        "2024-03-20",
        "2024-04-18",
        "2024-05-20",
        "2024-06-20",
        "2024-07-18",
        "2024-08-20",
        "2024-09-19",
        "2024-10-20",
        "2024-11-20",
        "2024-12-19",
        "2025-01-20",
        "2025-02-20",
        "2025-03-20",
        "2025-04-20",
        "2025-05-20",
    ];
    let txs: Vec<Transaction> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            tx(&current, &format!("s{i}"), d, "1000.000", "SALARY ALBA")
                .iban("BH13ALBA0000000000000013")
        })
        .collect();
    // As of 2025-04-20, paid that day: the window is 2024-04-01 ..= 2025-04-20.
    let report = salary(&[current], &txs, date("2025-04-20")).unwrap();
    let primary = report.primary.unwrap();
    assert_eq!(primary.first_paid_date, date("2024-04-18"));
    assert_eq!(primary.last_paid_date, date("2025-04-20"));
    assert_eq!(primary.evidence.occurrences, 13);
    assert_eq!(primary.transaction_ids.first().unwrap(), "s3");
    assert_eq!(primary.transaction_ids.last().unwrap(), "s15");
}

/// The ranking converts to USD through the Gulf pegs; a currency without a peg (EUR) is
/// ranked by its amount in major units.
#[test]
fn a_salary_in_an_unpegged_currency_ranks_by_its_major_amount() {
    for (eur_amount, primary_currency) in [("2000.00", "BHD"), ("3000.00", "EUR")] {
        let bhd = account("bhd", "BHD", AccountKind::Current, Country::BH);
        let eur = account("eur", "EUR", AccountKind::Current, Country::Other);
        let mut txs = Vec::new();
        // The 20th of January to March 2025 (Mon, Thu, Thu), a payroll word, each the only
        // inflow of its currency: the same confidence for both.
        for (i, m) in ["01", "02", "03"].iter().enumerate() {
            let day = format!("2025-{m}-20");
            txs.push(tx(&bhd, &format!("b{i}"), &day, "1000.000", "SALARY ALBA"));
            txs.push(tx(
                &eur,
                &format!("e{i}"),
                &day,
                eur_amount,
                "SALARY SIEMENS",
            ));
        }
        let report = salary(&[bhd, eur], &txs, date("2025-04-05")).unwrap();
        // 1000.000 BHD = 1000 / 0.376 = 2659.57 USD; EUR 2000.00 counts as 2000, 3000.00 as
        // 3000.
        let primary = report.primary.unwrap();
        assert_eq!(
            primary.amount.currency().code(),
            primary_currency,
            "EUR {eur_amount}"
        );
        assert_eq!(report.others.len(), 1);
        assert_eq!(primary.confidence, report.others[0].confidence);
    }
}

/// The variable-amount rule needs a payer known by IBAN or merchant (key quality ≥ 0.95):
/// the pro-rated salary above, keyed on its description (3 tokens, quality 0.85), fits only
/// 2 of 3 amounts and is not a stream.
#[test]
fn a_variable_amount_needs_a_payer_known_by_iban() {
    let (current, txs) = three_payments("600.000");
    let txs: Vec<Transaction> = txs
        .into_iter()
        .map(|mut t| {
            t.counterparty_iban = None;
            t
        })
        .collect();
    let report = salary(&[current], &txs, date("2025-04-05")).unwrap();
    assert!(!report.detected);
    assert_eq!(report.primary, None);
}

/// A new job: two monthly payments make an early detection, already a salary.
#[test]
fn two_payments_of_a_new_salary_are_an_early_detection() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let txs: Vec<Transaction> = ["2025-01-20", "2025-02-20"]
        .iter()
        .enumerate()
        .map(|(i, d)| {
            tx(&current, &format!("s{i}"), d, "1000.000", "SALARY ALBA")
                .iban("BH14ALBA0000000000000014")
        })
        .collect();
    let report = salary(&[current], &txs, date("2025-03-05")).unwrap();
    assert!(report.detected);
    let primary = report.primary.unwrap();
    // Fewer than the 3 monthly payments a MATURE stream needs.
    assert_eq!(primary.status, SalaryStatus::EarlyDetection);
    assert_eq!(primary.evidence.months_covered, 2);
    // 0.35 + 0.20 + 0.15·2/6 + 0.20 + 0.10 = 0.9
    assert_eq!(primary.confidence, 0.9);
    // 2025-03-20 is a Thursday.
    assert_eq!(primary.next_expected_date, Some(date("2025-03-20")));
}

/// A zero-amount row (a card check) is no inflow: months holding only such rows do not pull
/// the median monthly inflow down.
#[test]
fn zero_amount_rows_are_not_months_of_inflow() {
    let current = account("cur", "BHD", AccountKind::Current, Country::BH);
    let mut txs = Vec::new();
    for (i, m) in ["01", "02", "03"].iter().enumerate() {
        txs.push(
            tx(
                &current,
                &format!("s{i}"),
                &format!("2025-{m}-20"),
                "1000.000",
                "SALARY ALBA",
            )
            .iban("BH15ALBA0000000000000015"),
        );
        txs.push(tx(
            &current,
            &format!("c{i}"),
            &format!("2025-{m}-02"),
            "400.000",
            "CASH DEPOSIT",
        ));
    }
    for (i, d) in ["2024-10-08", "2024-11-08", "2024-12-08"]
        .iter()
        .enumerate()
    {
        txs.push(tx(
            &current,
            &format!("z{i}"),
            d,
            "0.000",
            "CARD VERIFICATION",
        ));
    }
    let report = salary(&[current], &txs, date("2025-04-05")).unwrap();
    let primary = report.primary.unwrap();
    // Monthly inflow 1400 ×3 (not 0 ×3 and 1400 ×3): magnitude 1000/1400.
    // 0.35 + 0.20 + 0.15·3/6 + 0.20 + 0.10·5/7 = 0.8964
    assert_eq!(primary.confidence, 0.896);
}
