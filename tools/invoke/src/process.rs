//! The function's child process: spawning, output, exit, killing.

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::InvokeError;
use crate::output::{CapturedOutput, OutputMode, Stream};

/// How long to wait for a killed process to be reaped, or for captured output to drain.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2);

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExitInfo {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

impl From<ExitStatus> for ExitInfo {
    fn from(status: ExitStatus) -> Self {
        #[cfg(unix)]
        let signal = std::os::unix::process::ExitStatusExt::signal(&status);
        #[cfg(not(unix))]
        let signal = None;
        ExitInfo {
            code: status.code(),
            signal,
        }
    }
}

/// A running function process. Dropping it kills the process.
pub(crate) struct FunctionProcess {
    pub spawned_at: Instant,
    pub pid: Option<u32>,
    exit: watch::Receiver<Option<ExitInfo>>,
    /// Sending, or dropping it, kills the process.
    kill: Option<oneshot::Sender<()>>,
    readers: Vec<JoinHandle<()>>,
}

impl FunctionProcess {
    pub(crate) fn spawn(
        binary: &Path,
        args: &[String],
        vars: &[(String, String)],
        output: &OutputMode,
    ) -> Result<Self, InvokeError> {
        let mut command = Command::new(binary);
        command
            .args(args)
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        match output {
            OutputMode::Inherit => {
                command.stdout(Stdio::inherit()).stderr(Stdio::inherit());
            }
            OutputMode::Stderr => {
                command
                    .stdout(Stdio::from(std::io::stderr()))
                    .stderr(Stdio::inherit());
            }
            OutputMode::Capture(_) => {
                command.stdout(Stdio::piped()).stderr(Stdio::piped());
            }
            OutputMode::Discard => {
                command.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }

        let spawned_at = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|e| InvokeError::io(format!("starting {}", binary.display()), e))?;
        let pid = child.id();

        let mut readers = Vec::new();
        if let OutputMode::Capture(captured) = output {
            if let Some(stdout) = child.stdout.take() {
                readers.push(spawn_reader(stdout, captured.clone(), Stream::Stdout));
            }
            if let Some(stderr) = child.stderr.take() {
                readers.push(spawn_reader(stderr, captured.clone(), Stream::Stderr));
            }
        }

        let (exit_tx, exit_rx) = watch::channel(None);
        let (kill_tx, kill_rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let status = tokio::select! {
                status = child.wait() => status,
                // A kill request or a dropped handle: either way the process must end.
                _ = kill_rx => {
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            let info = status.map_or(
                ExitInfo {
                    code: None,
                    signal: None,
                },
                ExitInfo::from,
            );
            let _ = exit_tx.send(Some(info));
        });

        Ok(FunctionProcess {
            spawned_at,
            pid,
            exit: exit_rx,
            kill: Some(kill_tx),
            readers,
        })
    }

    /// How the process ended, if it has.
    pub(crate) fn exited(&self) -> Option<ExitInfo> {
        *self.exit.borrow()
    }

    /// Waits until the process has ended. Cancel-safe.
    pub(crate) async fn wait_exit(&mut self) -> ExitInfo {
        match self.exit.wait_for(Option::is_some).await {
            Ok(info) => info.unwrap_or(UNKNOWN_EXIT),
            // The watcher task is gone (its runtime is shutting down): the process is killed.
            Err(_) => UNKNOWN_EXIT,
        }
    }

    /// Waits up to `limit` for the process to end on its own.
    pub(crate) async fn wait_exit_for(&mut self, limit: Duration) -> Option<ExitInfo> {
        tokio::time::timeout(limit, self.wait_exit()).await.ok()
    }

    /// Kills the process (if still running) and waits for it to be reaped.
    pub(crate) async fn kill(&mut self) -> Option<ExitInfo> {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        self.wait_exit_for(SETTLE_TIMEOUT).await
    }

    /// Waits (briefly) until captured output has been read to its end, so that what the
    /// process wrote before ending is in the buffers. Call after the process ended.
    pub(crate) async fn drain_output(&mut self) {
        for reader in self.readers.drain(..) {
            // A grandchild holding the pipe open must not hang us.
            let _ = tokio::time::timeout(SETTLE_TIMEOUT, reader).await;
        }
    }
}

const UNKNOWN_EXIT: ExitInfo = ExitInfo {
    code: None,
    signal: None,
};

fn spawn_reader(
    mut source: impl AsyncRead + Unpin + Send + 'static,
    captured: CapturedOutput,
    stream: Stream,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut chunk = vec![0u8; 8192];
        loop {
            match source.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => captured.append(stream, &chunk[..n]),
            }
        }
    })
}
