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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryTable;

    fn account(connection_id: &str, account_id: &str) -> AccountRecord {
        AccountRecord {
            user: UserId::parse("user-1").expect("a user id"),
            connection_id: connection_id.into(),
            account_id: account_id.into(),
            provider_id: None,
            currency: Currency::from_code("BHD").expect("BHD"),
            product_type: None,
            description: None,
            holder_name: None,
            iban: None,
            last_booking_date: None,
            balance: None,
            balance_type: None,
            balance_at: None,
            updated_at: Timestamp::from_millis(1_800_000_000_000),
        }
    }

    #[tokio::test]
    async fn accounts_read_back_per_user_and_per_connection() {
        let table = Arc::new(MemoryTable::new());
        let repo = AccountRepo::new(table.clone());
        let full = AccountRecord {
            provider_id: Some("BHR-BANK".into()),
            product_type: Some("CurrentAccount".into()),
            description: Some("Salary account".into()),
            holder_name: Some("A. Holder".into()),
            iban: Some("BH67BMAG00001299123456".into()),
            last_booking_date: Some(NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date")),
            balance: Some(Money::from_minor(
                -1_250,
                Currency::from_code("BHD").expect("BHD"),
            )),
            balance_type: Some("InterimBooked".into()),
            balance_at: Some(Timestamp::from_millis(1_800_000_100_000)),
            ..account("conn-1", "acc-1")
        };
        let second = account("conn-1", "acc-2");
        let other_connection = account("conn-10", "acc-3");
        repo.put_all(&[full.clone(), second.clone(), other_connection.clone()])
            .await
            .expect("stored");
        // A connection item shares the partition; it is not an account.
        let mut connection = Key::new("USER#user-1", "CONN#conn-1").item();
        connection.set_s("status", "active");
        table.put(connection, None).await.expect("written");

        let user = full.user.clone();
        assert_eq!(
            repo.list(&user).await.expect("list"),
            vec![full.clone(), second.clone(), other_connection.clone()]
        );
        // `conn-1` is a prefix of `conn-10`: the separator keeps them apart.
        assert_eq!(
            repo.list_for_connection(&user, "conn-1")
                .await
                .expect("list"),
            vec![full.clone(), second.clone()]
        );
        repo.delete_all(&[full, second]).await.expect("deleted");
        assert_eq!(
            repo.list(&user).await.expect("list"),
            vec![other_connection]
        );
        assert_eq!(table.snapshot().len(), 2);
    }
}
