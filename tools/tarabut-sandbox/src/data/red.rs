//! Red Bank (Saudi Arabia, SAR): a current account fed from Blue Bank (see `blue::transfers`),
//! spent on weekend trips across the causeway, and a credit card paid off monthly.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::calendar::{Month, add_days, is_weekend};
use super::catalogue::{
    AL_BAIK, CARD_PAYMENT, CAREEM, DANUBE, EATING_OUT, GROCERIES, JARIR, KUDU, Merchant, NOON,
    PANDA, SHOPPING, STC, TAMIMI, TELECOM, TRANSPORT,
};
use super::model::{AccountKind, Direction};
use super::profile::Profile;
use super::sink::{Entry, Sink};
use crate::prng::SplitMix64;

use AccountKind::{RedCard, RedCurrent};
use Direction::{Credit, Debit};

/// Day of the month on which the card's previous-month spending is paid from the current account.
pub const CARD_PAYMENT_DAY: u32 = 5;

pub fn month(p: &Profile, m: Month, sink: &mut Sink) {
    groceries(p, m, sink);
    stc(p, m, sink);
    careem(p, m, sink);
    card_purchases(p, m, sink);
}

fn rng(p: &Profile, label: &str, m: Month) -> SplitMix64 {
    SplitMix64::stream(p.seed, label, m.key())
}

fn weekend_day(rng: &mut SplitMix64, m: Month) -> NaiveDate {
    let weekend: Vec<NaiveDate> = m.dates().filter(|d| is_weekend(*d)).collect();
    if weekend.is_empty() {
        return m.first();
    }
    *rng.pick(&weekend)
}

fn groceries(p: &Profile, m: Month, sink: &mut Sink) {
    struct Shop {
        merchant: &'static Merchant,
        english: &'static str,
        arabic: &'static str,
    }
    const SHOPS: [Shop; 3] = [
        Shop {
            merchant: &PANDA,
            english: "POS PURCHASE PANDA AL KHOBAR",
            arabic: "شراء - بنده",
        },
        Shop {
            merchant: &TAMIMI,
            english: "POS PURCHASE TAMIMI MARKETS DAMMAM",
            arabic: "شراء - أسواق التميمي",
        },
        Shop {
            merchant: &DANUBE,
            english: "POS PURCHASE DANUBE AL KHOBAR",
            arabic: "شراء - الدانوب",
        },
    ];
    let mut rng = rng(p, "red-groceries", m);
    for _ in 0..rng.range(1, 2) {
        let date = weekend_day(&mut rng, m);
        let shop = rng.pick(&SHOPS);
        let amount = rng.range(4_500, 17_000);
        let text = if rng.chance(300) {
            shop.arabic
        } else {
            shop.english
        };
        sink.push(
            Entry::new(RedCurrent, date, "grocery", Debit, amount, text)
                .kind("POS", "Purchase")
                .category(&GROCERIES)
                .merchant(shop.merchant),
        );
    }
}

fn stc(p: &Profile, m: Month, sink: &mut Sink) {
    let mut rng = rng(p, "red-stc", m);
    let amount = rng.range(11_500, 19_900);
    let text = if rng.chance(300) {
        "سداد فاتورة اس تي سي".to_owned()
    } else {
        format!("STC BILL PAYMENT {}", p.stc_number)
    };
    let Some(date) = m.day(20) else { return };
    sink.push(
        Entry::new(RedCurrent, date, "stc", Debit, amount, text)
            .kind("BillPayment", "Telecom")
            .category(&TELECOM)
            .merchant(&STC),
    );
}

fn careem(p: &Profile, m: Month, sink: &mut Sink) {
    let mut rng = rng(p, "red-careem", m);
    for _ in 0..rng.range(1, 4) {
        let date = weekend_day(&mut rng, m);
        let amount = rng.range(1_400, 5_500);
        let text = if rng.chance(300) {
            "كريم - رحلة"
        } else {
            "CAREEM RIDE AL KHOBAR"
        };
        sink.push(
            Entry::new(RedCurrent, date, "careem", Debit, amount, text)
                .kind("POS", "Purchase")
                .category(&TRANSPORT)
                .merchant(&CAREEM),
        );
    }
}

/// Two to four card purchases a month; in one month of six the first is a Noon order that is
/// refunded in full 8–20 days later.
fn card_purchases(p: &Profile, m: Month, sink: &mut Sink) {
    struct Shop {
        merchant: &'static Merchant,
        text: &'static str,
        min: i64,
        max: i64,
    }
    const SHOPS: [Shop; 4] = [
        Shop {
            merchant: &NOON,
            text: "NOON.COM RIYADH",
            min: 4_900,
            max: 32_000,
        },
        Shop {
            merchant: &JARIR,
            text: "JARIR BOOKSTORE AL KHOBAR",
            min: 2_500,
            max: 21_000,
        },
        Shop {
            merchant: &AL_BAIK,
            text: "AL BAIK DAMMAM",
            min: 2_200,
            max: 9_000,
        },
        Shop {
            merchant: &KUDU,
            text: "KUDU AL KHOBAR",
            min: 2_500,
            max: 9_500,
        },
    ];
    let mut rng = rng(p, "red-card", m);
    let refund_month = m.key().rem_euclid(6) == p.card_refund_phase;
    for i in 0..rng.range(2, 4) {
        let day = rng.range(1, i64::from(m.days())) as u32;
        let shop = if i == 0 && refund_month {
            &SHOPS[0]
        } else {
            rng.pick(&SHOPS)
        };
        let amount = rng.range(shop.min, shop.max);
        let Some(date) = m.day(day) else { continue };
        let category =
            if std::ptr::eq(shop.merchant, &AL_BAIK) || std::ptr::eq(shop.merchant, &KUDU) {
                &EATING_OUT
            } else {
                &SHOPPING
            };
        sink.push(
            Entry::new(RedCard, date, "card-purchase", Debit, amount, shop.text)
                .kind("POS", "Purchase")
                .category(category)
                .merchant(shop.merchant),
        );
        if i == 0 && refund_month {
            let refund_date = add_days(date, rng.range(8, 20) as u64);
            sink.push(
                Entry::new(
                    RedCard,
                    refund_date,
                    "card-refund",
                    Credit,
                    amount,
                    format!("REFUND {}", shop.text),
                )
                .kind("POS", "Refund")
                .merchant(shop.merchant),
            );
        }
    }
}

/// Net card spending (purchases less refunds) booked in each month, by month key.
pub fn card_spend_by_month(sink: &Sink) -> HashMap<i64, i64> {
    let mut spend = HashMap::new();
    for txn in sink.txns.iter().filter(|t| t.account == RedCard) {
        *spend.entry(Month::of(txn.booking_date).key()).or_insert(0) -= txn.signed_minor();
    }
    spend
}

/// For every month in `first..=last`, pays the previous month's net card spending on the 5th
/// (both legs). Call after all purchases are generated. Returns the net spending by month.
pub fn card_payments(p: &Profile, first: Month, last: Month, sink: &mut Sink) -> HashMap<i64, i64> {
    let spend = card_spend_by_month(sink);
    let mut m = first;
    while m <= last {
        let owed = spend.get(&m.prev().key()).copied().unwrap_or(0);
        if let (Some(date), true) = (m.day(CARD_PAYMENT_DAY), owed > 0) {
            sink.push(
                Entry::new(
                    RedCurrent,
                    date,
                    "card-payment-out",
                    Debit,
                    owed,
                    format!("CREDIT CARD PAYMENT {}", p.identifier(RedCard)),
                )
                .kind("Transfer", "CardPayment")
                .category(&CARD_PAYMENT),
            );
            sink.push(
                Entry::new(
                    RedCard,
                    date,
                    "card-payment-in",
                    Credit,
                    owed,
                    "PAYMENT RECEIVED - THANK YOU",
                )
                .kind("Transfer", "CardPayment"),
            );
        }
        m = m.next();
    }
    spend
}
