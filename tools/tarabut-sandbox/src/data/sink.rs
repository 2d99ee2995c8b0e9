//! Collects generated transactions and gives each a stable id.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::catalogue::{Category, Merchant};
use super::ids::stable_uuid;
use super::model::{AccountKind, Direction, Txn};
use super::profile::Profile;

/// One transaction to add. `tag` names the kind of event; the id is derived from the account,
/// the booking date, the tag and an ordinal among same-tag events of that day, so an event keeps
/// its id when other kinds of events are added or when "today" moves.
pub struct Entry {
    account: AccountKind,
    date: NaiveDate,
    tag: &'static str,
    direction: Direction,
    amount_minor: i64,
    description: String,
    txn_type: &'static str,
    sub_type: &'static str,
    category: Option<&'static Category>,
    merchant: Option<&'static Merchant>,
}

impl Entry {
    pub fn new(
        account: AccountKind,
        date: NaiveDate,
        tag: &'static str,
        direction: Direction,
        amount_minor: i64,
        description: impl Into<String>,
    ) -> Self {
        Self {
            account,
            date,
            tag,
            direction,
            amount_minor,
            description: description.into(),
            txn_type: "Other",
            sub_type: "Other",
            category: None,
            merchant: None,
        }
    }

    pub fn kind(mut self, txn_type: &'static str, sub_type: &'static str) -> Self {
        self.txn_type = txn_type;
        self.sub_type = sub_type;
        self
    }

    pub fn category(mut self, category: &'static Category) -> Self {
        self.category = Some(category);
        self
    }

    pub fn merchant(mut self, merchant: &'static Merchant) -> Self {
        self.merchant = Some(merchant);
        self
    }
}

pub struct Sink<'p> {
    profile: &'p Profile,
    pub txns: Vec<Txn>,
    ordinals: HashMap<(AccountKind, NaiveDate, &'static str), u32>,
}

impl<'p> Sink<'p> {
    pub fn new(profile: &'p Profile) -> Self {
        Self {
            profile,
            txns: Vec::new(),
            ordinals: HashMap::new(),
        }
    }

    pub fn push(&mut self, entry: Entry) {
        if entry.amount_minor <= 0 {
            return;
        }
        let ordinal = self
            .ordinals
            .entry((entry.account, entry.date, entry.tag))
            .or_insert(0);
        let id = stable_uuid(&[
            "txn",
            self.profile.account_id(entry.account),
            &entry.date.to_string(),
            entry.tag,
            &ordinal.to_string(),
        ]);
        *ordinal += 1;
        self.txns.push(Txn {
            id,
            account: entry.account,
            booking_date: entry.date,
            description: entry.description,
            txn_type: entry.txn_type,
            sub_type: entry.sub_type,
            direction: entry.direction,
            amount_minor: entry.amount_minor,
            category: entry.category,
            merchant: entry.merchant,
        });
    }
}
