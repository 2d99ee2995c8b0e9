//! Condition and update expressions as data: translated to DynamoDB expression strings by
//! the DynamoDB table, evaluated directly by the memory table, with the same semantics.

use super::item::{Item, Value};

/// A condition on the current item (an absent item has no attributes).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Exists(String),
    NotExists(String),
    Eq(String, Value),
    Ne(String, Value),
    Lt(String, Value),
    Le(String, Value),
    Gt(String, Value),
    Ge(String, Value),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

impl Cond {
    pub fn exists(name: &str) -> Cond {
        Cond::Exists(name.to_string())
    }

    pub fn not_exists(name: &str) -> Cond {
        Cond::NotExists(name.to_string())
    }

    pub fn eq(name: &str, value: Value) -> Cond {
        Cond::Eq(name.to_string(), value)
    }

    pub fn lt(name: &str, value: Value) -> Cond {
        Cond::Lt(name.to_string(), value)
    }

    pub fn le(name: &str, value: Value) -> Cond {
        Cond::Le(name.to_string(), value)
    }

    pub fn gt(name: &str, value: Value) -> Cond {
        Cond::Gt(name.to_string(), value)
    }

    pub fn and(self, other: Cond) -> Cond {
        Cond::And(Box::new(self), Box::new(other))
    }

    pub fn or(self, other: Cond) -> Cond {
        Cond::Or(Box::new(self), Box::new(other))
    }

    /// Evaluates the condition the way DynamoDB does: a comparison with a missing attribute,
    /// or between values of different types, is false; booleans compare only for equality.
    pub fn holds(&self, item: Option<&Item>) -> bool {
        let get = |name: &str| item.and_then(|i| i.get(name));
        let compare =
            |name: &str, v: &Value, ok: fn(std::cmp::Ordering) -> bool| match (get(name), v) {
                (Some(Value::S(a)), Value::S(b)) => ok(a.as_bytes().cmp(b.as_bytes())),
                (Some(Value::N(a)), Value::N(b)) => ok(a.cmp(b)),
                _ => false,
            };
        let equal = |name: &str, v: &Value| match (get(name), v) {
            (Some(Value::Bool(a)), Value::Bool(b)) => a == b,
            _ => compare(name, v, |o| o.is_eq()),
        };
        match self {
            Cond::Exists(n) => get(n).is_some(),
            Cond::NotExists(n) => get(n).is_none(),
            Cond::Eq(n, v) => equal(n, v),
            // `<>` is true when the attribute is missing or of another type.
            Cond::Ne(n, v) => !equal(n, v),
            Cond::Lt(n, v) => compare(n, v, |o| o.is_lt()),
            Cond::Le(n, v) => compare(n, v, |o| o.is_le()),
            Cond::Gt(n, v) => compare(n, v, |o| o.is_gt()),
            Cond::Ge(n, v) => compare(n, v, |o| o.is_ge()),
            Cond::And(a, b) => a.holds(item) && b.holds(item),
            Cond::Or(a, b) => a.holds(item) || b.holds(item),
        }
    }
}

/// One action of an update expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Set(String, Value),
    Remove(String),
    /// `SET a = if_not_exists(a, 0) + n`: a counter that starts at zero.
    Increment(String, i64),
}

impl Update {
    pub fn set(name: &str, value: Value) -> Update {
        Update::Set(name.to_string(), value)
    }

    pub fn remove(name: &str) -> Update {
        Update::Remove(name.to_string())
    }

    pub fn increment(name: &str, by: i64) -> Update {
        Update::Increment(name.to_string(), by)
    }

    pub fn target(&self) -> &str {
        match self {
            Update::Set(n, _) | Update::Remove(n) | Update::Increment(n, _) => n,
        }
    }

    /// Applies the action to an item in memory. `Err` for an increment of a non-number, as
    /// DynamoDB fails such an update.
    pub fn apply(&self, item: &mut Item) -> Result<(), String> {
        match self {
            Update::Set(n, v) => {
                item.insert(n.clone(), v.clone());
            }
            Update::Remove(n) => {
                item.remove(n);
            }
            Update::Increment(n, by) => {
                let current = match item.get(n) {
                    None => 0,
                    Some(Value::N(x)) => *x,
                    Some(_) => return Err(format!("attribute {n} is not a number")),
                };
                let next = current
                    .checked_add(*by)
                    .ok_or_else(|| format!("attribute {n} overflows"))?;
                item.insert(n.clone(), Value::N(next));
            }
        }
        Ok(())
    }
}
