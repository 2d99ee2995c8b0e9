//! HTTP glue between API Gateway (payload 2.0) events and the use-cases: reading the caller,
//! the body and the query, and shaping every answer, errors included, in one place.

mod context;
mod error;
mod problem;
mod request;
mod response;

pub use context::RequestIds;
pub use error::HttpError;
pub use problem::Problem;
pub use request::{
    MAX_BODY_BYTES, caller, deadline, json_body, json_body_or_default, path_param, query,
    query_pairs, query_param, request_id,
};
pub use response::{Reply, respond};
