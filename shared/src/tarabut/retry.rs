//! Retry timing as a pure function: exponential backoff with full jitter, a server's
//! `Retry-After` taking precedence, and never a wait that ends past the deadline.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` after attempt `attempt` (0-based) failed, or
    /// `None` to stop. `unit` is a uniform random number in [0, 1) (passed in so this stays
    /// deterministic under test); `remaining` is the time left before the deadline.
    pub fn next_delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        remaining: Duration,
        unit: f64,
    ) -> Option<Duration> {
        if attempt + 1 >= self.max_attempts {
            return None;
        }
        let delay = match retry_after {
            Some(server_says) => server_says,
            None => {
                let exp = self.base.saturating_mul(1u32 << attempt.min(16));
                exp.min(self.cap).mul_f64(unit.clamp(0.0, 1.0))
            }
        };
        // Waiting until (or past) the deadline leaves no time for the attempt itself.
        if delay >= remaining {
            return None;
        }
        Some(delay)
    }
}

/// Parses `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const P: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        base: Duration::from_millis(100),
        cap: Duration::from_secs(2),
    };
    const PLENTY: Duration = Duration::from_secs(60);

    #[test]
    fn full_jitter_grows_exponentially_up_to_the_cap() {
        assert_eq!(
            P.next_delay(0, None, PLENTY, 0.999_999)
                .unwrap()
                .as_millis(),
            99
        );
        assert_eq!(
            P.next_delay(1, None, PLENTY, 0.5).unwrap(),
            Duration::from_millis(100)
        );
        assert_eq!(
            P.next_delay(2, None, PLENTY, 0.5).unwrap(),
            Duration::from_millis(200)
        );
        assert_eq!(P.next_delay(0, None, PLENTY, 0.0).unwrap(), Duration::ZERO);
        let many = RetryPolicy {
            max_attempts: 40,
            ..P
        };
        assert_eq!(
            many.next_delay(30, None, PLENTY, 0.5).unwrap(),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn stops_after_the_last_attempt() {
        assert!(P.next_delay(3, None, PLENTY, 0.5).is_none());
    }

    #[test]
    fn retry_after_wins_but_not_past_the_deadline() {
        let three = Duration::from_secs(3);
        assert_eq!(P.next_delay(0, Some(three), PLENTY, 0.1), Some(three));
        assert_eq!(
            P.next_delay(0, Some(three), Duration::from_secs(2), 0.1),
            None
        );
        assert_eq!(P.next_delay(1, None, Duration::from_millis(10), 0.9), None);
    }

    #[test]
    fn parses_both_retry_after_forms() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 08:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
