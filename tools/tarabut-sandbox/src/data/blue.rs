//! Blue Bank (Bahrain, BHD): a current account and a savings account.

use super::calendar::{Month, add_days, payday_shift};
use super::catalogue::{
    AL_JAZIRA, BANK_FEES, BAPCO, BATELCO, CARIBOU, CASH, COSTA, EATING_OUT, EWA, FUEL, GROCERIES,
    GULF_AIR, LULU, Merchant, OWN_TRANSFER, RENT, SALARY, STARBUCKS, TELECOM, TRAVEL, UTILITIES,
};
use super::model::{AccountKind, Direction};
use super::profile::Profile;
use super::sink::{Entry, Sink};
use crate::money::{bhd_fils_to_sar_halalas, mul_div_round};
use crate::prng::SplitMix64;

use AccountKind::{BlueCurrent, BlueSavings, RedCurrent};
use Direction::{Credit, Debit};

/// Monthly own-account transfer to Red Bank, in fils.
pub const SAR_TRANSFER_FILS: i64 = 100_000;
/// Monthly transfer to the savings account, in fils.
pub const SAVINGS_TRANSFER_FILS: i64 = 50_000;
pub const ATM_FEE_FILS: i64 = 200;

pub fn month(p: &Profile, m: Month, sink: &mut Sink) {
    let payday = salary(p, m, sink);
    rent(p, m, sink);
    transfers(p, m, payday, sink);
    groceries(p, m, sink);
    coffee(p, m, sink);
    fuel(p, m, sink);
    bills(p, m, sink);
    cash(p, m, sink);
    savings_profit(p, m, sink);
    summer_travel(p, m, sink);
}

fn rng(p: &Profile, label: &str, m: Month) -> SplitMix64 {
    SplitMix64::stream(p.seed, label, m.key())
}

/// Salary on the 27th (the Thursday before when that is a Friday or Saturday); returns the day.
fn salary(p: &Profile, m: Month, sink: &mut Sink) -> chrono::NaiveDate {
    let payday = payday_shift(m.day(27).unwrap_or_else(|| m.first()));
    let description = format!("SALARY {} {} {}", m.short_name(), m.year, p.employer);
    sink.push(
        Entry::new(
            BlueCurrent,
            payday,
            "salary",
            Credit,
            p.salary_for(m),
            description,
        )
        .kind("Salary", "Payroll")
        .category(&SALARY),
    );
    payday
}

fn rent(p: &Profile, m: Month, sink: &mut Sink) {
    sink.push(
        Entry::new(
            BlueCurrent,
            m.first(),
            "rent",
            Debit,
            p.rent_fils,
            "STANDING ORDER RENT AL SEEF PROPERTIES",
        )
        .kind("StandingOrder", "Rent")
        .category(&RENT),
    );
}

/// The day after payday 100 BHD goes to the user's SAR account at Red Bank (booked there 0–2
/// days later at the peg cross rate); the day after that 50 BHD goes to savings. Like the real
/// enrichment, only the debit legs are categorised.
fn transfers(p: &Profile, m: Month, payday: chrono::NaiveDate, sink: &mut Sink) {
    let mut rng = rng(p, "blue-transfers", m);
    let sent = add_days(payday, 1);
    let received = add_days(sent, rng.range(0, 2) as u64);
    sink.push(
        Entry::new(
            BlueCurrent,
            sent,
            "transfer-out-sar",
            Debit,
            SAR_TRANSFER_FILS,
            format!("TRANSFER TO OWN ACCOUNT {}", p.identifier(RedCurrent)),
        )
        .kind("Transfer", "OwnAccountTransfer")
        .category(&OWN_TRANSFER),
    );
    sink.push(
        Entry::new(
            RedCurrent,
            received,
            "transfer-in-bhd",
            Credit,
            bhd_fils_to_sar_halalas(SAR_TRANSFER_FILS),
            format!(
                "TRANSFER FROM OWN ACCOUNT {} BHD 100.000",
                p.identifier(BlueCurrent)
            ),
        )
        .kind("Transfer", "OwnAccountTransfer"),
    );

    let saved = add_days(payday, 2);
    sink.push(
        Entry::new(
            BlueCurrent,
            saved,
            "transfer-out-savings",
            Debit,
            SAVINGS_TRANSFER_FILS,
            format!("TRANSFER TO SAVINGS ACCOUNT {}", p.identifier(BlueSavings)),
        )
        .kind("Transfer", "OwnAccountTransfer")
        .category(&OWN_TRANSFER),
    );
    sink.push(
        Entry::new(
            BlueSavings,
            saved,
            "transfer-in-current",
            Credit,
            SAVINGS_TRANSFER_FILS,
            format!(
                "TRANSFER FROM CURRENT ACCOUNT {}",
                p.identifier(BlueCurrent)
            ),
        )
        .kind("Transfer", "OwnAccountTransfer"),
    );
}

/// Groceries on ~2.5 days a week; in one month of four the first Lulu purchase is partly refunded
/// two to four weeks later.
fn groceries(p: &Profile, m: Month, sink: &mut Sink) {
    const LULU_BRANCHES: [&str; 4] = ["SEEF", "JUFFAIR", "RIFFA", "DANA MALL"];
    const JAZIRA_BRANCHES: [&str; 3] = ["BUDAIYA", "SAAR", "ADLIYA"];
    let mut rng = rng(p, "blue-groceries", m);
    let mut first_lulu = None;
    for date in m.dates() {
        if !rng.chance(360) {
            continue;
        }
        let is_lulu = rng.chance(600);
        let amount = mul_div_round(rng.range(4_500, 38_000), p.spend_permille, 1000);
        let arabic = rng.chance(250);
        let (merchant, description, branch) = if is_lulu {
            let branch = *rng.pick(&LULU_BRANCHES);
            let text = if arabic {
                "شراء - لولو هايبرماركت".to_owned()
            } else {
                format!("POS PURCHASE LULU HYPERMARKET {branch}")
            };
            (&LULU, text, branch)
        } else {
            let branch = *rng.pick(&JAZIRA_BRANCHES);
            let text = if arabic {
                "شراء - الجزيرة سوبرماركت".to_owned()
            } else {
                format!("POS PURCHASE AL JAZIRA SUPERMARKET {branch}")
            };
            (&AL_JAZIRA, text, branch)
        };
        if is_lulu && first_lulu.is_none() {
            first_lulu = Some((date, amount, branch));
        }
        sink.push(purchase(date, "grocery", amount, description, merchant).category(&GROCERIES));
    }

    if m.key().rem_euclid(4) != p.blue_refund_phase {
        return;
    }
    if let Some((date, amount, branch)) = first_lulu {
        let refund_date = add_days(date, rng.range(14, 28) as u64);
        let refunded = mul_div_round(amount, rng.range(300, 1000), 1000).max(1);
        sink.push(
            Entry::new(
                BlueCurrent,
                refund_date,
                "refund",
                Credit,
                refunded,
                format!("REFUND LULU HYPERMARKET {branch}"),
            )
            .kind("POS", "Refund")
            .merchant(&LULU),
        );
    }
}

fn purchase(
    date: chrono::NaiveDate,
    tag: &'static str,
    amount: i64,
    description: String,
    merchant: &'static Merchant,
) -> Entry {
    Entry::new(BlueCurrent, date, tag, Debit, amount, description)
        .kind("POS", "Purchase")
        .merchant(merchant)
}

fn coffee(p: &Profile, m: Month, sink: &mut Sink) {
    const OTHERS: [&Merchant; 3] = [&COSTA, &CARIBOU, &STARBUCKS];
    const AREAS: [&str; 4] = ["SEEF", "ADLIYA", "BAHRAIN BAY", "AMWAJ"];
    let mut rng = rng(p, "blue-coffee", m);
    for date in m.dates() {
        if !rng.chance(400) {
            continue;
        }
        let merchant = if rng.chance(700) {
            p.favourite_coffee
        } else {
            *rng.pick(&OTHERS)
        };
        let amount = rng.range(1_200, 2_900);
        let area = rng.pick(&AREAS);
        let description = format!("POS PURCHASE {} {area}", merchant.name.to_uppercase());
        sink.push(purchase(date, "coffee", amount, description, merchant).category(&EATING_OUT));
    }
}

fn fuel(p: &Profile, m: Month, sink: &mut Sink) {
    const STATIONS: [&str; 4] = ["SITRA", "ISA TOWN", "HAMAD TOWN", "MUHARRAQ"];
    let mut rng = rng(p, "blue-fuel", m);
    for date in m.dates() {
        if !rng.chance(140) {
            continue;
        }
        let amount = rng.range(3_500, 11_000);
        let description = format!("POS PURCHASE BAPCO {}", rng.pick(&STATIONS));
        sink.push(purchase(date, "fuel", amount, description, &BAPCO).category(&FUEL));
    }
}

/// EWA electricity (much higher in the summer air-conditioning months) and Batelco.
fn bills(p: &Profile, m: Month, sink: &mut Sink) {
    let mut rng = rng(p, "blue-bills", m);
    let season_permille = match m.month {
        6..=9 => 2400,
        5 | 10 => 1500,
        _ => 1000,
    };
    let ewa = mul_div_round(rng.range(12_000, 28_000), season_permille, 1000);
    if let Some(date) = m.day(12) {
        sink.push(
            Entry::new(
                BlueCurrent,
                date,
                "ewa",
                Debit,
                ewa,
                format!("EWA BILL PAYMENT {}", p.ewa_account),
            )
            .kind("BillPayment", "Utility")
            .category(&UTILITIES)
            .merchant(&EWA),
        );
    }
    let batelco = rng.range(15_500, 31_000);
    if let Some(date) = m.day(18) {
        sink.push(
            Entry::new(
                BlueCurrent,
                date,
                "batelco",
                Debit,
                batelco,
                format!("BATELCO BILL PAYMENT {}", p.batelco_number),
            )
            .kind("BillPayment", "Telecom")
            .category(&TELECOM)
            .merchant(&BATELCO),
        );
    }
}

/// One to three ATM withdrawals of 20 or 50 BHD, each with a 0.200 fee the same day.
fn cash(p: &Profile, m: Month, sink: &mut Sink) {
    const LOCATIONS: [&str; 4] = ["SEEF MALL", "CITY CENTRE BAHRAIN", "MANAMA SOUK", "JUFFAIR"];
    let mut rng = rng(p, "blue-atm", m);
    let count = rng.range(1, 3);
    for _ in 0..count {
        let day = rng.range(1, i64::from(m.days())) as u32;
        let amount = if rng.chance(500) { 20_000 } else { 50_000 };
        let location = rng.pick(&LOCATIONS);
        let Some(date) = m.day(day) else { continue };
        sink.push(
            Entry::new(
                BlueCurrent,
                date,
                "atm",
                Debit,
                amount,
                format!("ATM WITHDRAWAL {location}"),
            )
            .kind("ATM", "CashWithdrawal")
            .category(&CASH),
        );
        sink.push(
            Entry::new(BlueCurrent, date, "atm-fee", Debit, ATM_FEE_FILS, "ATM FEE")
                .kind("Fee", "ATMFee")
                .category(&BANK_FEES),
        );
    }
}

/// Quarterly profit on the savings account (Islamic banks pay profit, not interest).
fn savings_profit(p: &Profile, m: Month, sink: &mut Sink) {
    if !m.month.is_multiple_of(3) {
        return;
    }
    let mut rng = rng(p, "blue-profit", m);
    let Some(date) = m.day(m.days()) else { return };
    let amount = rng.range(1_000, 9_000);
    sink.push(
        Entry::new(
            BlueSavings,
            date,
            "profit",
            Credit,
            amount,
            format!("PROFIT CREDIT Q{} {}", m.month / 3, m.year),
        )
        .kind("Credit", "Profit"),
    );
}

/// The summer holiday: flights booked in July for 40–90 % of a month's base salary.
fn summer_travel(p: &Profile, m: Month, sink: &mut Sink) {
    if m.month != 7 {
        return;
    }
    let mut rng = rng(p, "blue-travel", m);
    let Some(date) = m.day(rng.range(1, 20) as u32) else {
        return;
    };
    let amount = mul_div_round(p.salary_base_fils, rng.range(400, 900), 1000);
    sink.push(
        purchase(
            date,
            "travel",
            amount,
            "POS PURCHASE GULF AIR ONLINE".to_owned(),
            &GULF_AIR,
        )
        .category(&TRAVEL),
    );
}
