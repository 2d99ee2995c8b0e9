//! The insight routes' query strings as typed structs. serde refuses an unknown parameter
//! (`deny_unknown_fields`: a typo must not silently change the answer), a missing one and a
//! wrong type; the use cases then check what spans fields (the range) or needs the table.

use std::fmt;

use chrono::NaiveDate;
use insights_engine::GroupBy;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::error::UseCaseError;
use crate::money::Currency;

/// Longest range an insight covers (two years, a leap day included).
pub const MAX_RANGE_DAYS: i64 = 731;

/// `GET /finance/insights/spending`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpendingParams {
    pub from: QueryDate,
    pub to: QueryDate,
    #[serde(default = "by_category")]
    pub group_by: GroupBy,
    pub account_id: Option<String>,
    #[serde(default)]
    pub refresh: Flag,
}

fn by_category() -> GroupBy {
    GroupBy::Category
}

/// `GET /finance/insights/income`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncomeParams {
    pub from: QueryDate,
    pub to: QueryDate,
    pub account_id: Option<String>,
    #[serde(default)]
    pub refresh: Flag,
}

/// `GET /finance/insights/salary`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SalaryParams {
    #[serde(default)]
    pub refresh: Flag,
    /// Also ask Tarabut's salary insight, as a cross-check.
    #[serde(default)]
    pub corroborate: Flag,
}

/// `GET /finance/insights/balance-history`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BalanceHistoryParams {
    pub from: QueryDate,
    pub to: QueryDate,
    pub account_id: Option<String>,
    /// The currency of the total (GCC pegs); the accounts' own currency by default.
    pub currency: Option<Currency>,
    #[serde(default)]
    pub refresh: Flag,
}

/// A calendar date written exactly `YYYY-MM-DD`, within years bank data can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryDate(pub NaiveDate);

impl<'de> Deserialize<'de> for QueryDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = QueryDate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a date YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, raw: &str) -> Result<QueryDate, E> {
                parse_date(raw).map(QueryDate).map_err(E::custom)
            }
        }
        d.deserialize_str(DateVisitor)
    }
}

fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|_| raw.len() == 10)
        .ok_or_else(|| format!("a date must be YYYY-MM-DD, got {raw:?}"))?;
    // Bank data exists for neither antiquity nor the far future.
    if !(2000..=2100).contains(&chrono::Datelike::year(&date)) {
        return Err(format!("the date {raw} is out of range"));
    }
    Ok(date)
}

/// A boolean flag: `true`/`1` or `false`/`0`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FlagVisitor;
        impl Visitor<'_> for FlagVisitor {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true or false")
            }
            fn visit_str<E: de::Error>(self, raw: &str) -> Result<Flag, E> {
                match raw {
                    "true" | "1" => Ok(Flag(true)),
                    "false" | "0" => Ok(Flag(false)),
                    other => Err(E::custom(format!(
                        "a flag must be true or false, got {other:?}"
                    ))),
                }
            }
        }
        d.deserialize_str(FlagVisitor)
    }
}

/// `from` and `to`: a half-open range `[from, to)` of at most two years.
pub fn range(from: QueryDate, to: QueryDate) -> Result<(NaiveDate, NaiveDate), UseCaseError> {
    let (from, to) = (from.0, to.0);
    if from >= to {
        return Err(UseCaseError::Invalid(
            "from must be before to (the range is [from, to))".into(),
        ));
    }
    if (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(UseCaseError::Invalid(format!(
            "the range is limited to {MAX_RANGE_DAYS} days"
        )));
    }
    Ok((from, to))
}

/// An `accountId` we could hold, else the same answer as an unknown one.
pub fn account_id(raw: Option<&str>) -> Result<Option<String>, UseCaseError> {
    match raw {
        None => Ok(None),
        Some(id) if !id.is_empty() && id.len() <= 128 && !id.contains('#') => {
            Ok(Some(id.to_string()))
        }
        Some(_) => Err(UseCaseError::NotFound("account")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(pairs: &[(&str, &str)]) -> Result<T, String> {
        let encoded = serde_urlencoded::to_string(pairs).map_err(|e| e.to_string())?;
        serde_urlencoded::from_str(&encoded).map_err(|e| e.to_string())
    }

    fn income(pairs: &[(&str, &str)]) -> Result<(NaiveDate, NaiveDate), String> {
        let p: IncomeParams = parse(pairs)?;
        range(p.from, p.to).map_err(|e| e.to_string())
    }

    #[test]
    fn ranges() {
        let ok = income(&[("from", "2026-01-01"), ("to", "2026-02-01")]).unwrap();
        assert_eq!(ok.0.to_string(), "2026-01-01");
        for bad in [
            vec![("from", "2026-02-01"), ("to", "2026-01-01")],
            vec![("from", "2026-01-01"), ("to", "2026-01-01")],
            vec![("from", "2024-01-01"), ("to", "2026-01-02")],
            vec![("from", "2026-1-1"), ("to", "2026-02-01")],
            vec![("from", "2026-02-30"), ("to", "2026-03-01")],
            vec![("from", "1990-01-01"), ("to", "1990-02-01")],
            vec![("to", "2026-02-01")],
            vec![("from", "2026-01-01T00:00:00Z"), ("to", "2026-02-01")],
        ] {
            assert!(income(&bad).is_err(), "{bad:?}");
        }
        // Exactly two years (with a leap day) is allowed.
        assert!(income(&[("from", "2024-01-01"), ("to", "2026-01-01")]).is_ok());
    }

    #[test]
    fn unknown_parameters_are_refused() {
        let typo = parse::<IncomeParams>(&[("form", "2026-01-01"), ("to", "2026-02-01")]);
        assert!(typo.unwrap_err().contains("unknown field"));
        assert!(parse::<SalaryParams>(&[("from", "2026-01-01")]).is_err());
    }

    #[test]
    fn flags_ids_and_currencies() {
        let p: BalanceHistoryParams = parse(&[
            ("from", "2026-01-01"),
            ("to", "2026-02-01"),
            ("refresh", "true"),
            ("accountId", "acc-1"),
            ("currency", "SAR"),
        ])
        .unwrap();
        assert!(p.refresh.0);
        assert_eq!(
            account_id(p.account_id.as_deref()).unwrap().as_deref(),
            Some("acc-1")
        );
        assert_eq!(p.currency.unwrap().code(), "SAR");
        assert!(parse::<SalaryParams>(&[("refresh", "yes")]).is_err());
        assert!(
            parse::<SalaryParams>(&[("corroborate", "1")])
                .unwrap()
                .corroborate
                .0
        );
        assert!(matches!(
            account_id(Some("a#b")),
            Err(UseCaseError::NotFound(_))
        ));
        let bad_currency = parse::<BalanceHistoryParams>(&[
            ("from", "2026-01-01"),
            ("to", "2026-02-01"),
            ("currency", "XXX"),
        ]);
        assert!(bad_currency.is_err());
        let by: SpendingParams = parse(&[
            ("from", "2026-01-01"),
            ("to", "2026-02-01"),
            ("groupBy", "merchant"),
        ])
        .unwrap();
        assert_eq!(by.group_by, GroupBy::Merchant);
        assert!(
            parse::<SpendingParams>(&[
                ("from", "2026-01-01"),
                ("to", "2026-02-01"),
                ("groupBy", "x")
            ])
            .is_err()
        );
    }
}
