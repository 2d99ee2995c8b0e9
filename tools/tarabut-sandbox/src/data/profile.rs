//! The per-user constants of a bank universe (names, salary, rent, opening balances, ids),
//! all drawn from the user's seed.

use super::calendar::Month;
use super::catalogue::{CARIBOU, COSTA, Merchant, STARBUCKS};
use super::ids::{iban, seed_for, stable_uuid};
use super::model::{AccountKind, Identifier};
use crate::money::mul_div_round;
use crate::prng::SplitMix64;

const FIRST_NAMES: [&str; 12] = [
    "Sara", "Fatima", "Maryam", "Noor", "Layla", "Huda", "Ahmed", "Mohammed", "Ali", "Hussain",
    "Yousif", "Khalid",
];
const LAST_NAMES: [&str; 10] = [
    "Al-Ansari",
    "Al-Sayed",
    "Hasan",
    "Al-Mahmood",
    "Al-Doseri",
    "Al-Qassab",
    "Janahi",
    "Al-Hashimi",
    "Bucheeri",
    "Al-Aradi",
];
const EMPLOYERS: [&str; 5] = [
    "GULF ALUMINIUM W.L.L.",
    "MANAMA LOGISTICS B.S.C.",
    "AL KHALEEJ TRADING W.L.L.",
    "SEEF CONSULTING W.L.L.",
    "BAHRAIN MARINE SERVICES CO.",
];
const COFFEE_SHOPS: [&Merchant; 3] = [&COSTA, &CARIBOU, &STARBUCKS];

/// Salary levels are anchored here: the raise of year Y is applied from (Y, raise_month).
const SALARY_ANCHOR_YEAR: i32 = 2024;

pub struct Profile {
    pub seed: u64,
    pub holder: String,
    pub employer: &'static str,
    /// Monthly salary in fils before the anchor year's raise.
    pub salary_base_fils: i64,
    /// Month (5..=8) in which the yearly raise starts.
    pub raise_month: u32,
    /// Yearly raise in permille (~8 %).
    pub raise_permille: i64,
    pub rent_fils: i64,
    /// Scales variable BHD spending with the salary level.
    pub spend_permille: i64,
    pub favourite_coffee: &'static Merchant,
    /// Opening balances at the generation epoch, by `AccountKind::index` (the card's is derived
    /// from its first statement instead).
    pub openings: [i64; 4],
    /// Months whose key % 4 equals this get a grocery refund at Blue Bank.
    pub blue_refund_phase: i64,
    /// Months whose key % 6 equals this get a Noon refund on the card.
    pub card_refund_phase: i64,
    pub account_ids: [String; 4],
    pub identifiers: [Identifier; 4],
    pub ewa_account: String,
    pub batelco_number: String,
    pub stc_number: String,
}

fn digits(rng: &mut SplitMix64, count: usize) -> String {
    (0..count)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

impl Profile {
    pub fn new(customer_user_id: &str) -> Self {
        let seed = seed_for(customer_user_id);
        let mut rng = SplitMix64::stream(seed, "profile", 0);
        let holder = format!("{} {}", rng.pick(&FIRST_NAMES), rng.pick(&LAST_NAMES));
        let employer = *rng.pick(&EMPLOYERS);
        let salary_base_fils = rng.range(1_150_000, 2_600_000);
        let raise_month = rng.range(5, 8) as u32;
        let raise_permille = rng.range(75, 85);
        // Rent ≈ 25–33 % of salary, in whole 5 BHD steps.
        let rent_fils = mul_div_round(salary_base_fils, rng.range(250, 330), 1000) / 5_000 * 5_000;
        let spend_permille = mul_div_round(salary_base_fils, 1000, 1_500_000).clamp(800, 1500);
        let favourite_coffee = *rng.pick(&COFFEE_SHOPS);
        let openings = [
            mul_div_round(salary_base_fils, rng.range(500, 1200), 1000) + 600_000,
            rng.range(300_000, 6_000_000),
            rng.range(200_000, 600_000),
            0,
        ];
        let blue_refund_phase = rng.range(0, 3);
        let card_refund_phase = rng.range(0, 5);

        let account_ids = AccountKind::ALL
            .map(|kind| stable_uuid(&["account", customer_user_id, kind.id_label()]));
        let blue_current = iban("BH", &format!("BLUE{}", digits(&mut rng, 14)));
        let blue_savings = iban("BH", &format!("BLUE{}", digits(&mut rng, 14)));
        let red_current = iban("SA", &format!("65{}", digits(&mut rng, 18)));
        let pan = format!("524371******{}", digits(&mut rng, 4));
        let identifiers = [
            Identifier {
                kind: "IBAN",
                value: blue_current,
            },
            Identifier {
                kind: "IBAN",
                value: blue_savings,
            },
            Identifier {
                kind: "IBAN",
                value: red_current,
            },
            Identifier {
                kind: "maskedPAN",
                value: pan,
            },
        ];
        let ewa_account = digits(&mut rng, 10);
        let batelco_number = format!("3{}", digits(&mut rng, 7));
        let stc_number = format!("05{}", digits(&mut rng, 8));
        Self {
            seed,
            holder,
            employer,
            salary_base_fils,
            raise_month,
            raise_permille,
            rent_fils,
            spend_permille,
            favourite_coffee,
            openings,
            blue_refund_phase,
            card_refund_phase,
            account_ids,
            identifiers,
            ewa_account,
            batelco_number,
            stc_number,
        }
    }

    pub fn account_id(&self, kind: AccountKind) -> &str {
        &self.account_ids[kind.index()]
    }

    pub fn identifier(&self, kind: AccountKind) -> &str {
        &self.identifiers[kind.index()].value
    }

    /// The salary of a month: the base scaled by one raise per year since the anchor.
    pub fn salary_for(&self, month: Month) -> i64 {
        let raised_this_year = i32::from(month.month >= self.raise_month);
        let raises = month.year - SALARY_ANCHOR_YEAR + raised_this_year;
        let factor = 1000 + self.raise_permille;
        let mut salary = self.salary_base_fils;
        for _ in 0..raises.unsigned_abs() {
            salary = if raises > 0 {
                mul_div_round(salary, factor, 1000)
            } else {
                mul_div_round(salary, 1000, factor)
            };
        }
        salary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salary_rises_once_a_year_by_about_eight_percent() {
        let p = Profile::new("salary-user");
        let before = p.salary_for(Month {
            year: 2025,
            month: p.raise_month - 1,
        });
        let after = p.salary_for(Month {
            year: 2025,
            month: p.raise_month,
        });
        let ratio = after * 1000 / before;
        assert!((1074..=1086).contains(&ratio), "ratio {ratio}");
        assert_eq!(
            before,
            p.salary_for(Month {
                year: 2025,
                month: 1
            })
        );
    }

    #[test]
    fn profile_is_deterministic() {
        let a = Profile::new("same-user");
        let b = Profile::new("same-user");
        assert_eq!(a.holder, b.holder);
        assert_eq!(a.account_ids, b.account_ids);
        assert_eq!(a.openings, b.openings);
        assert!(super::super::ids::iban_is_valid(
            a.identifier(AccountKind::BlueCurrent)
        ));
        assert!(super::super::ids::iban_is_valid(
            a.identifier(AccountKind::RedCurrent)
        ));
    }
}
