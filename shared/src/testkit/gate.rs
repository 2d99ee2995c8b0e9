//! A table whose batch writes wait at a gate the test opens: the one interleaving that matters
//! in a race (a process has read and fetched, and its writes land after something else
//! happened) made deterministic, on a real table. Everything else passes straight through.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use tokio::sync::watch;

use crate::store::{Cond, Item, Key, Page, Query, StoreError, Table, Update, Write};

pub struct GatedTable<T: Table> {
    inner: T,
    open: watch::Sender<bool>,
    waiting: AtomicUsize,
}

impl<T: Table> GatedTable<T> {
    /// Batch writes wait until [`GatedTable::open`].
    pub fn closed(inner: T) -> GatedTable<T> {
        GatedTable {
            inner,
            open: watch::Sender::new(false),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Lets every waiting and later batch write through.
    pub fn open(&self) {
        self.open.send_replace(true);
    }

    /// Resolves once a batch write is waiting at the gate.
    pub async fn until_a_write_waits(&self) {
        while self.waiting.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

#[async_trait]
impl<T: Table> Table for GatedTable<T> {
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
        self.inner.query(query).await
    }

    async fn query_page(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query_page(query).await
    }

    async fn batch_write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut open = self.open.subscribe();
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let passed = open.wait_for(|o| *o).await.map(|_| ());
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        passed.map_err(|_| StoreError::Backend("gate dropped".into()))?;
        self.inner.batch_write(writes).await
    }
}
