//! The dev server over real HTTP, in-process on ephemeral ports (one test binary: linking the
//! whole stack once is the expensive part of building tests).

mod common;
mod dynamodb;
mod gateway;
mod walk;
