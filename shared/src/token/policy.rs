//! The token decision as a pure function over plain values: every case is a table row in a
//! test, and the manager only carries the decisions out.

use std::time::Duration;

use super::record::TokenRecord;
use crate::config::TokenSettings;
use crate::secret::Secret;
use crate::time::Timestamp;

/// A token as handed to data calls: the secret, when it stops working, and which stored
/// version it is (so a 401 invalidates exactly this version and nothing newer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub secret: Secret,
    pub expires_at: Timestamp,
    pub version: i64,
}

impl TokenRecord {
    /// The stored token if it has not expired at `now` (however little is left).
    pub fn valid_token(&self, now: Timestamp) -> Option<AccessToken> {
        match (&self.access_token, self.version) {
            (Some(secret), Some(version)) if self.expires_at > now => Some(AccessToken {
                secret: secret.clone(),
                expires_at: self.expires_at,
                version,
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Valid and outside the refresh window: use it.
    Serve(AccessToken),
    /// In the refresh window but still usable: try to claim the lease and refresh; if someone
    /// else holds it, use this token without waiting.
    RefreshAhead(AccessToken),
    /// Expired or nearly: claim the lease (guarded by the version seen) and mint.
    MustRefresh { seen_version: Option<i64> },
    /// Not usable and another holder's live lease: poll until the version moves or the
    /// lease expires.
    Wait { lease_expires_at: Timestamp },
    /// Not usable and minting is backing off after failures: fail for this long.
    Fail { retry_after: Duration },
}

/// Step 1: the in-process cache alone (no I/O) — a token outside the refresh window.
pub fn serve_from_cache(now: Timestamp, cached: Option<&AccessToken>, p: &TokenSettings) -> bool {
    cached.is_some_and(|t| t.expires_at > now + p.refresh_buffer)
}

/// Steps 3–5 and 8 on the stored record (read consistently).
pub fn decide(now: Timestamp, stored: Option<&TokenRecord>, p: &TokenSettings) -> Decision {
    let Some(record) = stored else {
        return Decision::MustRefresh { seen_version: None };
    };
    let token = record.valid_token(now);
    let usable = token
        .as_ref()
        .filter(|_| record.expires_at > now + p.min_validity);

    if let Some(t) = usable
        && record.expires_at > now + p.refresh_buffer
    {
        return Decision::Serve(t.clone());
    }
    if let Some(until) = record.backoff_until.filter(|u| *u > now) {
        // A mint failed recently: nobody retries before `until` (no stampede on a failing
        // endpoint); a usable token is served meanwhile.
        return match usable {
            Some(t) => Decision::Serve(t.clone()),
            None => Decision::Fail {
                retry_after: until.since(now),
            },
        };
    }
    let live_lease = record.lease.as_ref().filter(|l| l.expires_at >= now);
    match (usable, live_lease) {
        (Some(t), Some(_)) => Decision::Serve(t.clone()),
        (Some(t), None) => Decision::RefreshAhead(t.clone()),
        (None, Some(lease)) => Decision::Wait {
            lease_expires_at: lease.expires_at,
        },
        (None, None) => Decision::MustRefresh {
            seen_version: record.version,
        },
    }
}

/// Backoff after `failures` consecutive failed mints: 2 s, 4 s, 8 s … capped at 30 s.
pub fn mint_backoff(failures: i64) -> Duration {
    let exp = (failures.max(1) - 1).min(5) as u32;
    Duration::from_millis((2_000_u64 << exp).min(30_000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::record::Lease;

    const P: TokenSettings = TokenSettings {
        refresh_buffer: Duration::from_secs(300),
        min_validity: Duration::from_secs(30),
        lease: Duration::from_secs(10),
    };
    const NOW: Timestamp = Timestamp::from_millis(1_800_000_000_000);

    fn at(offset_ms: i64) -> Timestamp {
        Timestamp::from_millis(NOW.millis() + offset_ms)
    }

    fn record(
        expires_in_ms: i64,
        lease_in_ms: Option<i64>,
        backoff_in_ms: Option<i64>,
    ) -> TokenRecord {
        TokenRecord {
            access_token: Some(Secret::new("tok")),
            expires_at: at(expires_in_ms),
            version: Some(7),
            refreshed_at: Some(at(-3_000_000)),
            lease: lease_in_ms.map(|ms| Lease {
                id: "L".into(),
                owner: "other".into(),
                expires_at: at(ms),
            }),
            backoff_until: backoff_in_ms.map(at),
            mint_failures: 0,
        }
    }

    fn token(expires_in_ms: i64) -> AccessToken {
        AccessToken {
            secret: Secret::new("tok"),
            expires_at: at(expires_in_ms),
            version: 7,
        }
    }

    #[test]
    fn decision_table() {
        let min = 60_000;
        #[rustfmt::skip]
        let rows: Vec<(&str, Option<TokenRecord>, Decision)> = vec![
            ("no item",                         None,                                             Decision::MustRefresh { seen_version: None }),
            ("fresh",                           Some(record(60 * min, None, None)),               Decision::Serve(token(60 * min))),
            ("exactly at buffer: refresh",      Some(record(300_000, None, None)),                Decision::RefreshAhead(token(300_000))),
            ("in window, no lease",             Some(record(4 * min, None, None)),                Decision::RefreshAhead(token(4 * min))),
            ("in window, live lease elsewhere", Some(record(4 * min, Some(5_000), None)),         Decision::Serve(token(4 * min))),
            ("in window, expired lease",        Some(record(4 * min, Some(-1), None)),            Decision::RefreshAhead(token(4 * min))),
            ("nearly expired, no lease",        Some(record(20_000, None, None)),                 Decision::MustRefresh { seen_version: Some(7) }),
            ("exactly min validity",            Some(record(30_000, None, None)),                 Decision::MustRefresh { seen_version: Some(7) }),
            ("expired, live lease",             Some(record(-1, Some(4_000), None)),              Decision::Wait { lease_expires_at: at(4_000) }),
            ("lease expiring this ms is live",  Some(record(-1, Some(0), None)),                  Decision::Wait { lease_expires_at: NOW }),
            ("expired, lease gone stale",       Some(record(-1, Some(-1), None)),                 Decision::MustRefresh { seen_version: Some(7) }),
            ("in window, backing off",          Some(record(4 * min, None, Some(2_000))),         Decision::Serve(token(4 * min))),
            ("expired, backing off",            Some(record(-1, None, Some(2_000))),              Decision::Fail { retry_after: Duration::from_millis(2_000) }),
            ("expired, backoff over",           Some(record(-1, None, Some(-1))),                 Decision::MustRefresh { seen_version: Some(7) }),
            ("fresh despite backoff",           Some(record(60 * min, None, Some(2_000))),        Decision::Serve(token(60 * min))),
        ];
        for (name, stored, expected) in rows {
            assert_eq!(decide(NOW, stored.as_ref(), &P), expected, "{name}");
        }
    }

    #[test]
    fn invalidated_or_lease_only_items_must_refresh() {
        let invalidated = TokenRecord {
            expires_at: Timestamp::EPOCH,
            ..record(0, None, None)
        };
        assert_eq!(
            decide(NOW, Some(&invalidated), &P),
            Decision::MustRefresh {
                seen_version: Some(7)
            }
        );
        // An item created by a claim whose holder died before the first commit.
        let lease_only = TokenRecord {
            lease: Some(Lease {
                id: "L".into(),
                owner: "dead".into(),
                expires_at: at(-1),
            }),
            ..TokenRecord::default()
        };
        assert_eq!(
            decide(NOW, Some(&lease_only), &P),
            Decision::MustRefresh { seen_version: None }
        );
    }

    #[test]
    fn cache_serves_only_outside_the_window() {
        assert!(serve_from_cache(NOW, Some(&token(300_001)), &P));
        assert!(!serve_from_cache(NOW, Some(&token(300_000)), &P));
        assert!(!serve_from_cache(NOW, None, &P));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let got: Vec<u128> = (1..=8).map(|f| mint_backoff(f).as_millis()).collect();
        assert_eq!(
            got,
            [2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]
        );
        assert_eq!(mint_backoff(0).as_millis(), 2_000);
    }
}
