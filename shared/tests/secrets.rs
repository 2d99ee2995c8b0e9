//! The secrets a function reads at init, against a real Secrets Manager API (moto's server,
//! started by scripts/with-moto.sh) and the Tarabut sandbox: the client secret by ARN, read
//! again once when Tarabut refuses it after a rotation; the cursor key; and init failures that
//! name the secret, never its value.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use shared::AppState;
use shared::identity::UserId;
use shared::secret::Secret;
use shared::secrets::{
    SecretStore, SecretsError, SecretsManagerStore, install_cursor_key, install_tarabut_secret,
};
use shared::state::InitError;
use shared::store::MemoryTable;
use shared::tarabut::TarabutError;
use shared::testkit::{SandboxControl, TEST_CLIENT_SECRET, deadline, start_sandbox, test_config};

/// The Secrets Manager of this test run: moto on loopback, never a real account.
async fn secrets_manager() -> SecretsManagerStore {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SECRETS_MANAGER").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "AWS_ENDPOINT_URL_SECRETS_MANAGER must point at a local Secrets Manager (got \
         {endpoint:?}); run the tests with `make test` (scripts/with-moto.sh)"
    );
    SecretsManagerStore::from_env().await
}

/// A new secret holding `value`; its ARN, as the template passes it.
async fn create_secret(store: &SecretsManagerStore, value: &str) -> String {
    let name = format!("test/{}", uuid::Uuid::new_v4().simple());
    let created = store
        .client()
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .expect("create_secret");
    created.arn.expect("moto answers with the ARN")
}

async fn rotate(store: &SecretsManagerStore, arn: &str, value: &str) {
    store
        .client()
        .put_secret_value()
        .secret_id(arn)
        .secret_string(value)
        .send()
        .await
        .expect("put_secret_value");
}

/// Counts the reads that reach the real store.
struct Counting {
    inner: SecretsManagerStore,
    reads: AtomicUsize,
}

#[async_trait]
impl SecretStore for Counting {
    async fn secret_string(&self, id: &str) -> Result<Secret, SecretsError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.secret_string(id).await
    }
}

/// An app state (a function's, before its secrets are installed) with `TARABUT_SECRET_ARN`
/// and `CURSOR_KEY_SECRET_ARN` as given (`None`: unset).
fn state_with(control: &SandboxControl, tarabut: Option<&str>, cursor: Option<&str>) -> AppState {
    let mut config = test_config("unused", control.base_url(), &[]);
    config.tarabut.secret_arn = tarabut.map(str::to_string);
    config.cursor_key_secret_arn = cursor.map(str::to_string);
    AppState::new(config, Arc::new(MemoryTable::new())).expect("state")
}

fn client_json(secret: &str) -> String {
    serde_json::json!({ "clientSecret": secret }).to_string()
}

async fn mint(state: &AppState, sub: &str) -> Result<(), TarabutError> {
    let customer = UserId::parse(sub).expect("user").customer_user_id();
    state
        .tarabut
        .mint_token(&customer, deadline())
        .await
        .map(|_| ())
}

#[tokio::test]
async fn the_client_secret_is_read_by_arn_at_init_and_mints_work() {
    let sm = secrets_manager().await;
    let arn = create_secret(&sm, &client_json(TEST_CLIENT_SECRET)).await;
    let (_sandbox, control) = start_sandbox().await;
    let state = state_with(&control, Some(&arn), None);
    assert_eq!(
        mint(&state, "before-init").await,
        Err(TarabutError::NoClientSecret),
        "no secret before init: nothing is sent"
    );
    assert_eq!(control.calls("token").await, 0);
    install_tarabut_secret(&state, Arc::new(sm))
        .await
        .expect("init");
    mint(&state, "after-init").await.expect("mint");
    let customer = UserId::parse("after-init")
        .expect("user")
        .customer_user_id();
    assert_eq!(control.mints(customer.as_str()).await, 1);
}

#[tokio::test]
async fn a_rotated_secret_is_read_again_once_and_the_mint_retried() {
    let sm = secrets_manager().await;
    let arn = create_secret(&sm, &client_json(TEST_CLIENT_SECRET)).await;
    let (_sandbox, control) = start_sandbox().await;
    let state = state_with(&control, Some(&arn), None);
    let store = Arc::new(Counting {
        inner: sm.clone(),
        reads: AtomicUsize::new(0),
    });
    install_tarabut_secret(&state, store.clone())
        .await
        .expect("init");
    assert_eq!(store.reads.load(Ordering::SeqCst), 1);

    // Rotation: the new value in Secrets Manager, and Tarabut accepting only it.
    rotate(&sm, &arn, &client_json("rotated-client-secret")).await;
    control.set_client_secret("rotated-client-secret").await;
    control.reset_counters().await;

    // Eight users mint at once with the old secret: all are refused once, one read serves all.
    let state = Arc::new(state);
    let mints: Vec<_> = (0..8)
        .map(|i| {
            let state = state.clone();
            tokio::spawn(async move { mint(&state, &format!("user-{i}")).await })
        })
        .collect();
    for m in mints {
        m.await.expect("task").expect("mint after the rotation");
    }
    assert_eq!(store.reads.load(Ordering::SeqCst), 2, "one read again");
    assert_eq!(
        control.calls("token").await,
        16,
        "each refused once, then minted"
    );
    // Later mints use the new secret straight away.
    mint(&state, "later").await.expect("mint");
    assert_eq!(control.calls("token").await, 17);
    assert_eq!(store.reads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_secret_tarabut_refuses_is_read_again_once_not_on_every_mint() {
    let sm = secrets_manager().await;
    let arn = create_secret(&sm, &client_json(TEST_CLIENT_SECRET)).await;
    let (_sandbox, control) = start_sandbox().await;
    let state = state_with(&control, Some(&arn), None);
    let store = Arc::new(Counting {
        inner: sm,
        reads: AtomicUsize::new(0),
    });
    install_tarabut_secret(&state, store.clone())
        .await
        .expect("init");
    // Tarabut rotated, Secrets Manager was not updated: the read brings the same value.
    control.set_client_secret("only-tarabut-knows-this").await;
    control.reset_counters().await;
    assert_eq!(mint(&state, "a").await, Err(TarabutError::Unauthorized));
    assert_eq!(
        control.calls("token").await,
        1,
        "the same secret is not sent again"
    );
    assert_eq!(store.reads.load(Ordering::SeqCst), 2);
    assert_eq!(mint(&state, "b").await, Err(TarabutError::Unauthorized));
    assert_eq!(
        store.reads.load(Ordering::SeqCst),
        2,
        "within the cooldown a refusal reads nothing"
    );
}

#[tokio::test]
async fn init_fails_naming_the_variable_or_the_secret_never_its_value() {
    let sm = Arc::new(secrets_manager().await);
    let (_sandbox, control) = start_sandbox().await;

    let unset = state_with(&control, None, None);
    match install_tarabut_secret(&unset, sm.clone()).await {
        Err(InitError::Config(e)) => assert_eq!(e.variable, "TARABUT_SECRET_ARN"),
        other => panic!("expected a config error, got {other:?}"),
    }

    let missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:no-such-secret-AbCdEf";
    let gone = state_with(&control, Some(missing), None);
    let err = install_tarabut_secret(&gone, sm.clone())
        .await
        .expect_err("missing secret");
    assert!(
        matches!(&err, InitError::Secret(SecretsError::Read { id, reason })
            if id == missing && reason.contains("ResourceNotFoundException")),
        "{err:?}"
    );

    let plain = create_secret(&sm, "hunter2-a-plain-string-value").await;
    let malformed = state_with(&control, Some(&plain), None);
    let err = install_tarabut_secret(&malformed, sm.clone())
        .await
        .expect_err("not JSON");
    let text = format!("{err} {err:?}");
    assert!(text.contains(&plain), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert_eq!(malformed.tarabut.credential().current(), None);
}

#[tokio::test]
async fn the_cursor_key_is_read_by_arn_and_must_be_32_bytes() {
    let sm = Arc::new(secrets_manager().await);
    let (_sandbox, control) = start_sandbox().await;
    let key = "k".repeat(64);
    let arn = create_secret(&sm, &key).await;
    let state = install_cursor_key(state_with(&control, None, Some(&arn)), sm.clone())
        .await
        .expect("init");
    assert_eq!(state.cursor_key, Some(Secret::new(&key)));

    let short = create_secret(&sm, "short-key-31-bytes-long-0123456").await;
    let err = install_cursor_key(state_with(&control, None, Some(&short)), sm)
        .await
        .err()
        .expect("a short key is refused");
    assert!(matches!(
        err,
        InitError::Secret(SecretsError::Malformed { .. })
    ));
    assert!(!err.to_string().contains("short-key"));
}
