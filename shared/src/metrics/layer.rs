//! The sink: a `tracing` layer that writes each metric event's EMF document as a line of its
//! own, raw. CloudWatch Logs extracts metrics only from a log event that *is* an EMF JSON
//! object: wrapped in a log line's `message` or `fields` it would be text, and no metric.

use std::io::Write;

use tracing::callsite::{Callsite, Identifier};
use tracing::field::{Field, FieldSet, Value, Visit};
use tracing::metadata::Kind;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};

/// The `tracing` target of metric events: the EMF layer takes only these, the log formatter
/// never shows them.
pub const TARGET: &str = "emf";
/// The event field holding the rendered document.
const FIELD: &str = "emf";

/// The one callsite of metric events, dispatched by hand ([`dispatch`]).
struct MetricCallsite;
static CALLSITE: MetricCallsite = MetricCallsite;
static METADATA: Metadata<'static> = Metadata::new(
    "metric",
    TARGET,
    Level::INFO,
    Some(file!()),
    Some(line!()),
    Some(module_path!()),
    FieldSet::new(&[FIELD], Identifier(&CALLSITE)),
    Kind::EVENT,
);

impl Callsite for MetricCallsite {
    fn set_interest(&self, _: Interest) {}

    fn metadata(&self) -> &Metadata<'_> {
        &METADATA
    }
}

/// Hands one EMF document to the current subscriber. Not through `tracing::info!`: the macro
/// first reads its callsite's cached interest and the global max level, both computed over
/// every live subscriber, and a subscriber a thread creates while another thread registers
/// the callsite can find it cached as "never" (tracing-core rebuilds interest racily with
/// scoped subscribers; seen in the parallel tests). A counter that silently loses events is
/// worse than none: this asks the current subscriber every time (`enabled` first, as the
/// macros do: it is what tells each layer's own filter to take the event or not).
pub(super) fn dispatch(document: &str) {
    let fields = METADATA.fields();
    let Some(field) = fields.field(FIELD) else {
        return;
    };
    let values = [(&field, Some(&document as &dyn Value))];
    let values = fields.value_set(&values);
    tracing::dispatcher::get_default(|current| {
        if current.enabled(&METADATA) {
            current.event(&Event::new(&METADATA, &values));
        }
    });
}

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
