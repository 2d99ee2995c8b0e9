//! Money in integer minor units of an ISO 4217 currency.
//!
//! No floats anywhere money flows: provider amounts are parsed from their decimal text with
//! `rust_decimal`, rounded half-even to the currency's exponent, and held as `i64` minor units.
//! JSON output is `{"amount": "12.500", "currency": "BHD"}` with exactly the currency's digits.

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO 4217 currency known to this service, with its minor-unit exponent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// ISO 4217 alphabetic codes and minor-unit exponents (the SIX list). Gulf currencies first;
/// the rest are what Gulf accounts and cards commonly see.
const CURRENCIES: &[(&str, u8)] = &[
    ("BHD", 3),
    ("KWD", 3),
    ("OMR", 3),
    ("JOD", 3),
    ("IQD", 3),
    ("LYD", 3),
    ("TND", 3),
    ("SAR", 2),
    ("AED", 2),
    ("QAR", 2),
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("EGP", 2),
    ("INR", 2),
    ("PKR", 2),
    ("PHP", 2),
    ("LKR", 2),
    ("BDT", 2),
    ("NPR", 2),
    ("TRY", 2),
    ("MAD", 2),
    ("LBP", 2),
    ("CNY", 2),
    ("HKD", 2),
    ("SGD", 2),
    ("MYR", 2),
    ("THB", 2),
    ("AUD", 2),
    ("CAD", 2),
    ("NZD", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("ZAR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("IDR", 2),
    ("VND", 0),
    ("CLP", 0),
    ("ISK", 0),
    ("UGX", 0),
];

/// Why a currency code or an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency code {0:?}")]
    UnknownCurrency(String),
    #[error("amount {0:?} is not a plain decimal number")]
    InvalidAmount(String),
    #[error("amount {0:?} is negative; the sign comes from the credit/debit indicator")]
    NegativeAmount(String),
    #[error("amount out of range")]
    Overflow,
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
}

impl Currency {
    /// Looks a code up in the ISO 4217 table (case-sensitive, as ISO codes are upper case).
    pub fn from_code(code: &str) -> Result<Currency, MoneyError> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, exponent)| {
                let b = c.as_bytes();
                Currency {
                    code: [b[0], b[1], b[2]],
                    exponent: *exponent,
                }
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
    }

    pub fn code(&self) -> &str {
        // The table holds ASCII only.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Number of minor-unit digits (BHD 3, SAR 2, JPY 0).
    pub fn exponent(&self) -> u32 {
        u32::from(self.exponent)
    }

    /// 10^exponent: minor units per major unit.
    pub fn minor_per_major(&self) -> i64 {
        10_i64.pow(self.exponent())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// A signed amount in minor units of one currency. Positive = money into the account.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// The result of parsing a provider amount: the money, and whether digits beyond the
/// currency's exponent had to be rounded away (worth flagging, never silently hidden).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    pub money: Money,
    pub rounded: bool,
}

impl Money {
    pub const fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// From a wide accumulator (sums are kept in `i128`): out of `i64` range is an error.
    pub fn try_from_minor(minor: i128, currency: Currency) -> Result<Money, MoneyError> {
        i64::try_from(minor)
            .map(|minor| Money { minor, currency })
            .map_err(|_| MoneyError::Overflow)
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    /// Parses an unsigned decimal string ("12.345", "4000.0", "1.23456") exactly and rounds it
    /// half-even to the currency's exponent. Signs, exponents and blanks are refused: the
    /// direction of a provider amount comes only from its credit/debit indicator.
    pub fn parse_unsigned(text: &str, currency: Currency) -> Result<Parsed, MoneyError> {
        let trimmed = text.trim();
        let plain = !trimmed.is_empty()
            && trimmed.chars().all(|c| c.is_ascii_digit() || c == '.')
            && trimmed.chars().filter(|c| *c == '.').count() <= 1
            && trimmed.chars().any(|c| c.is_ascii_digit());
        if trimmed.starts_with('-') {
            return Err(MoneyError::NegativeAmount(text.to_string()));
        }
        if !plain {
            return Err(MoneyError::InvalidAmount(text.to_string()));
        }
        let value = Decimal::from_str_exact(trimmed)
            .map_err(|_| MoneyError::InvalidAmount(text.to_string()))?;
        Money::from_decimal(value, currency)
    }

    /// Parses a signed decimal string ("-12.345" allowed), as used in our own API inputs and
    /// stored items.
    pub fn parse_signed(text: &str, currency: Currency) -> Result<Parsed, MoneyError> {
        let trimmed = text.trim();
        match trimmed.strip_prefix('-') {
            Some(rest) => {
                let parsed = Money::parse_unsigned(rest, currency)?;
                Ok(Parsed {
                    money: parsed.money.checked_neg()?,
                    rounded: parsed.rounded,
                })
            }
            None => Money::parse_unsigned(trimmed, currency),
        }
    }

    /// Converts an exact decimal to minor units, rounding half-even to the exponent.
    pub fn from_decimal(value: Decimal, currency: Currency) -> Result<Parsed, MoneyError> {
        let exponent = currency.exponent();
        let rounded_value =
            value.round_dp_with_strategy(exponent, RoundingStrategy::MidpointNearestEven);
        let rounded = rounded_value != value;
        let scaled = rounded_value
            .checked_mul(Decimal::from(currency.minor_per_major()))
            .ok_or(MoneyError::Overflow)?;
        let minor = scaled.to_i64().ok_or(MoneyError::Overflow)?;
        Ok(Parsed {
            money: Money { minor, currency },
            rounded,
        })
    }

    /// The exact decimal value in major units.
    pub fn to_decimal(&self) -> Decimal {
        Decimal::from_i128_with_scale(i128::from(self.minor), self.currency.exponent())
    }

    /// Decimal text with exactly the currency's digits: "12.500", "-0.05", "1200".
    pub fn amount_string(&self) -> String {
        let exponent = self.currency.exponent() as usize;
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{abs}");
        }
        let per_major = 10_u64.pow(exponent as u32);
        format!(
            "{sign}{}.{:0width$}",
            abs / per_major,
            abs % per_major,
            width = exponent
        )
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money { minor, ..self })
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|minor| Money { minor, ..self })
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.minor
            .checked_neg()
            .map(|minor| Money { minor, ..self })
            .ok_or(MoneyError::Overflow)
    }

    pub fn abs(self) -> Result<Money, MoneyError> {
        if self.minor < 0 {
            self.checked_neg()
        } else {
            Ok(self)
        }
    }

    /// Sums amounts of one currency with an `i128` accumulator; overflow of the result is an
    /// error, not a wrap.
    pub fn sum<'a>(
        currency: Currency,
        items: impl IntoIterator<Item = &'a Money>,
    ) -> Result<Money, MoneyError> {
        let mut total: i128 = 0;
        for m in items {
            if m.currency != currency {
                return Err(MoneyError::CurrencyMismatch(currency, m.currency));
            }
            total += i128::from(m.minor);
        }
        Money::try_from_minor(total, currency)
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

#[derive(Serialize, Deserialize)]
struct MoneyJson {
    amount: String,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyJson {
            amount: self.amount_string(),
            currency: self.currency,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    /// Accepts only amounts already at the currency's precision (our own format); anything that
    /// would need rounding is refused rather than silently changed.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = MoneyJson::deserialize(d)?;
        let parsed =
            Money::parse_signed(&json.amount, json.currency).map_err(serde::de::Error::custom)?;
        if parsed.rounded {
            return Err(serde::de::Error::custom(format!(
                "amount {:?} has more digits than {} allows",
                json.amount, json.currency
            )));
        }
        Ok(parsed.money)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ccy(code: &str) -> Currency {
        Currency::from_code(code).unwrap()
    }

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(ccy("BHD").exponent(), 3);
        assert_eq!(ccy("KWD").exponent(), 3);
        assert_eq!(ccy("OMR").exponent(), 3);
        assert_eq!(ccy("JOD").exponent(), 3);
        assert_eq!(ccy("SAR").exponent(), 2);
        assert_eq!(ccy("AED").exponent(), 2);
        assert_eq!(ccy("JPY").exponent(), 0);
        assert!(Currency::from_code("bhd").is_err());
        assert!(Currency::from_code("XYZ").is_err());
    }

    #[test]
    fn parses_provider_strings_exactly() {
        let p = Money::parse_unsigned("4000.0", ccy("SAR")).unwrap();
        assert_eq!((p.money.minor(), p.rounded), (400_000, false));
        let p = Money::parse_unsigned("12.34000", ccy("SAR")).unwrap();
        assert_eq!((p.money.minor(), p.rounded), (1234, false));
        let p = Money::parse_unsigned("1234.567", ccy("BHD")).unwrap();
        assert_eq!((p.money.minor(), p.rounded), (1_234_567, false));
        let p = Money::parse_unsigned("7", ccy("BHD")).unwrap();
        assert_eq!(p.money.minor(), 7000);
        let p = Money::parse_unsigned(".5", ccy("SAR")).unwrap();
        assert_eq!(p.money.minor(), 50);
    }

    #[test]
    fn rounds_half_even_and_flags_it() {
        // 1.23456 SAR → 1.23 (the 456 tail is below half)
        let p = Money::parse_unsigned("1.23456", ccy("SAR")).unwrap();
        assert_eq!((p.money.minor(), p.rounded), (123, true));
        // exact midpoints go to the even neighbour: 0.125 → 0.12, 0.135 → 0.14
        assert_eq!(
            Money::parse_unsigned("0.125", ccy("SAR"))
                .unwrap()
                .money
                .minor(),
            12
        );
        assert_eq!(
            Money::parse_unsigned("0.135", ccy("SAR"))
                .unwrap()
                .money
                .minor(),
            14
        );
        // BHD: 0.0005 → 0.000, 0.0015 → 0.002
        assert_eq!(
            Money::parse_unsigned("0.0005", ccy("BHD"))
                .unwrap()
                .money
                .minor(),
            0
        );
        assert_eq!(
            Money::parse_unsigned("0.0015", ccy("BHD"))
                .unwrap()
                .money
                .minor(),
            2
        );
    }

    #[test]
    fn refuses_what_is_not_a_plain_unsigned_decimal() {
        for bad in [
            "", " ", "-1.00", "+1", "1e3", "1,000.00", "abc", "1.2.3", ".", "NaN",
        ] {
            assert!(
                Money::parse_unsigned(bad, ccy("SAR")).is_err(),
                "{bad:?} should be refused"
            );
        }
        assert_eq!(
            Money::parse_unsigned("-1.00", ccy("SAR")),
            Err(MoneyError::NegativeAmount("-1.00".into()))
        );
        assert_eq!(
            Money::parse_unsigned("99999999999999999999", ccy("SAR")),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn formats_with_the_currency_digits() {
        assert_eq!(
            Money::from_minor(12_500, ccy("BHD")).amount_string(),
            "12.500"
        );
        assert_eq!(Money::from_minor(-5, ccy("SAR")).amount_string(), "-0.05");
        assert_eq!(Money::from_minor(0, ccy("AED")).amount_string(), "0.00");
        assert_eq!(Money::from_minor(1200, ccy("JPY")).amount_string(), "1200");
        assert_eq!(
            Money::from_minor(i64::MIN, ccy("SAR")).amount_string(),
            "-92233720368547758.08"
        );
    }

    #[test]
    fn json_is_a_decimal_string_never_a_float() {
        let m = Money::from_minor(12_500, ccy("BHD"));
        let json = serde_json::to_value(m).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"amount": "12.500", "currency": "BHD"})
        );
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
        let too_precise = serde_json::json!({"amount": "1.2345", "currency": "BHD"});
        assert!(serde_json::from_value::<Money>(too_precise).is_err());
        let float = serde_json::json!({"amount": 1.5, "currency": "BHD"});
        assert!(serde_json::from_value::<Money>(float).is_err());
    }

    #[test]
    fn arithmetic_is_checked_and_currency_safe() {
        let bhd = ccy("BHD");
        let a = Money::from_minor(1_000, bhd);
        let b = Money::from_minor(250, bhd);
        assert_eq!(a.checked_sub(b).unwrap().minor(), 750);
        assert!(a.checked_add(Money::from_minor(1, ccy("SAR"))).is_err());
        assert!(Money::from_minor(i64::MAX, bhd).checked_add(b).is_err());
        assert!(Money::from_minor(i64::MIN, bhd).checked_neg().is_err());
        let total = Money::sum(bhd, &[a, b, Money::from_minor(-50, bhd)]).unwrap();
        assert_eq!(total.minor(), 1_200);
        assert!(Money::sum(bhd, &[Money::from_minor(i64::MAX, bhd), b]).is_err());
    }

    #[test]
    fn decimal_round_trip() {
        let m = Money::from_minor(-1_234_567, ccy("BHD"));
        assert_eq!(m.to_decimal().to_string(), "-1234.567");
        let back = Money::from_decimal(m.to_decimal(), ccy("BHD")).unwrap();
        assert_eq!((back.money, back.rounded), (m, false));
    }

    /// Found by `make mutants` (docs/testing.md): arithmetic helpers and the printed forms had
    /// no test of their own.
    #[test]
    fn sums_signs_zero_and_printed_forms() {
        let bhd = Currency::from_code("BHD").unwrap();
        let m = |minor| Money::from_minor(minor, bhd);
        assert_eq!(m(1_000).checked_add(m(2_500)).unwrap(), m(3_500));
        assert_eq!(m(-1_500).abs().unwrap(), m(1_500));
        assert_eq!(m(1_500).abs().unwrap(), m(1_500));
        assert_eq!(m(0).abs().unwrap(), m(0));
        assert!(m(0).is_zero());
        assert!(!m(-1).is_zero());
        assert_eq!(m(12_500).to_string(), "12.500 BHD");
        assert_eq!(format!("{:?}", m(-12_500)), "-12.500 BHD");
        assert_eq!(bhd.to_string(), "BHD");
        assert_eq!(format!("{bhd:?}"), "BHD");
    }
}
