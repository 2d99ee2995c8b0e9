//! Helpers shared by the integration tests.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tarabut_sandbox::{RunningSandbox, SandboxConfig};

pub const TODAY: &str = "2025-06-30";
pub const REDIRECT: &str = "https://app.example.test/tarabut/callback";

pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap()
}

pub async fn sandbox_with(cfg: SandboxConfig) -> RunningSandbox {
    tarabut_sandbox::start(cfg).await.unwrap()
}

pub async fn sandbox() -> RunningSandbox {
    sandbox_with(SandboxConfig {
        today: Some(today()),
        redirect_urls: vec![REDIRECT.to_owned()],
        ..SandboxConfig::default()
    })
    .await
}

/// A client that does not follow redirects (the connect journey is checked by hand).
pub fn http() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn mint_raw(
    http: &Client,
    sb: &RunningSandbox,
    user: &str,
    secret: &str,
) -> reqwest::Response {
    http.post(sb.token_url())
        .header("X-TG-CustomerUserId", user)
        .json(&json!({"clientId": "sandbox-client", "clientSecret": secret, "grantType": "client_credentials"}))
        .send()
        .await
        .unwrap()
}

pub async fn mint(http: &Client, sb: &RunningSandbox, user: &str) -> String {
    let response = mint_raw(http, sb, user, "sandbox-secret").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["accessToken"].as_str().unwrap().to_owned()
}

/// GET with a bearer token; returns the status and the JSON body (Null when not JSON).
pub async fn get(http: &Client, url: &str, token: &str) -> (StatusCode, Value) {
    let response = http.get(url).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

pub async fn control(
    http: &Client,
    sb: &RunningSandbox,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = http
        .post(format!("{}{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Creates an ACTIVE consent through the control plane; returns (consentId, accountIds).
pub async fn consent(
    http: &Client,
    sb: &RunningSandbox,
    user: &str,
    provider: &str,
) -> (String, Vec<String>) {
    let (status, body) = control(
        http,
        sb,
        "/_sandbox/consents",
        json!({"customerUserId": user, "providerId": provider}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ids = body["accountIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    (body["consentId"].as_str().unwrap().to_owned(), ids)
}

pub fn accounts_url(sb: &RunningSandbox) -> String {
    format!("{}/accountInformation/v2/accounts", sb.base_url())
}

pub fn account_url(sb: &RunningSandbox, account_id: &str, rest: &str) -> String {
    format!(
        "{}/accountInformation/v2/accounts/{account_id}/{rest}",
        sb.base_url()
    )
}

/// The accounts of the token's user, by product type and provider.
pub async fn find_account(
    http: &Client,
    sb: &RunningSandbox,
    token: &str,
    provider: &str,
    product: &str,
) -> Value {
    let (status, body) = get(http, &accounts_url(sb), token).await;
    assert_eq!(status, StatusCode::OK);
    body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["providerId"] == provider && a["accountProductType"] == product)
        .cloned()
        .unwrap_or_else(|| panic!("no {provider} {product} account in {body}"))
}

/// Minor units of a JSON amount value (exact for these magnitudes).
pub fn minor(value: &Value, digits: u32) -> i64 {
    (value.as_f64().unwrap() * 10f64.powi(digits as i32)).round() as i64
}

/// Every transaction of an account, following NEXT links from page 1 (with `query` appended).
pub async fn all_transactions(
    http: &Client,
    sb: &RunningSandbox,
    token: &str,
    account_id: &str,
    query: &str,
) -> Vec<Value> {
    let mut url = format!(
        "{}?page=1{query}",
        account_url(sb, account_id, "transactions")
    );
    let mut out = Vec::new();
    loop {
        let (status, body) = get(http, &url, token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        out.extend(body["transactions"].as_array().unwrap().iter().cloned());
        match body["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "NEXT")
        {
            Some(next) => url = next["href"].as_str().unwrap().to_owned(),
            None => return out,
        }
    }
}

pub fn error_code(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}
