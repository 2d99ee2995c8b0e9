//! Call and mint counters for tests and benchmarks.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::faults::Endpoint;

#[derive(Default)]
pub struct Counters {
    mints: HashMap<String, u64>,
    calls: [u64; Endpoint::ALL.len()],
    faults_injected: u64,
    oversize_bytes_served: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountersView {
    pub mints: BTreeMap<String, u64>,
    /// Every endpoint name is present, zero included.
    pub calls: BTreeMap<&'static str, u64>,
    pub faults_injected: u64,
    /// Bytes of oversize bodies handed to the connection (a client that stops reading
    /// stops this from growing: the stream is polled only as the socket drains).
    pub oversize_bytes_served: u64,
}

impl Counters {
    pub fn count_call(&mut self, endpoint: Endpoint) {
        self.calls[endpoint as usize] += 1;
    }

    pub fn count_fault(&mut self) {
        self.faults_injected += 1;
    }

    pub fn count_oversize_bytes(&mut self, n: u64) {
        self.oversize_bytes_served += n;
    }

    pub fn count_mint(&mut self, customer_user_id: &str) {
        *self.mints.entry(customer_user_id.to_owned()).or_insert(0) += 1;
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }

    pub fn view(&self) -> CountersView {
        CountersView {
            mints: self.mints.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            calls: Endpoint::ALL
                .iter()
                .map(|e| (e.name(), self.calls[*e as usize]))
                .collect(),
            faults_injected: self.faults_injected,
            oversize_bytes_served: self.oversize_bytes_served,
        }
    }
}
