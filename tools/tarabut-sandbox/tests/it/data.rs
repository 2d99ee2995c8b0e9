//! Balances, salary insights and own-account transfers as a client sees them.

use chrono::{Datelike, NaiveDate, Weekday};
use reqwest::StatusCode;
use serde_json::Value;
use tarabut_sandbox::SandboxConfig;

use crate::common::*;

fn booking_date(t: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(&t["bookingDateTime"].as_str().unwrap()[..10], "%Y-%m-%d").unwrap()
}

fn signed(t: &Value, digits: u32) -> i64 {
    let v = minor(&t["amount"]["value"], digits);
    if t["creditDebitIndicator"] == "Debit" {
        -v
    } else {
        v
    }
}

fn signed_balance(b: &Value, digits: u32) -> i64 {
    let v = minor(&b["amount"]["value"], digits);
    if b["creditDebitIndicator"] == "Debit" {
        -v
    } else {
        v
    }
}

async fn booked(
    http: &reqwest::Client,
    sb: &tarabut_sandbox::RunningSandbox,
    token: &str,
    account: &str,
    digits: u32,
) -> i64 {
    let (status, body) = get(http, &account_url(sb, account, "balances"), token).await;
    assert_eq!(status, StatusCode::OK);
    let balances = body["balances"].as_array().unwrap();
    let by_type = |kind: &str| balances.iter().find(|b| b["type"] == kind).unwrap().clone();
    let (closing, available) = (by_type("ClosingBooked"), by_type("ClosingAvailable"));
    assert_eq!(closing["amount"], available["amount"]);
    assert!(closing["amount"]["value"].as_f64().unwrap() >= 0.0);
    assert!(body["meta"]["lastBalancesUpdateDatetime"].is_string());
    let (_, refreshed) = get(http, &account_url(sb, account, "balances/refresh"), token).await;
    assert_eq!(refreshed["balances"][0]["amount"], closing["amount"]);
    signed_balance(&closing, digits)
}

/// Balance = opening + Σ transactions: observed across two "todays", tomorrow's booked balance
/// is today's plus the transactions in between, and the implied opening of a current account is
/// positive.
#[tokio::test]
async fn balances_equal_opening_plus_transactions() {
    let later_day = NaiveDate::from_ymd_opt(2025, 8, 15).unwrap();
    let early = sandbox().await;
    let later = sandbox_with(SandboxConfig {
        today: Some(later_day),
        ..SandboxConfig::default()
    })
    .await;
    let http = http();
    let user = "balance-user";
    for provider in ["BLUE", "RED"] {
        let (_, ids_early) = consent(&http, &early, user, provider).await;
        let (_, ids_later) = consent(&http, &later, user, provider).await;
        assert_eq!(ids_early, ids_later);
        let token_early = mint(&http, &early, user).await;
        let token_later = mint(&http, &later, user).await;
        let digits = if provider == "BLUE" { 3 } else { 2 };
        for id in &ids_early {
            let before = booked(&http, &early, &token_early, id, digits).await;
            let after = booked(&http, &later, &token_later, id, digits).await;
            let newer = all_transactions(
                &http,
                &later,
                &token_later,
                id,
                "&fromBookingDateTime=2025-07-01",
            )
            .await;
            let delta: i64 = newer.iter().map(|t| signed(t, digits)).sum();
            assert_eq!(before + delta, after, "{provider} {id}");

            let history = all_transactions(&http, &early, &token_early, id, "").await;
            let opening = before - history.iter().map(|t| signed(t, digits)).sum::<i64>();
            let account =
                find_account(&http, &early, &token_early, provider, "CurrentAccount").await;
            if account["accountId"] == id.as_str() {
                assert!(opening > 0, "{provider} current opens at {opening}");
            }
        }
    }
}

#[tokio::test]
async fn credit_card_owing_money_is_debit() {
    let sb = sandbox().await;
    let http = http();
    let (_, _) = consent(&http, &sb, "card-user", "RED").await;
    let token = mint(&http, &sb, "card-user").await;
    let card = find_account(&http, &sb, &token, "RED", "CreditCard").await;
    assert_eq!(card["identifiers"][0]["type"], "maskedPAN");
    let id = card["accountId"].as_str().unwrap();
    let balance = booked(&http, &sb, &token, id, 2).await;
    let (_, body) = get(&http, &account_url(&sb, id, "balances"), &token).await;
    let indicator = body["balances"][0]["creditDebitIndicator"]
        .as_str()
        .unwrap();
    assert_eq!(indicator, if balance < 0 { "Debit" } else { "Credit" });
    // Spending since the last payment on the 5th is owed.
    assert!(balance < 0, "card balance {balance}");
}

#[tokio::test]
async fn salary_insight_respects_the_weekend_and_the_window() {
    let sb = sandbox().await;
    let http = http();
    let user = "salaried";
    let token = mint(&http, &sb, user).await;
    let url = format!("{}/insights/v1/salary?months=3", sb.base_url());
    let (status, none) = get(&http, &url, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(none["salaries"].as_array().unwrap().is_empty());

    consent(&http, &sb, user, "RED").await;
    let (_, red_only) = get(&http, &url, &token).await;
    assert!(
        red_only["salaries"].as_array().unwrap().is_empty(),
        "no salary at Red Bank"
    );

    consent(&http, &sb, user, "BLUE").await;
    let (_, body) = get(&http, &url, &token).await;
    let salaries = body["salaries"].as_array().unwrap();
    // Months 3..=6 of 2025 with today = 2025-06-30: March, April, May, June.
    assert_eq!(salaries.len(), 4, "{body}");
    let mut previous = None;
    for s in salaries {
        let date = booking_date(s);
        assert!(date >= NaiveDate::from_ymd_opt(2025, 3, 1).unwrap());
        assert!(!matches!(date.weekday(), Weekday::Fri | Weekday::Sat));
        assert!(
            date.day() == 27 || (date.weekday() == Weekday::Thu && (25..=26).contains(&date.day()))
        );
        assert_eq!(
            s["monthIndicator"].as_u64().unwrap(),
            u64::from(date.month())
        );
        let value = s["salaryAmount"]["value"]
            .as_str()
            .expect("salary value is a string");
        assert_eq!(value.split_once('.').unwrap().1.len(), 3);
        assert_eq!(s["salaryAmount"]["currency"], "BHD");
        assert!(previous.is_none_or(|p| p < date));
        previous = Some(date);
    }
    // 2025-06-27 is a Friday: paid on Thursday the 26th.
    assert_eq!(
        booking_date(&salaries[3]),
        NaiveDate::from_ymd_opt(2025, 6, 26).unwrap()
    );
    let (status, _) = get(
        &http,
        &format!("{}/insights/v1/salary?months=0", sb.base_url()),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn own_account_transfer_legs_match_at_the_cross_rate() {
    let sb = sandbox().await;
    let http = http();
    let user = "transferrer";
    consent(&http, &sb, user, "BLUE").await;
    consent(&http, &sb, user, "RED").await;
    let token = mint(&http, &sb, user).await;
    let blue = find_account(&http, &sb, &token, "BLUE", "CurrentAccount").await;
    let red = find_account(&http, &sb, &token, "RED", "CurrentAccount").await;
    let red_iban = red["identifiers"][0]["value"].as_str().unwrap();
    let blue_iban = blue["identifiers"][0]["value"].as_str().unwrap();
    let outgoing: Vec<_> =
        all_transactions(&http, &sb, &token, blue["accountId"].as_str().unwrap(), "")
            .await
            .into_iter()
            .filter(|t| {
                t["transactionDescription"]
                    .as_str()
                    .unwrap()
                    .starts_with("TRANSFER TO OWN ACCOUNT SA")
            })
            .collect();
    let incoming: Vec<_> =
        all_transactions(&http, &sb, &token, red["accountId"].as_str().unwrap(), "")
            .await
            .into_iter()
            .filter(|t| {
                t["transactionDescription"]
                    .as_str()
                    .unwrap()
                    .starts_with("TRANSFER FROM OWN ACCOUNT")
            })
            .collect();
    assert!(outgoing.len() >= 11);
    let mut matched = 0;
    for out in &outgoing {
        assert_eq!(out["creditDebitIndicator"], "Debit");
        assert_eq!(minor(&out["amount"]["value"], 3), 100_000);
        assert!(
            out["transactionDescription"]
                .as_str()
                .unwrap()
                .contains(red_iban)
        );
        let sent = booking_date(out);
        let leg = incoming.iter().find(|t| {
            let d = booking_date(t);
            d >= sent && (d - sent).num_days() <= 2
        });
        match leg {
            Some(leg) => {
                assert_eq!(leg["creditDebitIndicator"], "Credit");
                assert_eq!(leg["amount"]["currency"], "SAR");
                // 100 BHD × 3.75 / 0.376 = 997.34 SAR
                assert_eq!(minor(&leg["amount"]["value"], 2), 99_734);
                assert!(
                    leg["transactionDescription"]
                        .as_str()
                        .unwrap()
                        .contains(blue_iban)
                );
                matched += 1;
            }
            None => assert!((today() - sent).num_days() < 2, "no SAR leg for {out}"),
        }
    }
    assert!(matched >= 11);
}
