//! One CloudWatch embedded-metric-format (EMF) document, rendered as a JSON object: the
//! `_aws` metadata (timestamp, namespace, one directive per dimension set), the dimension
//! values and the metric values as top-level fields. Pure: no clock, no output.
//! Specification: <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>.

use serde_json::{Map, Value, json};

/// The CloudWatch namespace of every metric of this backend (the template's alarms use it).
pub const NAMESPACE: &str = "GulfFinance";
/// CloudWatch's limits on one directive: dimensions in a dimension set, metrics in a directive.
pub const MAX_DIMENSIONS: usize = 30;
pub const MAX_METRICS: usize = 100;

/// The units this backend reports (CloudWatch's own names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// Why a document could not be rendered: each would make CloudWatch reject or misread it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmfError {
    #[error("metric {metric} names dimension {dimension}, which has no value")]
    MissingDimension {
        metric: &'static str,
        dimension: &'static str,
    },
    #[error("metric {metric} has {count} dimensions (at most {MAX_DIMENSIONS})")]
    TooManyDimensions { metric: &'static str, count: usize },
    #[error("{count} metrics share one dimension set (at most {MAX_METRICS})")]
    TooManyMetrics { count: usize },
    #[error("metric {metric} is not a finite number")]
    NotFinite { metric: &'static str },
    #[error("{name} is both a dimension and a metric, or given twice")]
    Duplicate { name: &'static str },
}

#[derive(Debug, Clone)]
struct Metric {
    name: &'static str,
    unit: Unit,
    value: f64,
    dimensions: &'static [&'static str],
}

/// One EMF line in the making. Names are `&'static str`: a dimension or metric name can never
/// be built from request data (user ids, tokens), and dimension values are labels the caller
/// picks from a fixed set (an endpoint, a status), so no dimension is high-cardinality.
#[derive(Debug, Clone, Default)]
pub struct Line {
    dimensions: Vec<(&'static str, String)>,
    metrics: Vec<Metric>,
}

impl Line {
    pub fn new() -> Line {
        Line::default()
    }

    /// A dimension value (a top-level string field) that metrics of this line may name.
    pub fn dimension(mut self, name: &'static str, value: impl Into<String>) -> Line {
        self.dimensions.push((name, value.into()));
        self
    }

    /// A metric reported under the dimension set `dimensions` (`&[]`: the namespace alone).
    pub fn metric(
        mut self,
        name: &'static str,
        unit: Unit,
        value: f64,
        dimensions: &'static [&'static str],
    ) -> Line {
        self.metrics.push(Metric {
            name,
            unit,
            value,
            dimensions,
        });
        self
    }

    /// The EMF document at `timestamp_ms` (milliseconds since the epoch). Metrics sharing a
    /// dimension set share a directive.
    pub fn render(&self, timestamp_ms: i64) -> Result<Value, EmfError> {
        let mut fields = Map::new();
        for (name, value) in &self.dimensions {
            if fields
                .insert((*name).to_string(), Value::String(value.clone()))
                .is_some()
            {
                return Err(EmfError::Duplicate { name });
            }
        }
        // (dimension set, [(name, unit)]) in first-seen order.
        let mut directives: Vec<(&'static [&'static str], Vec<Value>)> = Vec::new();
        for m in &self.metrics {
            if !m.value.is_finite() {
                return Err(EmfError::NotFinite { metric: m.name });
            }
            if m.dimensions.len() > MAX_DIMENSIONS {
                return Err(EmfError::TooManyDimensions {
                    metric: m.name,
                    count: m.dimensions.len(),
                });
            }
            if let Some(dimension) = m
                .dimensions
                .iter()
                .find(|d| !self.dimensions.iter().any(|(name, _)| name == *d))
            {
                return Err(EmfError::MissingDimension {
                    metric: m.name,
                    dimension,
                });
            }
            if fields.insert(m.name.to_string(), json!(m.value)).is_some() {
                return Err(EmfError::Duplicate { name: m.name });
            }
            let definition = json!({"Name": m.name, "Unit": m.unit.as_str()});
            match directives.iter_mut().find(|(set, _)| *set == m.dimensions) {
                Some((_, metrics)) => metrics.push(definition),
                None => directives.push((m.dimensions, vec![definition])),
            }
        }
        if let Some((_, metrics)) = directives.iter().find(|(_, m)| m.len() > MAX_METRICS) {
            return Err(EmfError::TooManyMetrics {
                count: metrics.len(),
            });
        }
        let directives: Vec<Value> = directives
            .into_iter()
            .map(|(set, metrics)| {
                json!({"Namespace": NAMESPACE, "Dimensions": [set], "Metrics": metrics})
            })
            .collect();
        fields.insert(
            "_aws".to_string(),
            json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}),
        );
        Ok(Value::Object(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_directive_per_dimension_set() {
        let line = Line::new()
            .dimension("Endpoint", "token")
            .dimension("Status", "200")
            .metric("TarabutCall", Unit::Count, 1.0, &["Endpoint", "Status"])
            .metric("TarabutLatency", Unit::Milliseconds, 12.5, &["Endpoint"])
            .render(1_700_000_000_123)
            .expect("valid");
        assert_eq!(
            line,
            json!({
                "_aws": {
                    "Timestamp": 1_700_000_000_123_i64,
                    "CloudWatchMetrics": [
                        {"Namespace": "GulfFinance", "Dimensions": [["Endpoint", "Status"]],
                         "Metrics": [{"Name": "TarabutCall", "Unit": "Count"}]},
                        {"Namespace": "GulfFinance", "Dimensions": [["Endpoint"]],
                         "Metrics": [{"Name": "TarabutLatency", "Unit": "Milliseconds"}]}
                    ]
                },
                "Endpoint": "token",
                "Status": "200",
                "TarabutCall": 1.0,
                "TarabutLatency": 12.5
            })
        );
    }

    #[test]
    fn metrics_without_dimensions_share_the_empty_set() {
        let line = Line::new()
            .metric("CronDue", Unit::Count, 3.0, &[])
            .metric("CronFailed", Unit::Count, 1.0, &[])
            .render(0)
            .expect("valid");
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().expect("array");
        assert_eq!(directives.len(), 1);
        assert_eq!(directives[0]["Dimensions"], json!([[]]));
        assert_eq!(directives[0]["Metrics"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn refuses_what_cloudwatch_would_reject() {
        let missing = Line::new()
            .metric("TarabutCall", Unit::Count, 1.0, &["Endpoint"])
            .render(0);
        assert_eq!(
            missing,
            Err(EmfError::MissingDimension {
                metric: "TarabutCall",
                dimension: "Endpoint"
            })
        );
        let nan = Line::new()
            .metric("InsightLatency", Unit::Milliseconds, f64::NAN, &[])
            .render(0);
        assert_eq!(
            nan,
            Err(EmfError::NotFinite {
                metric: "InsightLatency"
            })
        );
        let clash = Line::new()
            .dimension("Status", "200")
            .metric("Status", Unit::Count, 1.0, &[])
            .render(0);
        assert_eq!(clash, Err(EmfError::Duplicate { name: "Status" }));
        const NAMES: [&str; 31] = ["D"; 31];
        let wide = Line::new()
            .dimension("D", "x")
            .metric("M", Unit::Count, 1.0, &NAMES)
            .render(0);
        assert_eq!(
            wide,
            Err(EmfError::TooManyDimensions {
                metric: "M",
                count: 31
            })
        );
        let many = (0..=MAX_METRICS).fold(Line::new(), |line, i| {
            let name: &'static str = Box::leak(format!("M{i}").into_boxed_str());
            line.metric(name, Unit::Count, 1.0, &[])
        });
        assert_eq!(many.render(0), Err(EmfError::TooManyMetrics { count: 101 }));
    }
}
