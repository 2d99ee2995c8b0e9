//! JSON shapes of account, balance and transaction payloads (camelCase, like Tarabut).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::data::model::{Account, Direction, Txn};
use crate::money::AmountView;
use crate::state::Consent;
use crate::wire::{midnight, timestamp};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub amount: AmountView,
    pub credit_debit_indicator: &'static str,
    pub date_time: String,
}

/// `ClosingBooked` and `ClosingAvailable`, both equal to the booked balance.
pub fn balances(account: &Account, now: DateTime<Utc>) -> Vec<BalanceView> {
    let currency = account.kind.currency();
    ["ClosingBooked", "ClosingAvailable"]
        .into_iter()
        .map(|kind| BalanceView {
            kind,
            amount: AmountView::new(account.booked_minor, currency),
            credit_debit_indicator: Direction::of_balance(account.booked_minor).as_str(),
            date_time: timestamp(now),
        })
        .collect()
}

#[derive(Serialize)]
pub struct IdentifierView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentRefView {
    pub id: String,
    pub expiry_date: String,
    pub status: &'static str,
}

impl ConsentRefView {
    pub fn new(consent: &Consent, now: DateTime<Utc>) -> Self {
        Self {
            id: consent.id.clone(),
            expiry_date: timestamp(consent.expiry),
            status: consent.effective_status(now).as_str(),
        }
    }
}

#[derive(Serialize)]
pub struct LinkView {
    pub rel: &'static str,
    pub href: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountMetaView {
    pub last_account_update_datetime: String,
    pub last_balances_update_datetime: String,
    pub transactions_availability: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub account_id: String,
    pub account_holder_name: String,
    pub account_product_type: &'static str,
    pub account_description: String,
    pub provider_id: &'static str,
    pub currency: &'static str,
    pub identifiers: Vec<IdentifierView>,
    pub balances: Vec<BalanceView>,
    pub consents: Vec<ConsentRefView>,
    pub links: Vec<LinkView>,
    pub meta: AccountMetaView,
}

impl AccountView {
    pub fn new(
        account: &Account,
        consents: &[Consent],
        base_url: &str,
        now: DateTime<Utc>,
    ) -> Self {
        let path = format!("{base_url}/accountInformation/v2/accounts/{}", account.id);
        Self {
            account_id: account.id.clone(),
            account_holder_name: account.holder.clone(),
            account_product_type: account.kind.product().as_str(),
            account_description: account.description.clone(),
            provider_id: account.kind.provider().code(),
            currency: account.kind.currency().code(),
            identifiers: vec![IdentifierView {
                kind: account.identifier.kind,
                value: account.identifier.value.clone(),
            }],
            balances: balances(account, now),
            consents: consents
                .iter()
                .map(|c| ConsentRefView::new(c, now))
                .collect(),
            links: vec![
                LinkView {
                    rel: "TRANSACTIONS",
                    href: format!("{path}/transactions"),
                },
                LinkView {
                    rel: "BALANCES",
                    href: format!("{path}/balances"),
                },
            ],
            meta: AccountMetaView {
                last_account_update_datetime: timestamp(now),
                last_balances_update_datetime: timestamp(now),
                transactions_availability: "completed",
            },
        }
    }
}

#[derive(Serialize)]
pub struct CategoryView {
    pub group: &'static str,
    pub name: &'static str,
    pub icon: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantView {
    pub name: &'static str,
    pub logo: String,
    pub merchant_category_code: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    pub transaction_id: String,
    pub account_id: String,
    pub provider_id: &'static str,
    pub transaction_description: String,
    pub transaction_type: &'static str,
    pub sub_transaction_type: &'static str,
    pub credit_debit_indicator: &'static str,
    pub amount: AmountView,
    pub booking_date_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<CategoryView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant: Option<MerchantView>,
}

impl TransactionView {
    pub fn new(account: &Account, txn: &Txn) -> Self {
        Self {
            transaction_id: txn.id.clone(),
            account_id: account.id.clone(),
            provider_id: account.kind.provider().code(),
            transaction_description: txn.description.clone(),
            transaction_type: txn.txn_type,
            sub_transaction_type: txn.sub_type,
            credit_debit_indicator: txn.direction.as_str(),
            amount: AmountView::new(txn.amount_minor, account.kind.currency()),
            booking_date_time: timestamp(midnight(txn.booking_date)),
            category: txn.category.map(|c| CategoryView {
                group: c.group,
                name: c.name,
                icon: c.icon_url(),
            }),
            merchant: txn.merchant.map(|m| MerchantView {
                name: m.name,
                logo: m.logo_url(),
                merchant_category_code: m.mcc,
            }),
        }
    }
}
