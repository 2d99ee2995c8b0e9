//! The insight routes' query strings, validated before anything is read or written.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::error::AppError;
use crate::money::Currency;

/// Longest range an insight covers (two years, a leap day included).
pub const MAX_RANGE_DAYS: i64 = 731;

/// The query parameters, each at most once; `allowed` lists the names the route takes (an
/// unknown name is refused: a typo must not silently change the answer).
pub struct Params<'a> {
    values: HashMap<&'a str, &'a str>,
}

impl<'a> Params<'a> {
    pub fn new(pairs: Vec<(&'a str, &'a str)>, allowed: &[&str]) -> Result<Params<'a>, AppError> {
        let mut values = HashMap::new();
        for (k, v) in pairs {
            if !allowed.contains(&k) {
                return Err(AppError::BadRequest(format!(
                    "unknown query parameter {k:?}; this route takes {}",
                    allowed.join(", ")
                )));
            }
            if values.insert(k, v).is_some() {
                return Err(AppError::BadRequest(format!(
                    "query parameter {k} given more than once"
                )));
            }
        }
        Ok(Params { values })
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.values.get(name).copied()
    }

    pub fn date(&self, name: &str) -> Result<NaiveDate, AppError> {
        let raw = self.get(name).ok_or_else(|| {
            AppError::BadRequest(format!("query parameter {name} (YYYY-MM-DD) is required"))
        })?;
        parse_date(name, raw)
    }

    /// `from` and `to`: a half-open range `[from, to)` of at most two years.
    pub fn range(&self) -> Result<(NaiveDate, NaiveDate), AppError> {
        let from = self.date("from")?;
        let to = self.date("to")?;
        if from >= to {
            return Err(AppError::BadRequest(
                "from must be before to (the range is [from, to))".into(),
            ));
        }
        if (to - from).num_days() > MAX_RANGE_DAYS {
            return Err(AppError::BadRequest(format!(
                "the range is limited to {MAX_RANGE_DAYS} days"
            )));
        }
        Ok((from, to))
    }

    pub fn flag(&self, name: &str) -> Result<bool, AppError> {
        match self.get(name) {
            None => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some("false") | Some("0") => Ok(false),
            Some(other) => Err(AppError::BadRequest(format!(
                "{name} must be true or false, got {other:?}"
            ))),
        }
    }

    pub fn account_id(&self) -> Result<Option<String>, AppError> {
        match self.get("accountId") {
            None => Ok(None),
            Some(id) if !id.is_empty() && id.len() <= 128 && !id.contains('#') => {
                Ok(Some(id.to_string()))
            }
            // Not an id we could hold: the same answer as an unknown one.
            Some(_) => Err(AppError::NotFound("account")),
        }
    }

    pub fn currency(&self, name: &str) -> Result<Option<Currency>, AppError> {
        self.get(name)
            .map(|c| {
                Currency::from_code(c).map_err(|_| {
                    AppError::BadRequest(format!(
                        "{name} must be an ISO 4217 code like BHD, got {c:?}"
                    ))
                })
            })
            .transpose()
    }
}

fn parse_date(name: &str, raw: &str) -> Result<NaiveDate, AppError> {
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|_| raw.len() == 10)
        .ok_or_else(|| {
            AppError::BadRequest(format!("{name} must be a date YYYY-MM-DD, got {raw:?}"))
        })?;
    // Bank data exists for neither antiquity nor the far future.
    if !(2000..=2100).contains(&chrono::Datelike::year(&date)) {
        return Err(AppError::BadRequest(format!("{name} is out of range")));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params<'a>(pairs: &[(&'a str, &'a str)]) -> Result<Params<'a>, AppError> {
        Params::new(
            pairs.to_vec(),
            &["from", "to", "accountId", "refresh", "currency"],
        )
    }

    #[test]
    fn ranges() {
        let ok = params(&[("from", "2026-01-01"), ("to", "2026-02-01")]).unwrap();
        assert_eq!(ok.range().unwrap().0.to_string(), "2026-01-01");
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
            let p = params(&bad).unwrap();
            assert!(matches!(p.range(), Err(AppError::BadRequest(_))), "{bad:?}");
        }
        // Exactly two years (with a leap day) is allowed.
        let p = params(&[("from", "2024-01-01"), ("to", "2026-01-01")]).unwrap();
        assert!(p.range().is_ok());
    }

    #[test]
    fn unknown_and_repeated_parameters_are_refused() {
        assert!(params(&[("form", "2026-01-01")]).is_err());
        assert!(params(&[("from", "2026-01-01"), ("from", "2026-01-02")]).is_err());
    }

    #[test]
    fn flags_ids_and_currencies() {
        let p = params(&[
            ("refresh", "true"),
            ("accountId", "acc-1"),
            ("currency", "SAR"),
        ])
        .unwrap();
        assert!(p.flag("refresh").unwrap());
        assert_eq!(p.account_id().unwrap().as_deref(), Some("acc-1"));
        assert_eq!(p.currency("currency").unwrap().unwrap().code(), "SAR");
        assert!(
            params(&[("refresh", "yes")])
                .unwrap()
                .flag("refresh")
                .is_err()
        );
        assert!(matches!(
            params(&[("accountId", "a#b")]).unwrap().account_id(),
            Err(AppError::NotFound(_))
        ));
        assert!(
            params(&[("currency", "XXX")])
                .unwrap()
                .currency("currency")
                .is_err()
        );
    }
}
