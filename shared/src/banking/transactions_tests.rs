//! Mapping Tarabut's rows, and the repository on the embedded table (which passes the same
//! conformance suite as DynamoDB).

use serde_json::json;

use super::*;
use crate::store::{MemoryTable, TTL_ATTRIBUTE};

const DAY: Duration = Duration::from_secs(86_400);

fn user() -> UserId {
    UserId::parse("user-1").expect("a user id")
}

fn bhd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::from_code("BHD").expect("BHD"))
}

fn row(fields: serde_json::Value) -> tarabut::Transaction {
    let mut base = json!({
        "creditDebitIndicator": "Debit",
        "amount": {"value": "12.500", "currency": "BHD"},
        "bookingDateTime": "2026-11-20T10:00:00Z",
        "transactionDescription": "CARREFOUR CITY CENTRE",
    });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), fields.as_object()) {
        base.extend(extra.clone());
    }
    serde_json::from_value(base).expect("a Tarabut transaction")
}

fn mapped(t: &tarabut::Transaction, ordinal: u32) -> StoredTransaction {
    StoredTransaction::from_tarabut(&user(), "conn-1", "acc-1", t, ordinal).expect("mapped")
}

/// Booked on `date` (noon UTC), `minor` fils, with this id.
fn stored(id: &str, date: &str, minor: i64) -> StoredTransaction {
    let t = row(json!({
        "transactionId": id,
        "bookingDateTime": format!("{date}T12:00:00Z"),
    }));
    StoredTransaction {
        amount: bhd(minor),
        ..mapped(&t, 0)
    }
}

fn repo(retention: Duration) -> (Arc<MemoryTable>, TransactionRepo) {
    let table = Arc::new(MemoryTable::new());
    (table.clone(), TransactionRepo::new(table, retention))
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

#[test]
fn credits_are_positive_debits_negative_whatever_the_case() {
    let debit = mapped(&row(json!({"transactionId": "t-1"})), 0);
    assert_eq!(debit.amount, bhd(-12_500));
    let credit = mapped(
        &row(json!({"transactionId": "t-2", "creditDebitIndicator": " credit "})),
        0,
    );
    assert_eq!(credit.amount, bhd(12_500));
    let debit = mapped(
        &row(json!({"transactionId": "t-3", "creditDebitIndicator": "DEBIT"})),
        0,
    );
    assert_eq!(debit.amount, bhd(-12_500));
    let odd = row(json!({"transactionId": "t-4", "creditDebitIndicator": "Refund"}));
    assert!(matches!(
        StoredTransaction::from_tarabut(&user(), "conn-1", "acc-1", &odd, 0),
        Err(TransactionMappingError::Indicator(i)) if i == "Refund"
    ));
    // More digits than the currency has: rounded, and marked so.
    let rounded = mapped(
        &row(json!({"amount": {"value": "1.2345", "currency": "BHD"}})),
        0,
    );
    assert_eq!(rounded.amount, bhd(-1_234));
    assert!(rounded.amount_rounded);
    assert!(!debit.amount_rounded);
}

#[test]
fn optional_fields_are_trimmed_and_blank_is_absent() {
    let t = mapped(
        &row(json!({
            "transactionId": " t-1 ",
            "transactionType": " POS ",
            "subTransactionType": "  ",
            "status": "Pending",
            "category": {"group": "Food", "name": " "},
            "merchant": {"name": " Carrefour ", "merchantCategoryCode": "5411"},
        })),
        0,
    );
    assert_eq!(t.transaction_id, "t-1");
    assert_eq!(t.transaction_type.as_deref(), Some("POS"));
    assert_eq!(t.sub_transaction_type, None);
    assert_eq!(t.status, "Pending");
    assert_eq!(t.category_group.as_deref(), Some("Food"));
    assert_eq!(t.category_name, None);
    assert_eq!(t.merchant_name.as_deref(), Some("Carrefour"));
    assert_eq!(t.merchant_category_code.as_deref(), Some("5411"));
    assert_eq!(t.description, "CARREFOUR CITY CENTRE");
    let bare = mapped(&row(json!({"transactionId": "t-2", "status": " "})), 0);
    assert_eq!(bare.status, "Booked");
    assert_eq!((&bare.merchant_name, &bare.category_group), (&None, &None));
    assert_eq!(bare.sort_key(), "2026-11-20#acc-1#t-2");
    assert_eq!(
        bare.key(),
        Key::new("USER#user-1#TXN", "2026-11-20#acc-1#t-2")
    );
    assert_eq!(bare.booking_date(), date("2026-11-20"));
}

/// Without an id, a row gets a fingerprint of what it says; identical rows of one fetch
/// are told apart by their ordinal, and the same row fetched again keeps its fingerprint.
#[test]
fn an_id_less_row_is_keyed_by_its_fingerprint() {
    let rows = [
        row(json!({})),
        row(json!({"transactionId": "  "})),
        row(json!({"amount": {"value": "3.000", "currency": "BHD"}})),
        row(json!({})),
    ];
    assert_eq!(ordinals(&rows), vec![0, 1, 0, 2]);
    let ids: Vec<String> = rows
        .iter()
        .zip(ordinals(&rows))
        .map(|(t, n)| mapped(t, n).transaction_id)
        .collect();
    for id in &ids {
        assert!(id.starts_with("fp-") && id.len() == 3 + 32, "{id}");
        assert!(id[3..].bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    }
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 4, "{ids:?}");
    assert_eq!(
        mapped(&rows[0], 0).transaction_id,
        ids[0],
        "stable across fetches"
    );
    // The ordinal is part of what is hashed: identical rows with the same ordinal match.
    assert_eq!(mapped(&rows[3], 0).transaction_id, ids[0]);
}

#[tokio::test]
async fn upsert_writes_new_and_changed_rows_and_counts_the_new() {
    let (table, repo) = repo(730 * DAY);
    let a = stored("t-a", "2026-11-01", -1_000);
    let b = stored("t-b", "2026-11-02", 2_000);
    assert_eq!(
        repo.upsert(vec![a.clone(), b.clone(), a.clone()], &[])
            .await
            .expect("upsert"),
        2
    );
    assert_eq!(table.snapshot().len(), 2);
    let all = repo
        .range(&user(), date("2026-11-01"), date("2026-11-02"))
        .await
        .expect("range");
    assert_eq!(all, vec![a.clone(), b.clone()]);

    // Unchanged rows are not written again; a changed one is, and is not new.
    let changed = StoredTransaction {
        description: "CARREFOUR (corrected)".into(),
        ..b.clone()
    };
    table
        .delete(&a.key(), None)
        .await
        .expect("removed behind the repo's back");
    let existing = [a.clone(), b.clone()];
    assert_eq!(
        repo.upsert(vec![a.clone(), changed.clone()], &existing)
            .await
            .expect("upsert"),
        0
    );
    let after = repo
        .range(&user(), date("2026-11-01"), date("2026-11-02"))
        .await
        .expect("range");
    assert_eq!(after, vec![changed], "the unchanged row was written again");
}

#[tokio::test]
async fn a_row_expires_with_its_retention_on_write_and_on_read() {
    let retention = 30 * DAY;
    let (table, repo) = repo(retention);
    let today = Utc::now().date_naive();
    let recent = stored("t-new", &(today - chrono::Days::new(2)).to_string(), -1);
    let old = stored("t-old", &(today - chrono::Days::new(40)).to_string(), -2);
    repo.upsert(vec![recent.clone(), old.clone()], &[])
        .await
        .expect("upsert");
    let item = table
        .get(&recent.key(), true)
        .await
        .expect("read")
        .expect("item");
    assert_eq!(
        item.n(TTL_ATTRIBUTE).expect("TTL"),
        (Timestamp::from(recent.booked_at) + retention).epoch_secs()
    );
    let from = today - chrono::Days::new(60);
    let rows = repo.range(&user(), from, today).await.expect("range");
    assert_eq!(rows, vec![recent.clone()], "a row past retention was read");
    let (page, _) = repo
        .page(&user(), SortKey::BeginsWith(String::new()), None, 10)
        .await
        .expect("page");
    assert_eq!(page, vec![recent]);
}

#[tokio::test]
async fn a_range_includes_both_of_its_days() {
    let (_, repo) = repo(3650 * DAY);
    let rows = [
        stored("t-1", "2026-10-31", -1),
        stored("t-2", "2026-11-01", -2),
        stored("t-3", "2026-11-30", -3),
        stored("t-4", "2026-12-01", -4),
    ];
    repo.upsert(rows.to_vec(), &[]).await.expect("upsert");
    let november = repo
        .range(&user(), date("2026-11-01"), date("2026-11-30"))
        .await
        .expect("range");
    let ids: Vec<&str> = november.iter().map(|t| t.transaction_id.as_str()).collect();
    assert_eq!(ids, ["t-2", "t-3"]);
    assert_eq!(
        repo.booking_span(&user()).await.expect("span"),
        Some((date("2026-10-31"), date("2026-12-01")))
    );
    let other = UserId::parse("user-2").expect("a user id");
    assert_eq!(repo.booking_span(&other).await.expect("span"), None);
    assert!(
        repo.range(&other, date("2026-01-01"), date("2026-12-31"))
            .await
            .expect("range")
            .is_empty()
    );
}

#[tokio::test]
async fn one_stored_day_is_a_span_of_that_day() {
    let (_, repo) = repo(3650 * DAY);
    repo.upsert(vec![stored("t-1", "2026-06-15", -1)], &[])
        .await
        .expect("upsert");
    assert_eq!(
        repo.booking_span(&user()).await.expect("span"),
        Some((date("2026-06-15"), date("2026-06-15")))
    );
}

#[tokio::test]
async fn pages_run_newest_first_and_resume_after_their_last_key() {
    let (_, repo) = repo(3650 * DAY);
    let rows: Vec<StoredTransaction> = (1..=5)
        .map(|d| stored(&format!("t-{d}"), &format!("2026-11-0{d}"), -d))
        .collect();
    repo.upsert(rows, &[]).await.expect("upsert");
    let all = SortKey::BeginsWith(String::new());
    let (first, next) = repo
        .page(&user(), all.clone(), None, 2)
        .await
        .expect("page");
    let ids: Vec<&str> = first.iter().map(|t| t.transaction_id.as_str()).collect();
    assert_eq!(ids, ["t-5", "t-4"]);
    let next = next.expect("more pages");
    assert_eq!(next, "2026-11-04#acc-1#t-4");
    let (second, _) = repo
        .page(&user(), all.clone(), Some(&next), 2)
        .await
        .expect("page");
    let ids: Vec<&str> = second.iter().map(|t| t.transaction_id.as_str()).collect();
    assert_eq!(ids, ["t-3", "t-2"]);
    let (rest, end) = repo
        .page(&user(), all, Some("2026-11-02#acc-1#t-2"), 5)
        .await
        .expect("page");
    assert_eq!(rest.len(), 1);
    assert_eq!(end, None, "the last page says so");
}

#[tokio::test]
async fn delete_matching_removes_only_what_it_covers() {
    let (table, repo) = repo(3650 * DAY);
    let mut other_account = stored("t-2", "2026-11-02", -2);
    other_account.account_id = "acc-2".into();
    repo.upsert(
        vec![stored("t-1", "2026-11-01", -1), other_account.clone()],
        &[],
    )
    .await
    .expect("upsert");
    let n = repo
        .delete_matching(&user(), |conn, acc| conn == "conn-1" && acc == "acc-1")
        .await
        .expect("delete");
    assert_eq!(n, 1);
    let left = repo
        .range(&user(), date("2026-01-01"), date("2026-12-31"))
        .await
        .expect("range");
    assert_eq!(left, vec![other_account]);
    assert_eq!(
        repo.delete_matching(&user(), |_, _| false)
            .await
            .expect("delete"),
        0
    );
    assert_eq!(table.snapshot().len(), 1);
}
