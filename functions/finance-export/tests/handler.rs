//! POST /finance/export driven by `events/finance-export.json`, against a fresh in-memory
//! table, an in-process Tarabut sandbox and a fresh bucket on the local S3 API (moto, started
//! by `scripts/with-moto.sh`). What the export holds is checked against the table's own items,
//! read independently of the export's code.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration as Days, Utc};
use serde_json::{Value, json};
use shared::banking::StoredTransaction;
use shared::export::S3ExportStore;
use shared::money::Money;
use shared::store::{Item, ItemExt, Table};
use shared::testkit::{
    ALICE, BOB, Event, TestEnv, assert_audited, assert_problem, audit_items, balances, deadline,
    export_bucket, export_keys, transactions, user, with_sk_prefix,
};

shared::handler_test_helpers!(finance_export::handle);

const EVENT: &str = "finance-export";

async fn env_with_bucket() -> (TestEnv, S3ExportStore) {
    let store = export_bucket().await;
    let env = TestEnv::start().await.with_exports(Arc::new(store.clone()));
    (env, store)
}

/// The one object in the bucket: its bytes and its server-side encryption header.
async fn the_object(store: &S3ExportStore) -> (String, Vec<u8>, Option<String>) {
    let keys = export_keys(store).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let got = store
        .client()
        .get_object()
        .bucket(store.bucket())
        .key(&keys[0])
        .send()
        .await
        .expect("the export object");
    let sse = got.server_side_encryption().map(|s| s.as_str().to_string());
    let bytes = got.body.collect().await.unwrap().into_bytes().to_vec();
    (keys[0].clone(), bytes, sse)
}

/// An export of `sub`: 201 and its receipt.
async fn exported(env: &TestEnv, sub: &str) -> Value {
    let answer = call(env, &Event::load(EVENT).user(sub)).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let receipt = answer.json();
    assert_eq!(
        receipt.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["bytes", "expiresAt", "url"]
    );
    receipt
}

/// Minor units as the API writes money: a decimal string with the currency's digits.
fn decimal(minor: i64, currency: &str) -> String {
    let digits = match currency {
        "BHD" | "KWD" | "OMR" | "JOD" => 3,
        _ => 2,
    };
    let scale = 10i64.pow(digits);
    let sign = if minor < 0 { "-" } else { "" };
    let (whole, frac) = (minor.abs() / scale, minor.abs() % scale);
    format!("{sign}{whole}.{frac:0width$}", width = digits as usize)
}

fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn strings(rows: &Value, fields: &[&str]) -> BTreeSet<Vec<String>> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            fields
                .iter()
                .map(|f| {
                    let v = r.pointer(f).unwrap_or_else(|| panic!("{f} in {r}"));
                    v.as_str().map_or_else(|| v.to_string(), str::to_string)
                })
                .collect()
        })
        .collect()
}

/// What the table holds for `sub` that an export must give back, read from the raw items:
/// connections (tombstones too), and the accounts, transactions and balances of accounts whose
/// connection is not deleted.
struct Expected {
    connections: BTreeSet<Vec<String>>,
    link_attempts: BTreeSet<Vec<String>>,
    accounts: BTreeSet<Vec<String>>,
    transactions: BTreeSet<Vec<String>>,
    balances: BTreeSet<Vec<String>>,
}

fn expected(items: &[Item], sub: &str) -> Expected {
    // A row past its retention TTL is gone: DynamoDB deletes it, reads ignore it until then.
    let now_s = Utc::now().timestamp();
    let retained = |i: &&Item| {
        i.get("expires_at_s")
            .is_none_or(|_| i.n("expires_at_s").unwrap() > now_s)
    };
    let conns = with_sk_prefix(items, &format!("USER#{sub}"), "CONN#");
    let live: BTreeSet<&str> = conns
        .iter()
        .filter(|c| c.get("deleted_at").is_none())
        .map(|c| c.s("connection_id").unwrap())
        .collect();
    let intents: BTreeSet<&str> = conns.iter().map(|c| c.s("intent_id").unwrap()).collect();
    let accounts: Vec<&Item> = with_sk_prefix(items, &format!("USER#{sub}"), "ACCT#")
        .into_iter()
        .filter(|a| live.contains(a.s("connection_id").unwrap()))
        .collect();
    let visible: BTreeSet<&str> = accounts
        .iter()
        .map(|a| a.s("account_id").unwrap())
        .collect();
    let shown = |i: &&Item| visible.contains(i.s("account_id").unwrap());
    Expected {
        connections: conns
            .iter()
            .map(|c| {
                vec![
                    c.s("connection_id").unwrap().to_string(),
                    c.s("status").unwrap().to_string(),
                    c.s("consent_id").unwrap_or("null").to_string(),
                ]
            })
            .collect(),
        link_attempts: items
            .iter()
            .filter(|i| i.s("pk").unwrap().starts_with("INTENT#"))
            .filter(|i| i.s("user_id").unwrap() == sub)
            .filter(|i| intents.contains(&i.s("pk").unwrap()["INTENT#".len()..]))
            .map(|i| {
                vec![
                    i.s("pk").unwrap()["INTENT#".len()..].to_string(),
                    i.s("connection_id").unwrap().to_string(),
                    i.s("state").unwrap().to_string(),
                ]
            })
            .collect(),
        accounts: accounts
            .iter()
            .map(|a| {
                vec![
                    a.s("account_id").unwrap().to_string(),
                    a.s("connection_id").unwrap().to_string(),
                    a.s("currency").unwrap().to_string(),
                    a.s("iban").unwrap_or("null").to_string(),
                ]
            })
            .collect(),
        transactions: transactions(items, sub)
            .into_iter()
            .filter(retained)
            .filter(shown)
            .map(|t| {
                let currency = t.s("currency").unwrap();
                vec![
                    t.s("account_id").unwrap().to_string(),
                    t.s("transaction_id").unwrap().to_string(),
                    rfc3339(t.n("booked_at").unwrap()),
                    decimal(t.n("amount_minor").unwrap(), currency),
                    currency.to_string(),
                    t.s("description").unwrap().to_string(),
                ]
            })
            .collect(),
        balances: balances(items, sub)
            .into_iter()
            .filter(retained)
            .filter(shown)
            .map(|b| {
                let currency = b.s("currency").unwrap();
                vec![
                    b.s("account_id").unwrap().to_string(),
                    rfc3339(b.n("at").unwrap()),
                    decimal(b.n("amount_minor").unwrap(), currency),
                    currency.to_string(),
                    b.s("source").unwrap().to_string(),
                ]
            })
            .collect(),
    }
}

fn assert_matches(doc: &Value, want: &Expected) {
    let got_connections = strings(
        &doc["connections"],
        &["/connectionId", "/status", "/consentId"],
    );
    assert_eq!(got_connections, want.connections);
    assert_eq!(
        strings(
            &doc["linkAttempts"],
            &["/intentId", "/connectionId", "/state"]
        ),
        want.link_attempts
    );
    assert_eq!(
        strings(
            &doc["accounts"],
            &["/accountId", "/connectionId", "/currency", "/iban"]
        ),
        want.accounts
    );
    let txns = strings(
        &doc["transactions"],
        &[
            "/accountId",
            "/transactionId",
            "/bookedAt",
            "/amount/amount",
            "/amount/currency",
            "/description",
        ],
    );
    assert_eq!(txns.len(), doc["transactions"].as_array().unwrap().len());
    assert_eq!(txns, want.transactions);
    assert_eq!(
        strings(
            &doc["balanceSnapshots"],
            &[
                "/accountId",
                "/at",
                "/amount/amount",
                "/amount/currency",
                "/source"
            ]
        ),
        want.balances
    );
    for (name, rows) in [
        ("connections", "connections"),
        ("linkAttempts", "linkAttempts"),
        ("accounts", "accounts"),
        ("transactions", "transactions"),
        ("balanceSnapshots", "balanceSnapshots"),
        ("auditRecords", "auditRecords"),
    ] {
        assert_eq!(
            doc["counts"][name].as_u64().unwrap() as usize,
            doc[rows].as_array().unwrap().len(),
            "{name}"
        );
    }
}

/// No key of any object in the document is a table key, a token, a code hash, a lease or a
/// limit's claim.
fn assert_no_internal_fields(value: &Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let lower = k.to_ascii_lowercase();
                assert!(
                    !["pk", "sk", "gsi1pk", "gsi1sk", "expires_at_s", "code"]
                        .contains(&lower.as_str()),
                    "{k}"
                );
                for part in ["token", "hash", "lease", "claim", "codeexpires"] {
                    assert!(!lower.contains(part), "{k}");
                }
                assert_no_internal_fields(v);
            }
        }
        Value::Array(rows) => rows.iter().for_each(assert_no_internal_fields),
        _ => {}
    }
}

#[tokio::test]
async fn the_export_holds_what_the_table_holds_for_the_caller_and_nothing_else() {
    let (env, store) = env_with_bucket().await;
    env.link_demo_banks(&user(ALICE)).await;
    let bobs = env.link(&user(BOB), "BLUE").await;
    let token = env.token_of(ALICE).await;
    let items = env.dump().await;
    assert!(transactions(&items, ALICE).len() > 100);

    let before = env.state.clock.now();
    let event = Event::load(EVENT).user(ALICE);
    let answer = call(&env, &event).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let receipt = answer.json();
    let (key, object, sse) = the_object(&store).await;
    // The export is audited like any read, and before the document is read: its own record is
    // the trail's last, in the document too.
    let audited = assert_audited(&env, ALICE, &event, "export", None, None).await;
    let trail = audit_items(&env, ALICE).await;
    assert_eq!(trail.len(), audited);

    // The object: encrypted at rest, under an opaque per-user prefix, the receipt's size.
    assert_eq!(sse.as_deref(), Some("AES256"));
    assert!(
        key.starts_with("exports/") && key.ends_with(".json"),
        "{key}"
    );
    assert!(!key.contains(ALICE), "{key}");
    assert_eq!(receipt["bytes"].as_u64().unwrap() as usize, object.len());
    // The URL works for minutes (EXPORT_URL_TTL_SECS, 300 by default) and gives the same bytes.
    let expires = DateTime::parse_from_rfc3339(receipt["expiresAt"].as_str().unwrap()).unwrap();
    let ttl = expires.timestamp_millis() - before.millis();
    assert!((300_000..=301_000).contains(&ttl), "{ttl} ms");
    let fetched = reqwest::get(receipt["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), object);

    // The document: what the table holds for Alice, read from the items themselves.
    let text = String::from_utf8(object).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["format"], "gulf-finance-export/1");
    assert_eq!(doc["userId"], ALICE);
    assert_matches(&doc, &expected(&items, ALICE));
    let want_trail: Vec<Vec<String>> = trail
        .iter()
        .map(|i| {
            vec![
                i.s("action").unwrap().to_string(),
                i.opt_s("connection_id")
                    .unwrap()
                    .unwrap_or("null")
                    .to_string(),
                i.opt_s("request_id").unwrap().unwrap_or("null").to_string(),
                rfc3339(i.n("at").unwrap()),
            ]
        })
        .collect();
    let got_trail: Vec<Vec<String>> = doc["auditRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            ["/action", "/connectionId", "/requestId", "/at"]
                .iter()
                .map(|p| match r.pointer(p) {
                    Some(Value::String(s)) => s.clone(),
                    _ => "null".to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(got_trail, want_trail, "the audit trail, oldest first");
    assert_eq!(got_trail.last().unwrap()[0], "export");
    assert_eq!(doc["connections"].as_array().unwrap().len(), 2);
    assert_eq!(doc["linkAttempts"].as_array().unwrap().len(), 2);
    assert_eq!(doc["accounts"].as_array().unwrap().len(), 4);
    assert!(!doc["balanceSnapshots"].as_array().unwrap().is_empty());
    // Never a token, a key or another user's data.
    assert_no_internal_fields(&doc);
    for needle in [
        token.expose(),
        bobs.as_str(),
        BOB,
        "USER#",
        "INTENT#",
        "ACCT#",
    ] {
        assert!(!text.contains(needle), "{needle:?} in the export");
    }
}

/// A deleted connection: its tombstone is exported, its data is not, even rows a sync wrote
/// after the delete (put back here as such a sync would leave them, docs/architecture.md §3.7).
#[tokio::test]
async fn a_deleted_connections_data_is_not_exported() {
    let (env, store) = env_with_bucket().await;
    let [blue, red] = env.link_demo_banks(&user(ALICE)).await;
    let leftovers: Vec<Item> = env
        .dump()
        .await
        .into_iter()
        .filter(|i| i.s("connection_id").ok() == Some(red.as_str()))
        .filter(|i| !i.s("sk").unwrap().starts_with("CONN#"))
        .filter(|i| !i.s("pk").unwrap().starts_with("INTENT#"))
        .collect();
    assert!(leftovers.len() > 10);
    shared::connections::delete(&env.state, &user(ALICE), &red, deadline())
        .await
        .unwrap();
    for item in leftovers {
        env.table.put(item, None).await.unwrap();
    }
    let items = env.dump().await;
    assert!(!transactions(&items, ALICE).is_empty());

    exported(&env, ALICE).await;
    let (_, object, _) = the_object(&store).await;
    let doc: Value = serde_json::from_slice(&object).unwrap();
    assert_matches(&doc, &expected(&items, ALICE));
    let red_row = doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["connectionId"] == red.as_str())
        .expect("the tombstone is exported");
    assert_eq!(red_row["status"], "revoked");
    assert!(red_row["deletedAt"].is_string());
    for kind in ["accounts", "transactions", "balanceSnapshots"] {
        let rows = doc[kind].as_array().unwrap();
        assert!(!rows.is_empty(), "{kind}: the live connection's rows");
        assert!(
            rows.iter().all(|r| r["connectionId"] == blue.as_str()),
            "{kind}: nothing of the deleted connection"
        );
    }
}

#[tokio::test]
async fn a_user_without_banks_gets_an_empty_export() {
    let (env, store) = env_with_bucket().await;
    env.link(&user(BOB), "BLUE").await;
    exported(&env, ALICE).await;
    let (_, object, _) = the_object(&store).await;
    let doc: Value = serde_json::from_slice(&object).unwrap();
    for kind in [
        "connections",
        "linkAttempts",
        "accounts",
        "transactions",
        "balanceSnapshots",
    ] {
        assert_eq!(doc[kind], json!([]), "{kind}");
    }
    // Only the record of this export itself.
    let trail = doc["auditRecords"].as_array().unwrap();
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0]["action"], "export");
}

/// When the export cannot be recorded in the audit trail, nothing is exported.
#[tokio::test]
async fn no_export_without_its_audit_record() {
    let (env, store) = env_with_bucket().await;
    env.link_demo_banks(&user(ALICE)).await;
    // The same table, seen by a process whose audit writes fail.
    let refusing = shared::testkit::RefusingTable::refusing_puts_to(env.table.clone(), "#AUDIT");
    let config = shared::testkit::test_config("memory", env.sandbox.base_url(), &[]);
    let mut state = shared::AppState::new(config, Arc::new(refusing)).unwrap();
    state.exports = Some(Arc::new(store.clone()));
    let answer = shared::testkit::Answer::read(
        finance_export::handle(&state, Event::load(EVENT).user(ALICE).request())
            .await
            .unwrap(),
    );
    let problem = assert_problem(&answer, 500);
    assert_eq!(problem["type"], "/problems/internal");
    assert!(export_keys(&store).await.is_empty(), "nothing was written");
}

#[tokio::test]
async fn missing_or_empty_claims_are_401_and_nothing_is_written() {
    let (env, store) = env_with_bucket().await;
    env.link(&user(ALICE), "BLUE").await;
    let trail = audit_items(&env, ALICE).await.len();
    for event in [
        Event::load(EVENT).no_claims(),
        Event::load(EVENT).user(""),
        Event::load("negative/finance-export.no-claims"),
        Event::load("negative/finance-export.empty-sub"),
    ] {
        refused(&env, event, 401).await;
    }
    assert!(export_keys(&store).await.is_empty());
    assert_eq!(
        audit_items(&env, ALICE).await.len(),
        trail,
        "nothing was accessed"
    );
}

/// The body is empty or `{}`; anything else is refused before anything is read or written.
#[tokio::test]
async fn a_body_other_than_empty_or_an_empty_object_is_refused_and_nothing_is_written() {
    let (env, store) = env_with_bucket().await;
    env.link(&user(ALICE), "BLUE").await;
    let trail = audit_items(&env, ALICE).await.len();
    for body in ["{\"format\":\"csv\"}", "{", "[]", "\"all\"", "null"] {
        refused(&env, Event::load(EVENT).user(ALICE).body(body), 400).await;
    }
    refused(
        &env,
        Event::load(EVENT)
            .user(ALICE)
            .header("content-type", "text/plain"),
        415,
    )
    .await;
    assert!(export_keys(&store).await.is_empty());
    assert_eq!(
        audit_items(&env, ALICE).await.len(),
        trail,
        "nothing was accessed"
    );
    // No body at all is the same as `{}`.
    let answer = call(&env, &Event::load(EVENT).user(ALICE).body("")).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(export_keys(&store).await.len(), 1);
}

/// A function without an export store (EXPORT_BUCKET unset) answers a generic 500 and reads
/// nothing; the variable's name stays in the logs.
#[tokio::test]
async fn without_an_export_store_the_answer_is_a_500_problem() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    let answer = call(&env, &Event::load(EVENT).user(ALICE)).await;
    let problem = assert_problem(&answer, 500);
    assert_eq!(problem["type"], "/problems/internal");
    assert!(!answer.text.contains("EXPORT_BUCKET"));
}

/// Far more than a Lambda answer can carry (6 MB): two banks with `EXPORT_TEST_TRANSACTIONS`
/// (default 20,000) generated transactions each, written straight into the table, export in
/// full. `EXPORT_TEST_TRANSACTIONS=100000 scripts/with-moto.sh cargo test --release -p
/// finance-export -- --nocapture a_large_user` measures the figures in docs/architecture.md §3.11.
#[tokio::test]
async fn a_large_user_exports_in_full() {
    let per_bank: usize = std::env::var("EXPORT_TEST_TRANSACTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let (env, store) = env_with_bucket().await;
    let alice = user(ALICE);
    env.link_demo_banks(&alice).await;
    let accounts = env.state.accounts.list(&alice).await.unwrap();
    // Within the retention period (731 days), which ignores older rows: 100,000 rows at five
    // minutes apart span 347 days.
    let start = Utc::now() - Days::days(400);
    for (bank, account) in accounts.iter().take(2).enumerate() {
        let rows: Vec<StoredTransaction> = (0..per_bank)
            .map(|n| StoredTransaction {
                user: alice.clone(),
                connection_id: account.connection_id.clone(),
                account_id: account.account_id.clone(),
                transaction_id: format!("gen-{bank}-{n:07}"),
                // About 270 a day over two years.
                booked_at: start + Days::minutes(5 * n as i64 + bank as i64),
                amount: Money::from_minor(-(1_000 + n as i64 % 50_000), account.currency),
                amount_rounded: false,
                description: format!("POS PURCHASE MERCHANT {} MANAMA BH", n % 997),
                transaction_type: Some("POS".into()),
                sub_transaction_type: None,
                category_group: Some("Expense".into()),
                category_name: Some("Groceries".into()),
                merchant_name: Some(format!("Merchant {}", n % 997)),
                merchant_category_code: Some("5411".into()),
                status: "Booked".into(),
            })
            .collect();
        env.state.transactions.upsert(rows, &[]).await.unwrap();
    }
    let items = env.dump().await;
    let want = expected(&items, ALICE);
    assert!(want.transactions.len() >= 2 * per_bank);

    // The document alone, then the whole route (document + PutObject to moto + presign).
    let started = Instant::now();
    let (document, _) = shared::export::build_document(&env.state, &alice, env.state.clock.now())
        .await
        .unwrap();
    let built = started.elapsed();
    drop(document);
    let started = Instant::now();
    let receipt = exported(&env, ALICE).await;
    let took = started.elapsed();
    let bytes = receipt["bytes"].as_u64().unwrap();
    eprintln!(
        "export of {} transactions: {bytes} bytes ({:.1} MB); document built in {:.2} s, route \
         (document, PutObject to moto, presign) in {:.2} s",
        want.transactions.len(),
        bytes as f64 / 1e6,
        built.as_secs_f64(),
        took.as_secs_f64()
    );
    assert!(bytes > 6_000_000, "more than a Lambda answer can carry");
    let fetched = reqwest::get(receipt["url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(fetched.len() as u64, bytes);
    let doc: Value = serde_json::from_slice(&fetched).unwrap();
    assert_matches(&doc, &want);
    drop(store);
}
