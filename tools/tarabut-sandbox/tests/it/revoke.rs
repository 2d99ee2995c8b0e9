//! Revoking and expiring consents.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn revoked_consent_hides_accounts_and_forbids_their_data() {
    let sb = sandbox().await;
    let http = http();
    let user = "revoker";
    let (blue_consent, blue_ids) = consent(&http, &sb, user, "BLUE").await;
    let (_, red_ids) = consent(&http, &sb, user, "RED").await;
    let token = mint(&http, &sb, user).await;
    let revoke_url = format!(
        "{}/consentInformation/v1/consents/{blue_consent}",
        sb.base_url()
    );

    let first = http
        .delete(&revoke_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    let second = http
        .delete(&revoke_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::NOT_FOUND);
    let unknown = http
        .delete(format!(
            "{}/consentInformation/v1/consents/not-a-consent",
            sb.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let (_, list) = get(&http, &accounts_url(&sb), &token).await;
    let listed: Vec<_> = list["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["accountId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, red_ids);
    for id in &blue_ids {
        for rest in ["balances", "balances/refresh", "transactions"] {
            let (status, body) = get(&http, &account_url(&sb, id, rest), &token).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{rest}");
            assert_eq!(error_code(&body), "consent_revoked");
        }
    }
    let (_, salary) = get(
        &http,
        &format!("{}/insights/v1/salary", sb.base_url()),
        &token,
    )
    .await;
    assert!(salary["salaries"].as_array().unwrap().is_empty());

    // Consenting again brings the same accounts back.
    let (_, again) = consent(&http, &sb, user, "BLUE").await;
    assert_eq!(again, blue_ids);
    let (status, _) = get(&http, &account_url(&sb, &blue_ids[0], "balances"), &token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn expired_consent_is_403_and_cannot_be_revoked() {
    let sb = sandbox().await;
    let http = http();
    let (consent_id, ids) = consent(&http, &sb, "expirer", "RED").await;
    let token = mint(&http, &sb, "expirer").await;
    let (status, body) = control(
        &http,
        &sb,
        &format!("/_sandbox/consents/{consent_id}/expire"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "EXPIRED");
    let (_, list) = get(&http, &accounts_url(&sb), &token).await;
    assert!(list["accounts"].as_array().unwrap().is_empty());
    let (status, body) = get(&http, &account_url(&sb, &ids[0], "transactions"), &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "consent_expired");
    let revoke = http
        .delete(format!(
            "{}/consentInformation/v1/consents/{consent_id}",
            sb.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NOT_FOUND);
    let (status, _) = control(&http, &sb, "/_sandbox/consents/nope/expire", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn never_consented_accounts_are_404() {
    let sb = sandbox().await;
    let http = http();
    // The control plane reveals the user's Red Bank ids, but only BLUE is consented.
    let (blue_consent, _) = consent(&http, &sb, "half", "BLUE").await;
    let (red_consent, red_ids) = consent(&http, &sb, "half-other", "RED").await;
    let token = mint(&http, &sb, "half").await;
    let (status, _) = get(&http, &account_url(&sb, &red_ids[0], "balances"), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_ne!(blue_consent, red_consent);
}
