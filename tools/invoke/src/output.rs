//! Where the function process's stdout and stderr go.

use std::sync::{Arc, Mutex, PoisonError};

/// Where the child's stdout and stderr go.
#[derive(Debug, Clone, Default)]
pub enum OutputMode {
    /// Both streams go to this process's own stdout and stderr.
    #[default]
    Inherit,
    /// Both streams go to this process's stderr, keeping its stdout for results (what the CLI
    /// does, like `sam local invoke`).
    Stderr,
    /// Both streams are collected into the given buffers, readable while the function runs
    /// and after it ended (also after a failed start).
    Capture(CapturedOutput),
    /// Both streams are dropped.
    Discard,
}

/// A cheap-to-clone handle on the captured stdout and stderr of a function process.
///
/// Create it before [`Session::start`](crate::Session::start) and keep a clone: the output of
/// a function that fails during init is then still readable. Text arrives asynchronously; it is
/// complete once the session has ended (an error, or [`Session::shutdown`](crate::Session::shutdown)).
#[derive(Debug, Clone, Default)]
pub struct CapturedOutput {
    buffers: Arc<Mutex<Buffers>>,
}

#[derive(Debug, Default)]
struct Buffers {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Which of the child's streams a chunk came from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

impl CapturedOutput {
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything the function wrote to stdout so far (lossy UTF-8).
    pub fn stdout(&self) -> String {
        self.with_buffers(|b| String::from_utf8_lossy(&b.stdout).into_owned())
    }

    /// Everything the function wrote to stderr so far (lossy UTF-8).
    pub fn stderr(&self) -> String {
        self.with_buffers(|b| String::from_utf8_lossy(&b.stderr).into_owned())
    }

    /// Returns and clears both buffers, e.g. to look at one invocation's logs at a time.
    pub fn take(&self) -> (String, String) {
        self.with_buffers(|b| {
            let stdout = String::from_utf8_lossy(&std::mem::take(&mut b.stdout)).into_owned();
            let stderr = String::from_utf8_lossy(&std::mem::take(&mut b.stderr)).into_owned();
            (stdout, stderr)
        })
    }

    pub(crate) fn append(&self, stream: Stream, chunk: &[u8]) {
        self.with_buffers(|b| match stream {
            Stream::Stdout => b.stdout.extend_from_slice(chunk),
            Stream::Stderr => b.stderr.extend_from_slice(chunk),
        })
    }

    fn with_buffers<T>(&self, f: impl FnOnce(&mut Buffers) -> T) -> T {
        // A panic while appending leaves plain bytes behind: still worth reading.
        let mut buffers = self.buffers.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut buffers)
    }
}
