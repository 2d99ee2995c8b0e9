//! Money in integer minor units; decimal text is produced from integers, never from floats.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Currency {
    Bhd,
    Sar,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Bhd => "BHD",
            Currency::Sar => "SAR",
        }
    }

    /// ISO 4217 minor-unit digits.
    pub fn digits(self) -> u32 {
        match self {
            Currency::Bhd => 3,
            Currency::Sar => 2,
        }
    }
}

/// `minor` (≥ 0 expected; the sign is dropped) as decimal text with exactly `digits` decimals.
pub fn decimal_text(minor: i64, digits: u32) -> String {
    let abs = minor.unsigned_abs();
    if digits == 0 {
        return abs.to_string();
    }
    let scale = 10u64.pow(digits);
    format!(
        "{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = digits as usize
    )
}

/// A JSON number written with exactly the currency's digits (`20.000`, `997.34`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonDecimal(String);

impl JsonDecimal {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self(decimal_text(minor, currency.digits()))
    }
}

impl Serialize for JsonDecimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The text is always digits[.digits], so it is valid JSON.
        let raw = RawValue::from_string(self.0.clone()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// `{ "value": <number>, "currency": "BHD" }`; the magnitude only (direction travels in
/// `creditDebitIndicator`).
#[derive(Debug, Clone, Serialize)]
pub struct AmountView {
    pub value: JsonDecimal,
    pub currency: &'static str,
}

impl AmountView {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self {
            value: JsonDecimal::new(minor, currency),
            currency: currency.code(),
        }
    }
}

/// `a * num / den` rounded half away from zero, in i128 to avoid overflow.
pub fn mul_div_round(a: i64, num: i64, den: i64) -> i64 {
    let product = i128::from(a) * i128::from(num);
    let den = i128::from(den);
    let half = den / 2;
    let rounded = if product >= 0 {
        (product + half) / den
    } else {
        (product - half) / den
    };
    rounded as i64
}

/// BHD fils → SAR halalas at the peg cross rate (3.75 SAR/USD over 0.376 BHD/USD).
pub fn bhd_fils_to_sar_halalas(fils: i64) -> i64 {
    // halalas = fils / 1000 * (3.75 / 0.376) * 100 = fils * 375 / 376
    mul_div_round(fils, 375, 376)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_keeps_all_digits() {
        assert_eq!(decimal_text(20_000, 3), "20.000");
        assert_eq!(decimal_text(200, 3), "0.200");
        assert_eq!(decimal_text(1_234_567, 3), "1234.567");
        assert_eq!(decimal_text(99_734, 2), "997.34");
        assert_eq!(decimal_text(5, 2), "0.05");
        assert_eq!(decimal_text(-5, 2), "0.05");
    }

    #[test]
    fn json_decimal_serialises_as_a_number_with_digits() {
        let view = AmountView::new(20_000, Currency::Bhd);
        let text = serde_json::to_string(&view).unwrap();
        assert_eq!(text, r#"{"value":20.000,"currency":"BHD"}"#);
    }

    #[test]
    fn peg_cross_rate() {
        assert_eq!(bhd_fils_to_sar_halalas(100_000), 99_734);
        assert_eq!(bhd_fils_to_sar_halalas(376), 375);
    }
}
