//! One running function process and its Runtime API.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use serde_json::{Value, json};
use tokio::time::sleep_until;

use crate::error::InvokeError;
use crate::lambda_env::lambda_environment;
use crate::output::OutputMode;
use crate::process::{ExitInfo, FunctionProcess};
use crate::rie::{self, RieAddresses, RieAnswer, Runner};
use crate::runtime_api::{self, PAYLOAD_LIMIT, QueuedEvent, RuntimeApi, RuntimeEvent};
use crate::spec::{DEFAULT_INIT_TIMEOUT, FunctionSpec};

/// How long a process that posted `/init/error` gets to exit by itself (for its exit code).
const INIT_ERROR_EXIT_GRACE: Duration = Duration::from_secs(2);

/// How a session runs its process, beyond what Lambda configures.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Where the child's stdout and stderr go (default: inherited).
    pub output: OutputMode,
    /// How long the process may take to ask for its first event (default: Lambda's 10 s).
    pub init_timeout: Duration,
    /// What hosts the function: this crate's Runtime API (default) or AWS's emulator.
    pub runner: Runner,
}

impl Default for StartOptions {
    fn default() -> Self {
        StartOptions {
            output: OutputMode::default(),
            init_timeout: DEFAULT_INIT_TIMEOUT,
            runner: Runner::default(),
        }
    }
}

/// The result of one invocation that the function answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub request_id: String,
    pub outcome: Outcome,
    /// From queueing the event to receiving the result.
    pub elapsed: Duration,
    /// On the session's first invocation only: [`Session::cold_start`].
    pub cold_start: Option<Duration>,
}

/// What the function answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The response payload. A body that is not JSON arrives as a JSON string.
    Response(Value),
    /// The function reported an error (`/invocation/{id}/error`, a panic caught by the
    /// runtime, or a response over Lambda's payload limit: `Function.ResponseSizeTooLarge`).
    FunctionError {
        error_type: String,
        error_message: String,
    },
}

impl Outcome {
    pub fn response(&self) -> Option<&Value> {
        match self {
            Outcome::Response(value) => Some(value),
            Outcome::FunctionError { .. } => None,
        }
    }

    /// The payload Lambda's Invoke API would return: the response, or
    /// `{"errorType", "errorMessage"}`.
    pub fn to_payload(&self) -> Value {
        match self {
            Outcome::Response(value) => value.clone(),
            Outcome::FunctionError {
                error_type,
                error_message,
            } => json!({"errorType": error_type, "errorMessage": error_message}),
        }
    }
}

/// One running function process and the Runtime API it polls. Invocations run one at a
/// time, as in one Lambda execution environment; the process stays warm between them.
///
/// After a timeout or a process exit the session is over ([`InvokeError::NotRunning`]).
/// Dropping the session kills the process; [`Session::shutdown`] also waits for it.
pub struct Session {
    function_name: String,
    timeout: Duration,
    backend: Backend,
    process: FunctionProcess,
    init_duration: Duration,
    cold_start: Option<Duration>,
    running: bool,
}

/// Who serves the function's Runtime API.
enum Backend {
    /// This crate's: the process is the function.
    Api(RuntimeApi),
    /// AWS's emulator: the process is the emulator, which runs the function.
    Rie {
        addresses: RieAddresses,
        client: reqwest::Client,
        /// Whether the function has answered once (a later 502 is a crash, not an init error).
        answered: bool,
    },
}

impl Session {
    /// Starts the function with default [`StartOptions`] (output inherited).
    pub async fn start(spec: FunctionSpec) -> Result<Session, InvokeError> {
        Session::start_with(spec, StartOptions::default()).await
    }

    /// Starts the Runtime API and the function process, and returns once the function asks
    /// for its first event (its init is done). Under [`Runner::Rie`] it returns once the
    /// emulator listens; the emulator inits the function at once, but reports an init failure
    /// only to the first invoke (an [`InvokeError::InitError`] then).
    pub async fn start_with(
        spec: FunctionSpec,
        options: StartOptions,
    ) -> Result<Session, InvokeError> {
        if let Runner::Rie { emulator, prefix } = &options.runner {
            return Session::start_rie(spec, &options, emulator, prefix).await;
        }
        let listener = runtime_api::bind().await?;
        let addr = listener
            .local_addr()
            .map_err(|e| InvokeError::io("reading the Runtime API address", e))?;
        let env = lambda_environment(&spec, addr, |key| std::env::var(key).ok());
        let api = RuntimeApi::serve(listener, &env.function_arn(&spec.function_name))?;
        let process = FunctionProcess::spawn(&spec.binary, &[], &env.vars, &options.output)?;
        tracing::debug!(
            function = %spec.function_name,
            pid = ?process.pid,
            runtime_api = %addr,
            "function process started"
        );

        let mut session = Session {
            function_name: spec.function_name,
            timeout: spec.timeout,
            backend: Backend::Api(api),
            process,
            init_duration: Duration::ZERO,
            cold_start: None,
            running: true,
        };
        session.wait_for_init(options.init_timeout).await?;
        Ok(session)
    }

    async fn start_rie(
        spec: FunctionSpec,
        options: &StartOptions,
        emulator: &std::path::Path,
        prefix: &[String],
    ) -> Result<Session, InvokeError> {
        let addresses = RieAddresses::pick()?;
        let mut env =
            lambda_environment(&spec, addresses.runtime_api, |key| std::env::var(key).ok());
        // The emulator sets the Runtime API address itself; the timeout it enforces.
        env.vars.retain(|(k, _)| k != "AWS_LAMBDA_RUNTIME_API");
        // It takes whole seconds: round up, so the emulator never cuts an invoke short.
        env.vars.push((
            "AWS_LAMBDA_FUNCTION_TIMEOUT".into(),
            spec.timeout.as_millis().div_ceil(1000).max(1).to_string(),
        ));
        let invoke_addr = addresses.invoke;
        let mut args = addresses.args();
        args.extend(prefix.iter().cloned());
        args.push(spec.binary.display().to_string());
        let process = FunctionProcess::spawn(emulator, &args, &env.vars, &options.output)?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| InvokeError::io("building an HTTP client", std::io::Error::other(e)))?;
        let mut session = Session {
            function_name: spec.function_name,
            timeout: spec.timeout,
            backend: Backend::Rie {
                addresses,
                client,
                answered: false,
            },
            process,
            init_duration: Duration::ZERO,
            cold_start: None,
            running: true,
        };
        let deadline = session.process.spawned_at + options.init_timeout;
        loop {
            if rie::listening(invoke_addr).await {
                session.init_duration = session.process.spawned_at.elapsed();
                return Ok(session);
            }
            if let Some(exit) = session.process.exited() {
                session.end().await;
                return Err(InvokeError::InitError {
                    error_type: "Runtime.ExitError".to_string(),
                    message: format!("the emulator {}", exit_message(exit)),
                    exit_code: exit.code,
                });
            }
            if Instant::now() >= deadline {
                session.end().await;
                return Err(InvokeError::InitTimeout);
            }
            // Fine-grained: the emulator listens within milliseconds, and a cold start is
            // measured from the spawn (make bench-cold), so a coarse poll would add to it.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    async fn wait_for_init(&mut self, init_timeout: Duration) -> Result<(), InvokeError> {
        let deadline = tokio::time::Instant::from_std(self.process.spawned_at + init_timeout);
        let Backend::Api(api) = &mut self.backend else {
            return Ok(());
        };
        loop {
            tokio::select! {
                // Events first: a process that reports and then exits is an init error.
                biased;
                event = api.events.recv() => match event {
                    Some(RuntimeEvent::NextRequested) => {
                        self.init_duration = self.process.spawned_at.elapsed();
                        return Ok(());
                    }
                    Some(RuntimeEvent::InitError { error_type, error_message }) => {
                        let exit = self.process.wait_exit_for(INIT_ERROR_EXIT_GRACE).await;
                        self.end().await;
                        return Err(InvokeError::InitError {
                            error_type,
                            message: error_message,
                            exit_code: exit.and_then(|e| e.code),
                        });
                    }
                    Some(other) => tracing::warn!(call = other.kind(), "unexpected call during init"),
                    None => return Err(api_stopped()),
                },
                exit = self.process.wait_exit() => {
                    self.end().await;
                    return Err(InvokeError::InitError {
                        error_type: "Runtime.ExitError".to_string(),
                        message: exit_message(exit),
                        exit_code: exit.code,
                    });
                }
                _ = sleep_until(deadline) => {
                    self.end().await;
                    return Err(InvokeError::InitTimeout);
                }
            }
        }
    }

    /// Invokes the function with one event and waits up to the function timeout for its result.
    pub async fn invoke(&mut self, event: Value) -> Result<Invocation, InvokeError> {
        self.invoke_bytes(event.to_string().into_bytes()).await
    }

    /// Invokes the function with a raw event payload (e.g. an event file's bytes, as they are).
    ///
    /// Dropping the returned future before it completes leaves the function busy with the
    /// event; its late result is then ignored.
    pub async fn invoke_bytes(
        &mut self,
        payload: impl Into<Bytes>,
    ) -> Result<Invocation, InvokeError> {
        if !self.running {
            return Err(InvokeError::NotRunning);
        }
        let payload = payload.into();
        if payload.len() > PAYLOAD_LIMIT {
            return Err(InvokeError::PayloadTooLarge {
                size: payload.len(),
                limit: PAYLOAD_LIMIT,
            });
        }
        let started = Instant::now();
        let (request_id, outcome) = if matches!(self.backend, Backend::Api(_)) {
            self.invoke_api(payload, started).await?
        } else {
            self.invoke_rie(payload).await?
        };

        let elapsed = started.elapsed();
        let cold_start = match self.cold_start {
            None => {
                let cold_start = self.init_duration + elapsed;
                self.cold_start = Some(cold_start);
                Some(cold_start)
            }
            Some(_) => None,
        };
        Ok(Invocation {
            request_id,
            outcome,
            elapsed,
            cold_start,
        })
    }

    async fn invoke_api(
        &mut self,
        payload: Bytes,
        started: Instant,
    ) -> Result<(String, Outcome), InvokeError> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let Backend::Api(api) = &mut self.backend else {
            unreachable!("a Runtime API session");
        };
        let deadline = tokio::time::Instant::from_std(started + self.timeout);
        let queued = QueuedEvent {
            request_id: request_id.clone(),
            deadline_epoch_ms: epoch_ms(SystemTime::now() + self.timeout),
            trace_id: trace_id(),
            payload,
        };
        // The queue only holds an event here if an earlier invoke future was dropped before
        // the function took its event; waiting for room counts against this invoke's timeout.
        match tokio::time::timeout_at(deadline, api.queue.send(queued)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(api_stopped()),
            Err(_) => {
                self.end().await;
                return Err(InvokeError::Timeout);
            }
        }

        let outcome = loop {
            tokio::select! {
                // Events first: a result posted just before the process exited still counts.
                biased;
                event = api.events.recv() => match event {
                    Some(RuntimeEvent::Response { request_id: id, body }) if id == request_id => {
                        break Outcome::Response(parse_payload(&body));
                    }
                    Some(RuntimeEvent::FunctionError { request_id: id, error_type, error_message })
                        if id == request_id =>
                    {
                        break Outcome::FunctionError { error_type, error_message };
                    }
                    Some(RuntimeEvent::NextRequested) => {}
                    Some(other) => tracing::warn!(call = other.kind(), "ignored a Runtime API call"),
                    None => return Err(api_stopped()),
                },
                exit = self.process.wait_exit() => {
                    self.end().await;
                    return Err(InvokeError::ProcessExited { code: exit.code, signal: exit.signal });
                }
                _ = sleep_until(deadline) => {
                    // Lambda stops a timed-out environment; the next invoke would be a cold start.
                    self.end().await;
                    return Err(InvokeError::Timeout);
                }
            }
        };
        Ok((request_id, outcome))
    }

    async fn invoke_rie(&mut self, payload: Bytes) -> Result<(String, Outcome), InvokeError> {
        let Backend::Rie {
            addresses,
            client,
            answered,
        } = &mut self.backend
        else {
            unreachable!("an emulator session");
        };
        // The emulator enforces the function timeout; this one only guards against a hang.
        let post = client
            .post(addresses.invoke_url())
            .body(payload)
            .timeout(self.timeout + Duration::from_secs(5))
            .send();
        let answer = tokio::select! {
            answer = async {
                let response = post.await?;
                let status = response.status().as_u16();
                let body = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, body))
            } => answer,
            exit = self.process.wait_exit() => {
                self.end().await;
                return Err(InvokeError::ProcessExited { code: exit.code, signal: exit.signal });
            }
        };
        let (status, body) = match answer {
            Ok(answer) => answer,
            Err(e) if e.is_timeout() => {
                self.end().await;
                return Err(InvokeError::Timeout);
            }
            Err(e) => {
                return Err(InvokeError::io(
                    "invoking through the emulator",
                    std::io::Error::other(e),
                ));
            }
        };
        let outcome = match rie::classify(status, &body)? {
            RieAnswer::Response(value) => Outcome::Response(value),
            RieAnswer::FunctionError {
                error_type,
                error_message,
            } => Outcome::FunctionError {
                error_type,
                error_message,
            },
            RieAnswer::RuntimeFailed if !*answered => {
                self.end().await;
                return Err(InvokeError::InitError {
                    error_type: "Runtime.ExitError".to_string(),
                    message: "the function failed its init (the reason is in its output)"
                        .to_string(),
                    exit_code: None,
                });
            }
            RieAnswer::RuntimeFailed => {
                self.end().await;
                return Err(InvokeError::ProcessExited {
                    code: None,
                    signal: None,
                });
            }
        };
        if let Backend::Rie { answered, .. } = &mut self.backend {
            *answered = true;
        }
        // The emulator makes its own request ids and does not return them; this one names the
        // invocation here.
        Ok((uuid::Uuid::new_v4().to_string(), outcome))
    }

    /// Init (spawn to the first `invocation/next`) plus the first invocation's time: what
    /// Lambda bills as a cold start. `None` until the first invocation has a result.
    pub fn cold_start(&self) -> Option<Duration> {
        self.cold_start
    }

    /// From spawning the process to its first `invocation/next`. Under the emulator: until
    /// the emulator listens (the function's own init time is its log's `INIT REPORT` line);
    /// [`Session::cold_start`], spawn to the first answer, is comparable either way.
    pub fn init_duration(&self) -> Duration {
        self.init_duration
    }

    pub fn function_name(&self) -> &str {
        &self.function_name
    }

    /// The Runtime API's address (`AWS_LAMBDA_RUNTIME_API` of the child).
    pub fn runtime_api_addr(&self) -> SocketAddr {
        match &self.backend {
            Backend::Api(api) => api.addr,
            Backend::Rie { addresses, .. } => addresses.runtime_api,
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.pid
    }

    /// False after a timeout or a process exit.
    pub fn is_running(&self) -> bool {
        self.running && self.process.exited().is_none()
    }

    /// Kills the process, waits for it, and completes captured output.
    pub async fn shutdown(mut self) {
        self.end().await;
    }

    async fn end(&mut self) {
        self.running = false;
        // The emulator stops its function process on SIGTERM; killed outright, it would leave
        // the function orphaned, failing its next poll. (`kill`, as the crate forbids unsafe.)
        if matches!(self.backend, Backend::Rie { .. })
            && let Some(pid) = self.process.pid
            && self.process.exited().is_none()
        {
            let _ = tokio::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
            let _ = self.process.wait_exit_for(INIT_ERROR_EXIT_GRACE).await;
        }
        self.process.kill().await;
        self.process.drain_output().await;
    }
}

fn exit_message(exit: ExitInfo) -> String {
    match (exit.code, exit.signal) {
        (Some(0), _) => "Runtime exited without providing a reason".to_string(),
        (Some(code), _) => format!("Runtime exited with error: exit status {code}"),
        (None, Some(signal)) => format!("Runtime exited with error: signal {signal}"),
        (None, None) => "Runtime exited with an unknown status".to_string(),
    }
}

pub(crate) fn parse_payload(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

fn api_stopped() -> InvokeError {
    InvokeError::io(
        "the local Runtime API",
        std::io::Error::other("it stopped unexpectedly"),
    )
}

fn epoch_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// An X-Ray trace header: `Root=1-<epoch secs hex>-<24 hex>;Parent=<16 hex>;Sampled=0`.
fn trace_id() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    let parent = uuid::Uuid::new_v4().simple().to_string();
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "Root=1-{secs:08x}-{};Parent={};Sampled=0",
        &random[..24],
        &parent[..16]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_have_the_x_ray_shape() {
        let id = trace_id();
        let (root, rest) = id.split_once(';').unwrap();
        let parts: Vec<&str> = root.trim_start_matches("Root=").split('-').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1].len(), 8);
        assert_eq!(parts[2].len(), 24);
        assert!(rest.starts_with("Parent=") && rest.ends_with(";Sampled=0"));
    }

    #[test]
    fn non_json_bodies_become_strings() {
        assert_eq!(parse_payload(br#"{"a":1}"#), json!({"a": 1}));
        assert_eq!(parse_payload(b"plain"), json!("plain"));
    }
}
