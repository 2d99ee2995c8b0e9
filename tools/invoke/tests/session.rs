//! The library against real `lambda_runtime` / `lambda_http` binaries (the crate's examples).

mod support;

use std::io::{Read, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use invoke::{InvokeError, Outcome, PAYLOAD_LIMIT, Session, StartOptions, load_env_file};
use serde_json::{Value, json};
use support::{ECHO, HTTP_HELLO, captured, fixture, spec};

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn response(outcome: &Outcome) -> &Value {
    outcome
        .response()
        .unwrap_or_else(|| panic!("expected a response, got {outcome:?}"))
}

#[tokio::test]
async fn answers_an_event_with_the_functions_response() {
    let timeout = Duration::from_secs(30);
    let mut session = Session::start(spec(ECHO).function_name("echo-fn").timeout(timeout))
        .await
        .unwrap();
    assert!(session.runtime_api_addr().ip().is_loopback());

    let before_ms = epoch_ms();
    let invocation = session.invoke(json!({"hello": "world"})).await.unwrap();
    let after_ms = epoch_ms();

    let body = response(&invocation.outcome);
    assert_eq!(body["echo"], json!({"hello": "world"}));
    assert_eq!(body["requestId"], invocation.request_id);
    assert_eq!(
        body["functionArn"],
        "arn:aws:lambda:us-east-1:123456789012:function:echo-fn"
    );
    assert!(body["traceId"].as_str().unwrap().starts_with("Root=1-"));
    // The deadline is the queueing time plus the function timeout.
    let deadline = body["deadlineMs"].as_u64().unwrap();
    let timeout_ms = timeout.as_millis() as u64;
    assert!(
        (before_ms + timeout_ms..=after_ms + timeout_ms).contains(&deadline),
        "{deadline}"
    );
    // Measured, not judged: the first invocation carries the cold start.
    assert_eq!(invocation.cold_start, session.cold_start());
    assert!(session.cold_start().unwrap() >= session.init_duration());
    session.shutdown().await;
}

#[tokio::test]
async fn keeps_the_process_warm_between_invocations() {
    let mut session = Session::start_with(spec(ECHO), captured().0).await.unwrap();
    let first = session.invoke(json!({"n": 1})).await.unwrap();
    let second = session.invoke(json!({"n": 2})).await.unwrap();

    let (first_body, second_body) = (response(&first.outcome), response(&second.outcome));
    assert_eq!(first_body["invocation"], 1);
    assert_eq!(second_body["invocation"], 2);
    assert_eq!(first_body["pid"], second_body["pid"]);
    assert_eq!(second_body["echo"], json!({"n": 2}));
    assert_ne!(first.request_id, second.request_id);
    assert!(first.cold_start.is_some());
    assert_eq!(second.cold_start, None);
    session.shutdown().await;
}

#[tokio::test]
async fn reports_a_function_error_with_its_type_and_stays_warm() {
    let mut session = Session::start_with(spec(ECHO), captured().0).await.unwrap();
    let failed = session.invoke(json!({"fail": true})).await.unwrap();
    assert_eq!(
        failed.outcome,
        Outcome::FunctionError {
            error_type: "EchoFailure".to_string(),
            error_message: "the event asked to fail".to_string(),
        }
    );
    assert_eq!(
        failed.outcome.to_payload(),
        json!({"errorType": "EchoFailure", "errorMessage": "the event asked to fail"})
    );

    let after = session.invoke(json!({"ok": true})).await.unwrap();
    assert_eq!(response(&after.outcome)["invocation"], 2);
    session.shutdown().await;
}

#[tokio::test]
async fn a_handler_panic_is_a_function_error() {
    let (options, output) = captured();
    let mut session = Session::start_with(spec(ECHO), options).await.unwrap();
    let panicked = session.invoke(json!({"panic": true})).await.unwrap();
    match &panicked.outcome {
        Outcome::FunctionError { error_message, .. } => {
            assert!(error_message.contains("told to panic"), "{error_message}")
        }
        other => panic!("expected a function error, got {other:?}"),
    }
    assert!(session.is_running());
    session.shutdown().await;
    assert!(output.stdout().contains("echo: invocation 1"));
}

#[tokio::test]
async fn a_process_exiting_during_init_is_an_init_error_with_its_exit_code() {
    let (options, output) = captured();
    let result = Session::start_with(spec(ECHO).env("ECHO_INIT", "exit:3"), options).await;
    match result {
        Err(InvokeError::InitError {
            error_type,
            exit_code,
            message,
        }) => {
            assert_eq!(error_type, "Runtime.ExitError");
            assert_eq!(exit_code, Some(3));
            assert!(message.contains("exit status 3"), "{message}");
        }
        other => panic!("expected an init error, got {:?}", other.err()),
    }
    assert!(output.stderr().contains("told to exit during init"));
}

#[tokio::test]
async fn a_panic_during_init_is_an_init_error() {
    let (options, output) = captured();
    let result = Session::start_with(spec(ECHO).env("ECHO_INIT", "panic"), options).await;
    assert!(
        matches!(
            result,
            Err(InvokeError::InitError {
                exit_code: Some(101),
                ..
            })
        ),
        "{:?}",
        result.err()
    );
    assert!(output.stderr().contains("told to panic during init"));
}

#[tokio::test]
async fn a_reported_init_error_keeps_its_type_and_message() {
    let (options, _output) = captured();
    let result = Session::start_with(spec(ECHO).env("ECHO_INIT", "report"), options).await;
    match result {
        Err(InvokeError::InitError {
            error_type,
            message,
            exit_code,
        }) => {
            assert_eq!(error_type, "EchoInitFailure");
            assert_eq!(message, "told to report an init error");
            assert_eq!(exit_code, Some(1));
        }
        other => panic!("expected an init error, got {:?}", other.err()),
    }
}

#[tokio::test]
async fn an_init_that_never_finishes_times_out() {
    let options = StartOptions {
        init_timeout: Duration::from_millis(300),
        ..captured().0
    };
    let result = Session::start_with(spec(ECHO).env("ECHO_INIT", "hang"), options).await;
    assert!(
        matches!(result, Err(InvokeError::InitTimeout)),
        "{:?}",
        result.err()
    );
}

#[tokio::test]
async fn a_process_exiting_during_an_invocation_ends_the_session() {
    let (options, _output) = captured();
    let mut session = Session::start_with(spec(ECHO), options).await.unwrap();
    let result = session.invoke(json!({"exit": 7})).await;
    assert!(
        matches!(
            result,
            Err(InvokeError::ProcessExited { code: Some(7), .. })
        ),
        "{:?}",
        result.err()
    );
    assert!(!session.is_running());
    let again = session.invoke(json!({})).await;
    assert!(matches!(again, Err(InvokeError::NotRunning)), "{again:?}");
}

#[tokio::test]
async fn an_invocation_over_the_timeout_is_a_timeout_and_kills_the_process() {
    let (options, _output) = captured();
    let mut session = Session::start_with(spec(ECHO).timeout(Duration::from_millis(300)), options)
        .await
        .unwrap();
    let pid = session.pid().unwrap();
    let result = session.invoke(json!({"sleep_ms": 30_000})).await;
    assert!(
        matches!(result, Err(InvokeError::Timeout)),
        "{:?}",
        result.err()
    );
    assert!(!session.is_running());
    assert!(!process_exists(pid));
    let again = session.invoke(json!({})).await;
    assert!(matches!(again, Err(InvokeError::NotRunning)), "{again:?}");
}

#[tokio::test]
async fn the_function_sees_lambda_variables_the_env_file_and_overrides() {
    let env_file_vars = load_env_file(fixture("env.json"), "EchoFunction").unwrap();
    let spec = spec(ECHO)
        .function_name("my-echo")
        .memory_mb(256)
        .envs(env_file_vars)
        .env("LOG_LEVEL", "trace")
        .env("EXTRA", "explicit");
    let mut session = Session::start_with(spec, captured().0).await.unwrap();
    let names = [
        "TABLE_NAME",
        "LOG_LEVEL",
        "SYNC_CONCURRENCY",
        "ONLY_ECHO",
        "ONLY_OTHER",
        "EXTRA",
        "PATH",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_RUNTIME_API",
        "_HANDLER",
        "TZ",
    ];
    let invocation = session.invoke(json!({"env": names})).await.unwrap();
    let env = &response(&invocation.outcome)["env"];

    // Parameters apply, the function's block wins over them, explicit values win over both,
    // another function's block does not apply.
    assert_eq!(env["TABLE_NAME"], "local-table");
    assert_eq!(env["SYNC_CONCURRENCY"], "4");
    assert_eq!(env["ONLY_ECHO"], "yes");
    assert_eq!(env["LOG_LEVEL"], "trace");
    assert_eq!(env["EXTRA"], "explicit");
    assert_eq!(env["ONLY_OTHER"], Value::Null);
    // The parent's environment is inherited.
    assert_eq!(env["PATH"], std::env::var("PATH").unwrap());
    // What the runtime needs.
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "my-echo");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/my-echo");
    assert_eq!(
        env["AWS_LAMBDA_RUNTIME_API"],
        session.runtime_api_addr().to_string()
    );
    assert_eq!(env["_HANDLER"], "bootstrap");
    assert_eq!(env["TZ"], ":UTC");
    session.shutdown().await;
}

#[tokio::test]
async fn a_lambda_http_function_answers_an_api_gateway_v2_event() {
    let event: Value =
        serde_json::from_slice(&std::fs::read(fixture("apigw-v2-hello.json")).unwrap()).unwrap();
    let mut session = Session::start_with(spec(HTTP_HELLO), captured().0)
        .await
        .unwrap();
    let invocation = session.invoke(event).await.unwrap();
    let answer = response(&invocation.outcome);
    assert_eq!(answer["statusCode"], 200);
    assert_eq!(answer["headers"]["content-type"], "application/json");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"greeting": "hello, Layla", "method": "GET", "path": "/hello", "sub": "user-123"})
    );
    session.shutdown().await;
}

#[tokio::test]
async fn payloads_over_lambdas_limit_are_refused_both_ways() {
    let mut session = Session::start_with(spec(ECHO), captured().0).await.unwrap();
    let too_big = json!({"padding": "x".repeat(PAYLOAD_LIMIT)});
    let refused = session.invoke(too_big).await;
    assert!(
        matches!(refused, Err(InvokeError::PayloadTooLarge { .. })),
        "{:?}",
        refused.err()
    );

    let big_answer = session
        .invoke(json!({"big": PAYLOAD_LIMIT + 1}))
        .await
        .unwrap();
    assert!(
        matches!(
            &big_answer.outcome,
            Outcome::FunctionError { error_type, .. } if error_type == "Function.ResponseSizeTooLarge"
        ),
        "{:?}",
        big_answer.outcome
    );
    // As in Lambda, the environment stays usable.
    let after = session.invoke(json!({"ok": true})).await.unwrap();
    assert_eq!(response(&after.outcome)["echo"], json!({"ok": true}));
    session.shutdown().await;
}

#[tokio::test]
async fn results_for_unknown_request_ids_are_refused() {
    let session = Session::start_with(spec(ECHO), captured().0).await.unwrap();
    let addr = session.runtime_api_addr();
    let status = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let body = "{}";
        write!(
            stream,
            "POST /2018-06-01/runtime/invocation/not-a-request/response HTTP/1.1\r\n\
             Host: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        reply.lines().next().unwrap_or_default().to_string()
    })
    .await
    .unwrap();
    assert!(status.contains(" 400 "), "{status}");
    session.shutdown().await;
}

#[tokio::test]
async fn shutdown_and_drop_end_the_process() {
    let session = Session::start_with(spec(ECHO), captured().0).await.unwrap();
    let pid = session.pid().unwrap();
    assert!(process_exists(pid));
    session.shutdown().await;
    assert!(!process_exists(pid));

    let dropped = Session::start_with(spec(ECHO), captured().0).await.unwrap();
    let pid = dropped.pid().unwrap();
    drop(dropped);
    // Dropping only signals the kill; reaping happens on the runtime. Poll until it has.
    for _ in 0..500 {
        if !process_exists(pid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("process {pid} still exists after its session was dropped");
}

/// Whether a process (not a zombie) with this pid exists.
fn process_exists(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name; Z is a zombie.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}
