//! Fault injection through the control plane.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

async fn counters(http: &reqwest::Client, sb: &tarabut_sandbox::RunningSandbox) -> Value {
    http.get(format!("{}/_sandbox/counters", sb.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn rate_limit_with_retry_after_for_a_count_of_calls() {
    let sb = sandbox().await;
    let http = http();
    let token = mint(&http, &sb, "limited").await;
    let (status, rule) = control(
        &http,
        &sb,
        "/_sandbox/faults",
        json!({"endpoint": "accounts", "status": 429, "retryAfterSecs": 7, "count": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(rule["id"].is_u64());
    for _ in 0..2 {
        let response = http
            .get(accounts_url(&sb))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "7");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "too_many_requests");
        assert!(body["traceId"].is_string());
    }
    let (status, _) = get(&http, &accounts_url(&sb), &token).await;
    assert_eq!(status, StatusCode::OK);
    // Other endpoints were never affected.
    let c = counters(&http, &sb).await;
    assert_eq!(c["calls"]["accounts"], 3);
    assert_eq!(c["faultsInjected"], 2);
}

#[tokio::test]
async fn server_errors_and_injected_401_use_the_error_body() {
    let sb = sandbox().await;
    let http = http();
    let token = mint(&http, &sb, "erroring").await;
    for (status, code) in [
        (500, "internal_server_error"),
        (502, "bad_gateway"),
        (503, "service_unavailable"),
        (401, "invalid_token"),
        (403, "forbidden"),
    ] {
        control(
            &http,
            &sb,
            "/_sandbox/faults",
            json!({"endpoint": "providers", "status": status, "count": 1}),
        )
        .await;
        let (got, body) = get(&http, &format!("{}/v1/providers", sb.base_url()), &token).await;
        assert_eq!(got.as_u16(), status);
        assert_eq!(error_code(&body), code);
        assert!(body["errorMessage"].is_string());
    }
    let (got, _) = get(&http, &format!("{}/v1/providers", sb.base_url()), &token).await;
    assert_eq!(got, StatusCode::OK);
}

#[tokio::test]
async fn faults_apply_before_authentication_and_are_counted() {
    let sb = sandbox().await;
    let http = http();
    control(
        &http,
        &sb,
        "/_sandbox/faults",
        json!({"endpoint": "*", "status": 503}),
    )
    .await;
    // No token at all, and still the injected answer.
    let response = http.get(accounts_url(&sb)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    // The token endpoint too: a valid mint is refused and not counted as a mint.
    let refused = mint_raw(&http, &sb, "blocked", "sandbox-secret").await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    let c = counters(&http, &sb).await;
    assert_eq!(c["calls"]["accounts"], 1);
    assert_eq!(c["calls"]["token"], 1);
    assert!(c["mints"].get("blocked").is_none());
    assert_eq!(c["faultsInjected"], 2);

    let cleared = http
        .delete(format!("{}/_sandbox/faults", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    mint(&http, &sb, "blocked").await;
}

#[tokio::test]
async fn latency_delays_then_answers_normally() {
    let sb = sandbox().await;
    let http = http();
    let token = mint(&http, &sb, "slow").await;
    control(
        &http,
        &sb,
        "/_sandbox/faults",
        json!({"endpoint": "salary", "latencyMs": 150, "count": 1}),
    )
    .await;
    let started = Instant::now();
    let (status, _) = get(
        &http,
        &format!("{}/insights/v1/salary", sb.base_url()),
        &token,
    )
    .await;
    // A lower bound only: the sleep happened (no upper bound, no timing of the machine).
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(status, StatusCode::OK);
    let listed: Value = http
        .get(format!("{}/_sandbox/faults", sb.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed["faults"].as_array().unwrap().is_empty(),
        "the count-1 rule is used up"
    );
    assert_eq!(counters(&http, &sb).await["faultsInjected"], 1);
}

#[tokio::test]
async fn rates_and_invalid_rules() {
    let sb = sandbox().await;
    let http = http();
    let token = mint(&http, &sb, "rated").await;
    control(
        &http,
        &sb,
        "/_sandbox/faults",
        json!({"endpoint": "accounts", "status": 500, "rate": 0.0}),
    )
    .await;
    for _ in 0..20 {
        let (status, _) = get(&http, &accounts_url(&sb), &token).await;
        assert_eq!(status, StatusCode::OK);
    }
    control(
        &http,
        &sb,
        "/_sandbox/faults",
        json!({"endpoint": "accounts", "status": 502, "rate": 1.0}),
    )
    .await;
    let (status, _) = get(&http, &accounts_url(&sb), &token).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    for bad in [
        json!({"endpoint": "nope", "status": 500}),
        json!({"endpoint": "accounts"}),
        json!({"endpoint": "accounts", "status": 200}),
        json!({"endpoint": "accounts", "status": 500, "rate": 1.5}),
        json!({"endpoint": "accounts", "status": 500, "count": 0}),
        json!({"endpoint": "accounts", "status": 500, "typo": true}),
    ] {
        let (status, _) = control(&http, &sb, "/_sandbox/faults", bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}
