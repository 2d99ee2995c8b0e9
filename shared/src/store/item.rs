//! Items as attribute maps: only the three attribute types this code writes.

use std::collections::BTreeMap;

use super::StoreError;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    S(String),
    N(i64),
    Bool(bool),
}

pub type Item = BTreeMap<String, Value>;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Key {
        Key {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    pub fn of(item: &Item) -> Result<Key, StoreError> {
        Ok(Key {
            pk: item.s("pk")?.to_string(),
            sk: item.s("sk")?.to_string(),
        })
    }

    /// The item holding just this key, to add attributes to.
    pub fn item(&self) -> Item {
        let mut item = Item::new();
        item.insert("pk".into(), Value::S(self.pk.clone()));
        item.insert("sk".into(), Value::S(self.sk.clone()));
        item
    }
}

/// Typed reads of an item's attributes; a wrong type or a missing required attribute is
/// `Corrupt`, never a panic.
pub trait ItemExt {
    fn s(&self, name: &str) -> Result<&str, StoreError>;
    fn opt_s(&self, name: &str) -> Result<Option<&str>, StoreError>;
    fn n(&self, name: &str) -> Result<i64, StoreError>;
    fn opt_n(&self, name: &str) -> Result<Option<i64>, StoreError>;
    fn opt_bool(&self, name: &str) -> Result<Option<bool>, StoreError>;
    fn set_s(&mut self, name: &str, value: impl Into<String>);
    fn set_n(&mut self, name: &str, value: i64);
    fn set_opt_s(&mut self, name: &str, value: Option<impl Into<String>>);
    fn set_opt_n(&mut self, name: &str, value: Option<i64>);

    /// Times are stored as epoch milliseconds.
    fn time(&self, name: &str) -> Result<Timestamp, StoreError> {
        self.n(name).map(Timestamp::from_millis)
    }
    fn opt_time(&self, name: &str) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.opt_n(name)?.map(Timestamp::from_millis))
    }
    fn set_time(&mut self, name: &str, value: Timestamp) {
        self.set_n(name, value.millis());
    }
    fn set_opt_time(&mut self, name: &str, value: Option<Timestamp>) {
        self.set_opt_n(name, value.map(Timestamp::millis));
    }
    /// DynamoDB's TTL attribute (`expires_at_s`, epoch seconds): the item may vanish after it.
    fn set_ttl(&mut self, at: Timestamp) {
        self.set_n(TTL_ATTRIBUTE, at.epoch_secs());
    }
}

/// The table's TTL attribute (declared in the template), in epoch seconds.
pub const TTL_ATTRIBUTE: &str = "expires_at_s";

impl ItemExt for Item {
    fn s(&self, name: &str) -> Result<&str, StoreError> {
        self.opt_s(name)?
            .ok_or_else(|| StoreError::Corrupt(format!("missing string attribute {name}")))
    }

    fn opt_s(&self, name: &str) -> Result<Option<&str>, StoreError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::S(s)) => Ok(Some(s)),
            Some(_) => Err(StoreError::Corrupt(format!(
                "attribute {name} is not a string"
            ))),
        }
    }

    fn n(&self, name: &str) -> Result<i64, StoreError> {
        self.opt_n(name)?
            .ok_or_else(|| StoreError::Corrupt(format!("missing number attribute {name}")))
    }

    fn opt_n(&self, name: &str) -> Result<Option<i64>, StoreError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::N(n)) => Ok(Some(*n)),
            Some(_) => Err(StoreError::Corrupt(format!(
                "attribute {name} is not a number"
            ))),
        }
    }

    fn opt_bool(&self, name: &str) -> Result<Option<bool>, StoreError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(StoreError::Corrupt(format!(
                "attribute {name} is not a boolean"
            ))),
        }
    }

    fn set_s(&mut self, name: &str, value: impl Into<String>) {
        self.insert(name.to_string(), Value::S(value.into()));
    }

    fn set_n(&mut self, name: &str, value: i64) {
        self.insert(name.to_string(), Value::N(value));
    }

    fn set_opt_s(&mut self, name: &str, value: Option<impl Into<String>>) {
        if let Some(v) = value {
            self.set_s(name, v);
        }
    }

    fn set_opt_n(&mut self, name: &str, value: Option<i64>) {
        if let Some(v) = value {
            self.set_n(name, v);
        }
    }
}
