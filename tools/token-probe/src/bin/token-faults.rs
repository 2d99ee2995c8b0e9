//! Token protocol under faults (`make bench-token`, second table): N simulated processes ask
//! for one user's expired token at once, in the deterministic simulation of the real
//! `TokenManager` (`shared::testkit::sim`), with 50–200 ms one-way table latency, ±2 s clock
//! skew, 5 % ambiguous writes and 10 % token-endpoint failures. Each window is one expiry; the
//! table gives mints per window, callers served, stale hand-outs (invariant I2 broken) and the
//! p99 of the callers' waits, in virtual milliseconds (the simulated latencies, not this
//! machine's speed). Prints a markdown table and a final summary line.

use std::time::Duration;

use shared::config::TokenSettings;
use shared::testkit::faults::Faults;
use shared::testkit::sim::{EndpointFaults, Event, Initial, ProcessSpec, Scenario, run};

const SIZES: [usize; 3] = [8, 32, 64];
const WINDOWS: u64 = 50;

struct Row {
    n: usize,
    mints: u64,
    served: usize,
    calls: usize,
    stale: usize,
    violations: usize,
    p99_ms: u128,
}

fn scenario(n: usize, window: u64) -> Scenario {
    let seed = (n as u64) << 32 | window;
    let mut r = fastrand::Rng::with_seed(seed);
    Scenario {
        name: format!("faults-{n}-{window}"),
        seed,
        settings: TokenSettings::default(),
        processes: (0..n)
            .map(|_| ProcessSpec {
                skew: r.i64(-2_000..=2_000),
            })
            .collect(),
        table: Faults {
            latency: (Duration::from_millis(50), Duration::from_millis(200)),
            ambiguous_write: 0.05,
            ambiguous_retried: 0.5,
            ..Faults::default()
        },
        endpoint: EndpointFaults {
            latency: (Duration::from_millis(50), Duration::from_millis(300)),
            failure: 0.10,
            rate_limited: 0.0,
            lifetime: Duration::from_secs(3600),
        },
        initial: Initial::Expired(Duration::from_secs(1)),
        events: (0..n)
            .map(|p| {
                (
                    Duration::from_millis(r.u64(0..100)),
                    Event::Call {
                        process: p,
                        deadline: Duration::from_secs(29),
                        data_call: false,
                        cancel_after: None,
                    },
                )
            })
            .collect(),
        tail: Duration::from_secs(30),
    }
}

fn measure(n: usize) -> Row {
    let mut row = Row {
        n,
        mints: 0,
        served: 0,
        calls: 0,
        stale: 0,
        violations: 0,
        p99_ms: 0,
    };
    let mut waits = Vec::new();
    for window in 0..WINDOWS {
        let s = scenario(n, window);
        let o = run(&s);
        row.mints += o.mints;
        row.served += o.served();
        row.calls += o.calls.len();
        row.stale += o.violations.iter().filter(|v| v.starts_with("I2")).count();
        row.violations += o.violations.len();
        for v in &o.violations {
            eprintln!("{}: {v}", s.name);
        }
        waits.extend(
            o.calls
                .iter()
                .filter_map(|c| c.ended.map(|e| (e - c.started).as_millis())),
        );
    }
    waits.sort_unstable();
    let rank = ((waits.len() as f64) * 0.99).ceil() as usize;
    row.p99_ms = waits
        .get(rank.clamp(1, waits.len().max(1)) - 1)
        .copied()
        .unwrap_or(0);
    row
}

fn main() {
    println!(
        "| N | windows | mints per window | served | stale hand-outs | invariant breaks | p99 wait (virtual ms) |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut last = None;
    for n in SIZES {
        let r = measure(n);
        println!(
            "| {} | {WINDOWS} | {:.2} | {}/{} | {} | {} | {} |",
            r.n,
            r.mints as f64 / WINDOWS as f64,
            r.served,
            r.calls,
            r.stale,
            r.violations,
            r.p99_ms
        );
        last = Some(r);
    }
    if let Some(r) = last {
        // Mints per window, rounded up: a window's mint can fail (10 %), then nobody mints
        // again until the backoff ends.
        println!(
            "token-faults N={} mints={} served={}/{} stale={} p99_ms={}",
            r.n,
            r.mints.div_ceil(WINDOWS),
            r.served,
            r.calls,
            r.stale,
            r.p99_ms
        );
    }
}
