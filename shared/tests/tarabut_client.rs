//! The Tarabut client against the HTTP sandbox: pagination, retries, typed errors, timeouts.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;
use shared::identity::UserId;
use shared::secret::Secret;
use shared::tarabut::{MAX_BODY_BYTES, Revoked, TarabutClient, TarabutError};
use shared::testkit::{
    SandboxControl, TEST_CLIENT_SECRET, all_transactions, start_sandbox, test_config,
};
use shared::time::Deadline;

async fn client_for(control: &SandboxControl, overrides: &[(&str, &str)]) -> TarabutClient {
    client_with_secret(control, overrides, TEST_CLIENT_SECRET)
}

fn client_with_secret(
    control: &SandboxControl,
    overrides: &[(&str, &str)],
    secret: &str,
) -> TarabutClient {
    let config = test_config("unused", control.base_url(), overrides);
    let client = TarabutClient::new(&config.tarabut).unwrap();
    client.credential().install(Secret::new(secret), None);
    client
}

fn deadline(secs: u64) -> Deadline {
    Deadline::after(Duration::from_secs(secs))
}

/// A user with an active consent at BLUE and a token: (client, token, account ids).
async fn linked(control: &SandboxControl, sub: &str) -> (TarabutClient, Secret, Vec<String>) {
    let client = client_for(control, &[]).await;
    let customer = UserId::parse(sub).unwrap().customer_user_id();
    let (_, accounts) = control.create_consent(customer.as_str(), "BLUE").await;
    let token = client.mint_token(&customer, deadline(10)).await.unwrap();
    (client, token.access_token, accounts)
}

#[tokio::test]
async fn fetches_every_page_of_transactions() {
    let (_sandbox, control) = start_sandbox().await;
    control.set_page_size(7).await;
    let (client, token, accounts) = linked(&control, "pager").await;
    control.reset_counters().await;
    let all = all_transactions(&client, &token, &accounts[0], None, deadline(30))
        .await
        .unwrap();
    let pages = control.calls("transactions").await;
    // A year of a current account's history is hundreds of rows: many pages of 7.
    assert!(all.len() > 100, "only {} transactions", all.len());
    assert_eq!(pages, all.len().div_ceil(7) as u64, "one call per page");
    let ids: HashSet<_> = all
        .iter()
        .map(|t| t.transaction_id.clone().unwrap())
        .collect();
    assert_eq!(ids.len(), all.len(), "no row twice");
    // A date window returns a subset, also complete.
    let from = chrono::Utc::now() - chrono::Duration::days(30);
    let recent = all_transactions(&client, &token, &accounts[0], Some(from), deadline(30))
        .await
        .unwrap();
    assert!(!recent.is_empty() && recent.len() < all.len());
    assert!(
        recent
            .iter()
            .all(|t| t.booking_date_time >= from - chrono::Duration::days(1))
    );
}

#[tokio::test]
async fn rate_limit_with_retry_after_then_success() {
    let (_sandbox, control) = start_sandbox().await;
    let (client, token, _) = linked(&control, "limited").await;
    control
        .fault(json!({"endpoint": "accounts", "status": 429, "retryAfterSecs": 1, "count": 2}))
        .await;
    control.reset_counters().await;
    let started = Instant::now();
    let accounts = client.accounts(&token, deadline(20)).await.unwrap();
    assert!(!accounts.is_empty());
    assert_eq!(
        control.calls("accounts").await,
        3,
        "two 429s, then the answer"
    );
    // Retry-After was honoured: two waits of one second.
    assert!(started.elapsed() >= Duration::from_secs(2));
}

#[tokio::test]
async fn server_errors_are_retried_until_the_deadline_then_typed() {
    let (_sandbox, control) = start_sandbox().await;
    let (client, token, _) = linked(&control, "flaky").await;
    control
        .fault(json!({"endpoint": "accounts", "status": 503, "retryAfterSecs": 1}))
        .await;
    control.reset_counters().await;
    // 2.5 s budget: attempts at 0 s, 1 s, 2 s; a fourth wait would end past the deadline.
    let err = client
        .accounts(&token, Deadline::after(Duration::from_millis(2_500)))
        .await
        .unwrap_err();
    assert_eq!(err, TarabutError::Server { status: 503 });
    let calls = control.calls("accounts").await;
    assert!((2..=3).contains(&calls), "{calls} attempts");
    // Without Retry-After the policy's own attempts bound it (4 in all).
    control.clear_faults().await;
    control
        .fault(json!({"endpoint": "accounts", "status": 500}))
        .await;
    control.reset_counters().await;
    let err = client.accounts(&token, deadline(30)).await.unwrap_err();
    assert_eq!(err, TarabutError::Server { status: 500 });
    assert_eq!(control.calls("accounts").await, 4);
}

#[tokio::test]
async fn unauthorized_and_forbidden_are_typed_and_not_retried() {
    let (_sandbox, control) = start_sandbox().await;
    let (client, token, accounts) = linked(&control, "refused").await;
    control.reset_counters().await;
    let err = client
        .accounts(&Secret::new("not-a-token"), deadline(10))
        .await
        .unwrap_err();
    assert_eq!(err, TarabutError::Unauthorized);
    assert_eq!(control.calls("accounts").await, 1);
    // An account that is not the token user's.
    let err = client
        .balances(&token, "no-such-account", false, deadline(10))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TarabutError::NotFound | TarabutError::Forbidden),
        "{err:?}"
    );
    // Tokens invalidated at Tarabut → 401.
    control
        .invalidate_tokens(
            UserId::parse("refused")
                .unwrap()
                .customer_user_id()
                .as_str(),
        )
        .await;
    let err = client
        .balances(&token, &accounts[0], false, deadline(10))
        .await
        .unwrap_err();
    assert_eq!(err, TarabutError::Unauthorized);
    // Wrong client credentials at the token endpoint.
    let bad = client_with_secret(&control, &[], "wrong");
    let err = bad
        .mint_token(
            &UserId::parse("refused").unwrap().customer_user_id(),
            deadline(10),
        )
        .await
        .unwrap_err();
    assert_eq!(err, TarabutError::Unauthorized);
}

#[tokio::test]
async fn slow_answers_time_out() {
    let (_sandbox, control) = start_sandbox().await;
    let (_, token, _) = linked(&control, "slowpoke").await;
    let client = client_for(&control, &[("TARABUT_TIMEOUT_MS", "300")]).await;
    control
        .fault(json!({"endpoint": "accounts", "latencyMs": 2000}))
        .await;
    control.reset_counters().await;
    let started = Instant::now();
    let err = client.accounts(&token, deadline(30)).await.unwrap_err();
    assert_eq!(err, TarabutError::Timeout);
    assert_eq!(control.calls("accounts").await, 4, "timeouts are retried");
    assert!(started.elapsed() < Duration::from_secs(10));
    // A deadline shorter than the timeout cuts the attempt itself.
    let err = client_for(&control, &[])
        .await
        .accounts(&token, Deadline::after(Duration::from_millis(200)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TarabutError::Timeout | TarabutError::DeadlineExceeded),
        "{err:?}"
    );
}

#[tokio::test]
async fn revoke_twice_is_already_gone() {
    let (_sandbox, control) = start_sandbox().await;
    let client = client_for(&control, &[]).await;
    let customer = UserId::parse("revoker").unwrap().customer_user_id();
    let (consent, accounts) = control.create_consent(customer.as_str(), "RED").await;
    let token = client
        .mint_token(&customer, deadline(10))
        .await
        .unwrap()
        .access_token;
    assert_eq!(
        client
            .revoke_consent(&token, &consent, deadline(10))
            .await
            .unwrap(),
        Revoked::Now
    );
    assert_eq!(
        client
            .revoke_consent(&token, &consent, deadline(10))
            .await
            .unwrap(),
        Revoked::AlreadyGone
    );
    let err = client
        .balances(&token, &accounts[0], false, deadline(10))
        .await
        .unwrap_err();
    assert_eq!(err, TarabutError::Forbidden);
}

#[tokio::test]
async fn intents_accounts_balances_and_providers_decode() {
    let (_sandbox, control) = start_sandbox().await;
    let (client, token, accounts) = linked(&control, "decoder").await;
    let providers = client.providers(&token, deadline(10)).await.unwrap();
    assert!(providers.iter().any(|p| p.provider_id == "BLUE"));
    let listed = client.accounts(&token, deadline(10)).await.unwrap();
    assert_eq!(listed.len(), accounts.len());
    for a in &listed {
        assert!(a.currency_code().is_some());
        assert!(!a.consents.is_empty());
        let b = client
            .balances(&token, &a.account_id, true, deadline(10))
            .await
            .unwrap();
        assert!(!b.balances.is_empty());
    }
}

// ---- a hostile or huge upstream ----

/// 20 MiB of valid-looking JSON on the transactions endpoint: the client stops reading at its
/// cap and fails with a typed error, without retrying (the same body would come again).
#[tokio::test]
async fn an_oversize_body_fails_typed_at_the_cap_and_is_not_retried() {
    let (_sandbox, control) = start_sandbox().await;
    let (client, token, accounts) = linked(&control, "oversize").await;
    control
        .serve_oversize_transactions(20 * 1024 * 1024, None)
        .await;
    control.reset_counters().await;
    let r = client
        .transactions_page(&token, &accounts[0], None, None, 1, deadline(30))
        .await;
    match r {
        Err(TarabutError::BodyTooLarge { limit }) => assert_eq!(limit, MAX_BODY_BYTES),
        Err(e) => panic!("expected BodyTooLarge, got {e:?}"),
        Ok(page) => panic!("read {} rows of a 20 MiB body", page.transactions.len()),
    }
    assert_eq!(control.calls("transactions").await, 1, "not retried");
}

/// An endless body (a gibibyte, streamed): the client stops at the cap, long before the
/// per-attempt timeout, and the sandbox hands out little more than the cap plus what the
/// sockets buffer.
#[tokio::test]
async fn an_endless_body_is_not_read_past_the_cap() {
    let (_sandbox, control) = start_sandbox().await;
    let (client, token, accounts) = linked(&control, "endless").await;
    control.serve_oversize_transactions(1 << 30, Some(1)).await;
    control.reset_counters().await;
    let started = Instant::now();
    let r = client
        .transactions_page(&token, &accounts[0], None, None, 1, deadline(30))
        .await;
    assert!(
        matches!(r, Err(TarabutError::BodyTooLarge { .. })),
        "{:?}",
        r.map(|p| p.transactions.len())
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Once the connection is gone the stream is no longer polled.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let served = control.oversize_bytes_served().await;
    assert!(
        served >= MAX_BODY_BYTES as u64 && served < 4 * MAX_BODY_BYTES as u64,
        "{served} bytes served"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        control.oversize_bytes_served().await,
        served,
        "still streaming"
    );
}
