//! The generated bank universe of one customer user id.

use chrono::NaiveDate;

use super::catalogue::{Category, Merchant, ProviderId};
use crate::money::Currency;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountKind {
    BlueCurrent,
    BlueSavings,
    RedCurrent,
    RedCard,
}

impl AccountKind {
    pub const ALL: [AccountKind; 4] = [
        AccountKind::BlueCurrent,
        AccountKind::BlueSavings,
        AccountKind::RedCurrent,
        AccountKind::RedCard,
    ];

    pub fn provider(self) -> ProviderId {
        match self {
            AccountKind::BlueCurrent | AccountKind::BlueSavings => ProviderId::Blue,
            AccountKind::RedCurrent | AccountKind::RedCard => ProviderId::Red,
        }
    }

    pub fn currency(self) -> Currency {
        self.provider().info().currency
    }

    pub fn product(self) -> ProductType {
        match self {
            AccountKind::BlueCurrent | AccountKind::RedCurrent => ProductType::CurrentAccount,
            AccountKind::BlueSavings => ProductType::Savings,
            AccountKind::RedCard => ProductType::CreditCard,
        }
    }

    /// Stable label that enters the account id hash; never change it.
    pub fn id_label(self) -> &'static str {
        match self {
            AccountKind::BlueCurrent => "BLUE/current",
            AccountKind::BlueSavings => "BLUE/savings",
            AccountKind::RedCurrent => "RED/current",
            AccountKind::RedCard => "RED/card",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductType {
    CurrentAccount,
    Savings,
    CreditCard,
}

impl ProductType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductType::CurrentAccount => "CurrentAccount",
            ProductType::Savings => "Savings",
            ProductType::CreditCard => "CreditCard",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Credit,
    Debit,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Credit => "Credit",
            Direction::Debit => "Debit",
        }
    }

    /// Direction of a signed balance: money owed (negative) is Debit.
    pub fn of_balance(minor: i64) -> Self {
        if minor < 0 {
            Direction::Debit
        } else {
            Direction::Credit
        }
    }
}

#[derive(Debug, Clone)]
pub struct Txn {
    pub id: String,
    pub account: AccountKind,
    pub booking_date: NaiveDate,
    pub description: String,
    pub txn_type: &'static str,
    pub sub_type: &'static str,
    pub direction: Direction,
    /// Magnitude in minor units, > 0.
    pub amount_minor: i64,
    pub category: Option<&'static Category>,
    pub merchant: Option<&'static Merchant>,
}

impl Txn {
    pub fn signed_minor(&self) -> i64 {
        match self.direction {
            Direction::Credit => self.amount_minor,
            Direction::Debit => -self.amount_minor,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Identifier {
    /// `IBAN` or `maskedPAN`.
    pub kind: &'static str,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub kind: AccountKind,
    pub identifier: Identifier,
    pub holder: String,
    pub description: String,
    /// Signed balance before the first transaction of the window.
    pub opening_minor: i64,
    /// Signed balance after every transaction of the window (the booked balance now).
    pub booked_minor: i64,
    /// Transactions of the window, newest first (bookingDate desc, then transactionId asc).
    pub transactions: Vec<Txn>,
}

#[derive(Debug)]
pub struct Universe {
    pub today: NaiveDate,
    pub window_start: NaiveDate,
    pub accounts: Vec<Account>,
}
