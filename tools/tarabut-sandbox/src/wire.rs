//! Small formatting helpers shared by the handlers: timestamps, URL and HTML escaping.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// RFC 3339 UTC with milliseconds, as Tarabut writes them: `2025-04-28T00:00:00.000Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Midnight UTC of a booking date: Tarabut's bookingDateTime carries no time of day.
pub fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_has_millis_and_z() {
        let d = NaiveDate::from_ymd_opt(2025, 4, 28).unwrap();
        assert_eq!(timestamp(midnight(d)), "2025-04-28T00:00:00.000Z");
    }

    #[test]
    fn percent_encoding_escapes_plus_and_colon() {
        assert_eq!(
            percent_encode("2025-01-01T00:00:00+03:00"),
            "2025-01-01T00%3A00%3A00%2B03%3A00"
        );
    }
}
