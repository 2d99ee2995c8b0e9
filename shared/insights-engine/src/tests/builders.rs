//! Small builders for fixtures: accounts, transactions and balance readings from plain text.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::input::{
    Account, AccountKind, BalanceReading, BalanceType, BookingStatus, Country, Transaction,
};
use crate::money::{Currency, Money};

pub fn ccy(code: &str) -> Currency {
    Currency::from_code(code).unwrap()
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

pub fn account(id: &str, currency: &str, kind: AccountKind, country: Country) -> Account {
    Account {
        account_id: id.to_owned(),
        currency: ccy(currency),
        kind,
        country,
        iban: None,
        name: None,
    }
}

pub fn with_iban(mut account: Account, iban: &str) -> Account {
    account.iban = Some(iban.to_owned());
    account
}

pub fn money(amount: &str, currency: &str) -> Money {
    Money::parse_signed(amount, ccy(currency)).unwrap().money
}

/// A booked, date-only transaction (00:00:00Z, as Tarabut serialises dates).
pub fn tx(account: &Account, id: &str, day: &str, amount: &str, description: &str) -> Transaction {
    let d = date(day);
    Transaction {
        account_id: account.account_id.clone(),
        transaction_id: id.to_owned(),
        booked_at: Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap()),
        status: BookingStatus::Booked,
        amount: money(amount, account.currency.code()),
        description: description.to_owned(),
        transaction_type: None,
        sub_transaction_type: None,
        category_group: None,
        category_name: None,
        merchant_name: None,
        merchant_category_code: None,
        counterparty_iban: None,
    }
}

/// Chainable tweaks on a transaction.
pub trait TxExt {
    fn at_utc(self, rfc3339: &str) -> Self;
    fn kind(self, transaction_type: &str) -> Self;
    fn merchant(self, name: &str) -> Self;
    fn mcc(self, code: &str) -> Self;
    fn category(self, name: &str) -> Self;
    fn iban(self, iban: &str) -> Self;
    fn pending(self) -> Self;
}

impl TxExt for Transaction {
    fn at_utc(mut self, rfc3339: &str) -> Self {
        self.booked_at = DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc);
        self
    }
    fn kind(mut self, transaction_type: &str) -> Self {
        self.transaction_type = Some(transaction_type.to_owned());
        self
    }
    fn merchant(mut self, name: &str) -> Self {
        self.merchant_name = Some(name.to_owned());
        self
    }
    fn mcc(mut self, code: &str) -> Self {
        self.merchant_category_code = Some(code.to_owned());
        self
    }
    fn category(mut self, name: &str) -> Self {
        self.category_group = Some("Expense".to_owned());
        self.category_name = Some(name.to_owned());
        self
    }
    fn iban(mut self, iban: &str) -> Self {
        self.counterparty_iban = Some(iban.to_owned());
        self
    }
    fn pending(mut self) -> Self {
        self.status = BookingStatus::Pending;
        self
    }
}

pub fn reading(account: &Account, kind: BalanceType, amount: &str, at: &str) -> BalanceReading {
    BalanceReading {
        account_id: account.account_id.clone(),
        kind,
        amount: money(amount, account.currency.code()),
        at: DateTime::parse_from_rfc3339(at)
            .unwrap()
            .with_timezone(&Utc),
    }
}
