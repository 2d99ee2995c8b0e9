//! The caller's transactions, newest first, a page at a time (`GET /finance/transactions`).
//!
//! A page is one DynamoDB Query of the user's transaction partition: descending sort key
//! (`<UTC booking date>#<account>#<id>`), `Limit` = the page size, `ExclusiveStartKey` = the
//! cursor's position. The position is a key, not an offset, so rows a sync adds meanwhile
//! never shift a page: none is shown twice and no row that existed is skipped. What the key
//! cannot express (account, direction, category, and that the account is shown at all) is
//! filtered after the Query, as DynamoDB's FilterExpression would: a page can hold fewer rows
//! than the limit, even none, while more follow; `nextCursor` is set whenever the Query
//! stopped before the end of the range (docs/architecture.md §3.9).

mod category;
pub mod cursor;
pub mod params;

use std::collections::HashSet;

use chrono::SecondsFormat;
use serde::Serialize;

use crate::AppState;
use crate::accounts;
use crate::banking::StoredTransaction;
use crate::erasure;
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::money::Money;
pub use params::{DEFAULT_LIMIT, Direction, Filters, MAX_LIMIT, TransactionParams};

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    pub transaction_id: String,
    pub account_id: String,
    /// Tarabut's `bookingDateTime`, RFC 3339 UTC.
    pub booked_at: String,
    /// Signed: credit +, debit −.
    pub amount: Money,
    pub direction: &'static str,
    pub description: String,
    pub status: String,
    pub transaction_type: Option<String>,
    pub sub_transaction_type: Option<String>,
    pub merchant_name: Option<String>,
    pub merchant_category_code: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionPage {
    pub transactions: Vec<TransactionView>,
    /// Continues the same query after this page; `None` once the range is exhausted.
    pub next_cursor: Option<String>,
}

/// One page of the caller's transactions matching `params`. Every check (parameters, cursor,
/// account) happens before the page is read; nothing is written.
pub async fn list(
    state: &AppState,
    user: &UserId,
    params: TransactionParams,
) -> Result<TransactionPage, UseCaseError> {
    let filters = params.filters()?;
    let fingerprint = filters.fingerprint();
    let key = state
        .cursor_key
        .as_ref()
        .ok_or(UseCaseError::NotConfigured("CURSOR_KEY_SECRET_ARN"))?;
    let after = match filters.cursor.as_deref() {
        Some(c) => {
            let sort_key = cursor::decode(key, user, &fingerprint, c)?;
            if !filters.in_range(&sort_key) {
                return Err(UseCaseError::Invalid(
                    "the cursor is not valid for this query".into(),
                ));
            }
            Some(sort_key)
        }
        None => None,
    };
    // Only accounts of live connections show, and only their rows (§3.7).
    let accounts = erasure::visible_accounts_where(state, user, accounts::shown).await?;
    if let Some(id) = &filters.account_id
        && !accounts.iter().any(|a| &a.account_id == id)
    {
        return Err(UseCaseError::NotFound("account"));
    }
    let (rows, last) = state
        .transactions
        .page(user, filters.sort_range(), after.as_deref(), filters.limit)
        .await?;
    let visible: HashSet<&str> = accounts.iter().map(|a| a.account_id.as_str()).collect();
    let mut rows: Vec<StoredTransaction> = rows
        .into_iter()
        .filter(|t| visible.contains(t.account_id.as_str()))
        .filter(|t| {
            filters
                .account_id
                .as_ref()
                .is_none_or(|id| &t.account_id == id)
        })
        .filter(|t| filters.direction.is_none_or(|d| Direction::of(t) == d))
        .collect();
    if let Some(wanted) = filters.category {
        let matching = category::matching(state, user, &accounts, &rows, wanted).await?;
        rows.retain(|t| matching.contains(&(t.account_id.clone(), t.transaction_id.clone())));
    }
    let next_cursor = last
        .map(|sk| cursor::encode(key, user, &fingerprint, &sk))
        .transpose()?;
    Ok(TransactionPage {
        transactions: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

fn view(t: StoredTransaction) -> TransactionView {
    TransactionView {
        direction: Direction::of(&t).as_str(),
        booked_at: t.booked_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        transaction_id: t.transaction_id,
        account_id: t.account_id,
        amount: t.amount,
        description: t.description,
        status: t.status,
        transaction_type: t.transaction_type,
        sub_transaction_type: t.sub_transaction_type,
        merchant_name: t.merchant_name,
        merchant_category_code: t.merchant_category_code,
    }
}
