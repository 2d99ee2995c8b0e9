//! An oversize transactions answer: 200 with valid-looking JSON of at least the asked size,
//! streamed in chunks as the connection drains, so asking for gigabytes costs the sandbox one
//! chunk of memory and a client that stops reading stops the stream.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use crate::state::SharedState;

/// Bytes per chunk handed to the connection.
const CHUNK: usize = 64 * 1024;

/// What the stream has produced so far.
struct Progress {
    state: SharedState,
    account_id: String,
    target: u64,
    sent: u64,
    row: u64,
    done: bool,
}

pub fn response(state: SharedState, account_id: String, bytes: u64) -> Response {
    let start = Progress {
        state,
        account_id,
        target: bytes,
        sent: 0,
        row: 0,
        done: false,
    };
    let chunks = stream::unfold(start, |mut p| async move {
        if p.done {
            return None;
        }
        let chunk = next_chunk(&mut p);
        p.state.counters().count_oversize_bytes(chunk.len() as u64);
        Some((Ok::<_, Infallible>(Bytes::from(chunk)), p))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// The next chunk: the opening on the first, rows, and the closing once the target is passed.
fn next_chunk(p: &mut Progress) -> Vec<u8> {
    let mut out = Vec::with_capacity(CHUNK + 512);
    if p.sent == 0 {
        out.extend_from_slice(b"{\"transactions\":[");
    }
    while out.len() < CHUNK && p.sent + (out.len() as u64) < p.target {
        if p.row > 0 {
            out.push(b',');
        }
        out.extend_from_slice(row(&p.account_id, p.row).as_bytes());
        p.row += 1;
    }
    if p.sent + out.len() as u64 >= p.target {
        out.extend_from_slice(
            b"],\"meta\":{\"totalCountOfPages\":1,\"pageNumber\":1},\"links\":[]}",
        );
        p.done = true;
    }
    p.sent += out.len() as u64;
    out
}

fn row(account_id: &str, n: u64) -> String {
    format!(
        concat!(
            "{{\"transactionId\":\"oversize-{n:012}\",\"accountId\":\"{account}\",",
            "\"transactionDescription\":\"padding row {n}\",\"transactionType\":\"POS\",",
            "\"subTransactionType\":\"Purchase\",\"creditDebitIndicator\":\"Debit\",",
            "\"amount\":{{\"value\":1.000,\"currency\":\"BHD\"}},",
            "\"bookingDateTime\":\"2026-01-01T00:00:00.000Z\",\"status\":\"Booked\"}}"
        ),
        n = n,
        account = account_id,
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::{SandboxConfig, Settings};
    use crate::state::AppState;

    #[test]
    fn the_body_is_json_of_at_least_the_asked_size() {
        let state = Arc::new(AppState::new(
            "http://x".into(),
            None,
            Settings::from(&SandboxConfig::default()),
        ));
        let mut p = Progress {
            state,
            account_id: "acc-1".into(),
            target: 300_000,
            sent: 0,
            row: 0,
            done: false,
        };
        let mut body = Vec::new();
        while !p.done {
            body.extend(next_chunk(&mut p));
        }
        assert!(body.len() >= 300_000 && body.len() < 300_000 + CHUNK + 1024);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let rows = v["transactions"].as_array().unwrap();
        assert_eq!(rows.len() as u64, p.row);
        assert_eq!(rows[1]["transactionId"], "oversize-000000000001");
    }
}
