//! The decision table, row by row, every boundary included; and the claim condition checked
//! against the same records `decide` saw (they are derived together and must agree).

use proptest::prelude::*;

use super::*;
use crate::store::{Item, ItemExt, Key};
use crate::token::record::Lease;

const P: TokenSettings = TokenSettings {
    refresh_buffer: Duration::from_secs(300),
    min_validity: Duration::from_secs(30),
    lease: Duration::from_secs(10),
};
const NOW: Timestamp = Timestamp::from_millis(1_800_000_000_000);
/// The tokens of the table live an hour.
const HOUR: i64 = 3_600_000;

fn at(offset_ms: i64) -> Timestamp {
    Timestamp::from_millis(NOW.millis() + offset_ms)
}

fn record(expires_in_ms: i64, lease: Option<&str>, backoff_in_ms: Option<i64>) -> TokenRecord {
    TokenRecord {
        access_token: Some(Secret::new("tok")),
        expires_at: at(expires_in_ms),
        version: Some(7),
        refreshed_at: Some(at(expires_in_ms - HOUR)),
        lease: lease.map(|id| Lease {
            id: id.into(),
            owner: "other".into(),
            expires_at: at(5_000),
            length: Some(Duration::from_secs(10)),
        }),
        backoff_until: backoff_in_ms.map(at),
        mint_failures: 0,
    }
}

fn token(expires_in_ms: i64) -> AccessToken {
    AccessToken {
        secret: Secret::new("tok"),
        expires_at: at(expires_in_ms),
        issued_at: at(expires_in_ms - HOUR),
        version: 7,
    }
}

fn guard(stale: Option<&str>) -> ClaimGuard {
    ClaimGuard {
        stale_lease: stale.map(str::to_string),
        seen_version: Some(7),
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn decision_table() {
    let min = 60_000;
    let first = ClaimGuard {
        stale_lease: None,
        seen_version: None,
    };
    #[rustfmt::skip]
    let rows: Vec<(&str, Option<TokenRecord>, Duration, Decision)> = vec![
        ("no item",                            None,                                  secs(0),  Decision::MustRefresh(first)),
        ("fresh",                              Some(record(60 * min, None, None)),    secs(0),  Decision::Serve(token(60 * min))),
        ("just outside the buffer",            Some(record(300_001, None, None)),     secs(0),  Decision::Serve(token(300_001))),
        ("exactly at buffer: refresh",         Some(record(300_000, None, None)),     secs(0),  Decision::RefreshAhead(token(300_000), guard(None))),
        ("in window, no lease",                Some(record(4 * min, None, None)),     secs(0),  Decision::RefreshAhead(token(4 * min), guard(None))),
        ("in window, lease just seen",         Some(record(4 * min, Some("L"), None)), secs(0), Decision::Serve(token(4 * min))),
        ("in window, lease watched < length",  Some(record(4 * min, Some("L"), None)), secs(9), Decision::Serve(token(4 * min))),
        ("in window, lease watched = length",  Some(record(4 * min, Some("L"), None)), secs(10), Decision::RefreshAhead(token(4 * min), guard(Some("L")))),
        ("just above min validity",            Some(record(30_001, None, None)),      secs(0),  Decision::RefreshAhead(token(30_001), guard(None))),
        ("exactly min validity",               Some(record(30_000, None, None)),      secs(0),  Decision::MustRefresh(guard(None))),
        ("nearly expired, no lease",           Some(record(20_000, None, None)),      secs(0),  Decision::MustRefresh(guard(None))),
        ("expired, lease just seen",           Some(record(-1, Some("L"), None)),     secs(0),  Decision::Wait { for_at_most: secs(10) }),
        ("expired, lease watched 4 s",         Some(record(-1, Some("L"), None)),     secs(4),  Decision::Wait { for_at_most: secs(6) }),
        ("expired, lease watched a lease",     Some(record(-1, Some("L"), None)),     secs(10), Decision::MustRefresh(guard(Some("L")))),
        ("in window, backing off",             Some(record(4 * min, None, Some(2_000))), secs(0), Decision::Serve(token(4 * min))),
        ("expired, backing off",               Some(record(-1, None, Some(2_000))),   secs(0),  Decision::Fail { retry_after: Duration::from_millis(2_000) }),
        ("backoff ends now: claim",            Some(record(-1, None, Some(0))),       secs(0),  Decision::MustRefresh(guard(None))),
        ("backoff ends 1 ms from now",         Some(record(-1, None, Some(1))),       secs(0),  Decision::Fail { retry_after: Duration::from_millis(1) }),
        ("expired, backoff over",              Some(record(-1, None, Some(-1))),      secs(0),  Decision::MustRefresh(guard(None))),
        ("fresh despite backoff",              Some(record(60 * min, None, Some(2_000))), secs(0), Decision::Serve(token(60 * min))),
        ("backoff beats a stale lease",        Some(record(-1, Some("L"), Some(2_000))), secs(60), Decision::Fail { retry_after: Duration::from_millis(2_000) }),
    ];
    for (name, stored, watched, expected) in rows {
        assert_eq!(
            decide(NOW, stored.as_ref(), watched, &P),
            expected,
            "{name}"
        );
    }
}

#[test]
fn windows_scale_with_short_lived_tokens() {
    // A 120 s token: refresh ahead at 60 s left, never hand out under 30 s.
    let short = TokenRecord {
        expires_at: at(120_000),
        refreshed_at: Some(NOW),
        ..record(0, None, None)
    };
    assert!(matches!(
        decide(NOW, Some(&short), Duration::ZERO, &P),
        Decision::Serve(_)
    ));
    let later = at(60_000);
    assert!(matches!(
        decide(later, Some(&short), Duration::ZERO, &P),
        Decision::RefreshAhead(..)
    ));
    // A 20 s token: usable down to 5 s left (a quarter of its life).
    let tiny = TokenRecord {
        expires_at: at(20_000),
        refreshed_at: Some(NOW),
        ..record(0, None, None)
    };
    assert!(matches!(
        decide(at(14_000), Some(&tiny), Duration::ZERO, &P),
        Decision::RefreshAhead(..)
    ));
    assert!(matches!(
        decide(at(15_000), Some(&tiny), Duration::ZERO, &P),
        Decision::MustRefresh(_)
    ));
    assert_eq!(
        Window::of(secs(3600), &P),
        Window {
            refresh_buffer: secs(300),
            min_validity: secs(30)
        }
    );
}

#[test]
fn invalidated_or_lease_only_items_must_refresh() {
    let invalidated = TokenRecord {
        expires_at: Timestamp::EPOCH,
        ..record(0, None, None)
    };
    assert_eq!(
        decide(NOW, Some(&invalidated), Duration::ZERO, &P),
        Decision::MustRefresh(guard(None))
    );
    // An item created by a claim whose holder died before the first commit, its lease written
    // before leases had a length: judged by the configured lease.
    let lease_only = TokenRecord {
        lease: Some(Lease {
            id: "L".into(),
            owner: "dead".into(),
            expires_at: Timestamp::EPOCH,
            length: None,
        }),
        ..TokenRecord::default()
    };
    assert_eq!(
        decide(NOW, Some(&lease_only), secs(9), &P),
        Decision::Wait {
            for_at_most: secs(1)
        }
    );
    assert_eq!(
        decide(NOW, Some(&lease_only), secs(10), &P),
        Decision::MustRefresh(ClaimGuard {
            stale_lease: Some("L".into()),
            seen_version: None
        })
    );
    // A lease claiming to last a day is judged as lasting a minute.
    let hostile = TokenRecord {
        lease: Some(Lease {
            length: Some(secs(86_400)),
            ..lease_only.lease.clone().unwrap()
        }),
        ..lease_only
    };
    assert!(matches!(
        decide(NOW, Some(&hostile), MAX_LEASE, &P),
        Decision::MustRefresh(_)
    ));
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

#[test]
fn only_the_endpoints_failures_are_blamed_on_it() {
    use TarabutError::*;
    assert_eq!(blame(&DeadlineExceeded, true), MintBlame::Caller);
    assert_eq!(blame(&Timeout, true), MintBlame::Caller);
    // The lease budget, not the caller, cut it short: the endpoint was too slow.
    assert_eq!(blame(&Timeout, false), MintBlame::Endpoint);
    assert_eq!(blame(&DeadlineExceeded, false), MintBlame::Endpoint);
    assert_eq!(blame(&Server { status: 503 }, true), MintBlame::Endpoint);
    assert_eq!(
        blame(&RateLimited { retry_after: None }, true),
        MintBlame::Endpoint
    );
}

/// The token item as the repository writes it.
fn item_of(r: &TokenRecord) -> Item {
    let mut item = Key::new("USER#u", "TOKEN#tarabut").item();
    if let Some(t) = &r.access_token {
        item.set_s("access_token", t.expose());
    }
    item.set_time("expires_at", r.expires_at);
    item.set_opt_n("version", r.version);
    item.set_opt_time("refreshed_at", r.refreshed_at);
    if let Some(l) = &r.lease {
        item.set_s("lease_id", &l.id);
        item.set_s("lease_owner", &l.owner);
        item.set_time("lease_expires_at", l.expires_at);
        item.set_opt_n("lease_ms", l.length.map(|d| d.as_millis() as i64));
    }
    item.set_opt_time("backoff_until", r.backoff_until);
    item
}

prop_compose! {
    fn any_record()(
        exists in any::<bool>(),
        has_token in any::<bool>(),
        expires in prop_oneof![Just(30_000i64), Just(300_000), -100_000i64..4_000_000],
        version in proptest::option::of(0i64..5),
        lease in proptest::option::of(0u8..3),
        // The boundaries (ending now, a millisecond either side) as often as anything else.
        backoff in proptest::option::of(prop_oneof![Just(0i64), Just(1), Just(-1), -5_000i64..5_000]),
    ) -> Option<TokenRecord> {
        exists.then(|| TokenRecord {
            access_token: has_token.then(|| Secret::new("t")),
            expires_at: at(expires),
            version,
            refreshed_at: Some(at(expires - HOUR)),
            lease: lease.map(|n| Lease {
                id: format!("L{n}"),
                owner: "o".into(),
                expires_at: at(1),
                length: Some(secs(10)),
            }),
            backoff_until: backoff.map(at),
            mint_failures: 0,
        })
    }
}

proptest! {
    /// Whenever `decide` says "claim", the claim's condition holds on the very item it looked
    /// at: a decision to claim is never refused by the table (no loop without progress), and a
    /// decision to wait or fail never claims.
    #[test]
    fn a_decision_to_claim_is_one_the_table_grants(
        stored in any_record(),
        watched_ms in 0u64..20_000,
    ) {
        let watched = Duration::from_millis(watched_ms);
        let item = stored.as_ref().map(item_of);
        let parsed = item.as_ref().map(|i| TokenRecord::from_item(i).unwrap());
        prop_assert_eq!(&parsed, &stored);
        match decide(NOW, stored.as_ref(), watched, &P) {
            Decision::RefreshAhead(_, g) | Decision::MustRefresh(g) => {
                prop_assert!(g.condition(NOW).holds(item.as_ref()), "{:?} refused on {:?}", g, stored);
            }
            Decision::Serve(t) => {
                prop_assert!(t.expires_at > NOW + P.min_validity.min(t.window(&P).min_validity));
            }
            Decision::Wait { for_at_most } => prop_assert!(for_at_most > Duration::ZERO),
            Decision::Fail { retry_after } => prop_assert!(retry_after > Duration::ZERO),
        }
    }
}
