//! GET /finance/accounts driven by `events/finance-accounts.json` against a fresh in-memory
//! table and an in-process Tarabut sandbox.

use lambda_http::{Context, RequestExt};
use serde_json::{Value, json};
use shared::banking::AccountRecord;
use shared::testkit::{
    ALICE, Answer, BOB, Bank, Event, LogCapture, TestEnv, assert_problem, deadline, money, user,
};
use shared::time::Timestamp;
use shared::{connections, sync};

shared::handler_test_helpers!(finance_accounts::handle);

const EVENT: &str = "finance-accounts";

/// The caller's accounts, checking the answer is a read (the table unchanged) with exactly
/// one key.
async fn list(env: &TestEnv, sub: &str) -> Vec<Value> {
    let before = env.dump().await;
    let answer = call(env, &Event::load(EVENT).user(sub)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.content_type, "application/json");
    assert_eq!(
        shared::testkit::without_audit(env.dump().await),
        shared::testkit::without_audit(before),
        "listing wrote to the table"
    );
    let body = answer.json();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    body["accounts"].as_array().unwrap().clone()
}

fn ids(views: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = views
        .iter()
        .map(|v| v["accountId"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

async fn stored(env: &TestEnv, sub: &str) -> Vec<AccountRecord> {
    env.state.accounts.list(&user(sub)).await.unwrap()
}

#[tokio::test]
async fn lists_the_accounts_with_a_masked_iban_and_the_latest_balance() {
    let env = TestEnv::start().await;
    let [blue, red] = env.link_demo_banks(&user(ALICE)).await;
    let bank = Bank::read(&env, ALICE).await;
    let records = stored(&env, ALICE).await;
    assert_eq!(records.len(), 4);

    let answer = call(&env, &Event::load(EVENT)).await;
    let views = list(&env, ALICE).await;
    assert_eq!(views.len(), 4, "{views:?}");
    assert!(views.iter().filter(|v| v["maskedIban"].is_string()).count() >= 2);
    // Nothing internal: no consent id, table key or token.
    for id in [&blue, &red] {
        let consent = env.consent_of(ALICE, id).await;
        assert!(
            !answer.text.contains(&consent),
            "consent id in {}",
            answer.text
        );
    }
    for internal in ["USER#", "ACCT#", "TOKEN", "consent", "\"pk\"", "iban\""] {
        assert!(
            !answer.text.contains(internal),
            "{internal} in {}",
            answer.text
        );
    }
    for (view, record) in views.iter().zip(&records) {
        let mut keys: Vec<&str> = view
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "accountId",
                "balance",
                "balanceAt",
                "balanceType",
                "connectionId",
                "currency",
                "holderName",
                "maskedIban",
                "productType",
                "providerId"
            ]
        );
        // In the stored order: by connection, then account.
        assert_eq!(view["accountId"], record.account_id.as_str());
        assert_eq!(view["connectionId"], record.connection_id.as_str());
        assert_eq!(view["providerId"], json!(record.provider_id));
        assert_eq!(view["productType"], json!(record.product_type));
        assert_eq!(view["currency"], record.currency.code());
        assert_eq!(view["holderName"], json!(record.holder_name));
        match record.iban.as_deref() {
            Some(iban) => {
                let last4 = &iban[iban.len() - 4..];
                assert_eq!(view["maskedIban"], format!("•••• {last4}"));
                assert!(!answer.text.contains(&iban[..iban.len() - 4]));
            }
            // A card is identified by a masked PAN, not an IBAN.
            None => assert_eq!(view["maskedIban"], Value::Null),
        }
        // The balance the bank reports, as a decimal string in the account's currency.
        let balance = money(&view["balance"]);
        assert_eq!(balance.minor(), bank.balance_minor(&record.account_id));
        assert_eq!(balance.currency(), record.currency);
        assert!(view["balance"]["amount"].is_string());
        assert_eq!(
            view["balanceAt"],
            record.balance_at.map(Timestamp::to_rfc3339).unwrap()
        );
        assert_eq!(view["balanceType"], json!(record.balance_type));
    }
}

#[tokio::test]
async fn accounts_whose_consent_must_be_renewed_still_show() {
    let env = TestEnv::start().await;
    let blue = env.link(&user(ALICE), "BLUE").await;
    let consent = env.consent_of(ALICE, &blue).await;
    env.control.expire_consent(&consent).await;
    let request = serde_json::from_value(json!({ "connectionId": blue })).unwrap();
    assert!(
        sync::sync_one(&env.state, &user(ALICE), request, deadline())
            .await
            .is_err()
    );
    let connection = env.state.connections.get(&user(ALICE), &blue).await;
    assert_eq!(
        connection.unwrap().unwrap().status.as_str(),
        "reauth_required"
    );
    let views = list(&env, ALICE).await;
    assert_eq!(views.len(), 2);
    assert!(views.iter().all(|v| v["connectionId"] == blue.as_str()));
}

#[tokio::test]
async fn a_deleted_connections_accounts_never_show_even_when_a_sync_writes_them_again() {
    let env = TestEnv::start().await;
    let [kept, deleted] = env.link_demo_banks(&user(ALICE)).await;
    let theirs: Vec<AccountRecord> = stored(&env, ALICE)
        .await
        .into_iter()
        .filter(|a| a.connection_id == deleted)
        .collect();
    connections::delete(&env.state, &user(ALICE), &deleted, deadline())
        .await
        .unwrap();
    // A sync that started before the delete writes its accounts after it (§3.7).
    env.state.accounts.put_all(&theirs).await.unwrap();
    assert_eq!(stored(&env, ALICE).await.len(), 4);
    let views = list(&env, ALICE).await;
    assert_eq!(views.len(), 2);
    assert!(views.iter().all(|v| v["connectionId"] == kept.as_str()));
}

#[tokio::test]
async fn never_lists_another_users_accounts() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    env.link(&user(BOB), "RED").await;
    let alices = list(&env, ALICE).await;
    let bobs = list(&env, BOB).await;
    let expected = |sub: &'static str| {
        let env = &env;
        async move {
            let mut ids: Vec<String> = stored(env, sub)
                .await
                .into_iter()
                .map(|a| a.account_id)
                .collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(ids(&alices), expected(ALICE).await);
    assert_eq!(ids(&bobs), expected(BOB).await);
    assert!(ids(&alices).iter().all(|id| !ids(&bobs).contains(id)));
    assert!(list(&env, "user-without-banks").await.is_empty());
}

#[tokio::test]
async fn missing_claims_are_401_and_parameters_400() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    for file in ["no-claims", "empty-sub"] {
        let event = Event::load(&format!("negative/{EVENT}.{file}"));
        let problem = refused(&env, event, 401).await;
        assert_eq!(problem["type"], "/problems/unauthenticated");
    }
    let whitespace = Event::load(EVENT).claims(json!({ "sub": "   " }));
    refused(&env, whitespace, 401).await;
    for pairs in [vec![("limit", "10")], vec![("accountId", "x")]] {
        let problem = refused(&env, Event::load(EVENT).query(&pairs), 400).await;
        assert_eq!(problem["type"], "/problems/bad-request");
    }
}

/// The listing is recorded in the caller's audit trail (no content, the request id).
#[tokio::test]
async fn a_listing_is_audited() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    let event = Event::load(EVENT).user(ALICE);
    assert_eq!(call(&env, &event).await.status, 200);
    shared::testkit::assert_audited(&env, ALICE, &event, "accounts.list", None, None).await;
}

/// Every line logged while serving a request is a JSON object with its timestamp and the
/// request's span: API Gateway's request id, Lambda's request id and the route. The problem
/// body's `instance` is API Gateway's request id, the one in the event's request context.
#[tokio::test]
async fn a_requests_log_lines_and_its_problem_carry_the_request_ids() {
    let env = TestEnv::start().await;
    // The same refusal once before capturing: its log callsites are then registered before
    // this thread's subscriber exists. tracing-core computes a callsite's interest racily when
    // a scoped subscriber is created while another test's thread registers it, and can cache
    // it as "never" for this subscriber too.
    let warm_up = Event::load("finance-accounts").no_claims().request();
    finance_accounts::handle(&env.state, warm_up)
        .await
        .expect("an answer");
    let logs = LogCapture::start();
    let mut context = Context::default();
    context.request_id = "lambda-req-7".into();
    let event = Event::load("finance-accounts").no_claims();
    let apigw_id = event.0["requestContext"]["requestId"].clone();
    assert!(apigw_id.is_string(), "the event has a request id");
    let request = event.request().with_lambda_context(context);

    let answer = Answer::read(
        finance_accounts::handle(&env.state, request)
            .await
            .expect("an answer"),
    );
    let problem = assert_problem(&answer, 401);
    assert_eq!(problem["instance"], apigw_id);

    let lines = logs.lines();
    let refused = lines
        .iter()
        .find(|l| l["message"] == "request refused")
        .unwrap_or_else(|| panic!("no refusal logged: {lines:?}"));
    assert_eq!(refused["level"], "INFO");
    let timestamp = refused["timestamp"].as_str().expect("a timestamp");
    assert!(
        chrono::DateTime::parse_from_rfc3339(timestamp).is_ok(),
        "{timestamp}"
    );
    let span = refused["spans"]
        .as_array()
        .and_then(|spans| spans.iter().find(|s| s["name"] == "request"))
        .unwrap_or_else(|| panic!("not in the request's span: {refused}"));
    assert_eq!(span["apigw_request_id"], apigw_id);
    assert_eq!(span["lambda_request_id"], "lambda-req-7");
    assert_eq!(span["route"], "GET /finance/accounts");
}
