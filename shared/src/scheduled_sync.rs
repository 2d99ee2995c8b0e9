//! The scheduled sync: every due active connection, at most `SYNC_CONCURRENCY` at a time,
//! taking no new work once the invocation's time runs low; what is left stays due for the
//! next run. One connection's failure never stops the others; a run where most of them fail
//! is a failed run ([`verdict`]).

mod verdict;

pub use verdict::{FailedRun, attempted, is_failed_run, verdict};

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::AppState;
use crate::audit;
use crate::banking::Taken;
use crate::erasure::ErasureSweep;
use crate::linking::SweepSummary;
use crate::sync::{Scope, SyncOutcome, sync_connection};
use crate::time::Deadline;

/// Stop taking connections when less than this is left: a sync needs a few Tarabut calls.
pub const STOP_MARGIN: Duration = Duration::from_secs(10);
/// Most connections read from the index per run.
const MAX_PER_RUN: usize = 5_000;

#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CronSummary {
    pub due: usize,
    pub synced: usize,
    pub failed: usize,
    pub reauth_required: usize,
    /// Connections whose consent reached its expiry date: marked `expired`, not synced.
    pub expired: usize,
    /// Taken by another run meanwhile, or left for the next run for lack of time.
    pub skipped: usize,
    /// Failed too many times in a row: taken off the schedule instead of synced.
    pub parked: usize,
    pub elapsed_ms: u64,
    /// Link attempts never completed by their own user, whose consents were revoked.
    pub link_sweep: SweepSummary,
    /// Deleted connections whose data was erased a last time (docs/architecture.md §3.7).
    pub erasure_sweep: ErasureSweep,
}

enum Outcome {
    Synced,
    Expired,
    Failed,
    Reauth,
    Skipped,
    Parked,
}

/// One scheduled run; `invocation` is the Lambda request id, recorded in the audit trail of
/// each connection it syncs.
pub async fn run(
    state: Arc<AppState>,
    deadline: Deadline,
    invocation: Option<String>,
) -> Result<CronSummary, crate::error::UseCaseError> {
    let invocation: Arc<Option<String>> = Arc::new(invocation);
    let started = Instant::now();
    // First, while the run has all its time: it is a few calls, and a consent left behind by
    // a phishing attempt must not wait for the syncs.
    let link_sweep = match crate::linking::sweep(&state, deadline).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "link sweep failed; retried next run");
            SweepSummary::default()
        }
    };
    let erasure_sweep = match crate::erasure::sweep(&state).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "erasure sweep failed; retried next run");
            ErasureSweep::default()
        }
    };
    let due = state
        .connections
        .due(state.clock.now(), MAX_PER_RUN)
        .await?;
    let mut summary = CronSummary {
        due: due.len(),
        link_sweep,
        erasure_sweep,
        ..CronSummary::default()
    };
    let work_deadline = deadline.less(STOP_MARGIN);
    let permits = Arc::new(Semaphore::new(state.config.sync_concurrency));
    let mut tasks = JoinSet::new();
    let mut queue = due.into_iter();
    for d in queue.by_ref() {
        let permit =
            match tokio::time::timeout_at(work_deadline.instant(), permits.clone().acquire_owned())
                .await
            {
                Ok(Ok(p)) => p,
                _ => {
                    summary.skipped += 1;
                    break;
                }
            };
        if work_deadline.is_past() {
            summary.skipped += 1;
            break;
        }
        let state = state.clone();
        let invocation = invocation.clone();
        tasks.spawn(async move {
            let _permit = permit;
            // The take counts the attempt and holds the connection for its backoff.
            match state.connections.take_due(&d, state.clock.now()).await {
                Ok(Taken::ToSync) => {}
                Ok(Taken::Parked) => {
                    tracing::warn!(connection = %d.connection_id, failures = d.failures, "parked after failures in a row");
                    return Outcome::Parked;
                }
                Ok(Taken::Lost) => return Outcome::Skipped,
                Err(e) => {
                    // Not taken, so not counted: it stays due for the next run.
                    tracing::warn!(connection = %d.connection_id, error = %e, "could not take a due connection");
                    return Outcome::Skipped;
                }
            }
            let conn = match state.connections.get(&d.user, &d.connection_id).await {
                Ok(Some(c)) if c.deleted_at.is_none() => c,
                _ => return Outcome::Skipped,
            };
            // Each sync may use the time up to the real deadline, less a second to report.
            match sync_connection(&state, conn, Scope::Transactions, deadline.less(Duration::from_secs(1))).await {
                Ok(SyncOutcome::Synced(_)) => {
                    let event = audit::Event {
                        connection_id: Some(&d.connection_id),
                        request_id: invocation.as_deref(),
                        ..audit::Event::default()
                    };
                    audit::change(&state, &d.user, audit::Action::ScheduledSync, event).await;
                    Outcome::Synced
                }
                Ok(SyncOutcome::ReauthRequired { .. }) => Outcome::Reauth,
                Ok(SyncOutcome::Expired { .. }) => Outcome::Expired,
                Ok(SyncOutcome::Deleted { .. }) => Outcome::Skipped,
                // The user's own sync of it runs now: that one records the result.
                Err(crate::error::UseCaseError::SyncRunning { .. }) => Outcome::Skipped,
                Err(e) => {
                    tracing::warn!(connection = %d.connection_id, error = %e, "scheduled sync failed");
                    Outcome::Failed
                }
            }
        });
    }
    summary.skipped += queue.count();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Outcome::Synced) => summary.synced += 1,
            Ok(Outcome::Expired) => summary.expired += 1,
            Ok(Outcome::Reauth) => summary.reauth_required += 1,
            Ok(Outcome::Skipped) => summary.skipped += 1,
            Ok(Outcome::Parked) => summary.parked += 1,
            Ok(Outcome::Failed) | Err(_) => summary.failed += 1,
        }
    }
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    tracing::info!(
        due = summary.due,
        synced = summary.synced,
        failed = summary.failed,
        reauth_required = summary.reauth_required,
        skipped = summary.skipped,
        parked = summary.parked,
        elapsed_ms = summary.elapsed_ms,
        "cron sync summary"
    );
    crate::metrics::cron_summary(&summary);
    Ok(summary)
}
