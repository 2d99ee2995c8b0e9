//! A test function for `invoke`'s own tests: echoes its event, with a few commands.
//!
//! Event commands: `{"fail": true}` returns an `EchoFailure` error, `{"panic": true}` panics
//! in the handler, `{"sleep_ms": N}` sleeps first, `{"exit": N}` ends the process with code N,
//! `{"env": ["VAR", ...]}` answers those variables' values, `{"big": N}` answers a string of N
//! bytes.
//!
//! `ECHO_INIT` sets the init behaviour: `panic`, `exit:<code>`, `report` (posts
//! `/runtime/init/error` as a runtime would, then exits 1) or `hang`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

static INVOCATIONS: AtomicU64 = AtomicU64::new(0);

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    match std::env::var("ECHO_INIT").as_deref() {
        Ok("panic") => panic!("echo: told to panic during init"),
        Ok("report") => report_init_error(),
        Ok("hang") => std::future::pending::<()>().await,
        Ok(mode) if mode.starts_with("exit:") => {
            eprintln!("echo: told to exit during init");
            std::process::exit(mode["exit:".len()..].parse().unwrap_or(1));
        }
        _ => {}
    }
    lambda_runtime::run(service_fn(handle)).await
}

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let invocation = INVOCATIONS.fetch_add(1, Ordering::SeqCst) + 1;
    let payload = event.payload;
    println!(
        "echo: invocation {invocation} ({})",
        event.context.request_id
    );

    if let Some(ms) = payload.get("sleep_ms").and_then(Value::as_u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(code) = payload.get("exit").and_then(Value::as_i64) {
        std::process::exit(i32::try_from(code).unwrap_or(1));
    }
    if payload.get("panic") == Some(&Value::Bool(true)) {
        panic!("echo: told to panic");
    }
    if payload.get("fail") == Some(&Value::Bool(true)) {
        return Err(Diagnostic {
            error_type: "EchoFailure".to_string(),
            error_message: "the event asked to fail".to_string(),
        });
    }
    if let Some(size) = payload.get("big").and_then(Value::as_u64) {
        return Ok(Value::String(
            "x".repeat(usize::try_from(size).unwrap_or(0)),
        ));
    }
    if let Some(names) = payload.get("env").and_then(Value::as_array) {
        let values: serde_json::Map<String, Value> = names
            .iter()
            .filter_map(Value::as_str)
            .map(|name| {
                let value = std::env::var(name).map_or(Value::Null, Value::String);
                (name.to_string(), value)
            })
            .collect();
        return Ok(json!({"env": values}));
    }
    Ok(json!({
        "echo": payload,
        "invocation": invocation,
        "pid": std::process::id(),
        "requestId": event.context.request_id,
        "functionArn": event.context.invoked_function_arn,
        "deadlineMs": event.context.deadline,
        "traceId": event.context.xray_trace_id,
    }))
}

/// Posts to `/runtime/init/error` by hand: `lambda_runtime` itself only does so for SnapStart.
fn report_init_error() -> ! {
    use std::io::{Read, Write};
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_default();
    let body = r#"{"errorType":"EchoInitFailure","errorMessage":"told to report an init error"}"#;
    let request = format!(
        "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {api}\r\n\
         Lambda-Runtime-Function-Error-Type: Runtime.InitError\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Ok(mut stream) = std::net::TcpStream::connect(&api) {
        let _ = stream.write_all(request.as_bytes());
        let _ = stream.read_to_end(&mut Vec::new());
    }
    std::process::exit(1);
}
