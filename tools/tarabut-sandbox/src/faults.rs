//! Fault injection: rules added through `/_sandbox/faults` that delay calls or answer them with
//! an error status, per endpoint, with a rate and/or a count.

use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::state::AppState;

/// The counted, fault-injectable Tarabut endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Token,
    Providers,
    CreateIntent,
    GetIntent,
    Accounts,
    Balances,
    BalancesRefresh,
    Transactions,
    RevokeConsent,
    Salary,
}

impl Endpoint {
    pub const ALL: [Endpoint; 10] = [
        Endpoint::Token,
        Endpoint::Providers,
        Endpoint::CreateIntent,
        Endpoint::GetIntent,
        Endpoint::Accounts,
        Endpoint::Balances,
        Endpoint::BalancesRefresh,
        Endpoint::Transactions,
        Endpoint::RevokeConsent,
        Endpoint::Salary,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Token => "token",
            Endpoint::Providers => "providers",
            Endpoint::CreateIntent => "create_intent",
            Endpoint::GetIntent => "get_intent",
            Endpoint::Accounts => "accounts",
            Endpoint::Balances => "balances",
            Endpoint::BalancesRefresh => "balances_refresh",
            Endpoint::Transactions => "transactions",
            Endpoint::RevokeConsent => "revoke_consent",
            Endpoint::Salary => "salary",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// Body of `POST /_sandbox/faults`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSpec {
    pub endpoint: String,
    pub status: Option<u16>,
    pub retry_after_secs: Option<u64>,
    pub latency_ms: Option<u64>,
    pub rate: Option<f64>,
    pub count: Option<u64>,
    /// Answer 200 with a streamed JSON body of at least this many bytes (transactions only):
    /// a hostile or broken upstream for the client's body cap.
    pub oversize_bytes: Option<u64>,
    /// Let this many matching calls through before the rule starts to fire ("fail page N").
    pub after: Option<u64>,
}

/// A rule as listed by `GET /_sandbox/faults`; `count` is what remains.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    pub id: u64,
    pub endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oversize_bytes: Option<u64>,
    /// Matching calls still to let through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    #[serde(skip)]
    target: Option<Endpoint>,
}

const MAX_LATENCY_MS: u64 = 120_000;

impl FaultRule {
    fn from_spec(id: u64, spec: FaultSpec) -> Result<Self, String> {
        let target = match spec.endpoint.as_str() {
            "*" => None,
            name => Some(Endpoint::parse(name).ok_or_else(|| {
                let names: Vec<_> = Endpoint::ALL.iter().map(|e| e.name()).collect();
                format!("unknown endpoint {name:?}; use one of {names:?} or \"*\"")
            })?),
        };
        if spec.status.is_none() && spec.latency_ms.is_none() && spec.oversize_bytes.is_none() {
            return Err("a fault needs a status, a latencyMs or an oversizeBytes".into());
        }
        if spec.oversize_bytes.is_some() {
            if target != Some(Endpoint::Transactions) {
                return Err("oversizeBytes applies to the transactions endpoint only".into());
            }
            if spec.status.is_some() {
                return Err("oversizeBytes answers 200: it takes no status".into());
            }
        }
        if let Some(status) = spec.status
            && !(400..=599).contains(&status)
        {
            return Err("status must be within 400..=599".into());
        }
        if spec.retry_after_secs.is_some() && spec.status.is_none() {
            return Err("retryAfterSecs needs a status".into());
        }
        if spec.latency_ms.is_some_and(|ms| ms > MAX_LATENCY_MS) {
            return Err(format!("latencyMs must be at most {MAX_LATENCY_MS}"));
        }
        if spec.rate.is_some_and(|r| !(0.0..=1.0).contains(&r)) {
            return Err("rate must be within 0..=1".into());
        }
        if spec.count == Some(0) {
            return Err("count must be at least 1".into());
        }
        Ok(Self {
            id,
            endpoint: spec.endpoint,
            status: spec.status,
            retry_after_secs: spec.retry_after_secs,
            latency_ms: spec.latency_ms,
            rate: spec.rate,
            count: spec.count,
            oversize_bytes: spec.oversize_bytes,
            after: spec.after.filter(|n| *n > 0),
            target,
        })
    }

    fn matches(&self, endpoint: Endpoint) -> bool {
        self.target.is_none_or(|t| t == endpoint)
    }
}

/// What to do to one call.
#[derive(Debug, Default)]
pub struct FaultPlan {
    pub latency: Duration,
    pub status: Option<(StatusCode, Option<u64>)>,
    /// Serve an oversize body of this many bytes instead of the page.
    pub oversize_bytes: Option<u64>,
}

impl FaultPlan {
    pub fn is_empty(&self) -> bool {
        self.latency.is_zero() && self.status.is_none() && self.oversize_bytes.is_none()
    }
}

#[derive(Default)]
pub struct FaultBook {
    rules: Vec<FaultRule>,
    next_id: u64,
}

impl FaultBook {
    pub fn add(&mut self, spec: FaultSpec) -> Result<FaultRule, String> {
        self.next_id += 1;
        let rule = FaultRule::from_spec(self.next_id, spec)?;
        self.rules.push(rule.clone());
        Ok(rule)
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules.clone()
    }

    /// Fires the rules that match one call, in insertion order: each rule draws its own rate;
    /// latencies add up; the first status rule to fire decides the answer and later status rules
    /// are left untouched (their counts are not consumed). A count is consumed only when its
    /// rule fires; exhausted rules are removed.
    pub fn plan(&mut self, endpoint: Endpoint) -> FaultPlan {
        let mut plan = FaultPlan::default();
        for rule in self.rules.iter_mut().filter(|r| r.matches(endpoint)) {
            if let Some(left) = rule.after.as_mut() {
                *left -= 1;
                if *left == 0 {
                    rule.after = None;
                }
                continue;
            }
            let answers = rule.status.is_some() || rule.oversize_bytes.is_some();
            if answers && (plan.status.is_some() || plan.oversize_bytes.is_some()) {
                continue;
            }
            if rule.rate.is_some_and(|rate| fastrand::f64() >= rate) {
                continue;
            }
            if let Some(ms) = rule.latency_ms {
                plan.latency += Duration::from_millis(ms);
            }
            if let Some(code) = rule.status.and_then(|s| StatusCode::from_u16(s).ok()) {
                plan.status = Some((code, rule.retry_after_secs));
            }
            if let Some(bytes) = rule.oversize_bytes {
                plan.oversize_bytes = Some(bytes);
            }
            if let Some(left) = rule.count.as_mut() {
                *left -= 1;
            }
        }
        self.rules.retain(|r| r.count != Some(0));
        plan
    }
}

/// Entry of every Tarabut endpoint, before authentication and validation: counts the call,
/// applies any latency, and answers an injected status.
pub async fn gate(state: &AppState, endpoint: Endpoint) -> Result<(), ApiError> {
    gate_body(state, endpoint).await.map(|_| ())
}

/// [`gate`] for an endpoint that can serve an oversize body: `Some(bytes)` when a rule asks
/// for one.
pub async fn gate_body(state: &AppState, endpoint: Endpoint) -> Result<Option<u64>, ApiError> {
    let plan = state.faults().plan(endpoint);
    {
        let mut counters = state.counters();
        counters.count_call(endpoint);
        if !plan.is_empty() {
            counters.count_fault();
        }
    }
    if !plan.latency.is_zero() {
        tokio::time::sleep(plan.latency).await;
    }
    match plan.status {
        Some((status, retry_after)) => {
            tracing::info!(endpoint = endpoint.name(), %status, "injected fault");
            Err(ApiError::injected(status, retry_after))
        }
        None => Ok(plan.oversize_bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(endpoint: &str, status: Option<u16>, count: Option<u64>) -> FaultSpec {
        FaultSpec {
            endpoint: endpoint.into(),
            status,
            retry_after_secs: None,
            latency_ms: None,
            rate: None,
            count,
            oversize_bytes: None,
            after: None,
        }
    }

    #[test]
    fn count_limited_rules_expire_and_first_status_wins() {
        let mut book = FaultBook::default();
        book.add(spec("accounts", Some(500), Some(1))).unwrap();
        book.add(spec("*", Some(503), Some(2))).unwrap();
        assert_eq!(book.plan(Endpoint::Accounts).status.unwrap().0, 500);
        assert_eq!(book.plan(Endpoint::Accounts).status.unwrap().0, 503);
        assert_eq!(book.plan(Endpoint::Token).status.unwrap().0, 503);
        assert!(book.plan(Endpoint::Accounts).is_empty());
        assert!(book.list().is_empty());
    }

    #[test]
    fn rate_zero_never_fires_and_rate_one_always_does() {
        let mut book = FaultBook::default();
        let mut never = spec("token", Some(500), None);
        never.rate = Some(0.0);
        book.add(never).unwrap();
        for _ in 0..100 {
            assert!(book.plan(Endpoint::Token).is_empty());
        }
        let mut always = spec("token", Some(502), None);
        always.rate = Some(1.0);
        book.add(always).unwrap();
        assert_eq!(book.plan(Endpoint::Token).status.unwrap().0, 502);
    }

    #[test]
    fn invalid_specs_are_rejected() {
        let mut book = FaultBook::default();
        assert!(book.add(spec("nope", Some(500), None)).is_err());
        assert!(book.add(spec("token", None, None)).is_err());
        assert!(book.add(spec("token", Some(200), None)).is_err());
        assert!(book.add(spec("token", Some(500), Some(0))).is_err());
        let mut oversize = spec("accounts", None, None);
        oversize.oversize_bytes = Some(1 << 20);
        assert!(book.add(oversize).is_err(), "transactions only");
        let mut oversize = spec("transactions", Some(500), None);
        oversize.oversize_bytes = Some(1 << 20);
        assert!(book.add(oversize).is_err(), "no status with it");
    }

    #[test]
    fn a_rule_fires_only_after_its_first_calls() {
        let mut book = FaultBook::default();
        let mut third = spec("transactions", Some(500), Some(1));
        third.after = Some(2);
        book.add(third).unwrap();
        assert!(
            book.plan(Endpoint::Accounts).is_empty(),
            "other endpoints do not count"
        );
        assert!(book.plan(Endpoint::Transactions).is_empty());
        assert!(book.plan(Endpoint::Transactions).is_empty());
        assert_eq!(book.plan(Endpoint::Transactions).status.unwrap().0, 500);
        assert!(book.plan(Endpoint::Transactions).is_empty());
    }

    #[test]
    fn an_oversize_rule_answers_instead_of_the_page_and_counts_down() {
        let mut book = FaultBook::default();
        let mut oversize = spec("transactions", None, Some(1));
        oversize.oversize_bytes = Some(1 << 20);
        book.add(oversize).unwrap();
        assert!(book.plan(Endpoint::Accounts).is_empty());
        assert_eq!(
            book.plan(Endpoint::Transactions).oversize_bytes,
            Some(1 << 20)
        );
        assert!(book.plan(Endpoint::Transactions).is_empty());
    }
}
