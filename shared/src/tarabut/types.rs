//! Tarabut's JSON shapes (camelCase), as far as docs/tarabut-api.md knows them.
//! Deserialisation is lenient where the API is unconfirmed (optional fields, unknown fields
//! ignored) and strict where money is concerned (amounts are kept as their decimal text).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::secret::Secret;

/// A token minted for one customer user id.
#[derive(Debug, Clone)]
pub struct MintedToken {
    pub access_token: Secret,
    pub expires_in: Duration,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenResponse {
    pub access_token: String,
    pub expires_in: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateIntent {
    pub user: IntentUser,
    pub provider_type: &'static str,
    pub language: Language,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<IntentConsent>,
    pub redirect_url: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentUser {
    pub customer_user_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Language {
    #[default]
    #[serde(rename = "EN", alias = "en")]
    En,
    #[serde(rename = "AR", alias = "ar")]
    Ar,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentConsent {
    pub provider_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentCreated {
    pub connect_url: String,
    pub intent_id: String,
    pub expiry: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    pub intent_id: Option<String>,
    pub status: Option<String>,
    pub consent_id: Option<String>,
    pub provider_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    pub provider_id: String,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub country_code: Option<String>,
    pub ais_status: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ProvidersResponse {
    #[serde(default)]
    pub providers: Vec<Provider>,
}

/// An amount as Tarabut sends it: `value` may be a JSON number or a string; we keep its
/// decimal text and parse it exactly later. A number is read as the shortest text that
/// round-trips its f64, which equals the text sent for every value of at most 15
/// significant digits (all realistic account amounts).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Amount {
    #[serde(deserialize_with = "decimal_text")]
    pub value: String,
    pub currency: String,
}

fn decimal_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::String(s) => Ok(s),
        other => Err(serde::de::Error::custom(format!(
            "amount value must be a number or a string, got {other}"
        ))),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountIdentifier {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountConsent {
    pub id: String,
    pub expiry_date: Option<DateTime<Utc>>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub account_id: String,
    pub account_holder_name: Option<String>,
    pub account_product_type: Option<String>,
    pub account_description: Option<String>,
    pub provider_id: Option<String>,
    pub currency: Option<String>,
    #[serde(default)]
    pub identifiers: Vec<AccountIdentifier>,
    #[serde(default)]
    pub balances: Vec<Balance>,
    #[serde(default)]
    pub consents: Vec<AccountConsent>,
}

impl Account {
    /// The account currency: the top-level field, else the first balance's.
    pub fn currency_code(&self) -> Option<&str> {
        self.currency
            .as_deref()
            .or_else(|| self.balances.first().map(|b| b.amount.currency.as_str()))
    }

    pub fn iban(&self) -> Option<&str> {
        self.identifiers
            .iter()
            .find(|i| {
                i.kind
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case("iban"))
            })
            .and_then(|i| i.value.as_deref())
    }
}

#[derive(Deserialize)]
pub(crate) struct AccountsResponse {
    #[serde(default)]
    pub accounts: Vec<Account>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    #[serde(rename = "type")]
    pub kind: String,
    pub amount: Amount,
    pub credit_debit_indicator: Option<String>,
    pub date_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancesResponse {
    #[serde(default)]
    pub balances: Vec<Balance>,
    pub meta: Option<BalancesMeta>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancesMeta {
    pub last_balances_update_datetime: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    pub group: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    pub name: Option<String>,
    pub merchant_category_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub transaction_id: Option<String>,
    pub account_id: Option<String>,
    pub transaction_description: Option<String>,
    pub transaction_type: Option<String>,
    pub sub_transaction_type: Option<String>,
    pub credit_debit_indicator: String,
    pub amount: Amount,
    pub booking_date_time: DateTime<Utc>,
    pub status: Option<String>,
    pub category: Option<Category>,
    pub merchant: Option<Merchant>,
}

/// One page of an account's transactions, and whether another follows.
#[derive(Debug, Clone)]
pub struct TransactionPage {
    pub transactions: Vec<Transaction>,
    pub more: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionsPage {
    #[serde(default)]
    pub transactions: Vec<Transaction>,
    pub meta: Option<PageMeta>,
    #[serde(default)]
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageMeta {
    pub total_count_of_pages: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Link {
    pub rel: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalaryPayment {
    pub salary_amount: Amount,
    pub booking_date_time: DateTime<Utc>,
    pub month_indicator: Option<u32>,
}

#[derive(Deserialize)]
pub(crate) struct SalaryResponse {
    #[serde(default)]
    pub salaries: Vec<SalaryPayment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_their_decimal_text() {
        let a: Amount = serde_json::from_str(r#"{"value": 1250.75, "currency": "SAR"}"#).unwrap();
        assert_eq!(a.value, "1250.75");
        let a: Amount = serde_json::from_str(r#"{"value": 1234.567, "currency": "BHD"}"#).unwrap();
        assert_eq!(a.value, "1234.567");
        let a: Amount = serde_json::from_str(r#"{"value": "9500.0", "currency": "SAR"}"#).unwrap();
        assert_eq!(a.value, "9500.0");
        let a: Amount = serde_json::from_str(r#"{"value": 3270, "currency": "SAR"}"#).unwrap();
        assert_eq!(a.value, "3270");
        assert!(serde_json::from_str::<Amount>(r#"{"value": null, "currency": "SAR"}"#).is_err());
    }

    #[test]
    fn account_shape_of_the_reference() {
        let json = r#"{
          "accountId": "8a1d", "accountHolderName": "Sara Ali", "accountProductType": "CurrentAccount",
          "providerId": "BLUE",
          "identifiers": [{ "type": "IBAN", "value": "SA0000000000000000000001" }],
          "balances": [{ "type": "Unknown", "amount": { "value": 3270, "currency": "SAR" } }],
          "consents": [{ "id": "c0ffee00", "expiryDate": "2026-06-17T07:35:51Z", "status": "ACTIVE" }],
          "meta": { "transactionsAvailability": "progressing" }
        }"#;
        let a: Account = serde_json::from_str(json).unwrap();
        assert_eq!(a.currency_code(), Some("SAR"));
        assert_eq!(a.iban(), Some("SA0000000000000000000001"));
        assert_eq!(a.consents[0].id, "c0ffee00");
    }
}
