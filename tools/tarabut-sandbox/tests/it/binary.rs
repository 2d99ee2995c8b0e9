//! The `tarabut-sandbox` binary announces its URL on the first stdout line.

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn binary_prints_its_url_first_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tarabut-sandbox"))
        .args([
            "--port",
            "0",
            "--today",
            "2025-06-30",
            "--redirect-url",
            "http://127.0.0.1:1/cb",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await.unwrap();
    let url = line
        .trim_end()
        .strip_prefix("tarabut-sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert!(url.starts_with("http://127.0.0.1:"));
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0);
    let health = reqwest::get(format!("{url}/_sandbox/health"))
        .await
        .unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    let config: serde_json::Value = reqwest::get(format!("{url}/_sandbox/config"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["today"], "2025-06-30");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn binary_rejects_bad_flags() {
    let output = Command::new(env!("CARGO_BIN_EXE_tarabut-sandbox"))
        .args(["--page-size", "0"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}
