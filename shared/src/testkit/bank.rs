//! What the sandbox's bank reports for a user, read through the app's own Tarabut client and
//! the user's stored token: the figures a test expects the table to hold.

use std::collections::BTreeMap;

use super::deadline;
use super::env::{TestEnv, TestTable};
use crate::banking::balances::pick_balance;
use crate::tarabut;
use crate::time::Timestamp;

/// Every page of one account's transactions booked since `from`, in one list (tests only: the
/// app saves page by page).
pub async fn all_transactions(
    client: &tarabut::TarabutClient,
    token: &crate::secret::Secret,
    account_id: &str,
    from: Option<chrono::DateTime<chrono::Utc>>,
    deadline: crate::time::Deadline,
) -> Result<Vec<tarabut::Transaction>, tarabut::TarabutError> {
    let mut all = Vec::new();
    for page in 1.. {
        let got = client
            .transactions_page(token, account_id, from, None, page, deadline)
            .await?;
        all.extend(got.transactions);
        if !got.more {
            break;
        }
    }
    Ok(all)
}

pub struct Bank {
    /// The account list: every account under an active consent, with its consents.
    pub accounts: Vec<tarabut::Account>,
    /// Every transaction Tarabut has for each listed account (its whole history window).
    pub transactions: BTreeMap<String, Vec<tarabut::Transaction>>,
    /// The balance the app picks for each listed account, in minor units.
    pub balances: BTreeMap<String, i64>,
}

impl Bank {
    /// Reads `sub`'s accounts, their transactions and balances. Counts as calls at the sandbox.
    pub async fn read<T: TestTable>(env: &TestEnv<T>, sub: &str) -> Bank {
        let token = env.token_of(sub).await;
        let tarabut = env.state.tarabut();
        let accounts = tarabut
            .accounts(&token, deadline())
            .await
            .expect("the account list");
        let mut transactions = BTreeMap::new();
        let mut balances = BTreeMap::new();
        for account in &accounts {
            let id = account.account_id.clone();
            let listed = all_transactions(tarabut, &token, &id, None, deadline())
                .await
                .expect("transactions");
            transactions.insert(id.clone(), listed);
            let listed = tarabut
                .balances(&token, &id, false, deadline())
                .await
                .expect("balances");
            if let Some((money, _, _)) = pick_balance(&listed.balances).expect("a readable balance")
            {
                balances.insert(id, money.minor());
            }
        }
        Bank {
            accounts,
            transactions,
            balances,
        }
    }

    /// Ids of the accounts `consent_id` covers, sorted.
    pub fn accounts_of(&self, consent_id: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .accounts
            .iter()
            .filter(|a| a.consents.iter().any(|c| c.id == consent_id))
            .map(|a| a.account_id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// The earliest expiry of `consent_id`'s entries in the account list.
    pub fn consent_expiry(&self, consent_id: &str) -> Timestamp {
        self.accounts
            .iter()
            .flat_map(|a| &a.consents)
            .filter(|c| c.id == consent_id)
            .filter_map(|c| c.expiry_date)
            .min()
            .map(Timestamp::from)
            .unwrap_or_else(|| panic!("consent {consent_id} is listed without an expiry"))
    }

    /// `(accountId, transactionId)` of every transaction of `accounts`, sorted.
    pub fn transaction_ids(&self, accounts: &[String]) -> Vec<(String, String)> {
        let mut ids: Vec<(String, String)> = accounts
            .iter()
            .flat_map(|a| {
                self.transactions[a].iter().map(move |t| {
                    let id = t.transaction_id.clone().expect("a transaction id");
                    (a.clone(), id)
                })
            })
            .collect();
        ids.sort();
        ids
    }

    /// The balance the app picks for `account_id`, in minor units.
    pub fn balance_minor(&self, account_id: &str) -> i64 {
        *self
            .balances
            .get(account_id)
            .unwrap_or_else(|| panic!("the bank has no balance for {account_id}"))
    }

    /// The signed amount (credit +, debit −) of a transaction, in minor units.
    pub fn amount_minor(&self, account_id: &str, transaction_id: &str) -> i64 {
        let t = self.transactions[account_id]
            .iter()
            .find(|t| t.transaction_id.as_deref() == Some(transaction_id))
            .unwrap_or_else(|| panic!("the bank has no transaction {transaction_id}"));
        let currency = crate::money::Currency::from_code(&t.amount.currency).expect("currency");
        let minor = crate::money::Money::parse_unsigned(&t.amount.value, currency)
            .expect("an amount")
            .money
            .minor();
        if t.credit_debit_indicator.eq_ignore_ascii_case("debit") {
            -minor
        } else {
            minor
        }
    }

    /// The newest booking date (UTC) of an account's transactions.
    pub fn newest_booking_date(&self, account_id: &str) -> String {
        self.transactions[account_id]
            .iter()
            .map(|t| t.booking_date_time.date_naive().to_string())
            .max()
            .unwrap_or_else(|| panic!("the bank has no transactions for {account_id}"))
    }
}
