//! Items and expressions to and from the SDK's attribute maps and expression strings.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::store::StoreError;
use crate::store::expr::{Cond, Update};
use crate::store::item::{Item, Key, Value};

pub(super) fn to_attribute(v: &Value) -> AttributeValue {
    match v {
        Value::S(s) => AttributeValue::S(s.clone()),
        Value::N(n) => AttributeValue::N(n.to_string()),
        Value::Bool(b) => AttributeValue::Bool(*b),
    }
}

pub(super) fn to_attributes(item: &Item) -> HashMap<String, AttributeValue> {
    item.iter()
        .map(|(k, v)| (k.clone(), to_attribute(v)))
        .collect()
}

pub(super) fn key_attributes(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(key.pk.clone())),
        ("sk".to_string(), AttributeValue::S(key.sk.clone())),
    ])
}

pub(super) fn from_attributes(raw: HashMap<String, AttributeValue>) -> Result<Item, StoreError> {
    raw.into_iter()
        .map(|(name, value)| {
            let v = match value {
                AttributeValue::S(s) => Value::S(s),
                AttributeValue::N(n) => Value::N(n.parse().map_err(|_| {
                    StoreError::Corrupt(format!("attribute {name} is not an integer: {n}"))
                })?),
                AttributeValue::Bool(b) => Value::Bool(b),
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "attribute {name} has an unsupported type {other:?}"
                    )));
                }
            };
            Ok((name, v))
        })
        .collect()
}

/// Builds expression strings with placeholder names (`#n0`) and values (`:v0`), so no
/// attribute name can collide with a reserved word and no value is ever spliced in.
#[derive(Default)]
pub(super) struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    pub(super) fn name(&mut self, attribute: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, a)| a.as_str() == attribute) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names
            .insert(placeholder.clone(), attribute.to_string());
        placeholder
    }

    pub(super) fn value(&mut self, value: &Value) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), to_attribute(value));
        placeholder
    }

    pub(super) fn condition(&mut self, cond: &Cond) -> String {
        let cmp = |e: &mut Expr, n: &str, op: &str, v: &Value| {
            let n = e.name(n);
            let v = e.value(v);
            format!("{n} {op} {v}")
        };
        match cond {
            Cond::Exists(n) => format!("attribute_exists({})", self.name(n)),
            Cond::NotExists(n) => format!("attribute_not_exists({})", self.name(n)),
            Cond::Eq(n, v) => cmp(self, n, "=", v),
            Cond::Ne(n, v) => cmp(self, n, "<>", v),
            Cond::Lt(n, v) => cmp(self, n, "<", v),
            Cond::Le(n, v) => cmp(self, n, "<=", v),
            Cond::Gt(n, v) => cmp(self, n, ">", v),
            Cond::Ge(n, v) => cmp(self, n, ">=", v),
            // Parentheses only where precedence needs them (an OR inside an AND): the local
            // DynamoDB used in tests parses nested parentheses slowly.
            Cond::And(a, b) => {
                let (a, b) = (self.and_operand(a), self.and_operand(b));
                format!("{a} AND {b}")
            }
            Cond::Or(a, b) => format!("{} OR {}", self.condition(a), self.condition(b)),
        }
    }

    fn and_operand(&mut self, cond: &Cond) -> String {
        match cond {
            Cond::Or(..) => format!("({})", self.condition(cond)),
            other => self.condition(other),
        }
    }

    pub(super) fn update(&mut self, updates: &[Update]) -> String {
        let mut sets = Vec::new();
        let mut removes = Vec::new();
        for u in updates {
            match u {
                Update::Set(n, v) => {
                    let (n, v) = (self.name(n), self.value(v));
                    sets.push(format!("{n} = {v}"));
                }
                Update::Increment(n, by) => {
                    let n = self.name(n);
                    let zero = self.value(&Value::N(0));
                    let by = self.value(&Value::N(*by));
                    sets.push(format!("{n} = if_not_exists({n}, {zero}) + {by}"));
                }
                Update::Remove(n) => removes.push(self.name(n)),
            }
        }
        let mut out = String::new();
        if !sets.is_empty() {
            out.push_str("SET ");
            out.push_str(&sets.join(", "));
        }
        if !removes.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str("REMOVE ");
            out.push_str(&removes.join(", "));
        }
        out
    }

    pub(super) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub(super) fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_claim_condition_renders_with_placeholders() {
        let cond = Cond::not_exists("lease_id")
            .or(Cond::lt("lease_expires_at", Value::N(1000)))
            .and(Cond::not_exists("version").or(Cond::eq("version", Value::N(3))));
        let mut e = Expr::default();
        let s = e.condition(&cond);
        assert_eq!(
            s,
            "(attribute_not_exists(#n0) OR #n1 < :v0) AND (attribute_not_exists(#n2) OR #n2 = :v1)"
        );
        assert_eq!(e.names().unwrap()["#n2"], "version");
        assert_eq!(e.values().unwrap()[":v1"], AttributeValue::N("3".into()));
    }

    #[test]
    fn update_renders_set_increment_and_remove() {
        let mut e = Expr::default();
        let s = e.update(&[
            Update::set("access_token", Value::S("t".into())),
            Update::increment("version", 1),
            Update::remove("lease_id"),
        ]);
        assert_eq!(
            s,
            "SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1) + :v2 REMOVE #n2"
        );
    }
}
