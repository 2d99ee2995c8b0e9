//! `GET /accountInformation/v2/accounts/{accountId}/transactions` with booking-date filters and
//! 1-based pages, newest first.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveTime, Utc};
use serde::Serialize;

use super::authorize_account;
use super::views::{LinkView, TransactionView};
use crate::error::ApiError;
use crate::faults::{Endpoint, gate_body};
use crate::request::{Bound, parse_booking_bound, query_map};
use crate::state::SharedState;
use crate::wire::{midnight, percent_encode, timestamp};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionsMeta {
    total_count_of_records: usize,
    total_count_of_pages: usize,
    page_number: usize,
    page_size: usize,
    from_booking_date_time: String,
    to_booking_date_time: String,
    last_transactions_update_datetime: String,
    transactions_availability: &'static str,
}

#[derive(Serialize)]
pub struct TransactionsResponse {
    transactions: Vec<TransactionView>,
    meta: TransactionsMeta,
    links: Vec<LinkView>,
}

struct PageQuery {
    from: Option<(String, DateTime<Utc>)>,
    to: Option<(String, DateTime<Utc>)>,
    page: usize,
}

fn parse_query(uri: &Uri) -> Result<PageQuery, ApiError> {
    let query = query_map(uri)?;
    let bound = |name: &str, which: Bound| -> Result<Option<(String, DateTime<Utc>)>, ApiError> {
        match query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(text) => parse_booking_bound(text, which)
                .map(|t| Some((text.to_owned(), t)))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{name} must be an ISO 8601 date or date-time (e.g. 2025-01-31 or 2025-01-31T00:00:00Z)"
                    ))
                }),
        }
    };
    let from = bound("fromBookingDateTime", Bound::From)?;
    let to = bound("toBookingDateTime", Bound::To)?;
    if let (Some((_, f)), Some((_, t))) = (&from, &to)
        && f > t
    {
        return Err(ApiError::bad_request(
            "fromBookingDateTime must not be after toBookingDateTime",
        ));
    }
    let page = match query.get("page") {
        None => 1,
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| ApiError::bad_request("page must be a positive integer (1-based)"))?,
    };
    Ok(PageQuery { from, to, page })
}

pub async fn list(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    if let Some(bytes) = gate_body(&state, Endpoint::Transactions).await? {
        tracing::info!(bytes, "serving an oversize transactions body");
        return Ok(crate::oversize::response(state, account_id, bytes));
    }
    let user = state.authenticate(&headers)?;
    let query = parse_query(&uri)?;
    let now = Utc::now();
    let access = authorize_account(&state, &user, &account_id, now)?;
    let account = access.account();
    let page_size = state.settings().page_size.max(1);

    let from = query.from.as_ref().map(|(_, t)| *t);
    let to = query.to.as_ref().map(|(_, t)| *t);
    let synthetic = state.synthetic_history(account);
    let history = synthetic
        .as_deref()
        .map_or(account.transactions.as_slice(), Vec::as_slice);
    let matching: Vec<_> = history
        .iter()
        .filter(|t| {
            let booked = midnight(t.booking_date);
            from.is_none_or(|f| booked >= f) && to.is_none_or(|u| booked <= u)
        })
        .collect();
    let total = matching.len();
    let pages = total.div_ceil(page_size);
    let transactions = matching
        .iter()
        .skip((query.page - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|t| TransactionView::new(account, t))
        .collect();

    let window_start = midnight(access.window_start());
    let end_of_today = state
        .today()
        .and_time(NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap_or(NaiveTime::MIN))
        .and_utc();
    let meta = TransactionsMeta {
        total_count_of_records: total,
        total_count_of_pages: pages,
        page_number: query.page,
        page_size,
        from_booking_date_time: timestamp(from.unwrap_or(window_start)),
        to_booking_date_time: timestamp(to.unwrap_or(end_of_today)),
        last_transactions_update_datetime: timestamp(now),
        transactions_availability: "completed",
    };
    let links = links(&state.base_url, &account.id, &query, pages);
    Ok(Json(TransactionsResponse {
        transactions,
        meta,
        links,
    })
    .into_response())
}

/// FIRST and LAST always (LAST = FIRST when there are no pages); PREV from page 2 on; NEXT
/// while a later page exists. Each repeats the caller's date filters verbatim.
fn links(base_url: &str, account_id: &str, query: &PageQuery, pages: usize) -> Vec<LinkView> {
    let mut filters = String::new();
    if let Some((text, _)) = &query.from {
        filters.push_str(&format!("&fromBookingDateTime={}", percent_encode(text)));
    }
    if let Some((text, _)) = &query.to {
        filters.push_str(&format!("&toBookingDateTime={}", percent_encode(text)));
    }
    let href = |page: usize| {
        format!(
            "{base_url}/accountInformation/v2/accounts/{account_id}/transactions?page={page}{filters}"
        )
    };
    let last = pages.max(1);
    let mut links = vec![LinkView {
        rel: "FIRST",
        href: href(1),
    }];
    if query.page > 1 {
        links.push(LinkView {
            rel: "PREV",
            href: href(query.page - 1),
        });
    }
    if query.page < pages {
        links.push(LinkView {
            rel: "NEXT",
            href: href(query.page + 1),
        });
    }
    links.push(LinkView {
        rel: "LAST",
        href: href(last),
    });
    links
}
