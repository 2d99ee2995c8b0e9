//! The `category` filter: each row's category exactly as the spending insight assigns it
//! ([`insights_engine::categories`]). A row's category depends on its neighbours (a refund
//! takes the category of its purchase up to 90 days earlier; own-account transfers pair legs
//! up to 4 days apart), so the page's rows are categorised among the same context the
//! spending insight reads around a range: 95 days before the page's oldest row, 5 after its
//! newest. That context costs one more Query, made only when the filter is given.

use std::collections::{HashMap, HashSet};

use chrono::Duration as Days;
use insights_engine::Category;

use crate::AppState;
use crate::banking::{AccountRecord, StoredTransaction};
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::insights::inputs;
use crate::insights::{CONTEXT_AFTER_DAYS, CONTEXT_BEFORE_DAYS};

/// `(account id, transaction id)` of the rows of `page` whose category is `wanted`.
pub async fn matching(
    state: &AppState,
    user: &UserId,
    accounts: &[AccountRecord],
    page: &[StoredTransaction],
    wanted: Category,
) -> Result<HashSet<(String, String)>, UseCaseError> {
    let (Some(oldest), Some(newest)) = (
        page.iter().map(StoredTransaction::booking_date).min(),
        page.iter().map(StoredTransaction::booking_date).max(),
    ) else {
        return Ok(HashSet::new());
    };
    let visible: HashSet<&str> = accounts.iter().map(|a| a.account_id.as_str()).collect();
    let context: Vec<StoredTransaction> = state
        .transactions
        .range(
            user,
            oldest - Days::days(CONTEXT_BEFORE_DAYS),
            newest + Days::days(CONTEXT_AFTER_DAYS),
        )
        .await?
        .into_iter()
        .filter(|t| visible.contains(t.account_id.as_str()))
        .collect();
    let ids: Vec<(String, String)> = context
        .iter()
        .map(|t| (t.account_id.clone(), t.transaction_id.clone()))
        .collect();
    let engine_accounts: Vec<_> = accounts.iter().map(inputs::account).collect();
    let engine_rows: Vec<_> = context.into_iter().map(inputs::transaction).collect();
    let categories = insights_engine::categories(&engine_accounts, &engine_rows);
    let of: HashMap<(String, String), Category> = ids
        .into_iter()
        .zip(categories)
        .filter_map(|(id, c)| c.map(|c| (id, c)))
        .collect();
    Ok(page
        .iter()
        .map(|t| (t.account_id.clone(), t.transaction_id.clone()))
        .filter(|id| of.get(id) == Some(&wanted))
        .collect())
}
