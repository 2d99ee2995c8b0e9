//! Account items: `USER#<user>` / `ACCT#<connectionId>#<accountId>`.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::identity::UserId;
use crate::money::{Currency, Money};
use crate::store::{Item, ItemExt, Key, Query, SortKey, StoreError, Table, Write};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub user: UserId,
    pub connection_id: String,
    pub account_id: String,
    pub provider_id: Option<String>,
    pub currency: Currency,
    /// Tarabut's `accountProductType` (`CurrentAccount`, `Savings`, `CreditCard`, …).
    pub product_type: Option<String>,
    pub description: Option<String>,
    pub holder_name: Option<String>,
    pub iban: Option<String>,
    /// Latest booking date stored: the next sync starts a few days before it.
    pub last_booking_date: Option<NaiveDate>,
    /// Latest balance seen (signed, holder's view), its type and time.
    pub balance: Option<Money>,
    pub balance_type: Option<String>,
    pub balance_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

fn sk(connection_id: &str, account_id: &str) -> String {
    format!("ACCT#{connection_id}#{account_id}")
}

impl AccountRecord {
    pub fn key(&self) -> Key {
        Key::new(
            super::connection::pk(&self.user),
            sk(&self.connection_id, &self.account_id),
        )
    }

    fn to_item(&self) -> Item {
        let mut item = self.key().item();
        item.set_s("user_id", self.user.as_str());
        item.set_s("connection_id", &self.connection_id);
        item.set_s("account_id", &self.account_id);
        item.set_opt_s("provider_id", self.provider_id.clone());
        item.set_s("currency", self.currency.code());
        item.set_opt_s("product_type", self.product_type.clone());
        item.set_opt_s("description", self.description.clone());
        item.set_opt_s("holder_name", self.holder_name.clone());
        item.set_opt_s("iban", self.iban.clone());
        item.set_opt_s(
            "last_booking_date",
            self.last_booking_date.map(|d| d.to_string()),
        );
        item.set_opt_n("balance_minor", self.balance.map(|m| m.minor()));
        item.set_opt_s("balance_type", self.balance_type.clone());
        item.set_opt_time("balance_at", self.balance_at);
        item.set_time("updated_at", self.updated_at);
        item
    }

    fn from_item(item: &Item) -> Result<AccountRecord, StoreError> {
        let currency = Currency::from_code(item.s("currency")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let last_booking_date = item
            .opt_s("last_booking_date")?
            .map(|s| s.parse::<NaiveDate>())
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("last_booking_date: {e}")))?;
        Ok(AccountRecord {
            user: UserId::parse(item.s("user_id")?)
                .ok_or_else(|| StoreError::Corrupt("account user_id".into()))?,
            connection_id: item.s("connection_id")?.to_string(),
            account_id: item.s("account_id")?.to_string(),
            provider_id: item.opt_s("provider_id")?.map(str::to_string),
            currency,
            product_type: item.opt_s("product_type")?.map(str::to_string),
            description: item.opt_s("description")?.map(str::to_string),
            holder_name: item.opt_s("holder_name")?.map(str::to_string),
            iban: item.opt_s("iban")?.map(str::to_string),
            last_booking_date,
            balance: item
                .opt_n("balance_minor")?
                .map(|m| Money::from_minor(m, currency)),
            balance_type: item.opt_s("balance_type")?.map(str::to_string),
            balance_at: item.opt_time("balance_at")?,
            updated_at: item.time("updated_at")?,
        })
    }
}

#[derive(Clone)]
pub struct AccountRepo {
    table: Arc<dyn Table>,
}

impl AccountRepo {
    pub fn new(table: Arc<dyn Table>) -> AccountRepo {
        AccountRepo { table }
    }

    pub async fn put_all(&self, accounts: &[AccountRecord]) -> Result<(), StoreError> {
        let writes = accounts.iter().map(|a| Write::Put(a.to_item())).collect();
        self.table.batch_write(writes).await
    }

    pub async fn list(&self, user: &UserId) -> Result<Vec<AccountRecord>, StoreError> {
        self.query(user, "ACCT#".to_string()).await
    }

    pub async fn list_for_connection(
        &self,
        user: &UserId,
        connection_id: &str,
    ) -> Result<Vec<AccountRecord>, StoreError> {
        self.query(user, format!("ACCT#{connection_id}#")).await
    }

    pub async fn delete_all(&self, accounts: &[AccountRecord]) -> Result<(), StoreError> {
        let writes = accounts.iter().map(|a| Write::Delete(a.key())).collect();
        self.table.batch_write(writes).await
    }

    async fn query(&self, user: &UserId, prefix: String) -> Result<Vec<AccountRecord>, StoreError> {
        self.table
            .query(&Query::partition(super::connection::pk(user)).sort(SortKey::BeginsWith(prefix)))
            .await?
            .iter()
            .map(AccountRecord::from_item)
            .collect()
    }
}
