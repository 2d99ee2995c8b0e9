//! Counters, runtime config and token invalidation.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn counters_count_mints_per_user_and_calls_per_endpoint() {
    let sb = sandbox().await;
    let http = http();
    let a1 = mint(&http, &sb, "count-a").await;
    mint(&http, &sb, "count-a").await;
    mint(&http, &sb, "count-b").await;
    let _ = mint_raw(&http, &sb, "count-c", "wrong").await;
    get(&http, &accounts_url(&sb), &a1).await;
    get(&http, &accounts_url(&sb), "bad-token").await;
    let c: Value = http
        .get(format!("{}/_sandbox/counters", sb.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(c["mints"], json!({"count-a": 2, "count-b": 1}));
    assert_eq!(c["calls"]["token"], 4);
    assert_eq!(c["calls"]["accounts"], 2);
    assert_eq!(c["calls"]["transactions"], 0);
    assert_eq!(c["faultsInjected"], 0);
    let (status, _) = control(&http, &sb, "/_sandbox/counters/reset", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let c: Value = http
        .get(format!("{}/_sandbox/counters", sb.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(c["mints"], json!({}));
    assert_eq!(c["calls"]["token"], 0);
}

#[tokio::test]
async fn invalidating_a_users_tokens() {
    let sb = sandbox().await;
    let http = http();
    let old = mint(&http, &sb, "victim").await;
    let other = mint(&http, &sb, "bystander").await;
    let (status, body) = control(
        &http,
        &sb,
        "/_sandbox/tokens/invalidate",
        json!({"customerUserId": "victim"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["invalidated"], 1);
    let (status, _) = get(&http, &accounts_url(&sb), &old).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get(&http, &accounts_url(&sb), &other).await;
    assert_eq!(status, StatusCode::OK);
    let fresh = mint(&http, &sb, "victim").await;
    let (status, _) = get(&http, &accounts_url(&sb), &fresh).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn config_changes_apply_at_runtime() {
    let sb = sandbox().await;
    let http = http();
    let (status, cfg) = control(
        &http,
        &sb,
        "/_sandbox/config",
        json!({"tokenLifetimeSecs": 120, "redirectUrls": ["http://127.0.0.1:9/cb"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cfg["tokenLifetimeSecs"], 120);
    assert_eq!(cfg["today"], TODAY);
    let body: Value = mint_raw(&http, &sb, "cfg", "sandbox-secret")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["expiresIn"], 120);
    let (status, _) = control(&http, &sb, "/_sandbox/config", json!({"pageSize": "ten"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = control(&http, &sb, "/_sandbox/config", json!({"unknown": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_format() {
    let sb = sandbox().await;
    let http = http();
    let response = http
        .get(format!("{}/accountInformation/v9/nothing", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "not_found");
    let response = http.post(accounts_url(&sb)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}
