//! What the engine reads: accounts, transactions and balance readings, already mapped from the
//! stored Tarabut items by the caller. Amounts are signed from the holder's point of view.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};

/// Country of the bank holding an account: decides the local time zone and the weekend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Country {
    BH,
    SA,
    AE,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AccountKind {
    Current,
    Savings,
    CreditCard,
    Loan,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub account_id: String,
    pub currency: Currency,
    pub kind: AccountKind,
    pub country: Country,
    pub iban: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BookingStatus {
    Booked,
    Pending,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub account_id: String,
    pub transaction_id: String,
    /// Tarabut `bookingDateTime`. A value of exactly 00:00:00Z is a date-only value.
    pub booked_at: DateTime<Utc>,
    pub status: BookingStatus,
    /// Signed: credit +, debit −, in the account currency.
    pub amount: Money,
    pub description: String,
    /// e.g. "POS", "ATM", "Transfer", "StandingOrder", "Fee", "Salary".
    pub transaction_type: Option<String>,
    pub sub_transaction_type: Option<String>,
    /// Tarabut enrichment, may be absent.
    pub category_group: Option<String>,
    pub category_name: Option<String>,
    pub merchant_name: Option<String>,
    pub merchant_category_code: Option<String>,
    pub counterparty_iban: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BalanceType {
    InterimBooked,
    ClosingBooked,
    Expected,
    InterimAvailable,
    ClosingAvailable,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceReading {
    pub account_id: String,
    pub kind: BalanceType,
    /// Signed, holder's view: a card with money owed is negative.
    pub amount: Money,
    pub at: DateTime<Utc>,
}
