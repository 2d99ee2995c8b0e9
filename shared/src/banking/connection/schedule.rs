//! When the cron tries a connection again after failures, and when it gives up (pure).
//!
//! Every take from the due index counts as an attempt before the sync runs, so a run that dies
//! mid-sync (panic = abort, out of memory, timeout) is counted too; a good sync resets the
//! count. The k-th failure in a row waits `backoff(k)`; after `MAX_CONSECUTIVE_FAILURES` the
//! connection is parked off the schedule until a sync the user triggers succeeds.

use std::time::Duration;

use super::lifecycle::SYNC_INTERVAL;

/// The wait after the first failure; it doubles with each further one.
pub const BACKOFF_BASE: Duration = Duration::from_secs(15 * 60);
/// Never later than a healthy connection's next sync.
pub const BACKOFF_CAP: Duration = SYNC_INTERVAL;
/// Failures in a row after which the cron stops trying (about 40 hours of tries).
pub const MAX_CONSECUTIVE_FAILURES: u32 = 8;

/// The wait after the `failures`-th failure in a row (1-based; 0 counts as 1): 15 min, 30 min,
/// 1 h, 2 h, 4 h, 8 h, then 12 h.
pub fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    BACKOFF_BASE
        .saturating_mul(1u32 << doublings)
        .min(BACKOFF_CAP)
}

/// What the cron does with a due connection that has `failures` failures in a row behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakeDecision {
    /// Sync it, counting this attempt; other runs leave it alone for `hold` (also the wait if
    /// this attempt never reports).
    Sync { hold: Duration },
    /// Enough: off the schedule.
    Park,
}

pub fn on_take(failures: u32) -> TakeDecision {
    if failures >= MAX_CONSECUTIVE_FAILURES {
        TakeDecision::Park
    } else {
        TakeDecision::Sync {
            hold: backoff(failures + 1),
        }
    }
}

/// When a connection whose sync just failed is due again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryIn(Duration),
    Park,
}

/// `failures` counts this failure (the cron's take counted it; a sync the user triggered is
/// not counted). A parked connection stays parked.
pub fn after_failure(failures: u32, parked: bool) -> AfterFailure {
    if parked || failures >= MAX_CONSECUTIVE_FAILURES {
        AfterFailure::Park
    } else {
        AfterFailure::RetryIn(backoff(failures))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60;

    #[test]
    fn backoff_doubles_from_15_minutes_up_to_12_hours() {
        let minutes: Vec<u64> = (0..=10).map(|k| backoff(k).as_secs() / MIN).collect();
        assert_eq!(minutes, [15, 15, 30, 60, 120, 240, 480, 720, 720, 720, 720]);
        assert_eq!(backoff(u32::MAX), BACKOFF_CAP);
    }

    #[test]
    fn takes_count_until_the_limit_then_park() {
        assert_eq!(
            on_take(0),
            TakeDecision::Sync {
                hold: Duration::from_secs(15 * MIN)
            }
        );
        assert_eq!(
            on_take(1),
            TakeDecision::Sync {
                hold: Duration::from_secs(30 * MIN)
            }
        );
        assert_eq!(
            on_take(MAX_CONSECUTIVE_FAILURES - 1),
            TakeDecision::Sync { hold: BACKOFF_CAP }
        );
        assert_eq!(on_take(MAX_CONSECUTIVE_FAILURES), TakeDecision::Park);
        assert_eq!(on_take(u32::MAX), TakeDecision::Park);
    }

    #[test]
    fn a_failure_waits_its_backoff_and_the_eighth_parks() {
        assert_eq!(after_failure(1, false), AfterFailure::RetryIn(backoff(1)));
        assert_eq!(after_failure(0, false), AfterFailure::RetryIn(backoff(1)));
        assert_eq!(after_failure(7, false), AfterFailure::RetryIn(BACKOFF_CAP));
        assert_eq!(after_failure(8, false), AfterFailure::Park);
        assert_eq!(after_failure(0, true), AfterFailure::Park, "stays parked");
    }
}
