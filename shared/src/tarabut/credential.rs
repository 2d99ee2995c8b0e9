//! The client secret the token endpoint is called with, and its replacement after a rotation.
//!
//! A function that calls Tarabut reads the secret once at init (`secrets::with_tarabut_secret`)
//! and keeps it for its whole life. When the secret is rotated in Secrets Manager, a warm
//! function still holds the old value: Tarabut answers `invalid_client`, and the secret is
//! read again, once, and the mint retried with it (docs/architecture.md §7.1).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::secret::Secret;

/// Where a fresh copy of the client secret is read from (Secrets Manager in a function).
#[async_trait]
pub trait ClientSecretSource: Send + Sync {
    /// The secret's current value. The error names the secret, never its value.
    async fn fetch(&self) -> Result<Secret, String>;
}

/// Least time between two reads of the secret after a refusal: a secret that is simply wrong
/// makes every mint fail, and each must not cost a Secrets Manager call.
pub const REFETCH_COOLDOWN: Duration = Duration::from_secs(30);

/// The client secret shared by every clone of one [`super::TarabutClient`] (and so by the
/// token manager's copy): installed once at init, replaced after a rotation.
#[derive(Default)]
pub struct ClientCredential {
    state: RwLock<CredentialState>,
    /// One refetch at a time: concurrent refusals of the same old secret share one read.
    refetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct CredentialState {
    secret: Option<Secret>,
    source: Option<Arc<dyn ClientSecretSource>>,
    last_refetch: Option<Instant>,
}

impl ClientCredential {
    /// Sets the secret, and where to read it again when Tarabut refuses it (`None`: nowhere;
    /// tests and tools that are given the value).
    pub fn install(&self, secret: Secret, source: Option<Arc<dyn ClientSecretSource>>) {
        let mut state = self.write();
        state.secret = Some(secret);
        state.source = source;
        state.last_refetch = None;
    }

    /// The secret to mint with; `None` in a function that was given none (it does not call
    /// Tarabut: the template grants the secret only to those that do).
    pub fn current(&self) -> Option<Secret> {
        self.read().secret.clone()
    }

    /// After Tarabut refused `rejected`: another secret to try once, or `None` when there is
    /// none (no source, the same value came back, the read failed, or one was made within
    /// [`REFETCH_COOLDOWN`]).
    pub async fn replacement_for(&self, rejected: &Secret) -> Option<Secret> {
        let _one_at_a_time = self.refetching.lock().await;
        let source = {
            let state = self.read();
            match &state.secret {
                // Another task already read a new value while this one waited.
                Some(current) if current != rejected => return Some(current.clone()),
                _ => {}
            }
            if state
                .last_refetch
                .is_some_and(|at| at.elapsed() < REFETCH_COOLDOWN)
            {
                return None;
            }
            state.source.clone()?
        };
        self.write().last_refetch = Some(Instant::now());
        match source.fetch().await {
            Ok(fresh) if &fresh != rejected && !fresh.is_empty() => {
                tracing::info!("Tarabut refused the client secret; a new one was read");
                self.write().secret = Some(fresh.clone());
                Some(fresh)
            }
            Ok(_) => {
                tracing::error!(
                    "Tarabut refused the client secret, and the secret store holds the same value"
                );
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "reading the client secret again failed");
                None
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, CredentialState> {
        // A panic while holding the lock leaves a plain value behind: still usable.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, CredentialState> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Hands out the queued values in order and counts the reads.
    struct Queue {
        values: Mutex<Vec<Result<Secret, String>>>,
        reads: AtomicUsize,
    }

    impl Queue {
        fn new(values: Vec<Result<&str, &str>>) -> Arc<Queue> {
            Arc::new(Queue {
                values: Mutex::new(
                    values
                        .into_iter()
                        .rev()
                        .map(|v| v.map(Secret::new).map_err(str::to_string))
                        .collect(),
                ),
                reads: AtomicUsize::new(0),
            })
        }
    }

    #[async_trait]
    impl ClientSecretSource for Queue {
        async fn fetch(&self) -> Result<Secret, String> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.values
                .lock()
                .expect("queue")
                .pop()
                .unwrap_or(Err("empty".into()))
        }
    }

    fn credential(secret: &str, source: &Arc<Queue>) -> ClientCredential {
        let c = ClientCredential::default();
        c.install(Secret::new(secret), Some(source.clone()));
        c
    }

    #[tokio::test]
    async fn a_rotated_secret_replaces_the_refused_one() {
        let source = Queue::new(vec![Ok("new")]);
        let c = credential("old", &source);
        let fresh = c.replacement_for(&Secret::new("old")).await;
        assert_eq!(fresh, Some(Secret::new("new")));
        assert_eq!(c.current(), Some(Secret::new("new")));
        assert_eq!(source.reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_same_value_again_is_no_replacement_and_the_next_refusal_reads_nothing() {
        let source = Queue::new(vec![Ok("old"), Ok("new")]);
        let c = credential("old", &source);
        assert_eq!(c.replacement_for(&Secret::new("old")).await, None);
        assert_eq!(c.replacement_for(&Secret::new("old")).await, None);
        assert_eq!(source.reads.load(Ordering::SeqCst), 1, "cooldown");
        assert_eq!(c.current(), Some(Secret::new("old")));
    }

    #[tokio::test]
    async fn concurrent_refusals_share_one_read() {
        let source = Queue::new(vec![Ok("new"), Ok("newer")]);
        let c = Arc::new(credential("old", &source));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.replacement_for(&Secret::new("old")).await })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.expect("task"), Some(Secret::new("new")));
        }
        assert_eq!(source.reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_read_keeps_the_old_secret() {
        let source = Queue::new(vec![Err("AccessDenied")]);
        let c = credential("old", &source);
        assert_eq!(c.replacement_for(&Secret::new("old")).await, None);
        assert_eq!(c.current(), Some(Secret::new("old")));
    }

    #[tokio::test]
    async fn without_a_source_nothing_is_read() {
        let c = ClientCredential::default();
        assert_eq!(c.current(), None);
        c.install(Secret::new("given"), None);
        assert_eq!(c.replacement_for(&Secret::new("given")).await, None);
    }
}
