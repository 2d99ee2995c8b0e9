//! Pagination, date filters, validation and the transaction shape.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn walking_all_pages_yields_every_record_once_newest_first() {
    let sb = sandbox().await;
    let http = http();
    let (_, ids) = consent(&http, &sb, "pager", "BLUE").await;
    let token = mint(&http, &sb, "pager").await;
    let current = &ids[0];
    let url = account_url(&sb, current, "transactions");

    let (status, first) = get(&http, &url, &token).await;
    assert_eq!(status, StatusCode::OK);
    let meta = &first["meta"];
    let total = meta["totalCountOfRecords"].as_u64().unwrap() as usize;
    let pages = meta["totalCountOfPages"].as_u64().unwrap() as usize;
    assert_eq!(meta["pageNumber"], 1);
    assert_eq!(meta["pageSize"], 25);
    assert_eq!(meta["transactionsAvailability"], "completed");
    assert!(total > 300, "a year of a current account: {total}");
    assert_eq!(pages, total.div_ceil(25));
    let rels: Vec<_> = first["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(rels, ["FIRST", "NEXT", "LAST"]);

    let all = all_transactions(&http, &sb, &token, current, "").await;
    assert_eq!(all.len(), total);
    let unique: HashSet<_> = all
        .iter()
        .map(|t| t["transactionId"].as_str().unwrap())
        .collect();
    assert_eq!(unique.len(), total);
    for pair in all.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (da, db) = (
            a["bookingDateTime"].as_str().unwrap(),
            b["bookingDateTime"].as_str().unwrap(),
        );
        assert!(da > db || (da == db && a["transactionId"].as_str() < b["transactionId"].as_str()));
    }

    let (_, last) = get(&http, &format!("{url}?page={pages}"), &token).await;
    let rels: Vec<_> = last["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(rels, ["FIRST", "PREV", "LAST"]);
    let (status, beyond) = get(&http, &format!("{url}?page={}", pages + 1), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(beyond["transactions"].as_array().unwrap().is_empty());
    assert_eq!(
        beyond["meta"]["totalCountOfRecords"].as_u64().unwrap() as usize,
        total
    );
}

#[tokio::test]
async fn page_size_follows_the_runtime_config() {
    let sb = sandbox().await;
    let http = http();
    let (_, ids) = consent(&http, &sb, "sizer", "RED").await;
    let token = mint(&http, &sb, "sizer").await;
    let (status, _) = control(&http, &sb, "/_sandbox/config", json!({"pageSize": 7})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = get(&http, &account_url(&sb, &ids[0], "transactions"), &token).await;
    assert_eq!(page["meta"]["pageSize"], 7);
    assert_eq!(page["transactions"].as_array().unwrap().len(), 7);
    let all = all_transactions(&http, &sb, &token, &ids[0], "").await;
    assert_eq!(
        all.len() as u64,
        page["meta"]["totalCountOfRecords"].as_u64().unwrap()
    );
    let (status, _) = control(&http, &sb, "/_sandbox/config", json!({"pageSize": 0})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn date_filters_are_inclusive_and_carried_into_links() {
    let sb = sandbox().await;
    let http = http();
    let (_, ids) = consent(&http, &sb, "filterer", "BLUE").await;
    let token = mint(&http, &sb, "filterer").await;
    let everything = all_transactions(&http, &sb, &token, &ids[0], "").await;

    // Plain dates: whole days, both ends included.
    let query = "&fromBookingDateTime=2025-03-01&toBookingDateTime=2025-03-31";
    let march = all_transactions(&http, &sb, &token, &ids[0], query).await;
    let expected: Vec<_> = everything
        .iter()
        .filter(|t| {
            t["bookingDateTime"]
                .as_str()
                .unwrap()
                .starts_with("2025-03-")
        })
        .collect();
    assert_eq!(march.len(), expected.len());
    assert!(
        march
            .iter()
            .any(|t| t["bookingDateTime"] == "2025-03-01T00:00:00.000Z")
    );
    assert!(
        march
            .iter()
            .any(|t| t["bookingDateTime"] == "2025-03-31T00:00:00.000Z")
    );

    // Date-times with an offset (percent-encoded '+'), converted to UTC.
    let url = format!(
        "{}?fromBookingDateTime=2025-03-01T03%3A00%3A00%2B03%3A00&toBookingDateTime=2025-03-01T00%3A00%3A00Z",
        account_url(&sb, &ids[0], "transactions")
    );
    let (status, one_day) = get(&http, &url, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        one_day["meta"]["fromBookingDateTime"],
        "2025-03-01T00:00:00.000Z"
    );
    for t in one_day["transactions"].as_array().unwrap() {
        assert_eq!(t["bookingDateTime"], "2025-03-01T00:00:00.000Z");
    }
    let (_, page) = get(
        &http,
        &format!(
            "{}?page=1{query}",
            account_url(&sb, &ids[0], "transactions")
        ),
        &token,
    )
    .await;
    for link in page["links"].as_array().unwrap() {
        let href = link["href"].as_str().unwrap();
        assert!(
            href.starts_with(sb.base_url()) && href.contains("fromBookingDateTime=2025-03-01"),
            "{href}"
        );
    }
}

#[tokio::test]
async fn invalid_queries_are_400() {
    let sb = sandbox().await;
    let http = http();
    let (_, ids) = consent(&http, &sb, "bad-query", "BLUE").await;
    let token = mint(&http, &sb, "bad-query").await;
    let base = account_url(&sb, &ids[0], "transactions");
    for query in [
        "page=0",
        "page=abc",
        "page=-1",
        "fromBookingDateTime=yesterday",
        "toBookingDateTime=2025-02-30",
        "fromBookingDateTime=2025-05-01&toBookingDateTime=2025-04-01",
        // An unencoded '+' decodes to a space: a classic client bug.
        "fromBookingDateTime=2025-03-01T00:00:00+03:00",
    ] {
        let (status, body) = get(&http, &format!("{base}?{query}"), &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(error_code(&body), "invalid_request");
    }
}

#[tokio::test]
async fn transactions_have_the_enriched_shape_and_exact_digits() {
    let sb = sandbox().await;
    let http = http();
    let (_, blue) = consent(&http, &sb, "shape", "BLUE").await;
    let (_, red) = consent(&http, &sb, "shape", "RED").await;
    let token = mint(&http, &sb, "shape").await;
    for (account, currency, digits) in [(&blue[0], "BHD", 3usize), (&red[0], "SAR", 2)] {
        let all = all_transactions(&http, &sb, &token, account, "").await;
        for t in &all {
            for field in [
                "transactionId",
                "accountId",
                "providerId",
                "transactionDescription",
                "transactionType",
                "subTransactionType",
                "bookingDateTime",
            ] {
                assert!(t[field].is_string(), "{field} in {t}");
            }
            assert_eq!(&t["accountId"], account.as_str());
            assert_eq!(t["amount"]["currency"], currency);
            assert!(t["amount"]["value"].as_f64().unwrap() > 0.0);
            assert!(matches!(
                t["creditDebitIndicator"].as_str(),
                Some("Credit" | "Debit")
            ));
            if t["subTransactionType"] == "Purchase" {
                assert!(t["category"]["group"].is_string() && t["category"]["icon"].is_string());
                assert!(t["merchant"]["merchantCategoryCode"].is_string());
            }
        }
        assert!(all.iter().any(|t| {
            t["transactionDescription"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
        }));
        assert!(
            all.iter()
                .any(|t| t["creditDebitIndicator"] == "Credit" && t.get("category").is_none())
        );

        // On the wire every value carries exactly the currency's digits (20.000, not 20.0).
        let text = http
            .get(account_url(&sb, account, "transactions"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut seen = 0;
        for chunk in text.split("\"value\":").skip(1) {
            let number: String = chunk
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let decimals = number.split_once('.').map(|(_, d)| d.len());
            assert_eq!(decimals, Some(digits), "{number}");
            seen += 1;
        }
        assert!(seen > 0);
    }
}
