//! Intent → connect page → approve/deny → redirect → get intent → accounts.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tarabut_sandbox::RunningSandbox;

use crate::common::*;

async fn create_intent(
    http: &Client,
    sb: &RunningSandbox,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = http
        .post(format!("{}/accountInformation/v1/intent", sb.base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn intent_body(user: &str, provider: Option<&str>) -> Value {
    let mut body = json!({
        "user": {"customerUserId": user, "firstName": "Sara", "lastName": "Ali", "email": "sara@example.test"},
        "providerType": "Retail",
        "language": "EN",
        "redirectUrl": REDIRECT,
    });
    if let Some(p) = provider {
        body["consent"] = json!({"providerId": p});
    }
    body
}

async fn get_intent(
    http: &Client,
    sb: &RunningSandbox,
    token: &str,
    id: &str,
) -> (StatusCode, Value) {
    get(
        http,
        &format!("{}/accountInformation/v1/intent/{id}", sb.base_url()),
        token,
    )
    .await
}

#[tokio::test]
async fn approve_journey_creates_a_consent_and_redirects() {
    let sb = sandbox().await;
    let http = http();
    let user = "journey-user";
    let token = mint(&http, &sb, user).await;
    let (status, intent) = create_intent(&http, &sb, &token, intent_body(user, None)).await;
    assert_eq!(status, StatusCode::OK, "{intent}");
    let intent_id = intent["intentId"].as_str().unwrap();
    let connect_url = intent["connectUrl"].as_str().unwrap();
    assert_eq!(
        connect_url,
        format!("{}/connect/{intent_id}", sb.base_url())
    );
    assert!(intent["expiry"].as_str().unwrap().ends_with('Z'));

    let (status, pending) = get_intent(&http, &sb, &token, intent_id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pending["status"], "PENDING");
    assert!(pending.get("consentId").is_none());

    let page = http.get(connect_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("approve?providerId=BLUE") && html.contains("approve?providerId=RED"));
    assert!(html.contains("/deny"));

    let approved = http
        .get(format!("{connect_url}/approve?providerId=RED"))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::FOUND);
    let location = approved.headers()["location"].to_str().unwrap();
    assert_eq!(
        location,
        format!("{REDIRECT}?intentId={intent_id}&status=SUCCESSFUL")
    );

    let (_, done) = get_intent(&http, &sb, &token, intent_id).await;
    assert_eq!(done["status"], "SUCCESSFUL");
    assert_eq!(done["providerId"], "RED");
    assert_eq!(done["customerUserId"], user);
    let consent_id = done["consentId"].as_str().unwrap();

    let (_, accounts) = get(&http, &accounts_url(&sb), &token).await;
    let accounts = accounts["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    for a in accounts {
        assert_eq!(a["providerId"], "RED");
        assert_eq!(a["currency"], "SAR");
        assert_eq!(a["consents"][0]["id"], consent_id);
        assert_eq!(a["consents"][0]["status"], "ACTIVE");
        assert_eq!(a["meta"]["transactionsAvailability"], "completed");
    }
    let products: Vec<_> = accounts
        .iter()
        .map(|a| a["accountProductType"].as_str().unwrap())
        .collect();
    assert!(products.contains(&"CurrentAccount") && products.contains(&"CreditCard"));

    // A completed intent cannot be used again.
    let again = http
        .get(format!("{connect_url}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(again.headers().get("location").is_none());
    assert_eq!(
        http.get(connect_url).send().await.unwrap().status(),
        StatusCode::GONE
    );
}

#[tokio::test]
async fn deny_redirects_with_failure_and_no_consent() {
    let sb = sandbox().await;
    let http = http();
    let token = mint(&http, &sb, "denier").await;
    let (_, intent) = create_intent(&http, &sb, &token, intent_body("denier", None)).await;
    let id = intent["intentId"].as_str().unwrap();
    let denied = http
        .get(format!("{}/deny", intent["connectUrl"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::FOUND);
    assert_eq!(
        denied.headers()["location"].to_str().unwrap(),
        format!("{REDIRECT}?intentId={id}&status=FAILED&error=access_denied")
    );
    let (_, after) = get_intent(&http, &sb, &token, id).await;
    assert_eq!(after["status"], "FAILED");
    assert!(after.get("consentId").is_none());
    let (_, accounts) = get(&http, &accounts_url(&sb), &token).await;
    assert!(accounts["accounts"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn preselected_provider_is_used_and_enforced() {
    let sb = sandbox().await;
    let http = http();
    let token = mint(&http, &sb, "preselect").await;
    let (_, intent) =
        create_intent(&http, &sb, &token, intent_body("preselect", Some("BLUE"))).await;
    let url = intent["connectUrl"].as_str().unwrap();
    let html = http.get(url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("providerId=BLUE") && !html.contains("providerId=RED"));
    let wrong = http
        .get(format!("{url}/approve?providerId=RED"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let ok = http.get(format!("{url}/approve")).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::FOUND);
    let (_, done) = get_intent(&http, &sb, &token, intent["intentId"].as_str().unwrap()).await;
    assert_eq!(done["providerId"], "BLUE");
    let blue = find_account(&http, &sb, &token, "BLUE", "Savings").await;
    assert_eq!(blue["currency"], "BHD");
    assert_eq!(blue["identifiers"][0]["type"], "IBAN");
    assert!(
        blue["identifiers"][0]["value"]
            .as_str()
            .unwrap()
            .starts_with("BH")
    );
}

#[tokio::test]
async fn intent_requests_are_validated() {
    let sb = sandbox().await;
    let http = http();
    let token = mint(&http, &sb, "validator").await;
    let mut unregistered = intent_body("validator", None);
    unregistered["redirectUrl"] = json!("https://evil.example.test/cb");
    let mut arabic_ok = intent_body("validator", None);
    arabic_ok["language"] = json!("AR");
    let mut bad_language = intent_body("validator", None);
    bad_language["language"] = json!("FR");
    let mut no_redirect = intent_body("validator", None);
    no_redirect.as_object_mut().unwrap().remove("redirectUrl");
    let cases = [
        (unregistered, StatusCode::BAD_REQUEST),
        (intent_body("someone-else", None), StatusCode::FORBIDDEN),
        (bad_language, StatusCode::BAD_REQUEST),
        (
            intent_body("validator", Some("GREEN")),
            StatusCode::BAD_REQUEST,
        ),
        (no_redirect, StatusCode::BAD_REQUEST),
        (arabic_ok, StatusCode::OK),
    ];
    for (body, expected) in cases {
        let (status, answer) = create_intent(&http, &sb, &token, body.clone()).await;
        assert_eq!(status, expected, "{body} → {answer}");
    }
}

#[tokio::test]
async fn unknown_and_expired_intents() {
    let sb = sandbox().await;
    let http = http();
    let token = mint(&http, &sb, "expiring").await;
    let unknown = http
        .get(format!("{}/connect/no-such-intent", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let (status, _) = get_intent(&http, &sb, &token, "no-such-intent").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, intent) = create_intent(&http, &sb, &token, intent_body("expiring", None)).await;
    let id = intent["intentId"].as_str().unwrap();
    let (status, _) = control(
        &http,
        &sb,
        &format!("/_sandbox/intents/{id}/expire"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, expired) = get_intent(&http, &sb, &token, id).await;
    assert_eq!(expired["status"], "EXPIRED");
    let page = http
        .get(intent["connectUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    let approve = http
        .get(format!(
            "{}/approve",
            intent["connectUrl"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), StatusCode::GONE);
}

#[tokio::test]
async fn a_token_sees_only_its_users_data() {
    let sb = sandbox().await;
    let http = http();
    let (consent_a, accounts_a) = consent(&http, &sb, "owner-a", "BLUE").await;
    let token_a = mint(&http, &sb, "owner-a").await;
    let token_b = mint(&http, &sb, "owner-b").await;
    let (_, intent) = create_intent(&http, &sb, &token_a, intent_body("owner-a", None)).await;
    let intent_id = intent["intentId"].as_str().unwrap();

    let (_, list_b) = get(&http, &accounts_url(&sb), &token_b).await;
    assert!(list_b["accounts"].as_array().unwrap().is_empty());
    for account in &accounts_a {
        for rest in ["balances", "balances/refresh", "transactions"] {
            let (status, _) = get(&http, &account_url(&sb, account, rest), &token_b).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{rest}");
            let (status, _) = get(&http, &account_url(&sb, account, rest), &token_a).await;
            assert_eq!(status, StatusCode::OK, "{rest}");
        }
    }
    let (status, _) = get_intent(&http, &sb, &token_b, intent_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let revoke = http
        .delete(format!(
            "{}/consentInformation/v1/consents/{consent_a}",
            sb.base_url()
        ))
        .bearer_auth(&token_b)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NOT_FOUND);
    let (_, list_a) = get(&http, &accounts_url(&sb), &token_a).await;
    assert_eq!(list_a["accounts"].as_array().unwrap().len(), 2);
}
