//! The embedded table: a map under one mutex, so every conditional write is atomic exactly
//! like DynamoDB's single-item conditional writes.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::expr::{Cond, Update};
use super::item::{Item, Key, Value};
use super::{
    GSI1, Page, Query, SortKey, StoreError, Table, Write, check_distinct_keys, page_limit,
};

#[derive(Default)]
pub struct MemoryTable {
    items: Mutex<BTreeMap<Key, Item>>,
}

impl MemoryTable {
    pub fn new() -> MemoryTable {
        MemoryTable::default()
    }

    /// Every item, sorted by key (`pk`, then `sk`): what a test compares before and after a
    /// request. The application never reads a whole table.
    pub fn snapshot(&self) -> Vec<Item> {
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// The items a query selects, in its order, after its start key: `(sort key, item)`.
    fn matching(&self, query: &Query) -> Result<Vec<(String, Item)>, StoreError> {
        if let Some(start) = &query.start_after
            && (query.index.is_some() || start.pk != query.partition)
        {
            // DynamoDB refuses a start key outside the queried partition too.
            return Err(StoreError::Invalid(
                "a start key must be in the queried base-table partition".into(),
            ));
        }
        let items = self.lock()?;
        let mut found: Vec<(String, Item)> = match query.index {
            None => {
                let start = Key::new(query.partition.clone(), "");
                items
                    .range(start..)
                    .take_while(|(k, _)| k.pk == query.partition)
                    .filter(|(k, _)| sort_matches(&query.sort, &k.sk))
                    .map(|(k, v)| (k.sk.clone(), v.clone()))
                    .collect()
            }
            Some(GSI1) => items
                .values()
                .filter_map(|item| match (item.get("gsi1pk"), item.get("gsi1sk")) {
                    // Sparse: only items with both index attributes (as strings) are in it.
                    (Some(Value::S(pk)), Some(Value::S(sk)))
                        if *pk == query.partition && sort_matches(&query.sort, sk) =>
                    {
                        Some((sk.clone(), item.clone()))
                    }
                    _ => None,
                })
                .collect(),
            Some(other) => return Err(StoreError::Invalid(format!("no index {other}"))),
        };
        found.sort_by(|a, b| a.0.cmp(&b.0));
        if !query.ascending {
            found.reverse();
        }
        if let Some(start) = &query.start_after {
            // Exclusive, in the query's direction (the start key need not exist).
            found.retain(|(sk, _)| {
                if query.ascending {
                    *sk > start.sk
                } else {
                    *sk < start.sk
                }
            });
        }
        Ok(found)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<Key, Item>>, StoreError> {
        // A panic while holding the lock cannot leave a half-applied write (each write is a
        // single insert), so a poisoned lock is still consistent.
        Ok(self.items.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn check(cond: Option<&Cond>, current: Option<&Item>) -> Result<(), StoreError> {
    match cond {
        Some(c) if !c.holds(current) => Err(StoreError::ConditionFailed),
        _ => Ok(()),
    }
}

fn sort_matches(sort: &SortKey, sk: &str) -> bool {
    match sort {
        SortKey::All => true,
        SortKey::BeginsWith(prefix) => sk.starts_with(prefix.as_str()),
        SortKey::Between(lo, hi) => sk >= lo.as_str() && sk <= hi.as_str(),
        SortKey::LessOrEqual(hi) => sk <= hi.as_str(),
    }
}

#[async_trait]
impl Table for MemoryTable {
    async fn get(&self, key: &Key, _consistent: bool) -> Result<Option<Item>, StoreError> {
        Ok(self.lock()?.get(key).cloned())
    }

    async fn put(&self, item: Item, cond: Option<&Cond>) -> Result<(), StoreError> {
        let key = Key::of(&item)?;
        let mut items = self.lock()?;
        check(cond, items.get(&key))?;
        items.insert(key, item);
        Ok(())
    }

    async fn update(
        &self,
        key: &Key,
        updates: &[Update],
        cond: Option<&Cond>,
    ) -> Result<(), StoreError> {
        if updates
            .iter()
            .any(|u| u.target() == "pk" || u.target() == "sk")
        {
            return Err(StoreError::Invalid(
                "an update cannot change the key".into(),
            ));
        }
        let mut items = self.lock()?;
        let current = items.get(key);
        check(cond, current)?;
        let mut next = current.cloned().unwrap_or_else(|| key.item());
        for u in updates {
            u.apply(&mut next).map_err(StoreError::Invalid)?;
        }
        items.insert(key.clone(), next);
        Ok(())
    }

    async fn delete(&self, key: &Key, cond: Option<&Cond>) -> Result<(), StoreError> {
        let mut items = self.lock()?;
        check(cond, items.get(key))?;
        items.remove(key);
        Ok(())
    }

    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        let limit = query.limit.unwrap_or(usize::MAX);
        Ok(self
            .matching(query)?
            .into_iter()
            .take(limit)
            .map(|(_, item)| item)
            .collect())
    }

    async fn query_page(&self, query: &Query) -> Result<Page, StoreError> {
        let limit = page_limit(query)?;
        let items: Vec<Item> = self
            .matching(query)?
            .into_iter()
            .take(limit)
            .map(|(_, item)| item)
            .collect();
        // As DynamoDB: a page that reached its limit says where it stopped, even at the end.
        let last_key = match items.last() {
            Some(last) if items.len() == limit => Some(Key::of(last)?),
            _ => None,
        };
        Ok(Page { items, last_key })
    }

    async fn batch_write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_distinct_keys(&writes)?;
        let mut items = self.lock()?;
        for w in writes {
            match w {
                Write::Put(item) => {
                    let key = Key::of(&item)?;
                    items.insert(key, item);
                }
                Write::Delete(key) => {
                    items.remove(&key);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_snapshot_is_every_item_sorted_by_key() {
        let table = MemoryTable::new();
        for (pk, sk) in [
            ("b", "1"),
            ("a", "2"),
            ("a#x", "0"),
            ("a", "10"),
            ("a", "1"),
        ] {
            table.put(Key::new(pk, sk).item(), None).await.unwrap();
        }
        let keys: Vec<Key> = table
            .snapshot()
            .iter()
            .map(|i| Key::of(i).unwrap())
            .collect();
        let expected = [
            ("a", "1"),
            ("a", "10"),
            ("a", "2"),
            ("a#x", "0"),
            ("b", "1"),
        ];
        assert_eq!(keys, expected.map(|(pk, sk)| Key::new(pk, sk)));
        assert!(MemoryTable::new().snapshot().is_empty());
    }
}
