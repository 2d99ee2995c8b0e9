//! Local dates, weekends, months and business days per country. Pure date arithmetic: "today"
//! is always a parameter, never read from a clock.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};

use super::error::InsightsError;
use super::input::Country;

/// Oldest and newest year the engine works with; rows outside are ignored and counted, query
/// dates outside are refused. Keeps all date arithmetic far from chrono's limits.
pub const MIN_YEAR: i32 = 1970;
pub const MAX_YEAR: i32 = 2200;

impl Country {
    /// Fixed offset of the country's zone (no DST in the Gulf). `Other` is taken as UTC.
    pub fn utc_offset_seconds(self) -> i64 {
        match self {
            Country::BH | Country::SA => 3 * 3600,
            Country::AE => 4 * 3600,
            Country::Other => 0,
        }
    }

    /// BH and SA rest Friday–Saturday; the UAE moved to Saturday–Sunday in 2022; `Other` uses
    /// the international Saturday–Sunday.
    pub fn is_weekend(self, date: NaiveDate) -> bool {
        let day = date.weekday();
        match self {
            Country::BH | Country::SA => matches!(day, Weekday::Fri | Weekday::Sat),
            Country::AE | Country::Other => matches!(day, Weekday::Sat | Weekday::Sun),
        }
    }
}

/// Whether a timestamp is a date-only value serialised as midnight UTC.
pub fn is_date_only(at: DateTime<Utc>) -> bool {
    at.time() == NaiveTime::MIN
}

/// Local calendar date of a booking in the account's country. Date-only values keep the
/// calendar date they were given.
pub fn local_date(at: DateTime<Utc>, country: Country) -> NaiveDate {
    if is_date_only(at) {
        return at.date_naive();
    }
    at.checked_add_signed(Duration::seconds(country.utc_offset_seconds()))
        .map(|local| local.date_naive())
        .unwrap_or_else(|| at.date_naive())
}

pub fn in_supported_years(date: NaiveDate) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&date.year())
}

pub fn check_date(date: NaiveDate) -> Result<(), InsightsError> {
    if in_supported_years(date) {
        Ok(())
    } else {
        Err(InsightsError::DateOutOfRange(date))
    }
}

/// Longest range the engine computes (the HTTP layer limits callers to 2 years).
pub const MAX_RANGE_DAYS: i64 = 3700;

/// Validates a half-open query range `[from, to)`.
pub fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), InsightsError> {
    check_date(from)?;
    check_date(to)?;
    if from >= to {
        return Err(InsightsError::InvalidRange { from, to });
    }
    let days = (to - from).num_days();
    if days > MAX_RANGE_DAYS {
        return Err(InsightsError::RangeTooLong {
            days,
            max: MAX_RANGE_DAYS,
        });
    }
    Ok(())
}

/// Months counted from year 0: `year * 12 + month0`. Makes month steps plain integer steps.
pub fn month_index(date: NaiveDate) -> i32 {
    date.year() * 12 + date.month0() as i32
}

pub fn month_start(month: i32) -> NaiveDate {
    let year = month.div_euclid(12);
    let month0 = month.rem_euclid(12) as u32;
    // Every month index produced from a supported date is a valid month.
    NaiveDate::from_ymd_opt(year, month0 + 1, 1).unwrap_or(NaiveDate::MIN)
}

pub fn days_in_month(month: i32) -> u32 {
    let start = month_start(month);
    let next = month_start(month + 1);
    (next - start).num_days() as u32
}

/// The date with day-of-month `day` in `month`, clamped to the month's last day. Always
/// recomputed from the anchor, so Jan 31 → Feb 28 → Mar 31 never drifts.
pub fn anchored_date(month: i32, day: u32) -> NaiveDate {
    let clamped = day.clamp(1, days_in_month(month));
    month_start(month) + Duration::days(i64::from(clamped) - 1)
}

pub fn last_day_of_month(month: i32) -> NaiveDate {
    month_start(month + 1) - Duration::days(1)
}

pub fn previous_business_day(date: NaiveDate, country: Country) -> NaiveDate {
    let mut day = date;
    // At most two weekend days in a row.
    for _ in 0..3 {
        if !country.is_weekend(day) {
            return day;
        }
        day -= Duration::days(1);
    }
    day
}

pub fn next_business_day(date: NaiveDate, country: Country) -> NaiveDate {
    let mut day = date;
    for _ in 0..3 {
        if !country.is_weekend(day) {
            return day;
        }
        day += Duration::days(1);
    }
    day
}

pub fn last_business_day(month: i32, country: Country) -> NaiveDate {
    previous_business_day(last_day_of_month(month), country)
}

/// Days since the common era, for cheap date arithmetic in hot loops.
pub fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

pub fn from_day_number(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day).unwrap_or(NaiveDate::MIN)
}

/// Whether the weekend moves a due date earlier or later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeekendShift {
    Earlier,
    Later,
}

pub fn shift_for_weekend(date: NaiveDate, country: Country, shift: WeekendShift) -> NaiveDate {
    match shift {
        WeekendShift::Earlier => previous_business_day(date, country),
        WeekendShift::Later => next_business_day(date, country),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn local_date_uses_the_country_zone_but_keeps_date_only_values() {
        // 21:30Z is 00:30 the next day in Manama (UTC+3) and 01:30 in Dubai (UTC+4).
        let late = Utc.with_ymd_and_hms(2025, 1, 31, 21, 30, 0).unwrap();
        assert_eq!(local_date(late, Country::BH), d(2025, 2, 1));
        assert_eq!(local_date(late, Country::AE), d(2025, 2, 1));
        assert_eq!(local_date(late, Country::Other), d(2025, 1, 31));
        // 20:30Z is 23:30 in Riyadh but 00:30 in Dubai.
        let evening = Utc.with_ymd_and_hms(2025, 1, 31, 20, 30, 0).unwrap();
        assert_eq!(local_date(evening, Country::SA), d(2025, 1, 31));
        assert_eq!(local_date(evening, Country::AE), d(2025, 2, 1));
        let date_only = Utc.with_ymd_and_hms(2025, 3, 27, 0, 0, 0).unwrap();
        assert!(is_date_only(date_only));
        assert_eq!(local_date(date_only, Country::AE), d(2025, 3, 27));
    }

    #[test]
    fn weekends_differ_per_country() {
        let friday = d(2025, 6, 27);
        let sunday = d(2025, 6, 29);
        assert!(Country::BH.is_weekend(friday) && Country::SA.is_weekend(friday));
        assert!(!Country::AE.is_weekend(friday));
        assert!(Country::AE.is_weekend(sunday) && !Country::BH.is_weekend(sunday));
    }

    #[test]
    fn anchored_dates_never_drift() {
        let jan = month_index(d(2025, 1, 1));
        assert_eq!(anchored_date(jan, 31), d(2025, 1, 31));
        assert_eq!(anchored_date(jan + 1, 31), d(2025, 2, 28));
        assert_eq!(anchored_date(jan + 2, 31), d(2025, 3, 31));
        assert_eq!(anchored_date(jan + 3, 31), d(2025, 4, 30));
        assert_eq!(
            anchored_date(month_index(d(2024, 2, 1)), 30),
            d(2024, 2, 29)
        );
        assert_eq!(month_start(jan - 1), d(2024, 12, 1));
    }

    #[test]
    fn business_days_follow_the_weekend() {
        // 2025-06-27 is a Friday: BH pays Thursday the 26th, AE pays the same Friday.
        assert_eq!(
            previous_business_day(d(2025, 6, 27), Country::BH),
            d(2025, 6, 26)
        );
        assert_eq!(
            previous_business_day(d(2025, 6, 27), Country::AE),
            d(2025, 6, 27)
        );
        // 2025-09-27 is a Saturday: BH → Thursday 25th, AE → Friday 26th.
        assert_eq!(
            previous_business_day(d(2025, 9, 27), Country::SA),
            d(2025, 9, 25)
        );
        assert_eq!(
            previous_business_day(d(2025, 9, 27), Country::AE),
            d(2025, 9, 26)
        );
        assert_eq!(
            next_business_day(d(2025, 9, 27), Country::BH),
            d(2025, 9, 28)
        );
        // May 2025 ends on a Saturday: last business day BH Thu 29th, AE Fri 30th.
        let may = month_index(d(2025, 5, 1));
        assert_eq!(last_business_day(may, Country::BH), d(2025, 5, 29));
        assert_eq!(last_business_day(may, Country::AE), d(2025, 5, 30));
    }

    #[test]
    fn ranges_are_checked() {
        assert!(check_range(d(2025, 1, 1), d(2025, 2, 1)).is_ok());
        assert!(matches!(
            check_range(d(2025, 2, 1), d(2025, 2, 1)),
            Err(InsightsError::InvalidRange { .. })
        ));
        assert!(matches!(
            check_range(d(2000, 1, 1), d(2025, 1, 1)),
            Err(InsightsError::RangeTooLong { .. })
        ));
        assert!(matches!(
            check_range(NaiveDate::MIN, d(2025, 1, 1)),
            Err(InsightsError::DateOutOfRange(_))
        ));
    }
}
