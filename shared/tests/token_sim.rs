//! The token protocol under faults: the real `TokenManager` in a deterministic simulation
//! (`shared::testkit::sim`): named scenarios for each failure found in review, then many
//! random seeds. Every run checks invariants I1–I7 (docs/token-protocol.md, "Invariants").
//!
//! `SIM_SEEDS=<n>` sets how many random seeds run (default 2000; `make sim` runs more);
//! `SEED=<n>` replays one seed and prints its trace.

use std::time::Duration;

use shared::config::TokenSettings;
use shared::testkit::faults::Faults;
use shared::testkit::sim::{EndpointFaults, Event, Initial, Outcome, ProcessSpec, Scenario, run};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn quiet_table() -> Faults {
    Faults {
        latency: (ms(1), ms(5)),
        ambiguous_retried: 0.5,
        ..Faults::default()
    }
}

fn healthy_endpoint() -> EndpointFaults {
    EndpointFaults {
        latency: (ms(50), ms(150)),
        failure: 0.0,
        rate_limited: 0.0,
        lifetime: secs(3600),
    }
}

fn base(name: &str, processes: usize) -> Scenario {
    Scenario {
        name: name.into(),
        seed: 1,
        settings: TokenSettings::default(),
        processes: vec![ProcessSpec { skew: 0 }; processes],
        table: quiet_table(),
        endpoint: healthy_endpoint(),
        initial: Initial::Expired(secs(1)),
        events: Vec::new(),
        tail: secs(60),
    }
}

fn call(process: usize, deadline: Duration) -> Event {
    Event::Call {
        process,
        deadline,
        data_call: false,
        cancel_after: None,
    }
}

fn data_call(process: usize, deadline: Duration) -> Event {
    Event::Call {
        process,
        deadline,
        data_call: true,
        cancel_after: None,
    }
}

/// Runs and fails the test with the replayable report when an invariant broke.
fn checked(s: &Scenario) -> Outcome {
    let outcome = run(s);
    assert!(outcome.violations.is_empty(), "{}", outcome.report(s));
    outcome
}

fn served_after(o: &Outcome, process: usize, from: Duration) -> bool {
    o.calls
        .iter()
        .any(|c| c.process == process && c.started >= from && matches!(c.outcome, Some(Ok(_))))
}

// ---- the failures found in review, one scenario each ----

/// Failure 1: a caller with 1 s left starts a mint the endpoint needs 3 s for. Its own deadline
/// is not the endpoint's failure: no backoff, and a patient caller right after gets a token.
#[test]
fn a_callers_deadline_is_not_the_endpoints_failure() {
    let mut s = base("callers-deadline", 2);
    s.endpoint.latency = (ms(1_500), ms(1_500));
    s.events = vec![
        (ms(0), call(0, secs(1))),
        (ms(1_100), call(0, secs(1))),
        (ms(2_200), call(1, secs(20))),
    ];
    let o = checked(&s);
    assert!(served_after(&o, 1, ms(2_200)), "{}", o.report(&s));
}

/// Failure 2 (a): a refresh-ahead whose mint fails must not hand out the token it read before
/// claiming, when a 401 invalidated that token meanwhile.
#[test]
fn an_invalidated_token_is_never_handed_out() {
    let mut s = base("invalidated-fallback", 2);
    // 120 s left of an hour: in the refresh window, usable.
    s.initial = Initial::Issued {
        age: secs(3600 - 120),
    };
    s.endpoint.latency = (ms(2_000), ms(2_000));
    s.endpoint.failure = 1.0;
    s.events = vec![
        (ms(0), call(0, secs(20))),
        (ms(500), Event::RevokeAll),
        (ms(1_000), data_call(1, secs(20))),
    ];
    checked(&s);
}

/// Failure 2 (b): a token below the minimum validity is not handed out as the fallback of a
/// failed mint.
#[test]
fn a_token_below_its_minimum_validity_is_never_handed_out() {
    let mut s = base("below-min-validity-fallback", 1);
    // 29 s left: below the 30 s minimum, so it must be refreshed; the endpoint fails.
    s.initial = Initial::Issued {
        age: secs(3600 - 29),
    };
    s.endpoint.failure = 1.0;
    s.events = vec![(ms(0), call(0, secs(20)))];
    checked(&s);
}

/// Failure 3: claim and commit round trips of over a second and clocks 4 s apart. The lease is
/// judged on the watcher's own monotonic clock and the holder's budget covers claim, mint and
/// commit: one mint.
#[test]
fn slow_round_trips_and_skewed_clocks_do_not_mint_twice() {
    let mut s = base("slow-and-skewed", 2);
    s.processes = vec![ProcessSpec { skew: -2_000 }, ProcessSpec { skew: 2_000 }];
    s.table.latency = (ms(500), ms(600));
    s.endpoint.latency = (ms(2_500), ms(2_500));
    s.events = vec![(ms(0), call(0, secs(29))), (ms(100), call(1, secs(29)))];
    let o = checked(&s);
    assert_eq!(o.mints, 1, "{}", o.report(&s));
    assert_eq!(o.served(), 2, "{}", o.report(&s));
}

/// Failure 4: every write lands but its answer is lost and the SDK's retry fails its condition
/// against the caller's own write. The caller reads back and carries on; it does not wait a
/// whole lease on its own lease.
#[test]
fn an_ambiguous_claim_does_not_wait_on_its_own_lease() {
    let mut s = base("ambiguous-claim", 1);
    s.table.ambiguous_write = 1.0;
    s.table.ambiguous_retried = 1.0;
    s.events = vec![(ms(0), call(0, secs(29)))];
    let o = checked(&s);
    let c = &o.calls[0];
    assert!(matches!(c.outcome, Some(Ok(_))), "{}", o.report(&s));
    let took = c.ended.unwrap() - c.started;
    assert!(took < secs(2), "took {took:?}\n{}", o.report(&s));
    assert_eq!(o.mints, 1);
}

/// Failure 5: tokens that live 120 s (less than the 300 s buffer) are refreshed once they are
/// half spent, not on every request.
#[test]
fn a_short_lived_token_is_not_minted_on_every_request() {
    let mut s = base("short-lived-token", 3);
    s.endpoint.lifetime = secs(120);
    s.initial = Initial::None;
    s.events = (0..10)
        .map(|i| (secs(5 * i), call(i as usize % 3, secs(10))))
        .collect();
    let o = checked(&s);
    assert_eq!(o.mints, 1, "{}", o.report(&s));
    assert_eq!(o.served(), 10);
}

/// Failure 6: a backoff that ends exactly now. The decision and the claim's condition agree on
/// the boundary, so the caller claims once instead of spinning.
#[test]
fn a_backoff_ending_now_does_not_spin() {
    let mut s = base("backoff-boundary", 1);
    s.table.latency = (ms(0), ms(0));
    s.endpoint.latency = (ms(0), ms(0));
    s.initial = Initial::ExpiredBackingOff { until: secs(1) };
    s.events = vec![(secs(1), call(0, secs(5)))];
    let o = checked(&s);
    assert!(o.calls[0].requests <= 4, "{} requests", o.calls[0].requests);
    assert!(matches!(o.calls[0].outcome, Some(Ok(_))));
}

// ---- the other faults ----

/// I6: a holder killed mid-mint is taken over once a waiter has watched its lease for a whole
/// lease; the waiter gets a token within its deadline.
#[test]
fn a_killed_holder_is_taken_over_after_one_lease() {
    let mut s = base("killed-holder", 2);
    s.endpoint.latency = (ms(2_000), ms(2_000));
    s.events = vec![
        (ms(0), call(0, secs(29))),
        (ms(200), call(1, secs(29))),
        (ms(1_000), Event::Kill { process: 0 }),
    ];
    let o = checked(&s);
    let waiter = o.calls.iter().find(|c| c.process == 1).unwrap();
    assert!(matches!(waiter.outcome, Some(Ok(_))), "{}", o.report(&s));
    // Lease 10 s from the waiter's first sight of it, then a 4 s mint.
    assert!(waiter.ended.unwrap() <= secs(15), "{}", o.report(&s));
}

/// A cancelled caller (its invocation ended) releases its lease without backoff: the next
/// caller mints at once instead of waiting a lease.
#[test]
fn a_cancelled_holder_releases_its_lease() {
    let mut s = base("cancelled-holder", 2);
    s.endpoint.latency = (ms(1_000), ms(1_000));
    s.events = vec![
        (
            ms(0),
            Event::Call {
                process: 0,
                deadline: secs(29),
                data_call: false,
                cancel_after: Some(ms(500)),
            },
        ),
        (ms(1_000), call(1, secs(29))),
    ];
    let o = checked(&s);
    let next = o.calls.iter().find(|c| c.process == 1).unwrap();
    assert!(next.ended.unwrap() < secs(4), "{}", o.report(&s));
}

/// Tarabut refuses every token for 20 s while three processes keep calling: at most one mint
/// per re-invalidation interval, not one per call.
#[test]
fn a_401_storm_mints_at_most_once_per_interval() {
    let mut s = base("401-storm", 3);
    s.initial = Initial::Issued { age: secs(60) };
    s.events = (0..20)
        .map(|i| (secs(i), Event::RevokeAll))
        .chain((0..100).map(|i| (ms(200 * i + 50), data_call(i as usize % 3, secs(5)))))
        .collect();
    let o = checked(&s);
    assert!(o.mints <= 3, "{} mints\n{}", o.mints, o.report(&s));
}

/// The user erases their data while a refresh is under way: the claim, made against the
/// version read before the delete, does not bring the item back.
#[test]
fn a_deleted_token_item_is_not_recreated_by_a_claim() {
    let mut s = base("deleted-item", 1);
    s.initial = Initial::Issued {
        age: secs(3600 - 120),
    };
    s.table.latency = (ms(200), ms(200));
    s.events = vec![(ms(0), call(0, secs(29))), (ms(250), Event::DeleteToken)];
    checked(&s);
}

// ---- random seeds ----

/// A scenario drawn from `seed`, within the protocol's stated bounds (one-way table latency
/// under half the commit reserve, skew of ±2 s).
fn random(seed: u64) -> Scenario {
    let mut r = fastrand::Rng::with_seed(seed);
    let processes = r.usize(2..=5);
    let max_latency = [5, 50, 200, 500][r.usize(..4)];
    let mut s = base(&format!("random-{seed}"), processes);
    s.seed = seed;
    s.processes = (0..processes)
        .map(|_| ProcessSpec {
            skew: r.i64(-2_000..=2_000),
        })
        .collect();
    s.table = Faults {
        latency: (ms(1), ms(max_latency)),
        throttle: r.f64() * 0.05,
        server_error: r.f64() * 0.05,
        ambiguous_write: r.f64() * 0.10,
        ambiguous_retried: 0.5,
        lost_read: r.f64() * 0.05,
    };
    s.endpoint = EndpointFaults {
        latency: (ms(20), ms([100, 500, 2_000][r.usize(..3)])),
        failure: r.f64() * 0.2,
        rate_limited: r.f64() * 0.05,
        lifetime: secs([120, 600, 3_600][r.usize(..3)]),
    };
    s.initial = match r.usize(..3) {
        0 => Initial::None,
        1 => Initial::Expired(secs(1)),
        _ => Initial::Issued {
            age: secs(r.u64(0..3_600)),
        },
    };
    let horizon = r.u64(10..600);
    let calls = r.usize(5..30);
    for _ in 0..calls {
        let at = ms(r.u64(0..horizon * 1_000));
        let deadline = [ms(300), secs(1), secs(3), secs(10), secs(29)][r.usize(..5)];
        let cancel_after = (r.f64() < 0.1).then(|| ms(r.u64(10..3_000)));
        s.events.push((
            at,
            Event::Call {
                process: r.usize(..processes),
                deadline,
                data_call: r.bool(),
                cancel_after,
            },
        ));
    }
    if r.f64() < 0.2 {
        s.events.push((
            ms(r.u64(0..horizon * 1_000)),
            Event::Kill {
                process: r.usize(..processes),
            },
        ));
    }
    if r.f64() < 0.2 {
        s.events
            .push((ms(r.u64(0..horizon * 1_000)), Event::RevokeAll));
    }
    if r.f64() < 0.1 {
        s.events
            .push((ms(r.u64(0..horizon * 1_000)), Event::DeleteToken));
    }
    s
}

#[test]
fn random_seeds_keep_every_invariant() {
    if let Ok(seed) = std::env::var("SEED") {
        let seed: u64 = seed.parse().expect("SEED is a number");
        let s = random(seed);
        let o = run(&s);
        println!("{}", o.report(&s).replace(" failed;", ":"));
        assert!(o.violations.is_empty(), "{}", o.report(&s));
        return;
    }
    let seeds: u64 = std::env::var("SIM_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let (mut served, mut calls, mut mints, mut versions) = (0, 0, 0, 0);
    for seed in 0..seeds {
        let s = random(seed);
        let o = run(&s);
        assert!(o.violations.is_empty(), "{}", o.report(&s));
        served += o.served();
        calls += o.calls.len();
        mints += o.mints;
        versions += o.versions;
    }
    println!(
        "token-sim seeds={seeds} calls={calls} served={served} mints={mints} committed_versions={versions}"
    );
}
