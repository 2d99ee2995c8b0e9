//! A deterministic simulation of the real [`TokenManager`] (docs/token-protocol.md,
//! "Simulation"): K simulated processes, each with its own manager, cache, clock offset and
//! faulty view of one shared table, on tokio's paused virtual time, against a simulated token
//! endpoint. A run is a function of its seed; a failing seed replays with `SEED=<n> make sim`.
//!
//! What is simulated is only what a process cannot control: the network (latency, lost
//! answers, throttling), the wall clocks (skew), the token endpoint (latency, failures,
//! lifetimes, 401s), the callers (deadlines, cancellation) and the operators (kills,
//! deletes). The protocol code under test is the production code.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::faults::{CALL_REQUESTS, Faults, FaultyTable};
use crate::config::TokenSettings;
use crate::identity::{CustomerUserId, UserId};
use crate::secret::Secret;
use crate::store::{
    Cond, Item, ItemExt, Key, MemoryTable, Page, Query, StoreError, Table, Update, Write,
};
use crate::tarabut::{MintedToken, TarabutError};
use crate::time::{Clock, Deadline, Timestamp};
use crate::token::policy::Window;
use crate::token::{AccessToken, CallError, TokenEndpoint, TokenError, TokenManager};

/// The wall clock every simulated machine would read if it had no skew (virtual time).
const ORIGIN: Timestamp = Timestamp::from_millis(1_800_000_000_000);

/// A process's wall clock: virtual time plus its own skew.
#[derive(Debug)]
pub struct SimClock {
    origin: Instant,
    skew_ms: i64,
}

impl Clock for SimClock {
    fn now(&self) -> Timestamp {
        let elapsed = self.origin.elapsed().as_millis() as i64;
        Timestamp::from_millis(ORIGIN.millis() + elapsed + self.skew_ms)
    }
}

/// The simulated token endpoint's behaviour.
#[derive(Debug, Clone)]
pub struct EndpointFaults {
    /// One-way latency range.
    pub latency: (Duration, Duration),
    /// A 503 instead of a token.
    pub failure: f64,
    /// A 429 instead of a token.
    pub rate_limited: f64,
    /// Lifetime of the tokens it issues.
    pub lifetime: Duration,
}

/// One simulated process.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    pub skew: i64,
}

#[derive(Debug, Clone)]
pub enum Event {
    /// `access_token` (or, with `data_call`, a data call through `call()`, which meets 401s).
    Call {
        process: usize,
        deadline: Duration,
        data_call: bool,
        /// The caller's future is dropped after this long (a cancelled invocation).
        cancel_after: Option<Duration>,
    },
    /// SIGKILL: the process's tasks stop and nothing it sends arrives any more.
    Kill { process: usize },
    /// Tarabut starts refusing every token issued so far (a 401 storm).
    RevokeAll,
    /// The user's token item is deleted (the user erased their data).
    DeleteToken,
}

/// The stored token at the start.
#[derive(Debug, Clone)]
pub enum Initial {
    None,
    /// Version 1, expired this long ago.
    Expired(Duration),
    /// Version 1, issued by the endpoint `age` ago with its configured lifetime.
    Issued {
        age: Duration,
    },
    /// Version 1, expired long ago, and minting backing off until this virtual time.
    ExpiredBackingOff {
        until: Duration,
    },
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    pub settings: TokenSettings,
    pub processes: Vec<ProcessSpec>,
    pub table: Faults,
    pub endpoint: EndpointFaults,
    pub initial: Initial,
    /// Events at virtual times from the start.
    pub events: Vec<(Duration, Event)>,
    /// The run goes on this long after the last event, for stragglers.
    pub tail: Duration,
}

/// What a call returned, when.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub process: usize,
    /// A data call through `call()` (the token recorded is the one cached after it).
    pub data_call: bool,
    pub started: Duration,
    pub ended: Option<Duration>,
    pub deadline: Duration,
    pub cancelled: bool,
    pub outcome: Option<Result<AccessToken, String>>,
    pub requests: u64,
}

#[derive(Debug, Clone)]
struct Issued {
    seq: u64,
    process: usize,
    at: Duration,
    expires: Duration,
    received: bool,
}

/// Everything shared by the simulated world, and what the checks read.
#[derive(Default)]
struct World {
    issued: HashMap<String, Issued>,
    next_seq: u64,
    revoked_before: Option<Duration>,
    endpoint_failures: u64,
    /// Every (version, token) the item held, in order.
    committed: Vec<(i64, String)>,
    /// When each token was invalidated in the table.
    invalidated: HashMap<String, Duration>,
    backoffs_written: HashSet<i64>,
    deleted_at: Vec<Duration>,
    killed: HashMap<usize, Duration>,
    violations: Vec<String>,
    trace: Vec<String>,
}

type Shared = Arc<Mutex<World>>;

fn lock(w: &Shared) -> std::sync::MutexGuard<'_, World> {
    w.lock().unwrap_or_else(|p| p.into_inner())
}

/// Virtual time since the run's start.
#[derive(Clone, Copy)]
struct Stopwatch(Instant);

impl Stopwatch {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

fn trace(world: &Shared, clock: Stopwatch, line: impl AsRef<str>) {
    let t = clock.now().as_millis();
    lock(world)
        .trace
        .push(format!("{t:>8} ms  {}", line.as_ref()));
}

/// The one real table, watched: every write to the token item is checked against I3 and
/// remembered for I1, I2 and I5.
struct Observed {
    table: MemoryTable,
    world: Shared,
    clock: Stopwatch,
}

impl Observed {
    fn token_state(item: Option<&Item>) -> (Option<i64>, Option<String>, i64) {
        let version = item.and_then(|i| i.opt_n("version").ok().flatten());
        let token = item.and_then(|i| i.opt_s("access_token").ok().flatten().map(String::from));
        let expires = item
            .and_then(|i| i.opt_n("expires_at").ok().flatten())
            .unwrap_or(0);
        (version, token, expires)
    }

    async fn observe_write<F>(&self, key: &Key, write: F) -> Result<(), StoreError>
    where
        F: std::future::Future<Output = Result<(), StoreError>>,
    {
        let before = self.table.get(key, true).await?;
        let result = write.await;
        if result.is_err() || !key.sk.starts_with("TOKEN#") {
            return result;
        }
        let after = self.table.get(key, true).await?;
        let (v0, t0, _) = Observed::token_state(before.as_ref());
        let (v1, t1, e1) = Observed::token_state(after.as_ref());
        let now = self.clock.now();
        let mut w = lock(&self.world);
        if after.is_some()
            && let (Some(v0), v1) = (v0, v1)
            && v1.is_none_or(|v1| v1 < v0)
        {
            w.violations
                .push(format!("I3: version went from {v0} to {v1:?} at {now:?}"));
        }
        if t1 != t0
            && let Some(new) = &t1
        {
            let seq_new = w.issued.get(new).map(|i| i.seq);
            let seq_old = t0.as_ref().and_then(|t| w.issued.get(t)).map(|i| i.seq);
            match (seq_new, seq_old) {
                (None, _) if new != "expired" => w.violations.push(format!(
                    "I3: a token the endpoint never issued was stored: {new}"
                )),
                (Some(n), Some(o)) if n < o => w.violations.push(format!(
                    "I3: an older token (#{n}) replaced a newer one (#{o}) at {now:?}"
                )),
                _ => {}
            }
            if let Some(v) = v1 {
                w.committed.push((v, new.clone()));
            }
            w.trace.push(format!(
                "{:>8} ms  table: committed v{v1:?}",
                now.as_millis()
            ));
        }
        if e1 == 0
            && let Some(t) = t1
        {
            w.invalidated.entry(t).or_insert(now);
        }
        if let Some(item) = &after
            && let Ok(Some(b)) = item.opt_n("backoff_until")
            && before
                .as_ref()
                .and_then(|i| i.opt_n("backoff_until").ok().flatten())
                != Some(b)
        {
            w.backoffs_written.insert(b);
        }
        result
    }
}

#[async_trait]
impl Table for Observed {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.table.get(key, consistent).await
    }
    async fn put(&self, item: Item, cond: Option<&Cond>) -> Result<(), StoreError> {
        let key = Key::of(&item)?;
        self.observe_write(&key, self.table.put(item, cond)).await
    }
    async fn update(
        &self,
        key: &Key,
        updates: &[Update],
        cond: Option<&Cond>,
    ) -> Result<(), StoreError> {
        self.observe_write(key, self.table.update(key, updates, cond))
            .await
    }
    async fn delete(&self, key: &Key, cond: Option<&Cond>) -> Result<(), StoreError> {
        self.table.delete(key, cond).await
    }
    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        self.table.query(query).await
    }
    async fn query_page(&self, query: &Query) -> Result<Page, StoreError> {
        self.table.query_page(query).await
    }
    async fn batch_write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.table.batch_write(writes).await
    }
}

/// The token endpoint of one process's view of Tarabut.
struct SimEndpoint {
    process: usize,
    faults: EndpointFaults,
    rng: Mutex<fastrand::Rng>,
    world: Shared,
    clock: Stopwatch,
}

impl SimEndpoint {
    fn one_way(&self) -> Duration {
        let (lo, hi) = self.faults.latency;
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        if hi <= lo {
            return lo;
        }
        Duration::from_millis(rng.u64(lo.as_millis() as u64..=hi.as_millis() as u64))
    }

    fn draw(&self) -> f64 {
        self.rng.lock().unwrap_or_else(|p| p.into_inner()).f64()
    }

    /// Waits `d`, or fails with the caller's deadline first (as the real client does).
    async fn travel(&self, d: Duration, deadline: Deadline) -> Result<(), TarabutError> {
        let arrive = Instant::now() + d;
        if arrive > deadline.instant() {
            tokio::time::sleep_until(deadline.instant()).await;
            return Err(TarabutError::DeadlineExceeded);
        }
        tokio::time::sleep_until(arrive).await;
        Ok(())
    }
}

#[async_trait]
impl TokenEndpoint for SimEndpoint {
    async fn mint(
        &self,
        _customer: &CustomerUserId,
        deadline: Deadline,
    ) -> Result<MintedToken, TarabutError> {
        self.travel(self.one_way(), deadline).await?;
        let failure = if self.draw() < self.faults.failure {
            Some(TarabutError::Server { status: 503 })
        } else if self.draw() < self.faults.rate_limited {
            Some(TarabutError::RateLimited { retry_after: None })
        } else {
            None
        };
        if let Some(e) = failure {
            self.travel(self.one_way(), deadline).await?;
            lock(&self.world).endpoint_failures += 1;
            trace(
                &self.world,
                self.clock,
                format!("p{}: endpoint failed: {e}", self.process),
            );
            return Err(e);
        }
        let secret = {
            let mut w = lock(&self.world);
            w.next_seq += 1;
            let seq = w.next_seq;
            let secret = format!("tok-{seq}");
            let at = self.clock.now();
            w.issued.insert(
                secret.clone(),
                Issued {
                    seq,
                    process: self.process,
                    at,
                    expires: at + self.faults.lifetime,
                    received: false,
                },
            );
            secret
        };
        trace(
            &self.world,
            self.clock,
            format!("p{}: endpoint issued {secret}", self.process),
        );
        self.travel(self.one_way(), deadline).await?;
        if let Some(i) = lock(&self.world).issued.get_mut(&secret) {
            i.received = true;
        }
        Ok(MintedToken {
            access_token: Secret::new(secret),
            expires_in: self.faults.lifetime,
        })
    }
}

/// A data call at simulated Tarabut: 401 for an unknown, expired or revoked token.
fn data_call(world: &Shared, clock: Stopwatch, token: &Secret) -> Result<(), TarabutError> {
    let w = lock(world);
    let now = clock.now();
    match w.issued.get(token.expose()) {
        Some(i) if i.expires > now && w.revoked_before.is_none_or(|r| i.at >= r) => Ok(()),
        _ => Err(TarabutError::Unauthorized),
    }
}

struct Process {
    manager: Arc<TokenManager>,
    table: Arc<FaultyTable<Arc<Observed>>>,
    tasks: Vec<JoinHandle<()>>,
}

/// What a run produced.
pub struct Outcome {
    pub calls: Vec<CallRecord>,
    pub violations: Vec<String>,
    pub trace: Vec<String>,
    /// Tokens the endpoint issued and a caller received.
    pub mints: u64,
    /// Versions committed during the run.
    pub versions: u64,
    /// Table requests of the whole run.
    pub requests: u64,
}

impl Outcome {
    pub fn served(&self) -> usize {
        self.calls
            .iter()
            .filter(|c| matches!(c.outcome, Some(Ok(_))))
            .count()
    }

    /// The failing run's story: the seed to replay it, what broke, and every event.
    pub fn report(&self, scenario: &Scenario) -> String {
        let mut out = format!(
            "scenario {} failed; replay with SEED={} make sim\n",
            scenario.name, scenario.seed
        );
        for v in &self.violations {
            let _ = writeln!(out, "  {v}");
        }
        let _ = writeln!(out, "trace:");
        for line in &self.trace {
            let _ = writeln!(out, "  {line}");
        }
        out
    }
}

/// The simulated user (one user: the token protocol is per user).
pub fn sim_user() -> UserId {
    UserId::parse("sim-user").unwrap_or_else(|| unreachable!("a valid id"))
}

/// Runs `scenario` on a fresh paused runtime and checks the invariants.
pub fn run(scenario: &Scenario) -> Outcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap_or_else(|e| panic!("a runtime: {e}"));
    runtime.block_on(run_on_paused_time(scenario))
}

async fn run_on_paused_time(scenario: &Scenario) -> Outcome {
    let world: Shared = Arc::default();
    let start = Instant::now();
    let clock = Stopwatch(start);
    let observed = Arc::new(Observed {
        table: MemoryTable::new(),
        world: world.clone(),
        clock,
    });
    let user = sim_user();
    seed_initial(scenario, &observed, &world, clock).await;

    let mut rng = fastrand::Rng::with_seed(scenario.seed);
    let mut processes: Vec<Process> = scenario
        .processes
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let table = Arc::new(FaultyTable::new(
                observed.clone(),
                scenario.table.clone(),
                rng.u64(..),
            ));
            let endpoint = SimEndpoint {
                process: i,
                faults: scenario.endpoint.clone(),
                rng: Mutex::new(fastrand::Rng::with_seed(rng.u64(..))),
                world: world.clone(),
                clock,
            };
            let manager = TokenManager::with_seed(
                table.clone(),
                endpoint,
                &scenario.settings,
                Arc::new(SimClock {
                    origin: start,
                    skew_ms: spec.skew,
                }),
                format!("p{i}"),
                rng.u64(..),
            );
            Process {
                manager: Arc::new(manager),
                table,
                tasks: Vec::new(),
            }
        })
        .collect();

    let calls: Arc<Mutex<Vec<CallRecord>>> = Arc::default();
    let mut events = scenario.events.clone();
    events.sort_by_key(|(at, _)| *at);
    for (at, event) in &events {
        tokio::time::sleep_until(start + *at).await;
        match event.clone() {
            Event::Call {
                process,
                deadline,
                data_call,
                cancel_after,
            } => {
                let Some(p) = processes.get_mut(process) else {
                    continue;
                };
                let handle = tokio::spawn(one_call(
                    p.manager.clone(),
                    user.clone(),
                    process,
                    deadline,
                    data_call,
                    cancel_after,
                    world.clone(),
                    clock,
                    calls.clone(),
                ));
                p.tasks.push(handle);
            }
            Event::Kill { process } => {
                if let Some(p) = processes.get_mut(process) {
                    p.table.kill();
                    for t in p.tasks.drain(..) {
                        t.abort();
                    }
                    lock(&world).killed.insert(process, clock.now());
                    trace(&world, clock, format!("p{process}: killed"));
                }
            }
            Event::RevokeAll => {
                lock(&world).revoked_before = Some(clock.now());
                trace(&world, clock, "Tarabut revokes every token issued so far");
            }
            Event::DeleteToken => {
                let key = Key::new(format!("USER#{}", user.as_str()), "TOKEN#tarabut");
                let _ = observed.table.delete(&key, None).await;
                lock(&world).deleted_at.push(clock.now());
                trace(&world, clock, "the token item is deleted (erasure)");
            }
        }
    }
    tokio::time::sleep(scenario.tail).await;
    for p in &mut processes {
        for t in p.tasks.drain(..) {
            let _ = t.await;
        }
    }

    let calls = calls.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let requests = processes
        .iter()
        .map(|p| p.table.stats.requests.load(Ordering::Relaxed))
        .sum();
    let mut w = lock(&world);
    let mut violations = std::mem::take(&mut w.violations);
    violations.extend(check(scenario, &w, &calls));
    Outcome {
        mints: w.issued.values().filter(|i| i.received).count() as u64,
        versions: w.committed.len() as u64,
        calls,
        violations,
        trace: std::mem::take(&mut w.trace),
        requests,
    }
}

async fn seed_initial(
    scenario: &Scenario,
    table: &Arc<Observed>,
    world: &Shared,
    clock: Stopwatch,
) {
    let key = Key::new(format!("USER#{}", sim_user().as_str()), "TOKEN#tarabut");
    let backoff = match scenario.initial {
        Initial::ExpiredBackingOff { until } => Some(ORIGIN + until),
        _ => None,
    };
    let (secret, issued, expires) = match scenario.initial {
        Initial::None => return,
        Initial::ExpiredBackingOff { .. } => (
            "expired".to_string(),
            ORIGIN - Duration::from_secs(7200),
            ORIGIN - Duration::from_secs(3600),
        ),
        Initial::Expired(ago) => (
            "expired".to_string(),
            ORIGIN - ago - Duration::from_secs(3600),
            ORIGIN - ago,
        ),
        Initial::Issued { age } => {
            let mut w = lock(world);
            w.next_seq += 1;
            let seq = w.next_seq;
            let secret = format!("tok-{seq}");
            let lifetime = scenario.endpoint.lifetime;
            // Issued before the run started: negative virtual times do not exist, so it is
            // recorded as issued at 0 and expiring `lifetime - age` later.
            w.issued.insert(
                secret.clone(),
                Issued {
                    seq,
                    process: usize::MAX,
                    at: Duration::ZERO,
                    expires: lifetime.saturating_sub(age),
                    received: true,
                },
            );
            (secret, ORIGIN - age, ORIGIN - age + lifetime)
        }
    };
    let mut item = key.item();
    item.set_s("access_token", secret.clone());
    item.set_time("expires_at", expires);
    item.set_time("refreshed_at", issued);
    item.set_n("version", 1);
    item.set_opt_time("backoff_until", backoff);
    let _ = table.table.put(item, None).await;
    let _ = clock;
    lock(world).committed.push((1, secret));
}

#[allow(clippy::too_many_arguments)]
async fn one_call(
    manager: Arc<TokenManager>,
    user: UserId,
    process: usize,
    deadline: Duration,
    data: bool,
    cancel_after: Option<Duration>,
    world: Shared,
    clock: Stopwatch,
    calls: Arc<Mutex<Vec<CallRecord>>>,
) {
    let requests = Arc::new(AtomicU64::new(0));
    let started = clock.now();
    let index = {
        let mut c = calls.lock().unwrap_or_else(|p| p.into_inner());
        c.push(CallRecord {
            process,
            data_call: data,
            started,
            ended: None,
            deadline,
            cancelled: false,
            outcome: None,
            requests: 0,
        });
        c.len() - 1
    };
    let until = Deadline::after(deadline);
    let work = {
        let (manager, user, world) = (manager.clone(), user.clone(), world.clone());
        async move {
            if data {
                let called = manager
                    .call(&user, until, |secret| {
                        let world = world.clone();
                        async move { data_call(&world, clock, &secret).map(|()| secret) }
                    })
                    .await;
                match called {
                    // The token the call used: the cache's newest after the call.
                    Ok(_) => manager
                        .access_token(&user, until)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(CallError::Tarabut(e)) => Err(e.to_string()),
                    Err(CallError::Token(e)) => Err(e.to_string()),
                }
            } else {
                manager
                    .access_token(&user, until)
                    .await
                    .map_err(|e: TokenError| e.to_string())
            }
        }
    };
    let counted = CALL_REQUESTS.scope(requests.clone(), work);
    let outcome = match cancel_after {
        Some(after) => tokio::time::timeout(after, counted).await.ok(),
        None => Some(counted.await),
    };
    let ended = clock.now();
    match &outcome {
        Some(Ok(t)) => trace(
            &world,
            clock,
            format!("p{process}: call from {started:?} served v{}", t.version),
        ),
        Some(Err(e)) => trace(
            &world,
            clock,
            format!("p{process}: call from {started:?} failed: {e}"),
        ),
        None => trace(
            &world,
            clock,
            format!("p{process}: call from {started:?} cancelled"),
        ),
    }
    let mut c = calls.lock().unwrap_or_else(|p| p.into_inner());
    let record = &mut c[index];
    record.ended = Some(ended);
    record.cancelled = outcome.is_none();
    record.outcome = outcome;
    record.requests = requests.load(Ordering::Relaxed);
}

/// The checks of docs/token-protocol.md, "Invariants".
fn check(s: &Scenario, w: &World, calls: &[CallRecord]) -> Vec<String> {
    let mut v = Vec::new();
    let max_skew = Duration::from_millis(
        s.processes
            .iter()
            .map(|p| p.skew.unsigned_abs())
            .max()
            .unwrap_or(0),
    );
    let max_one_way = s.table.latency.1;
    for c in calls {
        let Some(ended) = c.ended else { continue };
        // I4: every call returns by its deadline (plus a millisecond of bookkeeping).
        if !c.cancelled && ended > c.started + c.deadline + Duration::from_millis(1) {
            v.push(format!(
                "I4: p{} call from {:?} with deadline {:?} returned at {ended:?}",
                c.process, c.started, c.deadline
            ));
        }
        // I7: table requests per call stay bounded: 16, plus 3 per 25 ms spent waiting.
        let bound = 16 + 3 * (ended.saturating_sub(c.started).as_millis() as u64).div_ceil(25);
        if c.requests > bound {
            v.push(format!(
                "I7: p{} call from {:?} made {} table requests (bound {bound})",
                c.process, c.started, c.requests
            ));
        }
        // I2: what a caller is handed is a token Tarabut issued, not expired or below its
        // minimum validity (give or take the clocks' skew), and not invalidated before it was
        // read (give or take one answer's trip back).
        if let Some(Ok(t)) = &c.outcome {
            match w.issued.get(t.secret.expose()) {
                None => v.push(format!(
                    "I2: p{} was handed a token Tarabut never issued",
                    c.process
                )),
                Some(i) => {
                    let window = Window::of(s.endpoint.lifetime, &s.settings);
                    let floor = ended + window.min_validity.saturating_sub(max_skew * 2);
                    if i.expires <= floor {
                        v.push(format!(
                            "I2: p{} at {ended:?} was handed #{} expiring at {:?} (below the minimum validity)",
                            c.process, i.seq, i.expires
                        ));
                    }
                }
            }
            if !w
                .committed
                .iter()
                .any(|(v, s)| *v == t.version && s == t.secret.expose())
            {
                v.push(format!(
                    "I3: p{} was handed v{} but the table never held that token as v{}",
                    c.process, t.version, t.version
                ));
            }
            // Only what came from the table in this call: a warm cache serves without I/O and
            // learns of another process's invalidation from the 401 the token then earns.
            if let Some(at) = w.invalidated.get(t.secret.expose())
                && !c.data_call
                && c.requests > 0
                && *at + max_one_way + Duration::from_millis(1) < ended
                && w.committed
                    .iter()
                    .any(|(v, s)| *v == t.version && s == t.secret.expose())
            {
                v.push(format!(
                    "I2: p{} at {ended:?} was handed v{} invalidated at {at:?}",
                    c.process, t.version
                ));
            }
        }
    }
    // I5: a backoff is written only after the endpoint failed.
    if w.backoffs_written.len() as u64 > w.endpoint_failures {
        v.push(format!(
            "I5: {} backoffs written for {} endpoint failures",
            w.backoffs_written.len(),
            w.endpoint_failures
        ));
    }
    // I1: every token a process received was committed, unless that process died, a caller of
    // it ran out of time or was cancelled around then, or the item was deleted meanwhile.
    let committed: HashSet<&str> = w.committed.iter().map(|(_, s)| s.as_str()).collect();
    for (secret, i) in &w.issued {
        if !i.received || committed.contains(secret.as_str()) || i.process == usize::MAX {
            continue;
        }
        let lease = s.settings.lease;
        let around = |t: Duration| t + lease >= i.at && t <= i.at + lease * 2;
        let excused = w.killed.contains_key(&i.process)
            || w.deleted_at.iter().any(|d| around(*d))
            || calls.iter().any(|c| {
                c.process == i.process
                    && (c.cancelled || matches!(c.outcome, Some(Err(_))))
                    && c.ended.is_some_and(around)
            });
        if !excused {
            v.push(format!(
                "I1: p{} received #{} at {:?} and it was never committed (a second mint in its window)",
                i.process, i.seq, i.at
            ));
        }
    }
    v
}
