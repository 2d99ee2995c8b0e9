//! What a probe process prints: one JSON line, never the token itself.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReport {
    pub ok: bool,
    pub version: Option<i64>,
    /// First 16 hex digits of the token's SHA-256: equal tokens compare equal, nothing leaks.
    pub token_hash: Option<String>,
    /// From the start signal to having a token (or failing).
    pub elapsed_us: u64,
    /// Requests this process sent to DynamoDB.
    pub dynamo_requests: u64,
    pub error: Option<String>,
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Path of a sibling binary of the running executable (the bench finds the probe this way).
pub fn sibling_binary(name: &str) -> std::path::PathBuf {
    let me = std::env::current_exe().expect("current exe");
    let dir = me.parent().expect("exe dir");
    // Test executables live in target/<profile>/deps; binaries one level up.
    let dir = if dir.ends_with("deps") {
        dir.parent().expect("profile dir")
    } else {
        dir
    };
    dir.join(name)
}

type ProbeLines = tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>;

/// A set of probe processes released together.
pub struct Fleet {
    start_file: std::path::PathBuf,
    children: Vec<(tokio::process::Child, ProbeLines)>,
}

impl Fleet {
    /// Spawns `n` probes for `user` and waits until each has finished its cold start and is
    /// waiting for the start signal.
    pub async fn spawn(
        binary: &std::path::Path,
        n: usize,
        env: &std::collections::HashMap<String, String>,
        user: &str,
        baseline: bool,
        deadline_ms: u64,
    ) -> Fleet {
        use tokio::io::AsyncBufReadExt;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let start_file = std::env::temp_dir().join(format!(
            "token-probe-start-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_file(&start_file);
        let mut children = Vec::with_capacity(n);
        for _ in 0..n {
            let mut child = tokio::process::Command::new(binary)
                .args([
                    "--user",
                    user,
                    "--mode",
                    if baseline { "baseline" } else { "access" },
                ])
                .arg("--start-file")
                .arg(&start_file)
                .args(["--deadline-ms", &deadline_ms.to_string()])
                .envs(env)
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("spawning token-probe");
            let stdout = child.stdout.take().expect("probe stdout");
            children.push((child, tokio::io::BufReader::new(stdout).lines()));
        }
        for (_, lines) in &mut children {
            let first = lines
                .next_line()
                .await
                .expect("probe output")
                .unwrap_or_default();
            assert_eq!(first, "ready", "a probe failed to start");
        }
        Fleet {
            start_file,
            children,
        }
    }

    /// Releases every probe at once.
    pub fn start(&self) {
        std::fs::write(&self.start_file, b"go").expect("start file");
    }

    /// SIGKILLs probe `i`: it cannot release, commit or clean anything up.
    pub async fn kill(&mut self, i: usize) {
        self.children[i].0.kill().await.expect("kill probe");
    }

    /// Each probe's report (`None` for one that was killed or printed nothing).
    pub async fn reports(mut self) -> Vec<Option<ProbeReport>> {
        let mut out = Vec::new();
        for (mut child, mut lines) in self.children.drain(..) {
            let line = lines.next_line().await.ok().flatten();
            let _ = child.wait().await;
            out.push(line.and_then(|l| serde_json::from_str(&l).ok()));
        }
        out
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.start_file);
    }
}
