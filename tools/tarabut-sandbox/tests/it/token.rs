use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn mint_returns_a_fresh_bearer_token_each_time() {
    let sb = sandbox().await;
    let http = http();
    let response = mint_raw(&http, &sb, "user-1", "sandbox-secret").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["tokenType"], "Bearer");
    assert_eq!(body["expiresIn"], 3600);
    assert!(body["scope"].is_string());
    let first = body["accessToken"].as_str().unwrap().to_owned();
    let second = mint(&http, &sb, "user-1").await;
    assert_ne!(first, second);
    // Older tokens stay valid.
    for token in [&first, &second] {
        let (status, _) = get(&http, &accounts_url(&sb), token).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn wrong_credentials_are_401_without_echoing_the_secret() {
    let sb = sandbox().await;
    let http = http();
    let response = mint_raw(&http, &sb, "user-1", "not-the-secret").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let text = response.text().await.unwrap();
    assert!(!text.contains("not-the-secret"));
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error_code(&body), "invalid_client");
    assert!(body["errorMessage"].is_string());
    assert_eq!(body["traceId"].as_str().unwrap().len(), 36);
}

#[tokio::test]
async fn header_and_body_are_validated() {
    let sb = sandbox().await;
    let http = http();
    let good = json!({"clientId": "sandbox-client", "clientSecret": "sandbox-secret", "grantType": "client_credentials"});
    let (long, max) = ("a".repeat(41), "a".repeat(40));
    let cases: Vec<(Option<&str>, Value, StatusCode)> = vec![
        (None, good.clone(), StatusCode::BAD_REQUEST),
        (Some(&long), good.clone(), StatusCode::BAD_REQUEST),
        (
            Some("user@example.com"),
            good.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("ok-user"),
            json!({"clientId": "sandbox-client"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("ok-user"),
            json!({"clientId": "sandbox-client", "clientSecret": 7}),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("ok-user"),
            json!({"clientId": "sandbox-client", "clientSecret": "sandbox-secret", "grantType": "password"}),
            StatusCode::BAD_REQUEST,
        ),
        (Some(&max), good.clone(), StatusCode::OK),
    ];
    for (header, body, expected) in cases {
        let mut request = http.post(sb.token_url()).json(&body);
        if let Some(h) = header {
            request = request.header("X-TG-CustomerUserId", h);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), expected, "header {header:?} body {body}");
    }
    let not_json = http
        .post(sb.token_url())
        .header("X-TG-CustomerUserId", "ok-user")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("clientId=sandbox-client&clientSecret=sandbox-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn data_calls_need_a_valid_token() {
    let sb = sandbox().await;
    let http = http();
    let anonymous = http.get(accounts_url(&sb)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let (status, body) = get(&http, &accounts_url(&sb), "made-up-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "invalid_token");
    let (status, _) = get(
        &http,
        &format!("{}/v1/providers", sb.base_url()),
        "made-up-token",
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_tokens_are_rejected() {
    let sb = sandbox().await;
    let http = http();
    let (status, _) = control(
        &http,
        &sb,
        "/_sandbox/config",
        json!({"tokenLifetimeSecs": 0}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let response = mint_raw(&http, &sb, "short-lived", "sandbox-secret").await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expiresIn"], 0);
    let (status, _) = get(
        &http,
        &accounts_url(&sb),
        body["accessToken"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn providers_lists_blue_and_red() {
    let sb = sandbox().await;
    let http = http();
    let token = mint(&http, &sb, "providers-user").await;
    let (status, body) = get(&http, &format!("{}/v1/providers", sb.base_url()), &token).await;
    assert_eq!(status, StatusCode::OK);
    let providers = body["providers"].as_array().unwrap();
    let blue = providers
        .iter()
        .find(|p| p["providerId"] == "BLUE")
        .unwrap();
    let red = providers.iter().find(|p| p["providerId"] == "RED").unwrap();
    assert_eq!(blue["countryCode"], "BHR");
    assert_eq!(red["countryCode"], "SAU");
    for p in [blue, red] {
        for field in [
            "name",
            "displayName",
            "arabicDisplayName",
            "logoUrl",
            "aisStatus",
            "pisStatus",
        ] {
            assert!(p[field].is_string(), "{field} missing in {p}");
        }
    }
}

#[tokio::test]
async fn a_rotated_client_secret_replaces_the_old_one_and_is_never_shown() {
    let sb = sandbox().await;
    let http = http();
    let (status, view) = control(
        &http,
        &sb,
        "/_sandbox/config",
        json!({"clientSecret": "rotated-secret"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!view.to_string().contains("rotated-secret"));
    let old = mint_raw(&http, &sb, "user-1", "sandbox-secret").await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = mint_raw(&http, &sb, "user-1", "rotated-secret").await;
    assert_eq!(new.status(), StatusCode::OK);
    let (status, _) = control(&http, &sb, "/_sandbox/config", json!({"clientSecret": " "})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let still = mint_raw(&http, &sb, "user-1", "rotated-secret").await;
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "a refused patch changes nothing"
    );
}
