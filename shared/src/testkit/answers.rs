//! Reading handler answers in tests: status, headers, JSON, problem details, and the checks
//! every route's tests share (no secret in any answer; refusals change nothing).

use std::future::Future;

use lambda_http::{Body, Response};
use serde_json::Value;

use super::env::{TestEnv, TestTable};
use super::events::Event;
use crate::store::{Item, ItemExt};

/// A handler's response, read.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub headers: lambda_http::http::HeaderMap,
    pub text: String,
}

impl Answer {
    /// Reads a response, failing the test if any secret, token or panic text is in it.
    pub fn read(response: Response<Body>) -> Answer {
        let text = String::from_utf8(response.body().as_ref().to_vec()).expect("UTF-8 body");
        assert_no_secrets(&text);
        // Every body is someone's financial data or a problem about it: never cached.
        if !text.is_empty() {
            assert_eq!(
                response
                    .headers()
                    .get("cache-control")
                    .and_then(|v| v.to_str().ok()),
                Some("no-store"),
                "an answer with a body must forbid caching: {text}"
            );
        }
        for value in response.headers().values() {
            assert_no_secrets(value.to_str().expect("ASCII header"));
        }
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or_default().to_string())
            .unwrap_or_default();
        Answer {
            status: response.status().as_u16(),
            content_type,
            headers: response.headers().clone(),
            text,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// No client secret, access token, panic or source location ever reaches a client.
pub fn assert_no_secrets(text: &str) {
    for needle in ["sandbox-secret", "sbx_", "panicked", "backtrace", ".rs:"] {
        assert!(!text.contains(needle), "{needle:?} in a response: {text}");
    }
}

/// An RFC 9457 problem with exactly `type`, `title`, `status`, `detail`, and `instance` (the
/// request's id) when the request has an id.
pub fn assert_problem(answer: &Answer, status: u16) -> Value {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(answer.content_type, "application/problem+json");
    let problem = answer.json();
    let mut keys: Vec<&str> = problem
        .as_object()
        .expect("problem object")
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "instance")
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["detail", "status", "title", "type"], "{problem}");
    if let Some(instance) = problem.get("instance") {
        assert!(
            instance.as_str().is_some_and(|id| !id.is_empty()),
            "{problem}"
        );
    }
    assert!(
        problem["type"]
            .as_str()
            .unwrap_or_default()
            .starts_with("/problems/")
    );
    assert!(!problem["title"].as_str().unwrap_or_default().is_empty());
    assert_eq!(problem["status"], status);
    assert!(!problem["detail"].as_str().unwrap_or_default().is_empty());
    problem
}

/// Sends a bad request through `call`: a 4xx problem, and not one item of the table changed.
pub async fn refused_without_change<T, F, Fut>(
    env: &TestEnv<T>,
    call: F,
    event: Event,
    status: u16,
) -> Value
where
    T: TestTable,
    F: FnOnce(Event) -> Fut,
    Fut: Future<Output = Answer>,
{
    // Shown only when the test fails: which case it was.
    eprintln!(
        "case: body {} path {} query {}",
        event.0["body"], event.0["pathParameters"], event.0["rawQueryString"]
    );
    let before = env.dump().await;
    let answer = call(event).await;
    let problem = assert_problem(&answer, status);
    assert_eq!(
        env.dump().await,
        before,
        "a refused request changed the table"
    );
    problem
}

/// Items of one partition.
pub fn with_pk<'a>(items: &'a [Item], pk: &str) -> Vec<&'a Item> {
    items
        .iter()
        .filter(|i| i.s("pk").ok() == Some(pk))
        .collect()
}

/// Items of one partition whose sort key starts with `prefix`.
pub fn with_sk_prefix<'a>(items: &'a [Item], pk: &str, prefix: &str) -> Vec<&'a Item> {
    with_pk(items, pk)
        .into_iter()
        .filter(|i| i.s("sk").is_ok_and(|sk| sk.starts_with(prefix)))
        .collect()
}

/// The connection item of `sub`'s connection `id`.
pub fn connection_item<'a>(items: &'a [Item], sub: &str, id: &str) -> &'a Item {
    with_sk_prefix(items, &format!("USER#{sub}"), &format!("CONN#{id}"))
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no connection item {id}"))
}

pub fn transactions<'a>(items: &'a [Item], sub: &str) -> Vec<&'a Item> {
    with_pk(items, &format!("USER#{sub}#TXN"))
}

pub fn balances<'a>(items: &'a [Item], sub: &str) -> Vec<&'a Item> {
    with_pk(items, &format!("USER#{sub}#BAL"))
}

/// A `{"amount": "12.500", "currency": "BHD"}` of an answer, parsed exactly.
pub fn money(v: &Value) -> crate::money::Money {
    let currency = crate::money::Currency::from_code(v["currency"].as_str().expect("currency"))
        .expect("known currency");
    crate::money::Money::parse_signed(v["amount"].as_str().expect("amount string"), currency)
        .expect("decimal amount")
        .money
}
