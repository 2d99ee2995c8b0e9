//! A table that remembers what its queries returned, around any [`Table`]: for tests that a
//! read is bounded (how many items of which partition a request read).

use std::sync::Mutex;

use async_trait::async_trait;

use super::env::TestTable;
use crate::store::{Cond, Item, ItemExt, Key, Page, Query, StoreError, Table, Update, Write};

pub struct ReadCounter<T: Table> {
    inner: T,
    /// `(partition, sort key)` of every item a query returned, in order.
    read: Mutex<Vec<(String, String)>>,
}

impl<T: Table> ReadCounter<T> {
    pub fn new(inner: T) -> ReadCounter<T> {
        ReadCounter {
            inner,
            read: Mutex::new(Vec::new()),
        }
    }

    /// The sort keys queries returned from `partition` since the last [`ReadCounter::reset`].
    pub fn sort_keys_read(&self, partition: &str) -> Vec<String> {
        self.read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(pk, _)| pk == partition)
            .map(|(_, sk)| sk.clone())
            .collect()
    }

    pub fn reset(&self) {
        self.read.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[async_trait]
impl<T: Table> Table for ReadCounter<T> {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.inner.get(key, consistent).await
    }

    async fn put(&self, item: Item, cond: Option<&Cond>) -> Result<(), StoreError> {
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
        let items = self.inner.query(query).await?;
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        for item in &items {
            read.push((
                item.s("pk").unwrap_or_default().to_string(),
                item.s("sk").unwrap_or_default().to_string(),
            ));
        }
        Ok(items)
    }

    async fn query_page(&self, query: &Query) -> Result<Page, StoreError> {
        let page = self.inner.query_page(query).await?;
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        for item in &page.items {
            read.push((
                item.s("pk").unwrap_or_default().to_string(),
                item.s("sk").unwrap_or_default().to_string(),
            ));
        }
        Ok(page)
    }

    async fn batch_write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.inner.batch_write(writes).await
    }
}

#[async_trait]
impl<T: TestTable> TestTable for ReadCounter<T> {
    async fn fresh() -> Self {
        ReadCounter::new(T::fresh().await)
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn dump(&self) -> Vec<Item> {
        self.inner.dump().await
    }
}
