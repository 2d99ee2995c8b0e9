//! The sink: a `tracing` layer that writes each metric event's EMF document as a line of its
//! own, raw. CloudWatch Logs extracts metrics only from a log event that *is* an EMF JSON
//! object: wrapped in a log line's `message` or `fields` it would be text, and no metric.

use std::io::Write;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};

/// The `tracing` target of metric events: the EMF layer takes only these, the log formatter
/// never shows them.
pub const TARGET: &str = "emf";
/// The event field holding the rendered document (`events::publish` names it literally).
const FIELD: &str = "emf";

/// Writes metric events to `writer` (stdout in Lambda), one JSON object per line.
pub struct EmfLayer<W> {
    writer: W,
}

impl<W> EmfLayer<W> {
    pub fn new(writer: W) -> EmfLayer<W> {
        EmfLayer { writer }
    }
}

/// Whether an event or span is a metric event (for the layers' filters).
pub fn is_metric(metadata: &tracing::Metadata<'_>) -> bool {
    metadata.target() == TARGET
}

impl<S, W> Layer<S> for EmfLayer<W>
where
    S: Subscriber,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !is_metric(event.metadata()) {
            return;
        }
        let mut document = Document(None);
        event.record(&mut document);
        let Some(mut line) = document.0 else {
            return;
        };
        line.push('\n');
        // One write of the whole line: lines written by concurrent tasks never interleave.
        let _ = self.writer.make_writer().write_all(line.as_bytes());
    }
}

struct Document(Option<String>);

impl Visit for Document {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == FIELD {
            self.0 = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}
