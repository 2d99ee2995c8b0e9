//! A table that fails the way DynamoDB fails, around any [`Table`] (the in-memory one in the
//! simulation, dynalite in a test): request latency, throttling, transient 5xx, lost answers
//! to reads, and ambiguous writes (applied, then the answer lost: the SDK's retry then sees
//! its own write, so a conditional retry fails its condition, or it gives up with an error).
//! Deterministic from a seed; every decision draws from one generator in request order.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use crate::store::{Cond, Item, Key, Page, Query, StoreError, Table, Update, Write};

tokio::task_local! {
    /// Table requests made by the call running in this task (the simulation's I7).
    pub(crate) static CALL_REQUESTS: std::sync::Arc<AtomicU64>;
}

/// Requests one call may make before the table refuses it (see `arrive`).
const REQUEST_STORM: u64 = 10_000;

/// Fault rates are probabilities per request, in `[0, 1]`.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// One-way latency, drawn uniformly from this range for the request and for its answer.
    pub latency: (Duration, Duration),
    /// Refused before it is applied (`ProvisionedThroughputExceeded` after the SDK's retries).
    pub throttle: f64,
    /// A 5xx before it is applied.
    pub server_error: f64,
    /// A write applied whose answer is lost.
    pub ambiguous_write: f64,
    /// Of those, the share the SDK retries (the caller sees the retry's answer, usually a
    /// failed condition against its own write); the rest time out (an error).
    pub ambiguous_retried: f64,
    /// A read served whose answer is lost.
    pub lost_read: f64,
}

/// What the table saw, for invariant checks and reports.
#[derive(Debug, Default)]
pub struct TableStats {
    pub requests: AtomicU64,
    pub throttled: AtomicU64,
    pub server_errors: AtomicU64,
    pub ambiguous_writes: AtomicU64,
    pub lost_reads: AtomicU64,
}

pub struct FaultyTable<T: Table> {
    inner: T,
    faults: Faults,
    rng: Mutex<fastrand::Rng>,
    /// A killed process sends nothing more: every request fails without reaching the table.
    dead: AtomicBool,
    pub stats: TableStats,
}

impl<T: Table> FaultyTable<T> {
    pub fn new(inner: T, faults: Faults, seed: u64) -> FaultyTable<T> {
        FaultyTable {
            inner,
            faults,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            dead: AtomicBool::new(false),
            stats: TableStats::default(),
        }
    }

    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The process is gone (SIGKILL): nothing it sends from now on arrives.
    pub fn kill(&self) {
        self.dead.store(true, Ordering::SeqCst);
    }

    fn draw(&self) -> f64 {
        self.rng.lock().unwrap_or_else(|p| p.into_inner()).f64()
    }

    fn one_way(&self) -> Duration {
        let (lo, hi) = self.faults.latency;
        if hi <= lo {
            return lo;
        }
        let ms = self
            .rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .u64(lo.as_millis() as u64..=hi.as_millis() as u64);
        Duration::from_millis(ms)
    }

    /// The request's way there, and whether it is refused before being applied.
    async fn arrive(&self) -> Result<(), StoreError> {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let in_call = CALL_REQUESTS
            .try_with(|c| c.fetch_add(1, Ordering::Relaxed))
            .unwrap_or(0);
        if in_call > REQUEST_STORM {
            // A caller spinning without waiting would never let virtual time move: stop it
            // so the run ends and the check reports it.
            return Err(StoreError::Backend(
                "request storm: the caller is spinning".into(),
            ));
        }
        if self.dead.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("the process is dead".into()));
        }
        tokio::time::sleep(self.one_way()).await;
        if self.dead.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("the process is dead".into()));
        }
        if self.draw() < self.faults.throttle {
            self.stats.throttled.fetch_add(1, Ordering::Relaxed);
            return Err(StoreError::Backend(
                "ProvisionedThroughputExceededException (throttled)".into(),
            ));
        }
        if self.draw() < self.faults.server_error {
            self.stats.server_errors.fetch_add(1, Ordering::Relaxed);
            return Err(StoreError::Backend("InternalServerError (500)".into()));
        }
        Ok(())
    }

    async fn answer<R>(&self, r: Result<R, StoreError>) -> Result<R, StoreError> {
        tokio::time::sleep(self.one_way()).await;
        r
    }

    /// A write: applied; then, if its answer is lost, the SDK's retry is what the caller sees.
    async fn write<F, Fut>(&self, apply: F) -> Result<(), StoreError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<(), StoreError>>,
    {
        self.arrive().await?;
        let first = apply().await;
        if first.is_ok() && self.draw() < self.faults.ambiguous_write {
            self.stats.ambiguous_writes.fetch_add(1, Ordering::Relaxed);
            if self.draw() < self.faults.ambiguous_retried {
                // The retry runs against the state the first attempt left.
                tokio::time::sleep(self.one_way() + self.one_way()).await;
                let retried = apply().await;
                return self.answer(retried).await;
            }
            return self
                .answer(Err(StoreError::Backend(
                    "request timed out after it was sent (applied or not: unknown)".into(),
                )))
                .await;
        }
        self.answer(first).await
    }
}

#[async_trait]
impl<T: Table> Table for FaultyTable<T> {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.arrive().await?;
        let read = self.inner.get(key, consistent).await;
        if read.is_ok() && self.draw() < self.faults.lost_read {
            self.stats.lost_reads.fetch_add(1, Ordering::Relaxed);
            return self
                .answer(Err(StoreError::Backend("the answer was lost".into())))
                .await;
        }
        self.answer(read).await
    }

    async fn put(&self, item: Item, cond: Option<&Cond>) -> Result<(), StoreError> {
        self.write(|| self.inner.put(item.clone(), cond)).await
    }

    async fn update(
        &self,
        key: &Key,
        updates: &[Update],
        cond: Option<&Cond>,
    ) -> Result<(), StoreError> {
        self.write(|| self.inner.update(key, updates, cond)).await
    }

    async fn delete(&self, key: &Key, cond: Option<&Cond>) -> Result<(), StoreError> {
        self.write(|| self.inner.delete(key, cond)).await
    }

    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        self.arrive().await?;
        let read = self.inner.query(query).await;
        self.answer(read).await
    }

    async fn query_page(&self, query: &Query) -> Result<Page, StoreError> {
        self.arrive().await?;
        let read = self.inner.query_page(query).await;
        self.answer(read).await
    }

    async fn batch_write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.write(|| self.inner.batch_write(writes.clone())).await
    }
}
