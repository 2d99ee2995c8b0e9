//! One connection's transactions, page by page: each page is mapped, compared with what the
//! table holds for its days and saved, then the place reached is stored on the connection as
//! a checkpoint. Memory holds one page whatever the history's length, and a run that dies
//! (deadline, crash, Tarabut failing) leaves a checkpoint the next run resumes from.

use chrono::{Duration as Days, NaiveDate, Utc};

use super::pages::{PageOrdinals, past_limit, start};
use crate::AppState;
use crate::banking::{AccountRecord, Connection, StoredTransaction, SyncCheckpoint};
use crate::error::UseCaseError;
use crate::store::StoreError;
use crate::tarabut::Transaction;
use crate::time::Deadline;
use crate::token::CallError;

/// Re-read this many days before the last booking date: banks back-date late postings.
const OVERLAP_DAYS: i64 = 3;
/// History fetched on a connection's first sync (Tarabut keeps about a year).
const FIRST_SYNC_DAYS: i64 = 365;

/// How fetching a history failed.
pub(super) enum HistoryError {
    Call(CallError),
    Store(StoreError),
    /// The connection was deleted meanwhile: stop, its data is being erased.
    Deleted,
    /// The history never ended within `MAX_PAGES`.
    TooManyPages,
}

impl From<CallError> for HistoryError {
    fn from(e: CallError) -> Self {
        HistoryError::Call(e)
    }
}

impl From<StoreError> for HistoryError {
    fn from(e: StoreError) -> Self {
        HistoryError::Store(e)
    }
}

impl From<HistoryError> for UseCaseError {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::Call(e) => e.into(),
            HistoryError::Store(e) => e.into(),
            HistoryError::Deleted => UseCaseError::NotFound("connection"),
            HistoryError::TooManyPages => UseCaseError::Upstream(format!(
                "transaction history of more than {} pages",
                super::pages::MAX_PAGES
            )),
        }
    }
}

/// What the pages brought, over all the accounts.
#[derive(Debug, Default)]
pub(super) struct Fetched {
    pub new: usize,
    pub skipped: usize,
}

/// Fetches each account's history since its last booking date (minus the overlap), or from
/// `resume` for the account it names, saving page by page. `resume` follows the checkpoint
/// stored on the connection, so the caller keeps it when the run fails. Each account is saved
/// (its last booking date) as soon as its history is read, so a resumed run does not read it
/// again.
pub(super) async fn sync_transactions(
    state: &AppState,
    conn: &Connection,
    accounts: &mut [AccountRecord],
    resume: &mut Option<SyncCheckpoint>,
    deadline: Deadline,
) -> Result<Fetched, HistoryError> {
    let today = Utc::now().date_naive();
    let mut total = Fetched::default();
    for account in accounts.iter_mut() {
        let at = start(
            resume.as_ref(),
            &account.account_id,
            fetch_from(account, today),
        );
        let mut page = at.page;
        let mut ordinals = PageOrdinals::default();
        let mut latest = None;
        loop {
            if past_limit(page) {
                // Starting over is the only way out of a history that never ends.
                *resume = None;
                return Err(HistoryError::TooManyPages);
            }
            let fetched = state
                .tokens
                .call(&conn.user, deadline, |token| {
                    let id = account.account_id.clone();
                    let from = at.from.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
                    async move {
                        state
                            .tarabut()
                            .transactions_page(&token, &id, from, None, page, deadline)
                            .await
                    }
                })
                .await?;
            let ordinals = ordinals.next(&fetched.transactions);
            let (rows, skipped) = map_rows(conn, account, &fetched.transactions, &ordinals);
            total.skipped += skipped;
            latest = latest.max(rows.iter().map(StoredTransaction::booking_date).max());
            total.new += save_page(state, conn, &account.account_id, rows).await?;
            if !fetched.more {
                break;
            }
            page += 1;
            let cp = SyncCheckpoint {
                account_id: account.account_id.clone(),
                from: at.from,
                next_page: page,
            };
            match state
                .connections
                .save_checkpoint(&conn.user, &conn.connection_id, &cp)
                .await
            {
                Ok(()) => *resume = Some(cp),
                Err(StoreError::ConditionFailed) => return Err(HistoryError::Deleted),
                Err(e) => return Err(e.into()),
            }
        }
        account.last_booking_date = account.last_booking_date.max(latest);
        state
            .accounts
            .put_all(std::slice::from_ref(account))
            .await?;
    }
    Ok(total)
}

/// Where an account's next fetch starts: a few days before its last booking, or a year back.
fn fetch_from(account: &AccountRecord, today: NaiveDate) -> NaiveDate {
    match account.last_booking_date {
        Some(last) => last - Days::days(OVERLAP_DAYS),
        None => today - Days::days(FIRST_SYNC_DAYS),
    }
}

/// Maps a page; rows that cannot be read are logged and counted.
fn map_rows(
    conn: &Connection,
    account: &AccountRecord,
    page: &[Transaction],
    ordinals: &[u32],
) -> (Vec<StoredTransaction>, usize) {
    let mut rows = Vec::with_capacity(page.len());
    let mut skipped = 0;
    for (t, ordinal) in page.iter().zip(ordinals) {
        match StoredTransaction::from_tarabut(
            &conn.user,
            &conn.connection_id,
            &account.account_id,
            t,
            *ordinal,
        ) {
            Ok(s) => rows.push(s),
            Err(e) => {
                skipped += 1;
                tracing::warn!(account = %account.account_id, error = %e, "transaction skipped");
            }
        }
    }
    (rows, skipped)
}

/// Writes a page's new or changed rows: one keyed query over the page's days finds what is
/// stored already. Returns how many were new.
async fn save_page(
    state: &AppState,
    conn: &Connection,
    account_id: &str,
    rows: Vec<StoredTransaction>,
) -> Result<usize, StoreError> {
    let dates = rows.iter().map(StoredTransaction::booking_date);
    let (Some(lo), Some(hi)) = (dates.clone().min(), dates.max()) else {
        return Ok(0);
    };
    let known: Vec<StoredTransaction> = state
        .transactions
        .range(&conn.user, lo, hi)
        .await?
        .into_iter()
        .filter(|t| t.account_id == account_id)
        .collect();
    state.transactions.upsert(rows, &known).await
}
