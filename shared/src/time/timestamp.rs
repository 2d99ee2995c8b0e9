//! A wall-clock instant with millisecond precision: the unit the table stores (epoch ms), and
//! the one place it turns into seconds (DynamoDB TTL) or RFC 3339 (API answers).

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch, UTC. Stored times are compared across machines (Lambda
/// hosts keep NTP time; leases are seconds long, skew is milliseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const EPOCH: Timestamp = Timestamp(0);

    pub const fn from_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    /// Epoch milliseconds, as stored in the table.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Whole epoch seconds, as DynamoDB's TTL attribute wants them.
    pub const fn epoch_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0).max(0) as u64)
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or_default()
    }

    /// The UTC calendar date.
    pub fn date(self) -> NaiveDate {
        self.to_datetime().date_naive()
    }

    /// RFC 3339, UTC, milliseconds: the form of every time in an API answer.
    pub fn to_rfc3339(self) -> String {
        self.to_datetime()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

fn millis(d: Duration) -> i64 {
    d.as_millis().min(i64::MAX as u128) as i64
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(millis(d)))
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(millis(d)))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Timestamp {
        Timestamp(t.timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_and_forms() {
        let t = Timestamp::from_millis(1_800_000_000_123);
        assert_eq!(t.epoch_secs(), 1_800_000_000);
        assert_eq!((t + Duration::from_secs(2)).millis(), 1_800_000_002_123);
        assert_eq!((t - Duration::from_millis(123)).millis(), 1_800_000_000_000);
        assert_eq!(t.since(t + Duration::from_secs(1)), Duration::ZERO);
        assert_eq!(
            (t + Duration::from_secs(1)).since(t),
            Duration::from_secs(1)
        );
        assert_eq!(t.to_rfc3339(), "2027-01-15T08:00:00.123Z");
        assert_eq!(t.date().to_string(), "2027-01-15");
        assert_eq!(Timestamp::from_millis(-1).epoch_secs(), -1);
    }
}
