//! A table that refuses puts into some partitions (as DynamoDB does when a request fails for
//! good), to prove what a route does when one of its writes cannot be made.

use async_trait::async_trait;

use crate::store::{Cond, Item, ItemExt, Key, Page, Query, StoreError, Table, Update, Write};

pub struct RefusingTable<T: Table> {
    inner: T,
    pk_contains: &'static str,
}

impl<T: Table> RefusingTable<T> {
    /// Puts whose `pk` contains `pk_contains` fail with a backend error; all else passes.
    pub fn refusing_puts_to(inner: T, pk_contains: &'static str) -> RefusingTable<T> {
        RefusingTable { inner, pk_contains }
    }
}

#[async_trait]
impl<T: Table> Table for RefusingTable<T> {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.inner.get(key, consistent).await
    }

    async fn put(&self, item: Item, cond: Option<&Cond>) -> Result<(), StoreError> {
        if item.s("pk")?.contains(self.pk_contains) {
            return Err(StoreError::Backend("refused by the test".into()));
        }
        self.inner.put(item, cond).await
    }

    async fn update(
        &self,
        key: &Key,
        updates: &[Update],
        cond: Option<&Cond>,
    ) -> Result<(), StoreError> {
        self.inner.update(key, updates, cond).await
    }

    async fn delete(&self, key: &Key, cond: Option<&Cond>) -> Result<(), StoreError> {
        self.inner.delete(key, cond).await
    }

    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        self.inner.query(query).await
    }

    async fn query_page(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query_page(query).await
    }

    async fn batch_write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.inner.batch_write(writes).await
    }
}
