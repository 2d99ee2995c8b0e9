//! A table whose token reads and writes a test scripts: the one interleaving or double fault a
//! token-manager test needs, made deterministic on a real table. Reads can fail, the lease's
//! release can be slow or fail, and a rival's commit can land just before ours. Everything
//! else passes straight through.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::secret::Secret;
use crate::store::{Cond, Item, Key, Page, Query, StoreError, Table, Update, Value, Write};

pub struct ScriptedTokenTable {
    inner: Arc<dyn Table>,
    failing_reads: AtomicU32,
    reads: AtomicU32,
    failing_releases: AtomicU32,
    releases: AtomicU32,
    release_delay: Duration,
    rival_secret: Mutex<Option<Secret>>,
}

/// What a token-item update is, told by what it writes (docs/token-protocol.md steps 6–8).
#[derive(PartialEq)]
enum TokenWrite {
    Commit,
    Release,
    Other,
}

fn token_write(updates: &[Update]) -> TokenWrite {
    let sets = |name: &str| {
        updates
            .iter()
            .any(|u| matches!(u, Update::Set(n, _) if n == name))
    };
    let removes_lease = updates
        .iter()
        .any(|u| matches!(u, Update::Remove(n) if n == "lease_id"));
    match (sets("access_token"), removes_lease) {
        (true, _) => TokenWrite::Commit,
        (false, true) => TokenWrite::Release,
        (false, false) => TokenWrite::Other,
    }
}

fn refused() -> StoreError {
    StoreError::Backend("throttled (scripted by the test)".into())
}

/// Takes one from `counter` if it is not zero: whether this request is one of those scripted
/// to fail.
fn take_one(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl ScriptedTokenTable {
    /// Passes everything through until scripted otherwise.
    pub fn over(inner: Arc<dyn Table>) -> ScriptedTokenTable {
        ScriptedTokenTable {
            inner,
            failing_reads: AtomicU32::new(0),
            reads: AtomicU32::new(0),
            failing_releases: AtomicU32::new(0),
            releases: AtomicU32::new(0),
            release_delay: Duration::ZERO,
            rival_secret: Mutex::new(None),
        }
    }

    /// The next `n` reads fail, as a throttled read or a lost answer does after the SDK's own
    /// retries.
    pub fn failing_reads(self, n: u32) -> ScriptedTokenTable {
        self.failing_reads.store(n, Ordering::SeqCst);
        self
    }

    /// The next `n` lease releases fail without landing.
    pub fn failing_releases(self, n: u32) -> ScriptedTokenTable {
        self.failing_releases.store(n, Ordering::SeqCst);
        self
    }

    /// Every lease release takes `delay` before it is sent.
    pub fn slow_releases(mut self, delay: Duration) -> ScriptedTokenTable {
        self.release_delay = delay;
        self
    }

    /// Just before the next commit is sent, a rival that claimed the same version (it took
    /// the lease over) commits that version with `secret`: the commit then fails its fence.
    pub fn rival_commits_first(self, secret: Secret) -> ScriptedTokenTable {
        *self.rival_secret.lock().unwrap_or_else(|p| p.into_inner()) = Some(secret);
        self
    }

    /// Reads asked for so far, failed ones included.
    pub fn reads(&self) -> u32 {
        self.reads.load(Ordering::SeqCst)
    }

    /// Lease releases asked for so far, failed ones included.
    pub fn releases(&self) -> u32 {
        self.releases.load(Ordering::SeqCst)
    }

    /// The rival's commit: ours with its secret, made under its own lease (so unconditional
    /// here). The rival's lease has replaced ours, so ours is gone when our commit arrives.
    async fn rival_commit(&self, key: &Key, ours: &[Update]) -> Result<(), StoreError> {
        let rival = self
            .rival_secret
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some(secret) = rival else {
            return Ok(());
        };
        let theirs: Vec<Update> = ours
            .iter()
            .map(|u| match u {
                Update::Set(n, _) if n == "access_token" => {
                    Update::set(n, Value::S(secret.expose().to_string()))
                }
                other => other.clone(),
            })
            .collect();
        self.inner.update(key, &theirs, None).await
    }
}

#[async_trait]
impl Table for ScriptedTokenTable {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if take_one(&self.failing_reads) {
            return Err(refused());
        }
        self.inner.get(key, consistent).await
    }

    async fn put(&self, item: Item, cond: Option<&Cond>) -> Result<(), StoreError> {
        self.inner.put(item, cond).await
    }

    async fn update(
        &self,
        key: &Key,
        updates: &[Update],
        cond: Option<&Cond>,
    ) -> Result<(), StoreError> {
        match token_write(updates) {
            TokenWrite::Commit => self.rival_commit(key, updates).await?,
            TokenWrite::Release => {
                self.releases.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(self.release_delay).await;
                if take_one(&self.failing_releases) {
                    return Err(refused());
                }
            }
            TokenWrite::Other => {}
        }
        self.inner.update(key, updates, cond).await
    }

    async fn delete(&self, key: &Key, cond: Option<&Cond>) -> Result<(), StoreError> {
        self.inner.delete(key, cond).await
    }

    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        self.inner.query(query).await
    }

    async fn query_page(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query_page(query).await
    }

    async fn batch_write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.inner.batch_write(writes).await
    }
}
