//! Time in one place: [`Timestamp`] (a wall-clock instant, as stored and compared across
//! machines), [`Clock`] (where "now" comes from, given to the code so tests can set it), and
//! [`Deadline`] (the monotonic point an invocation's work must end by).

mod clock;
mod deadline;
mod timestamp;

pub use clock::{Clock, ManualClock, SystemClock};
pub use deadline::{DEFAULT_BUDGET, Deadline};
pub use timestamp::Timestamp;
