//! Spending fixtures with hand-computed expectations.

use crate::input::{Account, AccountKind, Country, Transaction};
use crate::spending::{CurrencySpending, GroupBy, SpendingQuery, spending};

use super::builders::*;

struct Fixture {
    accounts: Vec<Account>,
    txs: Vec<Transaction>,
}

fn fixture() -> Fixture {
    let cur = with_iban(
        account("cur", "BHD", AccountKind::Current, Country::BH),
        "BH11CURR0000000000000001",
    );
    let sav = account("sav", "BHD", AccountKind::Savings, Country::BH);
    let card = account("card", "BHD", AccountKind::CreditCard, Country::BH);
    let sar = account("sar", "SAR", AccountKind::Current, Country::SA);
    let txs = vec![
        tx(
            &cur,
            "c1",
            "2025-01-03",
            "-12.750",
            "POS LULU HYPERMARKET MANAMA 4521XXXX1234",
        )
        .kind("POS"),
        tx(
            &card,
            "c2",
            "2025-01-05",
            "-45.500",
            "JARIR BOOKSTORE 00231",
        )
        .merchant("Jarir Bookstore")
        .mcc("5942"),
        tx(
            &cur,
            "c3",
            "2025-01-08",
            "-20.000",
            "ATM WITHDRAWAL SEEF MALL",
        )
        .kind("ATM"),
        tx(&cur, "c4", "2025-01-08", "-0.300", "ATM FEE").kind("Fee"),
        // 100.000 BHD → SAR: 100 / 0.376 × 3.75 = 997.34 SAR; 990.00 arrives two days later
        // (ratio 0.9926, inside [0.95, 1.05]).
        tx(&cur, "c5", "2025-01-10", "-100.000", "OUTWARD TRANSFER").kind("Transfer"),
        tx(&sar, "s1", "2025-01-12", "990.00", "INWARD TRANSFER").kind("Transfer"),
        tx(&cur, "c6", "2025-01-15", "-300.000", "CREDIT CARD PAYMENT"),
        tx(
            &card,
            "c7",
            "2025-01-15",
            "300.000",
            "PAYMENT RECEIVED THANK YOU",
        ),
        tx(&cur, "c8", "2025-01-20", "-1.275", "شراء بطاقة مدى بنده"),
        tx(&cur, "c9", "2025-01-21", "-3.450", "مطعم البيك"),
        tx(&cur, "c10", "2025-01-25", "-18.600", "EWA BILL PAYMENT"),
        tx(&sar, "s2", "2025-01-18", "-55.25", "POS STARBUCKS RIYADH").kind("POS"),
        // Tarabut's enrichment wins over our keyword rules ("RIDE" would say nothing anyway).
        tx(&sar, "s3", "2025-01-19", "-20.00", "HUNGER BITES RIDE 77").category("Eating Out"),
        tx(&cur, "c11", "2025-01-27", "1500.000", "SALARY"),
        tx(&cur, "c12", "2025-01-28", "-250.000", "TRANSFER"),
        tx(&sav, "v1", "2025-01-28", "250.000", "TRANSFER"),
        // The Jarir refund arrives in February on the card.
        tx(
            &card,
            "f1",
            "2025-02-03",
            "45.500",
            "REFUND JARIR BOOKSTORE",
        )
        .merchant("Jarir Bookstore"),
        tx(
            &cur,
            "f2",
            "2025-02-04",
            "-8.125",
            "POS LULU HYPERMARKET RIFFA",
        )
        .kind("POS"),
        // A pending purchase never counts.
        tx(&cur, "p1", "2025-02-05", "-99.000", "POS LULU HYPERMARKET").pending(),
    ];
    Fixture {
        accounts: vec![cur, sav, card, sar],
        txs,
    }
}

fn query(group_by: GroupBy) -> SpendingQuery {
    SpendingQuery {
        from: date("2025-01-01"),
        to: date("2025-02-15"),
        group_by,
        account_id: None,
    }
}

fn group<'a>(c: &'a CurrencySpending, key: &str) -> &'a crate::spending::SpendingGroup {
    c.groups
        .iter()
        .find(|g| g.key == key)
        .unwrap_or_else(|| panic!("no group {key}"))
}

#[test]
fn january_by_category_in_bhd_with_three_decimals() {
    let f = fixture();
    let report = spending(&f.accounts, &f.txs, &query(GroupBy::Category)).unwrap();
    assert_eq!(report.periods.len(), 2);
    let jan = &report.periods[0];
    assert!(!jan.period.is_partial);
    let bhd = jan
        .currencies
        .iter()
        .find(|c| c.currency == ccy("BHD"))
        .unwrap();
    // food: 12.750 (Lulu) + 1.275 (بنده) + 3.450 (البيك) = 17.475
    let food = group(bhd, "food_and_drink");
    assert_eq!((food.net, food.count), (money("17.475", "BHD"), 3));
    assert_eq!(group(bhd, "shopping").net, money("45.500", "BHD"));
    assert_eq!(group(bhd, "cash").net, money("20.000", "BHD"));
    assert_eq!(group(bhd, "bank_fees").net, money("0.300", "BHD"));
    assert_eq!(
        group(bhd, "bills_and_utilities").net,
        money("18.600", "BHD")
    );
    // total = 17.475 + 45.500 + 20.000 + 0.300 + 18.600 = 101.875
    assert_eq!(bhd.total, money("101.875", "BHD"));
    assert_eq!(bhd.gross, money("101.875", "BHD"));
    assert_eq!(bhd.refunds, money("0.000", "BHD"));
    assert_eq!(bhd.count, 7);
    // shares: 45.5/101.875 = 44.66 % → 4466 bp; 20/101.875 → 1963; 18.6/101.875 = 18.2577 %
    // → 1826; 17.475/101.875 = 17.1534 % → 1715; 0.3/101.875 = 0.2945 % → 29.
    let keys: Vec<_> = bhd
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.share_bp))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("shopping", Some(4466)),
            ("cash", Some(1963)),
            ("bills_and_utilities", Some(1826)),
            ("food_and_drink", Some(1715)),
            ("bank_fees", Some(29)),
        ]
    );
    // Excluded: own transfers c5 (−100), c12 (−250) and v1 (+250); card payment pair.
    let ex = &bhd.excluded;
    assert_eq!(ex.internal_transfers.count, 3);
    assert_eq!(ex.internal_transfers.outflow, money("350.000", "BHD"));
    assert_eq!(ex.internal_transfers.inflow, money("250.000", "BHD"));
    assert_eq!(ex.card_payments.count, 2);
    assert_eq!(ex.card_payments.outflow, money("300.000", "BHD"));
    assert_eq!(ex.card_payments.inflow, money("300.000", "BHD"));
    assert_eq!(ex.loan_disbursements.count, 0);
}

#[test]
fn own_transfer_between_bhd_and_sar_accounts_is_excluded_on_both_sides() {
    let f = fixture();
    let report = spending(&f.accounts, &f.txs, &query(GroupBy::Category)).unwrap();
    let sar = report.periods[0]
        .currencies
        .iter()
        .find(|c| c.currency == ccy("SAR"))
        .unwrap();
    // Only Starbucks (55.25) and Hunger Bites (20.00, Tarabut "Eating Out") are spending in
    // SAR: 75.25; the 990.00 credit is the transfer's other leg.
    assert_eq!(sar.total, money("75.25", "SAR"));
    assert_eq!(group(sar, "food_and_drink").net, money("75.25", "SAR"));
    assert_eq!(group(sar, "food_and_drink").count, 2);
    assert_eq!(sar.excluded.internal_transfers.count, 1);
    assert_eq!(
        sar.excluded.internal_transfers.inflow,
        money("990.00", "SAR")
    );
}

#[test]
fn a_refund_in_a_later_month_nets_negative_in_its_category() {
    let f = fixture();
    let report = spending(&f.accounts, &f.txs, &query(GroupBy::Category)).unwrap();
    let feb = &report.periods[1];
    assert!(feb.period.is_partial);
    assert_eq!(feb.period.to, date("2025-02-15"));
    let bhd = &feb.currencies[0];
    let shopping = group(bhd, "shopping");
    // Refund of the January Jarir purchase: shopping net = 0 − 45.500 = −45.500, no share.
    assert_eq!(shopping.net, money("-45.500", "BHD"));
    assert_eq!(shopping.gross, money("0.000", "BHD"));
    assert_eq!(shopping.refunds, money("45.500", "BHD"));
    assert_eq!(shopping.share_bp, None);
    // total = 8.125 − 45.500 = −37.375; a negative total gives no shares at all.
    assert_eq!(bhd.total, money("-37.375", "BHD"));
    assert_eq!(bhd.gross, money("8.125", "BHD"));
    assert_eq!(bhd.refunds, money("45.500", "BHD"));
    assert_eq!(group(bhd, "food_and_drink").share_bp, None);
    assert_eq!(bhd.groups.last().unwrap().key, "shopping");
}

#[test]
fn by_merchant_keys_use_merchant_then_fingerprint_and_refunds_net_per_merchant() {
    let f = fixture();
    let report = spending(&f.accounts, &f.txs, &query(GroupBy::Merchant)).unwrap();
    let jan = report.periods[0]
        .currencies
        .iter()
        .find(|c| c.currency == ccy("BHD"))
        .unwrap();
    let jarir = group(jan, "m:JARIR BOOKSTORE");
    assert_eq!(
        (jarir.label.as_str(), jarir.net),
        ("Jarir Bookstore", money("45.500", "BHD"))
    );
    // "POS LULU HYPERMARKET MANAMA 4521XXXX1234" → noise, digits and masks dropped.
    let lulu = group(jan, "d:LULU HYPERMARKET MANAMA");
    assert_eq!(lulu.label, "Lulu Hypermarket Manama");
    // "شراء بطاقة مدى بنده" → purchase/card/mada are noise → "بنده".
    assert_eq!(group(jan, "d:بنده").net, money("1.275", "BHD"));
    assert_eq!(group(jan, "d:مطعم بيك").net, money("3.450", "BHD"));
    let feb = &report.periods[1].currencies[0];
    assert_eq!(group(feb, "m:JARIR BOOKSTORE").net, money("-45.500", "BHD"));
    // Total spending is the same whichever way it is grouped.
    let by_category = spending(&f.accounts, &f.txs, &query(GroupBy::Category)).unwrap();
    assert_eq!(by_category.periods[0].currencies[0].total, jan.total);
}

#[test]
fn account_filter_and_errors() {
    let f = fixture();
    let mut q = query(GroupBy::Category);
    q.account_id = Some("card".into());
    let report = spending(&f.accounts, &f.txs, &q).unwrap();
    let jan = &report.periods[0].currencies[0];
    // The card holds only the Jarir purchase and the repayment credit.
    assert_eq!(jan.total, money("45.500", "BHD"));
    assert_eq!(jan.excluded.card_payments.count, 1);
    q.account_id = Some("nope".into());
    assert!(matches!(
        spending(&f.accounts, &f.txs, &q),
        Err(crate::InsightsError::UnknownAccount(_))
    ));
    let mut bad = query(GroupBy::Category);
    bad.to = bad.from;
    assert!(spending(&f.accounts, &f.txs, &bad).is_err());
}

#[test]
fn json_shape_is_camel_case_with_string_money() {
    let f = fixture();
    let report = spending(&f.accounts, &f.txs, &query(GroupBy::Category)).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let jan = &json["periods"][0];
    assert_eq!(jan["month"], "2025-01");
    assert_eq!(jan["from"], "2025-01-01");
    assert_eq!(jan["isPartial"], false);
    let bhd = &jan["currencies"][0];
    assert_eq!(
        bhd["total"],
        serde_json::json!({"amount": "101.875", "currency": "BHD"})
    );
    assert_eq!(bhd["groups"][0]["shareBp"], 4466);
    assert_eq!(bhd["excluded"]["internalTransfers"]["count"], 3);
    assert_eq!(json["groupBy"], "category");
    assert_eq!(json["dataQuality"]["pendingIgnored"], 1);
}

/// A refund without the merchant field ("JARIR BOOKSTORE 00231" in its text only) keys on its
/// description, the purchase on its merchant ("m:JARIR BOOKSTORE"). Linked through the
/// purchase's description, it nets against the purchase's merchant group, not a group of its
/// own.
#[test]
fn by_merchant_a_refund_keyed_differently_nets_against_the_purchase_it_refunds() {
    let mut f = fixture();
    let card = account("card", "BHD", AccountKind::CreditCard, Country::BH);
    let refund = f.txs.iter_mut().find(|t| t.transaction_id == "f1").unwrap();
    *refund = tx(&card, "f1", "2025-02-03", "45.500", "JARIR BOOKSTORE 00231");
    let report = spending(&f.accounts, &f.txs, &query(GroupBy::Merchant)).unwrap();
    let feb = &report.periods[1].currencies[0];
    let jarir = group(feb, "m:JARIR BOOKSTORE");
    assert_eq!(jarir.net, money("-45.500", "BHD"));
    assert_eq!(jarir.refunds, money("45.500", "BHD"));
    let keys: Vec<&str> = feb.groups.iter().map(|g| g.key.as_str()).collect();
    assert!(!keys.contains(&"d:JARIR BOOKSTORE"), "{keys:?}");
}

/// `categories` is the spending insight's own categorisation: per category, the rows it
/// names are exactly the rows spending counts in that group (here, every month's counts).
#[test]
fn categories_agree_with_the_spending_groups() {
    let f = fixture();
    let report = spending(&f.accounts, &f.txs, &query(GroupBy::Category)).unwrap();
    let mut from_report: std::collections::BTreeMap<(String, String), u32> = Default::default();
    for period in &report.periods {
        for c in &period.currencies {
            for g in &c.groups {
                *from_report
                    .entry((c.currency.code().to_string(), g.key.clone()))
                    .or_default() += g.count;
            }
        }
    }
    let categories = crate::categories(&f.accounts, &f.txs);
    assert_eq!(categories.len(), f.txs.len());
    // The refund takes the category of the purchase it refunds; the pending row has none.
    let at = |id: &str| categories[f.txs.iter().position(|t| t.transaction_id == id).unwrap()];
    assert_eq!(at("f1"), Some(crate::Category::Shopping));
    assert_eq!(at("c2"), Some(crate::Category::Shopping));
    assert_eq!(at("p1"), None);
    // Spending rows only (what the report groups): transfers, card payments and income
    // are categorised too, but reported apart.
    let excluded = ["c5", "s1", "c6", "c7", "c11", "c12", "v1"];
    let mut from_list: std::collections::BTreeMap<(String, String), u32> = Default::default();
    for (t, c) in f.txs.iter().zip(&categories) {
        if let Some(c) = c
            && !excluded.contains(&t.transaction_id.as_str())
        {
            *from_list
                .entry((t.amount.currency().code().to_string(), c.id().to_string()))
                .or_default() += 1;
        }
    }
    assert_eq!(from_list, from_report);
}

/// One merchant written three ways by the card scheme: the label is the spelling with the
/// most purchases; on a tie, the alphabetically first (byte order: capitals first).
#[test]
fn by_merchant_the_label_is_the_most_frequent_spelling_then_the_alphabetically_first() {
    let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
    let spellings = [
        // "m:JARIR BOOKSTORE": "Jarir Bookstore" twice beats the two spellings seen once,
        // though both sort before it.
        ("j1", "2025-01-04", "Jarir Bookstore"),
        ("j2", "2025-01-09", "JARIR BOOKSTORE"),
        ("j3", "2025-01-14", "Jarir Bookstore"),
        ("j4", "2025-01-19", "JARIR Bookstore"),
        // "m:LULU HYPERMARKET": one purchase each, so the first in byte order wins.
        ("l1", "2025-01-05", "Lulu hypermarket"),
        ("l2", "2025-01-10", "LULU HYPERMARKET"),
        ("l3", "2025-01-15", "Lulu Hypermarket"),
        // Two more ties, so the winner does not depend on the order the votes are read in.
        ("c1", "2025-01-06", "Carrefour"),
        ("c2", "2025-01-11", "CARREFOUR"),
        ("t1", "2025-01-07", "talabat"),
        ("t2", "2025-01-12", "Talabat"),
        ("t3", "2025-01-17", "TALABAT"),
    ];
    let txs: Vec<Transaction> = spellings
        .iter()
        .map(|(id, day, name)| tx(&cur, id, day, "-10.000", "PURCHASE").merchant(name))
        .collect();
    let mut q = query(GroupBy::Merchant);
    q.to = date("2025-02-01");
    let report = spending(&[cur], &txs, &q).unwrap();
    let bhd = &report.periods[0].currencies[0];
    let jarir = group(bhd, "m:JARIR BOOKSTORE");
    assert_eq!(
        (jarir.label.as_str(), jarir.count, jarir.net),
        ("Jarir Bookstore", 4, money("40.000", "BHD"))
    );
    let lulu = group(bhd, "m:LULU HYPERMARKET");
    assert_eq!(
        (lulu.label.as_str(), lulu.count, lulu.net),
        ("LULU HYPERMARKET", 3, money("30.000", "BHD"))
    );
    assert_eq!(group(bhd, "m:CARREFOUR").label, "CARREFOUR");
    assert_eq!(group(bhd, "m:TALABAT").label, "TALABAT");

    // Eight more two-way ties, the capitalised spelling first for half of them and second for
    // the others: in each the capitalised one wins.
    let names = [
        "Souq Alpha",
        "Souq Bravo",
        "Souq Charlie",
        "Souq Delta",
        "Souq Echo",
        "Souq Foxtrot",
        "Souq Golf",
        "Souq Hotel",
    ];
    let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
    let mut txs = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut spellings = [name.to_uppercase(), (*name).to_owned()];
        if i % 2 == 1 {
            spellings.reverse();
        }
        for (k, spelling) in spellings.iter().enumerate() {
            let day = format!("2025-01-{:02}", 2 + 2 * i + k);
            txs.push(tx(&cur, &format!("s{i}{k}"), &day, "-5.000", "PURCHASE").merchant(spelling));
        }
    }
    let report = spending(&[cur], &txs, &q).unwrap();
    let bhd = &report.periods[0].currencies[0];
    for name in names {
        let upper = name.to_uppercase();
        assert_eq!(group(bhd, &format!("m:{upper}")).label, upper);
    }
}

/// A payee known by IBAN only is labelled by its description's fingerprint when that is a
/// usable key (2 tokens or more, quality ≥ 80), else by the masked IBAN.
#[test]
fn by_merchant_an_iban_payee_is_labelled_by_its_description_or_its_masked_iban() {
    let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
    let txs = vec![
        // "HOUSE RENT VILLA" → 3 tokens, quality 85.
        tx(&cur, "r1", "2025-01-02", "-150.000", "HOUSE RENT VILLA")
            .iban("BH29RENT0000000000004411"),
        // "DRIVER" → 1 token, quality 55: not a label.
        tx(&cur, "d1", "2025-01-03", "-40.000", "DRIVER").iban("BH53DRVR0000000000007302"),
    ];
    let mut q = query(GroupBy::Merchant);
    q.to = date("2025-02-01");
    let report = spending(&[cur], &txs, &q).unwrap();
    let bhd = &report.periods[0].currencies[0];
    let labels: Vec<(&str, &str)> = bhd
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.label.as_str()))
        .collect();
    assert_eq!(
        labels,
        vec![
            ("i:BH29RENT0000000000004411", "House Rent Villa"),
            ("i:BH53DRVR0000000000007302", "IBAN ••••7302"),
        ]
    );
}

/// A loan paid out into the current account is neither spending nor income: its credit is
/// reported under `excluded.loanDisbursements`, the loan account's debit as a transfer.
#[test]
fn a_loan_disbursement_is_reported_apart() {
    let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
    let loan = account("loan", "BHD", AccountKind::Loan, Country::BH);
    let txs = vec![
        tx(&loan, "l1", "2025-01-06", "-5000.000", "DISBURSEMENT"),
        tx(&cur, "d1", "2025-01-06", "5000.000", "LOAN DISBURSEMENT"),
        tx(&cur, "c1", "2025-01-07", "-12.750", "LULU HYPERMARKET").kind("POS"),
    ];
    let mut q = query(GroupBy::Category);
    q.to = date("2025-02-01");
    let report = spending(&[cur, loan], &txs, &q).unwrap();
    let bhd = &report.periods[0].currencies[0];
    assert_eq!(bhd.total, money("12.750", "BHD"));
    let ex = &bhd.excluded;
    assert_eq!(
        (
            ex.loan_disbursements.count,
            ex.loan_disbursements.inflow,
            ex.loan_disbursements.outflow
        ),
        (1, money("5000.000", "BHD"), money("0.000", "BHD"))
    );
    assert_eq!(
        (ex.internal_transfers.count, ex.internal_transfers.outflow),
        (1, money("5000.000", "BHD"))
    );
}
