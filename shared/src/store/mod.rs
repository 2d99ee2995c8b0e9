//! The one DynamoDB table, behind a small item-level trait with two implementations:
//! [`DynamoTable`] (aws-sdk-dynamodb) and [`MemoryTable`] (embedded, same compare-and-set
//! semantics). Typed repositories (tokens, connections, …) are written once over the trait,
//! and one conformance suite (`tests/store_conformance.rs`) runs against both.
//!
//! Every read path is a keyed GetItem or Query; there is no Scan in the trait.

mod dynamo;
mod expr;
mod item;
mod memory;

use async_trait::async_trait;

pub use dynamo::{DynamoTable, RequestCounter, create_table};
pub use expr::{Cond, Update};
pub use item::{Item, ItemExt, Key, TTL_ATTRIBUTE, Value};
pub use memory::MemoryTable;

/// Name of the sparse global secondary index (attributes `gsi1pk`, `gsi1sk`).
pub const GSI1: &str = "gsi1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A condition expression did not hold (DynamoDB's `ConditionalCheckFailedException`).
    #[error("condition not met")]
    ConditionFailed,
    /// The request was invalid for the table (duplicate keys in a batch, say): a bug.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// An item did not have the shape this code writes.
    #[error("malformed item: {0}")]
    Corrupt(String),
    #[error("DynamoDB request failed: {0}")]
    Backend(String),
}

/// Which sort keys a query selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    All,
    BeginsWith(String),
    /// Inclusive on both ends, like DynamoDB's `BETWEEN`.
    Between(String, String),
    LessOrEqual(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// `None` = the base table (`pk`/`sk`); `Some(GSI1)` = the sparse index.
    pub index: Option<&'static str>,
    pub partition: String,
    pub sort: SortKey,
    /// Strongly consistent read; base table only.
    pub consistent: bool,
    pub ascending: bool,
    /// Stop after this many items (all pages are read until then); for [`Table::query_page`],
    /// the page size (DynamoDB's `Limit`).
    pub limit: Option<usize>,
    /// Start after this key, exclusive (DynamoDB's `ExclusiveStartKey`); base table only,
    /// since an index position also needs the index's own key attributes.
    pub start_after: Option<Key>,
}

impl Query {
    pub fn partition(partition: impl Into<String>) -> Query {
        Query {
            index: None,
            partition: partition.into(),
            sort: SortKey::All,
            consistent: true,
            ascending: true,
            limit: None,
            start_after: None,
        }
    }

    pub fn sort(mut self, sort: SortKey) -> Query {
        self.sort = sort;
        self
    }

    pub fn on_index(mut self, index: &'static str) -> Query {
        self.index = Some(index);
        self.consistent = false;
        self
    }

    pub fn descending(mut self) -> Query {
        self.ascending = false;
        self
    }

    pub fn limit(mut self, limit: usize) -> Query {
        self.limit = Some(limit);
        self
    }

    /// Continue after `key` (exclusive), in the query's order.
    pub fn after(mut self, key: Key) -> Query {
        self.start_after = Some(key);
        self
    }
}

/// What one Query request returned: its items, and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<Item>,
    /// DynamoDB's `LastEvaluatedKey`: `Some` when the request stopped at its limit (or at
    /// DynamoDB's 1 MB per request), even if nothing follows, so the page after it can be
    /// empty; `None` only when the range is exhausted.
    pub last_key: Option<Key>,
}

/// One write of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Put(Item),
    Delete(Key),
}

impl Write {
    pub fn key(&self) -> Result<Key, StoreError> {
        match self {
            Write::Put(item) => Key::of(item),
            Write::Delete(key) => Ok(key.clone()),
        }
    }
}

#[async_trait]
pub trait Table: Send + Sync {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError>;

    /// Writes the whole item if `cond` holds on the current one (absent = empty).
    async fn put(&self, item: Item, cond: Option<&Cond>) -> Result<(), StoreError>;

    /// Applies `updates` if `cond` holds, creating the item when it does not exist (as
    /// DynamoDB's UpdateItem does).
    async fn update(
        &self,
        key: &Key,
        updates: &[Update],
        cond: Option<&Cond>,
    ) -> Result<(), StoreError>;

    /// Deletes the item if `cond` holds; deleting an absent item without a condition is fine.
    async fn delete(&self, key: &Key, cond: Option<&Cond>) -> Result<(), StoreError>;

    /// Items of one partition in sort-key order, every page read.
    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError>;

    /// One page of a base-table query, in exactly one request: at most `query.limit` items
    /// (required) after `query.start_after`, and where the next page starts.
    async fn query_page(&self, query: &Query) -> Result<Page, StoreError>;

    /// Unconditional puts and deletes, in as many requests as needed; items DynamoDB leaves
    /// unprocessed are retried. Duplicate keys are refused, as DynamoDB refuses them.
    async fn batch_write(&self, writes: Vec<Write>) -> Result<(), StoreError>;
}

/// The page size of a [`Table::query_page`], which must be on the base table.
pub(crate) fn page_limit(query: &Query) -> Result<usize, StoreError> {
    if query.index.is_some() {
        return Err(StoreError::Invalid(
            "a paged query reads the base table".into(),
        ));
    }
    match query.limit {
        Some(limit) if limit > 0 && limit <= i32::MAX as usize => Ok(limit),
        _ => Err(StoreError::Invalid("a paged query needs a limit".into())),
    }
}

/// Refuses a batch naming one key twice (DynamoDB would reject its request).
pub(crate) fn check_distinct_keys(writes: &[Write]) -> Result<(), StoreError> {
    let mut seen = std::collections::HashSet::with_capacity(writes.len());
    for w in writes {
        if !seen.insert(w.key()?) {
            return Err(StoreError::Invalid("batch names the same key twice".into()));
        }
    }
    Ok(())
}

/// A shared table is a table (the simulation wraps one table per simulated process).
#[async_trait]
impl<T: Table + ?Sized> Table for std::sync::Arc<T> {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        (**self).get(key, consistent).await
    }
    async fn put(&self, item: Item, cond: Option<&Cond>) -> Result<(), StoreError> {
        (**self).put(item, cond).await
    }
    async fn update(
        &self,
        key: &Key,
        updates: &[Update],
        cond: Option<&Cond>,
    ) -> Result<(), StoreError> {
        (**self).update(key, updates, cond).await
    }
    async fn delete(&self, key: &Key, cond: Option<&Cond>) -> Result<(), StoreError> {
        (**self).delete(key, cond).await
    }
    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        (**self).query(query).await
    }
    async fn query_page(&self, query: &Query) -> Result<Page, StoreError> {
        (**self).query_page(query).await
    }
    async fn batch_write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        (**self).batch_write(writes).await
    }
}
