//! One conformance suite, run against the in-memory table and against DynamoDB (dynalite on
//! loopback). Both must pass identically, conditional-write conflicts included.

use std::sync::Arc;

use shared::store::{
    Cond, GSI1, Item, ItemExt, Key, MemoryTable, Page, Query, SortKey, StoreError, Table, Update,
    Value, Write,
};

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(std::sync::Arc::new(shared::store::MemoryTable::new())).await;
                }
            )*
        }
        mod dynamo {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(std::sync::Arc::new(shared::testkit::dynamo_table().await)).await;
                }
            )*
        }
    };
}

conformance!(
    round_trips_every_attribute_type,
    missing_item_is_none,
    put_if_absent_loses_to_an_existing_item,
    update_creates_a_missing_item,
    failed_condition_changes_nothing,
    increment_starts_from_zero,
    comparisons_follow_dynamodb_rules,
    delete_is_conditional_and_idempotent,
    query_orders_and_selects_sort_keys,
    query_reads_every_page,
    query_page_walks_newest_first_from_an_exclusive_start_key,
    query_page_is_stable_while_rows_are_added,
    query_page_refuses_what_dynamodb_cannot_page,
    sparse_index_holds_only_indexed_items,
    batch_write_puts_and_deletes,
    batch_write_refuses_duplicate_keys,
    update_cannot_change_the_key,
    concurrent_lease_claims_have_one_winner,
);

fn item(pk: &str, sk: &str) -> Item {
    Key::new(pk, sk).item()
}

async fn round_trips_every_attribute_type(t: Arc<dyn Table>) {
    let mut i = item("USER#u1", "A");
    i.set_s("text", "شراء - لولو 12.500 BHD");
    i.set_n("negative", -1_234_567);
    i.set_n("big", i64::MAX);
    i.insert("flag".into(), Value::Bool(true));
    t.put(i.clone(), None).await.unwrap();
    let got = t
        .get(&Key::new("USER#u1", "A"), true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, i);
    assert_eq!(got.n("negative").unwrap(), -1_234_567);
    assert_eq!(got.opt_bool("flag").unwrap(), Some(true));
    assert!(matches!(got.n("text"), Err(StoreError::Corrupt(_))));
}

async fn missing_item_is_none(t: Arc<dyn Table>) {
    assert_eq!(t.get(&Key::new("nope", "nope"), true).await.unwrap(), None);
    assert_eq!(t.get(&Key::new("nope", "nope"), false).await.unwrap(), None);
}

async fn put_if_absent_loses_to_an_existing_item(t: Arc<dyn Table>) {
    let mut first = item("INTENT#i", "INTENT");
    first.set_s("owner", "first");
    let absent = Cond::not_exists("pk");
    t.put(first.clone(), Some(&absent)).await.unwrap();
    let mut second = item("INTENT#i", "INTENT");
    second.set_s("owner", "second");
    assert_eq!(
        t.put(second, Some(&absent)).await,
        Err(StoreError::ConditionFailed)
    );
    let got = t
        .get(&Key::new("INTENT#i", "INTENT"), true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.s("owner").unwrap(), "first");
}

async fn update_creates_a_missing_item(t: Arc<dyn Table>) {
    let key = Key::new("USER#u", "TOKEN#tarabut");
    t.update(
        &key,
        &[Update::set("lease_id", Value::S("L1".into()))],
        Some(&Cond::not_exists("lease_id")),
    )
    .await
    .unwrap();
    let got = t.get(&key, true).await.unwrap().unwrap();
    assert_eq!(got.s("pk").unwrap(), "USER#u");
    assert_eq!(got.s("lease_id").unwrap(), "L1");
    // An update with no actions still checks its condition and creates the item.
    let bare = Key::new("USER#bare", "X");
    t.update(&bare, &[], Some(&Cond::not_exists("pk")))
        .await
        .unwrap();
    assert!(t.get(&bare, true).await.unwrap().is_some());
    assert_eq!(
        t.update(&bare, &[], Some(&Cond::not_exists("pk"))).await,
        Err(StoreError::ConditionFailed)
    );
}

async fn failed_condition_changes_nothing(t: Arc<dyn Table>) {
    let key = Key::new("USER#u", "TOKEN#tarabut");
    let mut i = key.item();
    i.set_n("version", 3);
    i.set_s("access_token", "old");
    t.put(i.clone(), None).await.unwrap();
    let stale = Cond::eq("version", Value::N(2));
    let r = t
        .update(
            &key,
            &[
                Update::set("access_token", Value::S("new".into())),
                Update::increment("version", 1),
                Update::remove("pk_never"),
            ],
            Some(&stale),
        )
        .await;
    assert_eq!(r, Err(StoreError::ConditionFailed));
    assert_eq!(t.get(&key, true).await.unwrap().unwrap(), i);
    let mut replacement = key.item();
    replacement.set_s("access_token", "replaced");
    assert_eq!(
        t.put(replacement, Some(&stale)).await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(t.get(&key, true).await.unwrap().unwrap(), i);
}

async fn increment_starts_from_zero(t: Arc<dyn Table>) {
    let key = Key::new("C", "counter");
    for _ in 0..3 {
        t.update(&key, &[Update::increment("n", 1)], None)
            .await
            .unwrap();
    }
    t.update(&key, &[Update::increment("n", -5)], None)
        .await
        .unwrap();
    assert_eq!(
        t.get(&key, true).await.unwrap().unwrap().n("n").unwrap(),
        -2
    );
}

async fn comparisons_follow_dynamodb_rules(t: Arc<dyn Table>) {
    let key = Key::new("CMP", "x");
    let mut i = key.item();
    i.set_n("num", 10);
    i.set_s("text", "b");
    i.insert("flag".into(), Value::Bool(false));
    t.put(i, None).await.unwrap();
    let cases: Vec<(Cond, bool)> = vec![
        (Cond::lt("num", Value::N(11)), true),
        (Cond::lt("num", Value::N(10)), false),
        (Cond::Le("num".into(), Value::N(10)), true),
        (Cond::gt("num", Value::N(-1)), true),
        (Cond::Ge("num".into(), Value::N(11)), false),
        (Cond::eq("text", Value::S("b".into())), true),
        (Cond::lt("text", Value::S("c".into())), true),
        (Cond::gt("text", Value::S("a".into())), true),
        (Cond::eq("flag", Value::Bool(false)), true),
        (Cond::eq("flag", Value::Bool(true)), false),
        (Cond::Ne("flag".into(), Value::Bool(true)), true),
        // a missing attribute compares false, but `<>` holds
        (Cond::lt("missing", Value::N(1)), false),
        (Cond::eq("missing", Value::N(1)), false),
        (Cond::Ne("missing".into(), Value::N(1)), true),
        // different types compare false
        (Cond::eq("num", Value::S("10".into())), false),
        (Cond::lt("text", Value::N(1)), false),
        (Cond::exists("num").and(Cond::not_exists("missing")), true),
        (
            Cond::not_exists("num").or(Cond::eq("num", Value::N(10))),
            true,
        ),
        (
            Cond::not_exists("num").or(Cond::eq("num", Value::N(9))),
            false,
        ),
    ];
    for (cond, expected) in cases {
        let r = t.update(&key, &[], Some(&cond)).await;
        assert_eq!(r.is_ok(), expected, "{cond:?}");
        if !expected {
            assert_eq!(r, Err(StoreError::ConditionFailed));
        }
    }
}

async fn delete_is_conditional_and_idempotent(t: Arc<dyn Table>) {
    let key = Key::new("USER#u", "CONN#c");
    let mut i = key.item();
    i.set_s("status", "active");
    t.put(i, None).await.unwrap();
    assert_eq!(
        t.delete(&key, Some(&Cond::eq("status", Value::S("revoked".into()))))
            .await,
        Err(StoreError::ConditionFailed)
    );
    assert!(t.get(&key, true).await.unwrap().is_some());
    t.delete(&key, Some(&Cond::exists("pk"))).await.unwrap();
    assert!(t.get(&key, true).await.unwrap().is_none());
    t.delete(&key, None).await.unwrap();
    assert_eq!(
        t.delete(&key, Some(&Cond::exists("pk"))).await,
        Err(StoreError::ConditionFailed)
    );
}

async fn query_orders_and_selects_sort_keys(t: Arc<dyn Table>) {
    let sks = [
        "2026-01-05#acc1#t1",
        "2026-01-05#acc2#t2",
        "2026-02-01#acc1#t3",
        "2026-03-31#acc1#t4",
        "2026-04-01#acc1#t5",
    ];
    let writes = sks
        .iter()
        .map(|sk| Write::Put(item("USER#u#TXN", sk)))
        .collect();
    t.batch_write(writes).await.unwrap();
    t.put(item("USER#other#TXN", "2026-02-01#x#y"), None)
        .await
        .unwrap();
    let sk_of = |items: Vec<Item>| -> Vec<String> {
        items
            .iter()
            .map(|i| i.s("sk").unwrap().to_string())
            .collect()
    };
    let all = t.query(&Query::partition("USER#u#TXN")).await.unwrap();
    assert_eq!(sk_of(all), sks);
    let between = t
        .query(
            &Query::partition("USER#u#TXN")
                .sort(SortKey::Between("2026-02-01".into(), "2026-03-31~".into())),
        )
        .await
        .unwrap();
    assert_eq!(sk_of(between), ["2026-02-01#acc1#t3", "2026-03-31#acc1#t4"]);
    let prefix = t
        .query(&Query::partition("USER#u#TXN").sort(SortKey::BeginsWith("2026-01-05#".into())))
        .await
        .unwrap();
    assert_eq!(prefix.len(), 2);
    let le = t
        .query(&Query::partition("USER#u#TXN").sort(SortKey::LessOrEqual("2026-02-01#zzz".into())))
        .await
        .unwrap();
    assert_eq!(le.len(), 3);
    let newest_two = t
        .query(&Query::partition("USER#u#TXN").descending().limit(2))
        .await
        .unwrap();
    assert_eq!(
        sk_of(newest_two),
        ["2026-04-01#acc1#t5", "2026-03-31#acc1#t4"]
    );
    assert!(
        t.query(&Query::partition("USER#nobody"))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn query_reads_every_page(t: Arc<dyn Table>) {
    // 1,100 items: more than one 1,000-item page, so the DynamoDB table must follow
    // LastEvaluatedKey.
    let writes = (0..1_100)
        .map(|n| {
            let mut i = item("P", &format!("{n:05}"));
            i.set_s("pad", "x".repeat(100));
            Write::Put(i)
        })
        .collect();
    t.batch_write(writes).await.unwrap();
    let all = t.query(&Query::partition("P")).await.unwrap();
    assert_eq!(all.len(), 1_100);
    assert_eq!(all[1_099].s("sk").unwrap(), "01099");
    let limited = t.query(&Query::partition("P").limit(1_050)).await.unwrap();
    assert_eq!(limited.len(), 1_050);
}

fn sks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| i.s("sk").unwrap().to_string())
        .collect()
}

/// Every page of `query` (descending, `limit` per page), each its own one-request read.
async fn walk(t: &Arc<dyn Table>, query: Query) -> Vec<Page> {
    let mut pages = Vec::new();
    let mut next = query.clone();
    loop {
        let page = t.query_page(&next).await.unwrap();
        let last = page.last_key.clone();
        pages.push(page);
        match last {
            Some(key) => next = query.clone().after(key),
            None => return pages,
        }
    }
}

async fn query_page_walks_newest_first_from_an_exclusive_start_key(t: Arc<dyn Table>) {
    let all: Vec<String> = (0..7).map(|n| format!("2026-01-0{}#a#t", n + 1)).collect();
    let writes = all.iter().map(|sk| Write::Put(item("P", sk))).collect();
    t.batch_write(writes).await.unwrap();
    t.put(item("Q", "2026-01-09#a#t"), None).await.unwrap();
    let newest_first: Vec<String> = all.iter().rev().cloned().collect();

    let pages = walk(&t, Query::partition("P").descending().limit(3)).await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.items.len()).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let walked: Vec<String> = pages.iter().flat_map(|p| sks(&p.items)).collect();
    assert_eq!(walked, newest_first);
    // The start key is the page's last item: DynamoDB's LastEvaluatedKey.
    assert_eq!(pages[0].last_key, Some(Key::new("P", &newest_first[2])));

    // A page that ends exactly at the end still says where it stopped (DynamoDB does);
    // the page after it is empty and final.
    let pages = walk(&t, Query::partition("P").descending().limit(7)).await;
    assert_eq!(pages.len(), 2);
    assert!(pages[1].items.is_empty() && pages[1].last_key.is_none());

    // Within a sort-key range, from a start key that is not an item, ascending too.
    let range = Query::partition("P")
        .sort(SortKey::Between("2026-01-02".into(), "2026-01-05~".into()))
        .limit(10);
    let page = t
        .query_page(
            &range
                .clone()
                .descending()
                .after(Key::new("P", "2026-01-04#zzz")),
        )
        .await
        .unwrap();
    assert_eq!(
        sks(&page.items),
        ["2026-01-04#a#t", "2026-01-03#a#t", "2026-01-02#a#t"]
    );
    assert_eq!(page.last_key, None);
    let page = t
        .query_page(&range.after(Key::new("P", "2026-01-03#a#t")))
        .await
        .unwrap();
    assert_eq!(sks(&page.items), ["2026-01-04#a#t", "2026-01-05#a#t"]);
    // `query` honours the start key too, reading every page.
    let rest = t
        .query(&Query::partition("P").after(Key::new("P", "2026-01-05#a#t")))
        .await
        .unwrap();
    assert_eq!(sks(&rest), ["2026-01-06#a#t", "2026-01-07#a#t"]);
}

async fn query_page_is_stable_while_rows_are_added(t: Arc<dyn Table>) {
    let old: Vec<String> = (10..30).map(|d| format!("2026-01-{d}#a#t")).collect();
    let writes = old.iter().map(|sk| Write::Put(item("P", sk))).collect();
    t.batch_write(writes).await.unwrap();
    let query = Query::partition("P").descending().limit(5);
    let first = t.query_page(&query).await.unwrap();
    // Rows added before, inside and after the first page's position.
    for sk in [
        "2026-01-31#a#t",
        "2026-01-27#b#t",
        "2026-01-12#b#t",
        "2026-01-01#a#t",
    ] {
        t.put(item("P", sk), None).await.unwrap();
    }
    let mut seen = sks(&first.items);
    let mut next = first.last_key;
    while let Some(key) = next {
        let page = t.query_page(&query.clone().after(key)).await.unwrap();
        seen.extend(sks(&page.items));
        next = page.last_key;
    }
    // Every row that existed before is seen exactly once, and rows added behind the
    // position appear; rows added ahead of it (newer) do not.
    for sk in &old {
        assert_eq!(seen.iter().filter(|s| *s == sk).count(), 1, "{sk}");
    }
    assert!(seen.contains(&"2026-01-12#b#t".to_string()));
    assert!(seen.contains(&"2026-01-01#a#t".to_string()));
    assert!(!seen.contains(&"2026-01-31#a#t".to_string()));
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first");
}

async fn query_page_refuses_what_dynamodb_cannot_page(t: Arc<dyn Table>) {
    let invalid = |r: Result<Page, StoreError>| matches!(r, Err(StoreError::Invalid(_)));
    assert!(
        invalid(t.query_page(&Query::partition("P")).await),
        "no limit"
    );
    // DynamoDB's Limit is 1 to 2^31 - 1: refused before a request, by both tables alike.
    assert!(
        invalid(t.query_page(&Query::partition("P").limit(0)).await),
        "a zero limit"
    );
    assert!(
        invalid(
            t.query_page(&Query::partition("P").limit(i32::MAX as usize + 1))
                .await
        ),
        "a limit above i32::MAX"
    );
    assert!(
        t.query_page(&Query::partition("P").limit(i32::MAX as usize))
            .await
            .is_ok(),
        "the largest limit"
    );
    assert!(invalid(
        t.query_page(&Query::partition("P").on_index(GSI1).limit(5))
            .await
    ));
    // Refused before a request: DynamoDB would answer with a validation error instead.
    assert!(invalid_items(
        t.query(
            &Query::partition("P")
                .on_index(GSI1)
                .after(Key::new("P", "x"))
        )
        .await
    ));
}

fn invalid_items(r: Result<Vec<Item>, StoreError>) -> bool {
    matches!(r, Err(StoreError::Invalid(_)))
}

async fn sparse_index_holds_only_indexed_items(t: Arc<dyn Table>) {
    for (conn, due) in [
        ("c1", Some("0000001000")),
        ("c2", None),
        ("c3", Some("0000000500")),
    ] {
        let mut i = item("USER#u", &format!("CONN#{conn}"));
        if let Some(due) = due {
            i.set_s("gsi1pk", "DUE#00");
            i.set_s("gsi1sk", due);
        }
        t.put(i, None).await.unwrap();
    }
    let due = t
        .query(
            &Query::partition("DUE#00")
                .on_index(GSI1)
                .sort(SortKey::LessOrEqual("0000000999".into())),
        )
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].s("sk").unwrap(), "CONN#c3");
    let all = t
        .query(&Query::partition("DUE#00").on_index(GSI1))
        .await
        .unwrap();
    let sks: Vec<_> = all.iter().map(|i| i.s("sk").unwrap()).collect();
    assert_eq!(sks, ["CONN#c3", "CONN#c1"]);
    // leaving the index: remove the attributes
    t.update(
        &Key::new("USER#u", "CONN#c3"),
        &[Update::remove("gsi1pk"), Update::remove("gsi1sk")],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        t.query(&Query::partition("DUE#00").on_index(GSI1))
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn batch_write_puts_and_deletes(t: Arc<dyn Table>) {
    let puts = (0..60)
        .map(|n| Write::Put(item("B", &format!("{n:03}"))))
        .collect();
    t.batch_write(puts).await.unwrap();
    let deletes = (0..60)
        .filter(|n| n % 2 == 0)
        .map(|n| Write::Delete(Key::new("B", format!("{n:03}"))))
        .chain([Write::Delete(Key::new("B", "absent"))])
        .collect();
    t.batch_write(deletes).await.unwrap();
    let left = t.query(&Query::partition("B")).await.unwrap();
    assert_eq!(left.len(), 30);
    assert!(
        left.iter()
            .all(|i| i.s("sk").unwrap().parse::<u32>().unwrap() % 2 == 1)
    );
    t.batch_write(Vec::new()).await.unwrap();
}

async fn batch_write_refuses_duplicate_keys(t: Arc<dyn Table>) {
    let r = t
        .batch_write(vec![
            Write::Put(item("D", "1")),
            Write::Delete(Key::new("D", "1")),
        ])
        .await;
    assert!(matches!(r, Err(StoreError::Invalid(_))));
    assert!(t.query(&Query::partition("D")).await.unwrap().is_empty());
}

async fn update_cannot_change_the_key(t: Arc<dyn Table>) {
    let r = t
        .update(
            &Key::new("K", "1"),
            &[Update::set("sk", Value::S("2".into()))],
            None,
        )
        .await;
    assert!(matches!(r, Err(StoreError::Invalid(_))));
}

async fn concurrent_lease_claims_have_one_winner(t: Arc<dyn Table>) {
    // 10 rounds of 32 concurrent claims with the token manager's lease condition.
    for round in 0..10 {
        let key = Key::new(format!("USER#race{round}"), "TOKEN#tarabut");
        let mut tasks = Vec::new();
        for n in 0..32 {
            let t = t.clone();
            let key = key.clone();
            tasks.push(tokio::spawn(async move {
                let now = 1_000_000;
                let cond = Cond::not_exists("lease_id")
                    .or(Cond::lt("lease_expires_at", Value::N(now)))
                    .and(Cond::not_exists("version").or(Cond::eq("version", Value::N(0))));
                t.update(
                    &key,
                    &[
                        Update::set("lease_id", Value::S(format!("lease-{n}"))),
                        Update::set("lease_expires_at", Value::N(now + 10_000)),
                    ],
                    Some(&cond),
                )
                .await
            }));
        }
        let mut winners = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => winners += 1,
                Err(StoreError::ConditionFailed) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(winners, 1, "round {round}");
    }
}

#[tokio::test]
async fn memory_table_is_usable_as_a_trait_object() {
    let t: Arc<dyn Table> = Arc::new(MemoryTable::new());
    t.put(item("x", "y"), None).await.unwrap();
    assert!(t.get(&Key::new("x", "y"), true).await.unwrap().is_some());
}

/// The DynamoDB table's test instruments: the name it sends, the request counter the token
/// tests rely on, and the Scan that "changes nothing" comparisons read the whole table with.
/// A Scan returning nothing would make every such comparison pass.
#[tokio::test]
async fn the_dynamo_table_names_counts_and_scans_what_is_there() {
    use aws_sdk_dynamodb::types::AttributeValue;

    let t = shared::testkit::dynamo_table().await;
    let described = t
        .client()
        .describe_table()
        .table_name(t.table_name())
        .send()
        .await
        .expect("the table it names exists");
    assert_eq!(
        described.table().and_then(|d| d.table_name()),
        Some(t.table_name())
    );

    // Creating it again is fine (the dev server does at every start); a name DynamoDB refuses
    // is an error.
    shared::store::create_table(t.client(), t.table_name())
        .await
        .expect("an existing table is fine");
    assert!(matches!(
        shared::store::create_table(t.client(), "x").await,
        Err(StoreError::Backend(_))
    ));

    let requests = t.requests().get();
    t.get(&Key::new("P", "x"), true).await.unwrap();
    assert_eq!(t.requests().get() - requests, 1, "one GetItem, one request");

    // Token reads are told apart, and an inconsistent one is counted as such.
    assert_eq!(t.requests().token_reads(), (0, 0));
    t.get(&Key::new("USER#u", "TOKEN#tarabut"), true)
        .await
        .unwrap();
    assert_eq!(t.requests().token_reads(), (1, 0));
    t.client()
        .get_item()
        .table_name(t.table_name())
        .key("pk", AttributeValue::S("USER#u".into()))
        .key("sk", AttributeValue::S("TOKEN#tarabut".into()))
        .send()
        .await
        .expect("an eventually consistent read");
    assert_eq!(t.requests().token_reads(), (2, 1));
    t.get(&Key::new("USER#u", "CONN#c"), false).await.unwrap();
    assert_eq!(t.requests().token_reads(), (2, 1), "not a token read");

    // Past one Scan page (DynamoDB's is 1 MB): 24 items of 50 kB.
    let filler = "x".repeat(50_000);
    for n in 0..24 {
        let mut it = item("SCAN", &format!("{n:02}"));
        it.set_s("filler", filler.as_str());
        t.put(it, None).await.unwrap();
    }
    let before = t.requests().get();
    let mut keys: Vec<String> = t
        .scan_all()
        .await
        .unwrap()
        .iter()
        .map(|i| i.s("sk").unwrap().to_string())
        .collect();
    keys.sort();
    assert_eq!(keys, (0..24).map(|n| format!("{n:02}")).collect::<Vec<_>>());
    assert!(t.requests().get() - before >= 2, "the Scan took one page");
}

/// Only a failed condition is `ConditionFailed`: any other refusal of a conditional write
/// (here, a table that does not exist) is a backend error, never mistaken for losing a race.
#[tokio::test]
async fn a_conditional_write_to_a_missing_table_is_a_backend_error() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "run against dynalite (make test), not {endpoint:?}"
    );
    let t = shared::store::DynamoTable::from_env(format!("missing-{}", std::process::id())).await;
    let cond = Cond::not_exists("pk");
    let backend = |r: Result<(), StoreError>| matches!(r, Err(StoreError::Backend(_)));
    assert!(backend(t.put(item("P", "a"), Some(&cond)).await));
    assert!(backend(
        t.update(
            &Key::new("P", "a"),
            &[Update::set("n", Value::N(1))],
            Some(&cond)
        )
        .await
    ));
    assert!(backend(t.delete(&Key::new("P", "a"), Some(&cond)).await));
}

/// Throttled, DynamoDB leaves a batch's writes unprocessed; they are sent again (with backoff)
/// until applied, and after eight retries the batch fails naming how many are left.
#[tokio::test]
async fn unprocessed_batch_writes_are_sent_again_then_given_up() {
    use shared::testkit::UnprocessedWrites;

    let base = shared::testkit::dynamo_table().await;
    let writes = |prefix: &str| -> Vec<Write> {
        (0..3)
            .map(|n| Write::Put(item("BATCH", &format!("{prefix}{n}"))))
            .collect()
    };

    let throttled = base.with_interceptor(UnprocessedWrites::new(3));
    let before = base.requests().get();
    throttled.batch_write(writes("a")).await.unwrap();
    assert_eq!(
        base.requests().get() - before,
        4,
        "the first answer and three retries"
    );
    let stored = base.query(&Query::partition("BATCH")).await.unwrap();
    assert_eq!(sks(&stored), ["a0", "a1", "a2"]);

    let never = base.with_interceptor(UnprocessedWrites::new(u32::MAX));
    let before = base.requests().get();
    match never.batch_write(writes("b")).await {
        Err(StoreError::Backend(message)) => {
            assert!(message.contains("3 writes still unprocessed"), "{message}")
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
    assert_eq!(
        base.requests().get() - before,
        9,
        "the first answer and eight retries"
    );
}
