//! Calendar helpers. The Gulf weekend is Friday–Saturday.

use chrono::{Datelike, Days, NaiveDate, Weekday};

pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Fri | Weekday::Sat)
}

/// A payday on a Friday or Saturday moves to the Thursday before.
pub fn payday_shift(date: NaiveDate) -> NaiveDate {
    let back = match date.weekday() {
        Weekday::Fri => 1,
        Weekday::Sat => 2,
        _ => 0,
    };
    date - Days::new(back)
}

pub fn add_days(date: NaiveDate, days: u64) -> NaiveDate {
    date + Days::new(days)
}

/// A calendar month, keyed by `year * 12 + month0` so that streams can be keyed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn key(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    pub fn from_key(key: i64) -> Self {
        Self {
            year: key.div_euclid(12) as i32,
            month: key.rem_euclid(12) as u32 + 1,
        }
    }

    pub fn next(self) -> Self {
        Self::from_key(self.key() + 1)
    }

    pub fn prev(self) -> Self {
        Self::from_key(self.key() - 1)
    }

    pub fn first(self) -> NaiveDate {
        self.day(1).unwrap_or(NaiveDate::MIN)
    }

    /// The given day of this month, if it exists.
    pub fn day(self, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, day)
    }

    pub fn days(self) -> u32 {
        (28..=31)
            .rev()
            .find(|&d| self.day(d).is_some())
            .unwrap_or(28)
    }

    pub fn dates(self) -> impl Iterator<Item = NaiveDate> {
        (1..=self.days()).filter_map(move |d| self.day(d))
    }

    pub fn short_name(self) -> &'static str {
        const NAMES: [&str; 12] = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        NAMES[(self.month as usize - 1) % 12]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn payday_moves_to_thursday() {
        // 2025-06-27 is a Friday, 2025-09-27 a Saturday, 2025-05-27 a Tuesday.
        assert_eq!(payday_shift(date(2025, 6, 27)), date(2025, 6, 26));
        assert_eq!(payday_shift(date(2025, 9, 27)), date(2025, 9, 25));
        assert_eq!(payday_shift(date(2025, 5, 27)), date(2025, 5, 27));
    }

    #[test]
    fn month_keys_round_trip() {
        let m = Month {
            year: 2024,
            month: 12,
        };
        assert_eq!(
            m.next(),
            Month {
                year: 2025,
                month: 1
            }
        );
        assert_eq!(m.next().prev(), m);
        assert_eq!(Month::from_key(m.key()), m);
        assert_eq!(
            Month {
                year: 2024,
                month: 2
            }
            .days(),
            29
        );
        assert_eq!(
            Month {
                year: 2025,
                month: 2
            }
            .days(),
            28
        );
    }
}
