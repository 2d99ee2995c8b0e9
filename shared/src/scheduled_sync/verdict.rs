//! Whether a scheduled run failed as a whole: the pure decision behind the cron invocation's
//! error (and so Lambda's `Errors` metric and its alarm).

use super::CronSummary;

/// Syncs that ran to an answer about the connection: synced, failed, or told by the bank that
/// the consent is gone.
pub fn attempted(summary: &CronSummary) -> usize {
    summary.synced + summary.failed + summary.reauth_required
}

/// A run failed when at least one sync failed and failures are more than half of the
/// attempted syncs. What does not count as a failure, and why:
/// - `reauth_required`: the bank answered, and answered that the user must renew the consent;
///   the system worked (it counts as attempted, so many reauths dilute a lone failure).
/// - `skipped`: never attempted (taken by an overlapping run, left for lack of time, or
///   being synced by its user); the next run takes it. Not attempted either.
/// - `expired`, `parked`: no sync was tried (consent past its date; too many failures in a
///   row, already counted when they happened).
///
/// One failure in a run of one is a failed run: with a single due connection there is
/// nothing else to judge by, and a connection failing over and over backs off (15 min
/// doubling), so it cannot fail every run.
pub fn is_failed_run(summary: &CronSummary) -> bool {
    summary.failed > 0 && summary.failed * 2 > attempted(summary)
}

/// The run's error: the invocation fails, carrying the summary for the logs and the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "scheduled run failed: {} of {} attempted syncs failed ({} due, {} synced, {} reauth required, {} skipped)",
    .summary.failed,
    attempted(.summary),
    .summary.due,
    .summary.synced,
    .summary.reauth_required,
    .summary.skipped
)]
pub struct FailedRun {
    pub summary: CronSummary,
}

/// The summary when the run did its job, else [`FailedRun`].
pub fn verdict(summary: CronSummary) -> Result<CronSummary, FailedRun> {
    if is_failed_run(&summary) {
        Err(FailedRun { summary })
    } else {
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(synced: usize, failed: usize, reauth_required: usize, skipped: usize) -> CronSummary {
        CronSummary {
            due: synced + failed + reauth_required + skipped,
            synced,
            failed,
            reauth_required,
            skipped,
            ..CronSummary::default()
        }
    }

    #[test]
    fn most_attempted_syncs_failing_is_a_failed_run() {
        assert!(is_failed_run(&run(0, 3, 0, 0)));
        assert!(is_failed_run(&run(1, 2, 0, 0)));
        assert!(is_failed_run(&run(0, 1, 0, 0)), "one of one");
        assert!(is_failed_run(&run(4, 5, 0, 0)));
    }

    #[test]
    fn half_or_fewer_failing_is_not() {
        assert!(!is_failed_run(&run(2, 1, 0, 0)));
        assert!(!is_failed_run(&run(1, 1, 0, 0)), "exactly half");
        assert!(!is_failed_run(&run(5, 4, 0, 0)));
    }

    #[test]
    fn nothing_failed_is_never_a_failed_run() {
        assert!(!is_failed_run(&run(0, 0, 0, 0)), "nothing due");
        assert!(!is_failed_run(&run(0, 0, 3, 0)), "all need reauth");
        assert!(!is_failed_run(&run(0, 0, 0, 5)), "all skipped");
    }

    #[test]
    fn reauth_counts_as_attempted_and_skipped_does_not() {
        // 1 failed of 1 synced + 1 failed + 1 reauth: a third.
        assert!(!is_failed_run(&run(1, 1, 1, 0)));
        // Without the reauth it would be half; skipped ones do not dilute.
        assert!(is_failed_run(&run(0, 2, 1, 0)));
        assert!(is_failed_run(&run(0, 1, 0, 40)));
    }

    #[test]
    fn the_verdict_carries_the_summary() {
        let failed = run(1, 2, 0, 1);
        let err = verdict(failed.clone()).expect_err("a failed run");
        assert_eq!(err.summary, failed);
        assert_eq!(
            err.to_string(),
            "scheduled run failed: 2 of 3 attempted syncs failed (4 due, 1 synced, 0 reauth required, 1 skipped)"
        );
        let good = run(3, 1, 0, 0);
        assert_eq!(verdict(good.clone()), Ok(good));
    }
}
