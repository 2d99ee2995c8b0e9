//! Our category taxonomy (docs/insight-algorithms.md §7, modelled on Plaid PFC v1 primaries) and
//! the data tables mapping Tarabut category names and merchant category codes onto it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Income,
    TransferIn,
    TransferOut,
    Cash,
    LoanPayments,
    BankFees,
    FoodAndDrink,
    Shopping,
    Home,
    Health,
    PersonalCare,
    Services,
    GovernmentAndCharity,
    Transport,
    Travel,
    BillsAndUtilities,
    Entertainment,
    Uncategorized,
}

impl Category {
    pub const ALL: [Category; 18] = [
        Category::Income,
        Category::TransferIn,
        Category::TransferOut,
        Category::Cash,
        Category::LoanPayments,
        Category::BankFees,
        Category::FoodAndDrink,
        Category::Shopping,
        Category::Home,
        Category::Health,
        Category::PersonalCare,
        Category::Services,
        Category::GovernmentAndCharity,
        Category::Transport,
        Category::Travel,
        Category::BillsAndUtilities,
        Category::Entertainment,
        Category::Uncategorized,
    ];

    /// Stable snake_case id (the JSON value and group key).
    pub fn id(self) -> &'static str {
        match self {
            Category::Income => "income",
            Category::TransferIn => "transfer_in",
            Category::TransferOut => "transfer_out",
            Category::Cash => "cash",
            Category::LoanPayments => "loan_payments",
            Category::BankFees => "bank_fees",
            Category::FoodAndDrink => "food_and_drink",
            Category::Shopping => "shopping",
            Category::Home => "home",
            Category::Health => "health",
            Category::PersonalCare => "personal_care",
            Category::Services => "services",
            Category::GovernmentAndCharity => "government_and_charity",
            Category::Transport => "transport",
            Category::Travel => "travel",
            Category::BillsAndUtilities => "bills_and_utilities",
            Category::Entertainment => "entertainment",
            Category::Uncategorized => "uncategorized",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Income => "Income",
            Category::TransferIn => "Transfers in",
            Category::TransferOut => "Transfers to others",
            Category::Cash => "Cash",
            Category::LoanPayments => "Loan payments",
            Category::BankFees => "Bank fees",
            Category::FoodAndDrink => "Food & drink",
            Category::Shopping => "Shopping",
            Category::Home => "Home",
            Category::Health => "Health",
            Category::PersonalCare => "Personal care",
            Category::Services => "Services",
            Category::GovernmentAndCharity => "Government & charity",
            Category::Transport => "Transport",
            Category::Travel => "Travel",
            Category::BillsAndUtilities => "Bills & utilities",
            Category::Entertainment => "Entertainment",
            Category::Uncategorized => "Uncategorized",
        }
    }
}

/// Tarabut enrichment category names (compared case-insensitively, spaces and "&"/"and"
/// ignored) → our category. The provider's list is not published; these are the names seen in
/// samples plus the obvious variants. A name not in the table falls through to our own rules.
pub const TARABUT_CATEGORY_NAMES: &[(&str, Category)] = &[
    ("eating out", Category::FoodAndDrink),
    ("restaurants", Category::FoodAndDrink),
    ("food", Category::FoodAndDrink),
    ("food drink", Category::FoodAndDrink),
    ("coffee", Category::FoodAndDrink),
    ("groceries", Category::FoodAndDrink),
    ("supermarkets", Category::FoodAndDrink),
    ("food delivery", Category::FoodAndDrink),
    ("shopping", Category::Shopping),
    ("general shopping", Category::Shopping),
    ("clothing", Category::Shopping),
    ("electronics", Category::Shopping),
    ("online shopping", Category::Shopping),
    ("home", Category::Home),
    ("home improvement", Category::Home),
    ("furniture", Category::Home),
    ("health", Category::Health),
    ("healthcare", Category::Health),
    ("medical", Category::Health),
    ("pharmacy", Category::Health),
    ("personal care", Category::PersonalCare),
    ("beauty", Category::PersonalCare),
    ("fitness", Category::PersonalCare),
    ("sports fitness", Category::PersonalCare),
    ("education", Category::Services),
    ("insurance", Category::Services),
    ("services", Category::Services),
    ("general services", Category::Services),
    ("childcare", Category::Services),
    ("government", Category::GovernmentAndCharity),
    ("government services", Category::GovernmentAndCharity),
    ("charity", Category::GovernmentAndCharity),
    ("donations", Category::GovernmentAndCharity),
    ("zakat", Category::GovernmentAndCharity),
    ("taxes", Category::GovernmentAndCharity),
    ("transport", Category::Transport),
    ("transportation", Category::Transport),
    ("fuel", Category::Transport),
    ("car", Category::Transport),
    ("parking", Category::Transport),
    ("travel", Category::Travel),
    ("hotels", Category::Travel),
    ("flights", Category::Travel),
    ("bills", Category::BillsAndUtilities),
    ("utilities", Category::BillsAndUtilities),
    ("bills utilities", Category::BillsAndUtilities),
    ("rent", Category::BillsAndUtilities),
    ("housing", Category::BillsAndUtilities),
    ("telecom", Category::BillsAndUtilities),
    ("mobile internet", Category::BillsAndUtilities),
    ("entertainment", Category::Entertainment),
    ("subscriptions", Category::Entertainment),
    ("leisure", Category::Entertainment),
    ("fees", Category::BankFees),
    ("bank fees", Category::BankFees),
    ("bank charges", Category::BankFees),
    ("charges", Category::BankFees),
    ("cash", Category::Cash),
    ("atm", Category::Cash),
    ("cash withdrawal", Category::Cash),
    ("loans", Category::LoanPayments),
    ("loan repayment", Category::LoanPayments),
    ("finance", Category::LoanPayments),
    ("transfers", Category::TransferOut),
    ("transfer", Category::TransferOut),
    ("family friends", Category::TransferOut),
];

/// Maps a Tarabut category name onto ours, if the table knows it. Words are compared
/// lower-cased with punctuation and the word "and" ignored ("Bills & Utilities").
pub fn from_tarabut_name(name: &str) -> Option<Category> {
    let mut folded = String::with_capacity(name.len());
    for word in name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !w.eq_ignore_ascii_case("and"))
    {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.extend(word.chars().flat_map(char::to_lowercase));
    }
    TARABUT_CATEGORY_NAMES
        .iter()
        .find(|(known, _)| *known == folded)
        .map(|(_, category)| *category)
}

/// ISO 18245 merchant category code ranges → our category.
pub const MCC_RANGES: &[(u16, u16, Category)] = &[
    (3000, 3299, Category::Travel),    // airlines
    (3351, 3441, Category::Transport), // car rental
    (3501, 3999, Category::Travel),    // hotels
    (4011, 4011, Category::Transport),
    (4111, 4131, Category::Transport), // commuter transport, taxis, buses
    (4411, 4411, Category::Travel),    // cruise lines
    (4457, 4468, Category::Transport),
    (4511, 4582, Category::Travel),    // airlines, airports
    (4722, 4722, Category::Travel),    // travel agencies
    (4784, 4784, Category::Transport), // tolls
    (4789, 4789, Category::Transport),
    (4812, 4816, Category::BillsAndUtilities), // telecom
    (4899, 4899, Category::BillsAndUtilities), // cable, streaming bundles
    (4900, 4900, Category::BillsAndUtilities), // utilities
    (5200, 5261, Category::Home),
    (5300, 5399, Category::Shopping),
    (5411, 5411, Category::FoodAndDrink), // groceries
    (5422, 5499, Category::FoodAndDrink),
    (5511, 5599, Category::Transport), // car dealers, fuel 5541/5542
    (5600, 5699, Category::Shopping),  // clothing
    (5712, 5719, Category::Home),
    (5722, 5722, Category::Home),
    (5732, 5735, Category::Shopping),
    (5811, 5814, Category::FoodAndDrink), // restaurants, fast food
    (5815, 5818, Category::Entertainment), // digital goods
    (5912, 5912, Category::Health),       // pharmacies
    (5921, 5999, Category::Shopping),
    (6010, 6011, Category::Cash),
    (6300, 6399, Category::Services), // insurance
    (7011, 7011, Category::Travel),
    (7210, 7299, Category::PersonalCare), // laundry, salons, spas
    (7311, 7399, Category::Services),
    (7512, 7549, Category::Transport), // car rental, parking, car wash, repairs
    (7832, 7841, Category::Entertainment),
    (7911, 7999, Category::Entertainment),
    (8011, 8099, Category::Health),
    (8211, 8299, Category::Services), // education
    (8351, 8351, Category::Services), // childcare
    (8398, 8399, Category::GovernmentAndCharity),
    (8661, 8661, Category::GovernmentAndCharity),
    (9211, 9402, Category::GovernmentAndCharity),
];

/// Maps a merchant category code ("5411") onto our category.
pub fn from_mcc(code: &str) -> Option<Category> {
    let value: u16 = code.trim().parse().ok()?;
    let category = MCC_RANGES
        .iter()
        .find(|(low, high, _)| (*low..=*high).contains(&value))
        .map(|(_, _, category)| *category)?;
    // The gym/club code sits inside the entertainment block but is personal care for us.
    if value == 7997 {
        return Some(Category::PersonalCare);
    }
    Some(category)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarabut_names_map_case_and_ampersand_insensitively() {
        assert_eq!(
            from_tarabut_name("Eating Out"),
            Some(Category::FoodAndDrink)
        );
        assert_eq!(
            from_tarabut_name("Bills & Utilities"),
            Some(Category::BillsAndUtilities)
        );
        assert_eq!(
            from_tarabut_name("bills utilities"),
            Some(Category::BillsAndUtilities)
        );
        assert_eq!(
            from_tarabut_name(" GROCERIES "),
            Some(Category::FoodAndDrink)
        );
        assert_eq!(from_tarabut_name("Something New"), None);
    }

    #[test]
    fn mcc_ranges_map() {
        assert_eq!(from_mcc("5411"), Some(Category::FoodAndDrink));
        assert_eq!(from_mcc("5814"), Some(Category::FoodAndDrink));
        assert_eq!(from_mcc("5541"), Some(Category::Transport));
        assert_eq!(from_mcc("6011"), Some(Category::Cash));
        assert_eq!(from_mcc("7997"), Some(Category::PersonalCare));
        assert_eq!(from_mcc("3005"), Some(Category::Travel));
        assert_eq!(from_mcc("abc"), None);
        assert_eq!(from_mcc("0001"), None);
    }

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<_> = Category::ALL.iter().map(|c| c.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Category::ALL.len());
    }
}
