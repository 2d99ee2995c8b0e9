//! Capturing what the process would write to stdout, for one test: the EMF metric lines
//! ([`MetricsCapture`]) or the log lines, through a `tracing` subscriber installed for the
//! test's thread only (tests run in parallel threads of one process; `#[tokio::test]`'s
//! runtime runs every task of the test on that thread).

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tracing::subscriber::DefaultGuard;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

use crate::metrics::{EmfLayer, MAX_DIMENSIONS, MAX_METRICS, NAMESPACE, is_metric};
use crate::telemetry::{self, LogFormat};

/// An in-memory stdout: every writer made from it appends to the same buffer.
#[derive(Clone, Default)]
pub struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl CaptureWriter {
    /// What was written, line by line.
    pub fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8(bytes)
            .expect("UTF-8 output")
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CaptureWriter {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> CaptureWriter {
        self.clone()
    }
}

/// The log lines (and metric lines) this thread writes from [`LogCapture::start`] on, through
/// the subscriber `telemetry::init` installs in Lambda: JSON at INFO.
pub struct LogCapture {
    out: CaptureWriter,
    _guard: DefaultGuard,
}

impl LogCapture {
    pub fn start() -> LogCapture {
        LogCapture::at(LevelFilter::INFO)
    }

    pub fn at(level: LevelFilter) -> LogCapture {
        let out = CaptureWriter::default();
        let guard = telemetry::subscriber(
            out.clone(),
            LogFormat::Json,
            tracing_subscriber::filter::Targets::new().with_default(level),
        )
        .set_default();
        LogCapture { out, _guard: guard }
    }

    /// Every line so far, parsed (the test fails on a line that is not a JSON object).
    pub fn lines(&self) -> Vec<Value> {
        self.out
            .lines()
            .iter()
            .map(|text| {
                let line = json_line(text);
                assert!(line.is_object(), "not a JSON object: {text}");
                line
            })
            .collect()
    }
}

/// One captured line, parsed (the test fails on one that is not JSON).
fn json_line(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The metric lines this thread emits from [`MetricsCapture::start`] on, each checked as EMF.
pub struct MetricsCapture {
    out: CaptureWriter,
    _guard: DefaultGuard,
}

impl MetricsCapture {
    pub fn start() -> MetricsCapture {
        let out = CaptureWriter::default();
        let layer = EmfLayer::new(out.clone())
            .with_filter(tracing_subscriber::filter::filter_fn(is_metric));
        let guard = tracing_subscriber::registry().with(layer).set_default();
        MetricsCapture { out, _guard: guard }
    }

    /// Every line so far, parsed; the test fails on a line that is not valid EMF.
    pub fn lines(&self) -> Vec<Value> {
        self.out
            .lines()
            .iter()
            .map(|text| {
                let line = json_line(text);
                if let Err(e) = check_emf(&line) {
                    panic!("not EMF ({e}): {text}");
                }
                line
            })
            .collect()
    }

    /// The values of `metric` in the lines whose dimensions include `dimensions`.
    pub fn values(&self, metric: &str, dimensions: &[(&str, &str)]) -> Vec<f64> {
        self.lines()
            .iter()
            .filter(|line| dimensions.iter().all(|(k, v)| line[*k] == *v))
            .filter(|line| declares(line, metric))
            .filter_map(|line| line[metric].as_f64())
            .collect()
    }

    /// The sum of [`MetricsCapture::values`] (what a CloudWatch `Sum` statistic would show).
    pub fn sum(&self, metric: &str, dimensions: &[(&str, &str)]) -> f64 {
        self.values(metric, dimensions).iter().sum()
    }
}

/// Whether a directive of `line` declares `metric`.
fn declares(line: &Value, metric: &str) -> bool {
    directives(line)
        .iter()
        .flat_map(|d| d["Metrics"].as_array().cloned().unwrap_or_default())
        .any(|m| m["Name"] == metric)
}

fn directives(line: &Value) -> Vec<Value> {
    line["_aws"]["CloudWatchMetrics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The EMF specification's rules for one document: `_aws.Timestamp` an integer of
/// milliseconds, each directive's namespace ours, each declared metric a numeric top-level
/// field with a unit, each dimension named by a dimension set a string top-level field, at
/// most 30 dimensions a set and 100 metrics a directive.
pub fn check_emf(line: &Value) -> Result<(), String> {
    let aws = line.get("_aws").ok_or("no _aws")?;
    let timestamp = aws["Timestamp"]
        .as_i64()
        .ok_or("Timestamp not an integer")?;
    // Milliseconds, not seconds: after 2020 and before 2100.
    if !(1_577_836_800_000..4_102_444_800_000).contains(&timestamp) {
        return Err(format!(
            "Timestamp {timestamp} is not a time in milliseconds"
        ));
    }
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .ok_or("CloudWatchMetrics not an array")?;
    if directives.is_empty() {
        return Err("no directive".into());
    }
    for d in directives {
        if d["Namespace"] != NAMESPACE {
            return Err(format!("namespace {}", d["Namespace"]));
        }
        let metrics = d["Metrics"].as_array().ok_or("Metrics not an array")?;
        if metrics.is_empty() || metrics.len() > MAX_METRICS {
            return Err(format!("{} metrics in a directive", metrics.len()));
        }
        for m in metrics {
            let name = m["Name"].as_str().ok_or("metric without a name")?;
            if !line[name].is_number() {
                return Err(format!("metric {name} has no numeric value"));
            }
            if !matches!(m["Unit"].as_str(), Some("Count" | "Milliseconds")) {
                return Err(format!("metric {name} has unit {}", m["Unit"]));
            }
        }
        let sets = d["Dimensions"]
            .as_array()
            .ok_or("Dimensions not an array")?;
        for set in sets {
            let set = set.as_array().ok_or("a dimension set is not an array")?;
            if set.len() > MAX_DIMENSIONS {
                return Err(format!("{} dimensions in a set", set.len()));
            }
            for name in set {
                let name = name.as_str().ok_or("a dimension name is not a string")?;
                if !line[name].is_string() {
                    return Err(format!("dimension {name} has no string value"));
                }
            }
        }
    }
    Ok(())
}
