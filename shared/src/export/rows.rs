//! The rows of an export document: what the backend holds, in the API's own shapes (camelCase,
//! money as `{amount, currency}` decimal strings, RFC 3339 UTC times with milliseconds,
//! `YYYY-MM-DD` dates). Never a token, a code hash, a sync lease or a table key
//! (`pk`/`sk`/`gsi1*`): what is left out, and why, is in docs/architecture.md §3.11.

use serde::Serialize;

use crate::banking::{
    AccountRecord, BalanceSnapshot, Connection, IntentBinding, StoredTransaction,
};
use crate::money::{Currency, Money};
use crate::time::Timestamp;

fn time(t: Option<Timestamp>) -> Option<String> {
    t.map(Timestamp::to_rfc3339)
}

/// A connection, deleted ones (tombstones) included: they are held for 30 days and are the
/// user's data too. Their accounts, transactions and balances are not exported (§3.7).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRow {
    pub connection_id: String,
    pub status: &'static str,
    pub provider_id: Option<String>,
    pub intent_id: String,
    /// The user's consent at their bank, through Tarabut: their own data, and what they would
    /// quote to the bank. Not a credential (using it needs our client's token).
    pub consent_id: Option<String>,
    pub consent_expires_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub last_sync_at: Option<String>,
    pub last_sync_status: Option<String>,
    pub deleted_at: Option<String>,
}

impl From<&Connection> for ConnectionRow {
    fn from(c: &Connection) -> Self {
        ConnectionRow {
            connection_id: c.connection_id.clone(),
            status: c.status.as_str(),
            provider_id: c.provider_id.clone(),
            intent_id: c.intent_id.clone(),
            consent_id: c.consent_id.clone(),
            consent_expires_at: time(c.consent_expires_at),
            created_at: c.created_at.to_rfc3339(),
            updated_at: c.updated_at.to_rfc3339(),
            last_sync_at: time(c.last_sync_at),
            last_sync_status: c.last_sync_status.clone(),
            deleted_at: time(c.deleted_at),
        }
    }
}

/// A link attempt (the intent binding) of one of the user's connections, without its one-time
/// code's hash and expiry or its sweep schedule.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkAttemptRow {
    pub intent_id: String,
    pub connection_id: String,
    pub state: &'static str,
    pub expires_at: String,
    pub consumed_at: Option<String>,
    pub consent_id: Option<String>,
}

impl From<&IntentBinding> for LinkAttemptRow {
    fn from(b: &IntentBinding) -> Self {
        LinkAttemptRow {
            intent_id: b.intent_id.clone(),
            connection_id: b.connection_id.clone(),
            state: b.state.as_str(),
            expires_at: b.expires_at.to_rfc3339(),
            consumed_at: time(b.consumed_at),
            consent_id: b.consent_id.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRow {
    pub account_id: String,
    pub connection_id: String,
    pub provider_id: Option<String>,
    pub currency: Currency,
    pub product_type: Option<String>,
    pub description: Option<String>,
    pub holder_name: Option<String>,
    /// In full: it is the user's own account.
    pub iban: Option<String>,
    pub last_booking_date: Option<String>,
    pub balance: Option<Money>,
    pub balance_type: Option<String>,
    pub balance_at: Option<String>,
    pub updated_at: String,
}

impl From<&AccountRecord> for AccountRow {
    fn from(a: &AccountRecord) -> Self {
        AccountRow {
            account_id: a.account_id.clone(),
            connection_id: a.connection_id.clone(),
            provider_id: a.provider_id.clone(),
            currency: a.currency,
            product_type: a.product_type.clone(),
            description: a.description.clone(),
            holder_name: a.holder_name.clone(),
            iban: a.iban.clone(),
            last_booking_date: a.last_booking_date.map(|d| d.to_string()),
            balance: a.balance,
            balance_type: a.balance_type.clone(),
            balance_at: time(a.balance_at),
            updated_at: a.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionRow {
    pub transaction_id: String,
    pub account_id: String,
    pub connection_id: String,
    pub booked_at: String,
    /// Signed: credit +, debit −.
    pub amount: Money,
    /// The bank sent more digits than the currency has; they were rounded (half-even).
    pub amount_rounded: bool,
    pub description: String,
    pub transaction_type: Option<String>,
    pub sub_transaction_type: Option<String>,
    pub category_group: Option<String>,
    pub category_name: Option<String>,
    pub merchant_name: Option<String>,
    pub merchant_category_code: Option<String>,
    pub status: String,
}

impl From<&StoredTransaction> for TransactionRow {
    fn from(t: &StoredTransaction) -> Self {
        TransactionRow {
            transaction_id: t.transaction_id.clone(),
            account_id: t.account_id.clone(),
            connection_id: t.connection_id.clone(),
            booked_at: Timestamp::from(t.booked_at).to_rfc3339(),
            amount: t.amount,
            amount_rounded: t.amount_rounded,
            description: t.description.clone(),
            transaction_type: t.transaction_type.clone(),
            sub_transaction_type: t.sub_transaction_type.clone(),
            category_group: t.category_group.clone(),
            category_name: t.category_name.clone(),
            merchant_name: t.merchant_name.clone(),
            merchant_category_code: t.merchant_category_code.clone(),
            status: t.status.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceRow {
    pub account_id: String,
    pub connection_id: String,
    pub amount: Money,
    pub balance_type: String,
    pub at: String,
    /// `sync` or `live`.
    pub source: String,
}

impl From<&BalanceSnapshot> for BalanceRow {
    fn from(b: &BalanceSnapshot) -> Self {
        BalanceRow {
            account_id: b.account_id.clone(),
            connection_id: b.connection_id.clone(),
            amount: b.amount,
            balance_type: b.balance_type.clone(),
            at: b.at.to_rfc3339(),
            source: b.source.clone(),
        }
    }
}
