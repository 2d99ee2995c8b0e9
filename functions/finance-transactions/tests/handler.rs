//! GET /finance/transactions driven by `events/finance-transactions.json` against a fresh
//! in-memory table and an in-process Tarabut sandbox. Expected pages are computed from the
//! table itself (the stored items), independently of the route's code.

use std::collections::HashSet;

use chrono::{Datelike, Duration as Days, NaiveDate, Utc};
use serde_json::{Value, json};
use shared::banking::StoredTransaction;
use shared::store::{Item, ItemExt};
use shared::testkit::{ALICE, BOB, Event, TestEnv, TestTable, deadline, money, transactions, user};
use shared::{connections, insights};

shared::handler_test_helpers!(finance_transactions::handle);

const EVENT: &str = "finance-transactions";

/// One page: its rows and its cursor, checking it is a read with exactly these two keys.
async fn page<T: TestTable>(
    env: &TestEnv<T>,
    sub: &str,
    pairs: &[(&str, &str)],
) -> (Vec<Value>, Option<String>) {
    let before = env.dump().await;
    let answer = call(env, &Event::load(EVENT).user(sub).query(pairs)).await;
    assert_eq!(answer.status, 200, "{pairs:?}: {}", answer.text);
    assert_eq!(answer.content_type, "application/json");
    assert_eq!(
        shared::testkit::without_audit(env.dump().await),
        shared::testkit::without_audit(before),
        "listing wrote to the table"
    );
    let body = answer.json();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["nextCursor", "transactions"], "{body}");
    let rows = body["transactions"].as_array().unwrap().clone();
    let next = body["nextCursor"].as_str().map(str::to_string);
    (rows, next)
}

/// Every page of a query: the rows in order, and each page's size.
async fn walk<T: TestTable>(
    env: &TestEnv<T>,
    sub: &str,
    pairs: &[(&str, &str)],
) -> (Vec<Value>, Vec<usize>) {
    let (mut rows, mut next) = page(env, sub, pairs).await;
    let mut sizes = vec![rows.len()];
    while let Some(cursor) = next {
        let mut with_cursor = pairs.to_vec();
        with_cursor.push(("cursor", &cursor));
        let (more, after) = page(env, sub, &with_cursor).await;
        sizes.push(more.len());
        rows.extend(more);
        next = after;
        assert!(sizes.len() < 1_000, "the walk does not end");
    }
    (rows, sizes)
}

/// `(accountId, transactionId)` of rows of the answer.
fn ids(rows: &[Value]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| {
            (
                r["accountId"].as_str().unwrap().to_string(),
                r["transactionId"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The stored transaction items of `sub`, newest first (descending sort key), that `keep`
/// accepts: what the route must list, computed from the table.
fn expected(items: &[Item], sub: &str, keep: impl Fn(&Item) -> bool) -> Vec<(String, String)> {
    let mut rows: Vec<&Item> = transactions(items, sub)
        .into_iter()
        .filter(|i| keep(i))
        .collect();
    rows.sort_by(|a, b| b.s("sk").unwrap().cmp(a.s("sk").unwrap()));
    rows.iter()
        .map(|i| {
            (
                i.s("account_id").unwrap().to_string(),
                i.s("transaction_id").unwrap().to_string(),
            )
        })
        .collect()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Which stored items a filter selects, written from the item's attributes.
type Keep<'a> = Box<dyn Fn(&Item) -> bool + 'a>;

fn booking_date(i: &Item) -> NaiveDate {
    i.s("sk").unwrap()[..10].parse().unwrap()
}

/// The first day of this month and of the month before (the sandbox's data ends today).
fn last_month() -> (NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    let this = today.with_day(1).unwrap();
    let previous = (this - Days::days(1)).with_day(1).unwrap();
    (previous, this)
}

#[tokio::test]
async fn pages_walk_every_transaction_newest_first_with_exact_amounts() {
    let env = TestEnv::start().await;
    env.link_demo_banks(&user(ALICE)).await;
    env.link(&user(BOB), "BLUE").await;
    let items = env.dump().await;
    let stored = expected(&items, ALICE, |_| true);
    assert!(stored.len() > 200, "{} rows: too few to page", stored.len());

    let (rows, sizes) = walk(&env, ALICE, &[("limit", "37")]).await;
    assert_eq!(ids(&rows), stored);
    // Full pages until the last, which ends the walk without a cursor.
    let (last, full) = sizes.split_last().unwrap();
    assert!(full.iter().all(|n| *n == 37), "{sizes:?}");
    assert!(*last <= 37);
    // The default page size, and the largest.
    assert_eq!(page(&env, ALICE, &[]).await.0.len(), 50);
    let (max, _) = page(&env, ALICE, &[("limit", "200")]).await;
    assert_eq!(ids(&max), stored[..200]);

    for row in &rows {
        let mut keys: Vec<&str> = row
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
                "amount",
                "bookedAt",
                "description",
                "direction",
                "merchantCategoryCode",
                "merchantName",
                "status",
                "subTransactionType",
                "transactionId",
                "transactionType"
            ]
        );
        let item = transactions(&items, ALICE)
            .into_iter()
            .find(|i| {
                i.s("transaction_id").unwrap() == row["transactionId"]
                    && i.s("account_id").unwrap() == row["accountId"]
            })
            .unwrap();
        // Money as a decimal string with the currency's digits, signed.
        assert!(row["amount"]["amount"].is_string(), "{row}");
        let amount = money(&row["amount"]);
        assert_eq!(amount.minor(), item.n("amount_minor").unwrap());
        assert_eq!(amount.currency().code(), item.s("currency").unwrap());
        let direction = if amount.minor() < 0 {
            "debit"
        } else {
            "credit"
        };
        assert_eq!(row["direction"], direction);
        let booked = chrono::DateTime::parse_from_rfc3339(row["bookedAt"].as_str().unwrap());
        assert_eq!(
            booked.unwrap().timestamp_millis(),
            item.n("booked_at").unwrap()
        );
    }
}

/// On DynamoDB (dynalite): the same walk, and each page costs exactly one Query of the
/// transactions (plus the two keyed Queries of the visibility check), whatever the page size.
#[tokio::test]
async fn on_dynamodb_a_page_is_one_query_and_the_walk_is_the_table() {
    let env = TestEnv::on_dynamodb().await;
    env.link_demo_banks(&user(ALICE)).await;
    let items = env.dump().await;
    let stored = expected(&items, ALICE, |_| true);
    let mut rows = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut pairs = vec![("limit", "200")];
        if let Some(c) = &next {
            pairs.push(("cursor", c));
        }
        let before = env.table.requests().get();
        let answer = call(&env, &Event::load(EVENT).user(ALICE).query(&pairs)).await;
        let requests = env.table.requests().get() - before;
        assert_eq!(answer.status, 200, "{}", answer.text);
        // The page's Query, the two visibility Queries, and the audit record's PutItem.
        assert_eq!(requests, 4, "page {pages}: {requests} requests");
        let body = answer.json();
        let more = body["transactions"].as_array().unwrap().clone();
        let after = body["nextCursor"].as_str().map(str::to_string);
        rows.extend(more);
        pages += 1;
        match after {
            Some(c) => next = Some(c),
            None => break,
        }
    }
    assert_eq!(ids(&rows), stored);
    assert_eq!(
        pages,
        stored.len().div_ceil(200) + usize::from(stored.len() % 200 == 0)
    );
    let (debits, _) = walk(&env, ALICE, &[("direction", "debit"), ("limit", "50")]).await;
    let want = expected(&items, ALICE, |i| i.n("amount_minor").unwrap() < 0);
    assert_eq!(ids(&debits), want);
    // `category` adds one Query: the engine's context around the page.
    let before = env.table.requests().get();
    let event = Event::load(EVENT).query(&[("category", "food_and_drink")]);
    assert_eq!(call(&env, &event).await.status, 200);
    assert_eq!(env.table.requests().get() - before, 5);
}

#[tokio::test]
async fn filters_select_exactly_the_stored_rows_they_name() {
    let env = TestEnv::start().await;
    env.link_demo_banks(&user(ALICE)).await;
    let items = env.dump().await;
    let (from, to) = last_month();
    let account = transactions(&items, ALICE)[0]
        .s("account_id")
        .unwrap()
        .to_string();
    let (f, t) = (from.to_string(), to.to_string());
    let cases: Vec<(Vec<(&str, &str)>, Keep)> = vec![
        (
            vec![("accountId", &account)],
            Box::new(|i: &Item| i.s("account_id").unwrap() == account),
        ),
        (
            vec![("from", &f), ("to", &t)],
            Box::new(|i: &Item| (from..to).contains(&booking_date(i))),
        ),
        (
            vec![("from", &f)],
            Box::new(|i: &Item| booking_date(i) >= from),
        ),
        (vec![("to", &t)], Box::new(|i: &Item| booking_date(i) < to)),
        (
            vec![("direction", "credit"), ("from", &f), ("to", &t)],
            Box::new(|i: &Item| {
                i.n("amount_minor").unwrap() >= 0 && (from..to).contains(&booking_date(i))
            }),
        ),
        (
            vec![("direction", "debit"), ("accountId", &account)],
            Box::new(|i: &Item| {
                i.n("amount_minor").unwrap() < 0 && i.s("account_id").unwrap() == account
            }),
        ),
    ];
    for (pairs, keep) in cases {
        let want = expected(&items, ALICE, keep);
        assert!(!want.is_empty(), "{pairs:?} selects nothing");
        let mut with_limit = pairs.clone();
        with_limit.push(("limit", "25"));
        let (rows, sizes) = walk(&env, ALICE, &with_limit).await;
        assert_eq!(ids(&rows), want, "{pairs:?}");
        assert!(sizes.iter().all(|n| *n <= 25), "{sizes:?}");
    }
}

#[tokio::test]
async fn the_category_filter_agrees_with_the_spending_insight() {
    let env = TestEnv::start().await;
    env.link_demo_banks(&user(ALICE)).await;
    let (from, to) = last_month();
    let (f, t) = (from.to_string(), to.to_string());
    let params = serde_json::from_value(json!({ "from": f, "to": t, "groupBy": "category" }));
    let report = insights::spending(&env.state, &user(ALICE), params.unwrap(), deadline())
        .await
        .unwrap();
    let report = serde_json::to_value(&report).unwrap();
    // The spending report's count for a category, over every month and currency.
    let counted = |category: &str| -> u64 {
        report["periods"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["currencies"].as_array().unwrap())
            .flat_map(|c| c["groups"].as_array().unwrap())
            .filter(|g| g["key"] == category)
            .map(|g| g["count"].as_u64().unwrap())
            .sum()
    };
    let mut checked = 0;
    for category in [
        "food_and_drink",
        "shopping",
        "bills_and_utilities",
        "cash",
        "travel",
    ] {
        let pairs = [
            ("from", f.as_str()),
            ("to", t.as_str()),
            ("category", category),
        ];
        let (rows, _) = walk(&env, ALICE, &pairs).await;
        assert_eq!(rows.len() as u64, counted(category), "{category}: {rows:?}");
        checked += rows.len();
    }
    assert!(checked > 0, "the month has no spending to compare");
    // A page holds what passed the filters among the rows its Query read: it can be empty
    // while more follow, and says so with a cursor.
    let absent = [
        "travel",
        "entertainment",
        "health",
        "government_and_charity",
        "home",
    ]
    .into_iter()
    .find(|c| counted(c) == 0)
    .expect("a category the month does not have");
    let pairs = [
        ("from", f.as_str()),
        ("to", t.as_str()),
        ("category", absent),
        ("limit", "5"),
    ];
    let (rows, next) = page(&env, ALICE, &pairs).await;
    assert!(rows.is_empty() && next.is_some(), "{rows:?}");
}

/// Rows like `template`'s, on `date`, with new ids: what a sync adds.
fn added(template: &StoredTransaction, date: NaiveDate, n: usize) -> Vec<StoredTransaction> {
    (0..n)
        .map(|k| {
            let mut t = template.clone();
            t.transaction_id = format!("added-{date}-{k}");
            t.booked_at = date.and_hms_opt(9, 0, 0).unwrap().and_utc();
            t
        })
        .collect()
}

#[tokio::test]
async fn pages_are_stable_while_a_sync_adds_rows() {
    let env = TestEnv::start().await;
    env.link_demo_banks(&user(ALICE)).await;
    let before = expected(&env.dump().await, ALICE, |_| true);
    let (first, cursor) = page(&env, ALICE, &[("limit", "60")]).await;
    let cursor = cursor.unwrap();

    // A sync writes rows newer than the first page, among it, and among the rows still to come.
    let stored = env
        .state
        .transactions
        .range(&user(ALICE), day("2000-01-01"), day("2100-01-01"))
        .await
        .unwrap();
    let template = stored.last().unwrap();
    let today = Utc::now().date_naive();
    let on_first_page: NaiveDate = first[30]["bookedAt"].as_str().unwrap()[..10]
        .parse()
        .unwrap();
    let mut new = added(template, today + Days::days(1), 3);
    new.extend(added(template, on_first_page, 2));
    new.extend(added(template, on_first_page - Days::days(40), 4));
    // The first page's position: its last row's sort key.
    let last = &first[59];
    let position = format!(
        "{}#{}#{}",
        &last["bookedAt"].as_str().unwrap()[..10],
        last["accountId"].as_str().unwrap(),
        last["transactionId"].as_str().unwrap()
    );
    let mut behind: Vec<String> = new
        .iter()
        .filter(|t| t.sort_key() < position)
        .map(|t| t.transaction_id.clone())
        .collect();
    behind.sort();
    env.state.transactions.upsert(new, &stored).await.unwrap();

    let mut rows = first.clone();
    let mut next = Some(cursor);
    while let Some(c) = next {
        let (more, after) = page(&env, ALICE, &[("limit", "60"), ("cursor", &c)]).await;
        rows.extend(more);
        next = after;
    }
    let seen = ids(&rows);
    let unique: HashSet<&(String, String)> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row was listed twice");
    for row in &before {
        assert!(unique.contains(row), "{row:?} existed and was skipped");
    }
    // Behind the position the new rows show; ahead of it they wait for a new walk.
    let mut added_ids: Vec<String> = seen
        .iter()
        .map(|(_, id)| id.clone())
        .filter(|id| id.starts_with("added-"))
        .collect();
    added_ids.sort();
    assert_eq!(added_ids, behind);
    let older = (on_first_page - Days::days(40)).to_string();
    assert_eq!(added_ids.iter().filter(|id| id.contains(&older)).count(), 4);
    let tomorrow = (today + Days::days(1)).to_string();
    assert!(!added_ids.iter().any(|id| id.contains(&tomorrow)));
}

#[tokio::test]
async fn a_deleted_connections_rows_never_appear() {
    let env = TestEnv::start().await;
    let [kept, deleted] = env.link_demo_banks(&user(ALICE)).await;
    let everything = env
        .state
        .transactions
        .range(&user(ALICE), day("2000-01-01"), day("2100-01-01"))
        .await
        .unwrap();
    let theirs: Vec<StoredTransaction> = everything
        .iter()
        .filter(|t| t.connection_id == deleted)
        .cloned()
        .collect();
    assert!(!theirs.is_empty());
    let their_account = theirs[0].account_id.clone();
    connections::delete(&env.state, &user(ALICE), &deleted, deadline())
        .await
        .unwrap();
    // A sync that started before the delete writes its rows after it (§3.7).
    env.state.transactions.upsert(theirs, &[]).await.unwrap();
    let items = env.dump().await;
    let shown: Vec<(String, String)> =
        expected(&items, ALICE, |i| i.s("connection_id").unwrap() == kept);
    let (rows, _) = walk(&env, ALICE, &[("limit", "200")]).await;
    assert_eq!(ids(&rows), shown);
    assert!(
        rows.iter()
            .all(|r| r["accountId"] != their_account.as_str())
    );
    let event = Event::load(EVENT).query(&[("accountId", &their_account)]);
    let problem = refused(&env, event, 404).await;
    assert_eq!(problem["type"], "/problems/not-found");
}

#[tokio::test]
async fn forged_foreign_or_other_filter_cursors_are_400_and_never_rows() {
    let env = TestEnv::start().await;
    env.link_demo_banks(&user(ALICE)).await;
    env.link(&user(BOB), "BLUE").await;
    let (_, cursor) = page(&env, ALICE, &[("limit", "10"), ("direction", "debit")]).await;
    let cursor = cursor.unwrap();
    let with = |sub: &str, pairs: &[(&str, &str)]| Event::load(EVENT).user(sub).query(pairs);
    let bad = |c: &str| c.to_string();

    // Tampered: each of a few characters changed; truncated; padded; junk; empty.
    let mut forged: Vec<String> = [0, cursor.len() / 2, cursor.len() - 1]
        .iter()
        .map(|&i| {
            let mut chars: Vec<char> = cursor.chars().collect();
            chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            chars.into_iter().collect()
        })
        .collect();
    forged.push(bad(&cursor[..cursor.len() - 4]));
    forged.push(format!("{cursor}AA"));
    forged.push(format!("{cursor}="));
    forged.extend(["%%%".into(), "not a cursor".into(), String::new()]);
    forged.push("A".repeat(5_000));
    for c in &forged {
        let event = with(
            ALICE,
            &[("limit", "10"), ("direction", "debit"), ("cursor", c)],
        );
        let problem = refused(&env, event, 400).await;
        assert_eq!(problem["type"], "/problems/bad-request", "{c}");
    }
    // Another user's cursor, with the same filters: refused, never Alice's rows.
    let event = with(
        BOB,
        &[("limit", "10"), ("direction", "debit"), ("cursor", &cursor)],
    );
    refused(&env, event, 400).await;
    // The same user with other filters.
    for pairs in [
        vec![("direction", "credit")],
        vec![],
        vec![("direction", "debit"), ("from", "2026-01-01")],
        vec![("direction", "debit"), ("category", "shopping")],
    ] {
        let mut pairs = pairs;
        pairs.push(("cursor", &cursor));
        refused(&env, with(ALICE, &pairs), 400).await;
    }
    // A cursor signed with another key (another deployment, or a guess) is a forgery too.
    let other = TestEnv::start().await.with_cursor_key(&"x".repeat(40));
    other.link_demo_banks(&user(ALICE)).await;
    let (_, theirs) = page(&other, ALICE, &[("limit", "10"), ("direction", "debit")]).await;
    let event = with(
        ALICE,
        &[
            ("limit", "10"),
            ("direction", "debit"),
            ("cursor", &theirs.unwrap()),
        ],
    );
    refused(&env, event, 400).await;
    // The page size is not a filter: the cursor continues with another one.
    let (rows, _) = page(
        &env,
        ALICE,
        &[("limit", "5"), ("direction", "debit"), ("cursor", &cursor)],
    )
    .await;
    assert!(rows.len() <= 5 && rows.iter().all(|r| r["direction"] == "debit"));
    let (all, _) = walk(&env, ALICE, &[("direction", "debit"), ("limit", "200")]).await;
    let at = all.iter().position(|r| r == &rows[0]).unwrap();
    assert_eq!(all[at..at + rows.len()], rows[..]);
}

#[tokio::test]
async fn bad_parameters_are_400_and_foreign_accounts_404() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    env.link(&user(BOB), "RED").await;
    let bobs_account = env.state.accounts.list(&user(BOB)).await.unwrap()[0]
        .account_id
        .clone();
    for pairs in [
        vec![("limit", "0")],
        vec![("limit", "201")],
        vec![("limit", "-1")],
        vec![("limit", "ten")],
        vec![("from", "2026-13-01")],
        vec![("from", "2026-1-1")],
        vec![("to", "yesterday")],
        vec![("from", "2026-02-01"), ("to", "2026-01-01")],
        vec![("from", "2026-01-01"), ("to", "2026-01-01")],
        vec![("from", "2023-01-01"), ("to", "2026-01-01")],
        vec![("direction", "in")],
        vec![("direction", "Credit")],
        vec![("category", "groceries")],
        vec![("category", "")],
        vec![("acountId", "x")],
        vec![("page", "2")],
        vec![("limit", "10"), ("limit", "20")],
    ] {
        let problem = refused(&env, Event::load(EVENT).query(&pairs), 400).await;
        assert_eq!(problem["type"], "/problems/bad-request", "{pairs:?}");
    }
    for account in [bobs_account.as_str(), "unknown-account", "a#b", ""] {
        let event = Event::load(EVENT).query(&[("accountId", account)]);
        let problem = refused(&env, event, 404).await;
        assert_eq!(problem["type"], "/problems/not-found", "{account}");
    }
    for file in ["no-claims", "empty-sub"] {
        let event = Event::load(&format!("negative/{EVENT}.{file}"));
        let problem = refused(&env, event, 401).await;
        assert_eq!(problem["type"], "/problems/unauthenticated");
    }
    let whitespace = Event::load(EVENT).claims(json!({ "sub": "   " }));
    refused(&env, whitespace, 401).await;
}

#[tokio::test]
async fn a_user_without_banks_gets_an_empty_page() {
    let env = TestEnv::start().await;
    env.link(&user(BOB), "BLUE").await;
    let (rows, next) = page(&env, "user-without-banks", &[]).await;
    assert!(rows.is_empty() && next.is_none());
    // Bob's rows are his alone.
    let (rows, _) = walk(&env, ALICE, &[]).await;
    assert!(rows.is_empty());
}

/// A page read is recorded with the account it was filtered to.
#[tokio::test]
async fn a_page_read_is_audited_with_its_account() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    let account = env.state.accounts.list(&user(ALICE)).await.unwrap()[0]
        .account_id
        .clone();
    let event = Event::load(EVENT)
        .user(ALICE)
        .query(&[("accountId", account.as_str())]);
    assert_eq!(call(&env, &event).await.status, 200);
    shared::testkit::assert_audited(
        &env,
        ALICE,
        &event,
        "transactions.list",
        None,
        Some(&account),
    )
    .await;
}
