//! Where "now" comes from. Code is given a clock instead of reading the system's, so tests
//! can set the time (and, for the token protocol, give each simulated process its own).

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Timestamp;

pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> Timestamp;
}

/// The host's wall clock (NTP time on Lambda).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp::from_millis(ms)
    }
}

/// A clock that moves only when told to; clones share the time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(t: Timestamp) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(t.millis())))
    }

    pub fn set(&self, t: Timestamp) {
        self.0.store(t.millis(), Ordering::SeqCst);
    }

    pub fn advance(&self, d: Duration) {
        self.0
            .fetch_add(d.as_millis().min(i64::MAX as u128) as i64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::at(Timestamp::from_millis(1_000));
        let other = clock.clone();
        assert_eq!(clock.now().millis(), 1_000);
        other.advance(Duration::from_secs(2));
        assert_eq!(clock.now().millis(), 3_000);
        clock.set(Timestamp::from_millis(10));
        assert_eq!(other.now().millis(), 10);
        assert!(SystemClock.now().millis() > 1_700_000_000_000);
    }
}
