//! Currency conversion with the Gulf pegs to the US dollar. Only pegged currencies convert; any
//! other pair has no rate and the caller must report the amount as unconverted (never rate 1).

use rust_decimal::Decimal;

use crate::money::{Currency, Money, MoneyError};

/// Units of the currency per 1 USD: 1 USD = 0.376 BHD = 3.75 SAR = 3.6725 AED.
pub fn units_per_usd(currency: Currency) -> Option<Decimal> {
    match currency.code() {
        "USD" => Some(Decimal::ONE),
        "BHD" => Some(Decimal::new(376, 3)),
        "SAR" => Some(Decimal::new(375, 2)),
        "AED" => Some(Decimal::new(36725, 4)),
        _ => None,
    }
}

pub fn can_convert(from: Currency, to: Currency) -> bool {
    from == to || (units_per_usd(from).is_some() && units_per_usd(to).is_some())
}

/// Exact (unrounded) value of `minor` units of `from`, in major units of `to`.
pub fn convert_decimal(minor: i128, from: Currency, to: Currency) -> Option<Decimal> {
    let major = Decimal::try_from_i128_with_scale(minor, from.exponent()).ok()?;
    if from == to {
        return Some(major);
    }
    let rate_from = units_per_usd(from)?;
    let rate_to = units_per_usd(to)?;
    // Multiply first: fewer digits lost than dividing first.
    major.checked_mul(rate_to)?.checked_div(rate_from)
}

/// Rounds an exact converted value half-even into money of `to`.
pub fn to_money(value: Decimal, to: Currency) -> Result<Money, MoneyError> {
    Money::from_decimal(value, to).map(|parsed| parsed.money)
}

/// Value in US cents as a float, for bucketing and ranking only (never for reported money).
pub fn approx_usd(minor: i64, currency: Currency) -> Option<f64> {
    let rate = units_per_usd(currency)?;
    let rate: f64 = rate.try_into().ok()?;
    let major = minor as f64 / currency.minor_per_major() as f64;
    Some(major / rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ccy(code: &str) -> Currency {
        Currency::from_code(code).unwrap()
    }

    #[test]
    fn converts_through_the_usd_pegs() {
        // 37.600 BHD = 100 USD = 375.00 SAR = 367.25 AED
        let bhd = 37_600;
        assert_eq!(
            convert_decimal(bhd, ccy("BHD"), ccy("USD")),
            Some(Decimal::new(100, 0))
        );
        let sar = to_money(
            convert_decimal(bhd, ccy("BHD"), ccy("SAR")).unwrap(),
            ccy("SAR"),
        );
        assert_eq!(sar.unwrap().minor(), 37_500);
        let aed = to_money(
            convert_decimal(bhd, ccy("BHD"), ccy("AED")).unwrap(),
            ccy("AED"),
        );
        assert_eq!(aed.unwrap().minor(), 36_725);
        // 1000.00 SAR = 1000 × 0.376 / 3.75 = 100.2666… BHD → 100.267
        let back = to_money(
            convert_decimal(100_000, ccy("SAR"), ccy("BHD")).unwrap(),
            ccy("BHD"),
        );
        assert_eq!(back.unwrap().minor(), 100_267);
    }

    #[test]
    fn unpegged_currencies_do_not_convert() {
        assert_eq!(convert_decimal(100, ccy("EUR"), ccy("BHD")), None);
        assert!(!can_convert(ccy("EUR"), ccy("SAR")));
        assert!(can_convert(ccy("EUR"), ccy("EUR")));
    }
}
