//! The time an invocation has left, as a monotonic instant.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// The point after which an invocation's work is wasted (Lambda kills it). Everything that
/// waits or retries checks it, so a caller gets a typed answer instead of a timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(Instant);

/// Budget used when an invocation carries no deadline (handler tests, the dev server).
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(29);

impl Deadline {
    pub fn after(budget: Duration) -> Deadline {
        Deadline(Instant::now() + budget)
    }

    pub fn at(instant: Instant) -> Deadline {
        Deadline(instant)
    }

    /// From Lambda's `Context::deadline` (epoch milliseconds). Zero or an epoch in the past
    /// by more than a day means "not set" (a default `Context` in tests), which gets the
    /// default budget instead of an already-expired deadline.
    pub fn from_epoch_millis(deadline_ms: u64) -> Deadline {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        if deadline_ms == 0 || deadline_ms + 86_400_000 < now_ms {
            return Deadline::after(DEFAULT_BUDGET);
        }
        Deadline(Instant::now() + Duration::from_millis(deadline_ms.saturating_sub(now_ms)))
    }

    pub fn instant(&self) -> Instant {
        self.0
    }

    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    pub fn is_past(&self) -> bool {
        Instant::now() >= self.0
    }

    /// A deadline `margin` earlier, to keep time for answering after the work.
    pub fn less(&self, margin: Duration) -> Deadline {
        Deadline(self.0.checked_sub(margin).unwrap_or_else(Instant::now))
    }

    pub fn min(self, other: Deadline) -> Deadline {
        if self.0 <= other.0 { self } else { other }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unset_deadline_gets_the_default_budget() {
        let d = Deadline::from_epoch_millis(0);
        assert!(d.remaining() > Duration::from_secs(20));
    }

    #[tokio::test]
    async fn epoch_deadline_maps_to_remaining_time() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let d = Deadline::from_epoch_millis(now_ms + 5_000);
        assert!(d.remaining() <= Duration::from_secs(5));
        assert!(d.remaining() > Duration::from_secs(3));
        let past = Deadline::from_epoch_millis(now_ms - 1_000);
        assert!(past.is_past());
    }
}
