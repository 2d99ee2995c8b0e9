//! Fixed reference data: providers, merchants and categories. Logo and icon URLs point at a
//! reserved `.test` host so that the data is identical whatever port a sandbox listens on.

use crate::money::Currency;

pub const ASSET_BASE: &str = "https://assets.tarabut-sandbox.test";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderId {
    Blue,
    Red,
}

impl ProviderId {
    pub const ALL: [ProviderId; 2] = [ProviderId::Blue, ProviderId::Red];

    pub fn code(self) -> &'static str {
        match self {
            ProviderId::Blue => "BLUE",
            ProviderId::Red => "RED",
        }
    }

    /// Provider ids are matched exactly (upper case), like the real ones.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn info(self) -> &'static ProviderInfo {
        match self {
            ProviderId::Blue => &BLUE_BANK,
            ProviderId::Red => &RED_BANK,
        }
    }
}

pub struct ProviderInfo {
    pub name: &'static str,
    pub display_name: &'static str,
    pub arabic_display_name: &'static str,
    pub country_code: &'static str,
    pub currency: Currency,
}

pub static BLUE_BANK: ProviderInfo = ProviderInfo {
    name: "Blue Bank",
    display_name: "Blue Bank",
    arabic_display_name: "البنك الأزرق",
    country_code: "BHR",
    currency: Currency::Bhd,
};

pub static RED_BANK: ProviderInfo = ProviderInfo {
    name: "Red Bank",
    display_name: "Red Bank",
    arabic_display_name: "البنك الأحمر",
    country_code: "SAU",
    currency: Currency::Sar,
};

pub fn provider_logo_url(id: ProviderId) -> String {
    format!(
        "{ASSET_BASE}/providers/{}.png",
        id.code().to_ascii_lowercase()
    )
}

#[derive(Debug)]
pub struct Category {
    pub group: &'static str,
    pub name: &'static str,
    pub icon_slug: &'static str,
}

impl Category {
    pub fn icon_url(&self) -> String {
        format!("{ASSET_BASE}/categories/{}.svg", self.icon_slug)
    }
}

#[derive(Debug)]
pub struct Merchant {
    pub name: &'static str,
    pub logo_slug: &'static str,
    pub mcc: &'static str,
}

impl Merchant {
    pub fn logo_url(&self) -> String {
        format!("{ASSET_BASE}/merchants/{}.png", self.logo_slug)
    }
}

macro_rules! categories {
    ($($id:ident = $group:literal, $name:literal, $slug:literal;)*) => {
        $(pub static $id: Category = Category { group: $group, name: $name, icon_slug: $slug };)*
    };
}

categories! {
    GROCERIES = "Expense", "Groceries", "groceries";
    EATING_OUT = "Expense", "Eating Out", "eating-out";
    FUEL = "Expense", "Fuel", "fuel";
    TRANSPORT = "Expense", "Transport", "transport";
    UTILITIES = "Expense", "Utilities", "utilities";
    TELECOM = "Expense", "Telecom", "telecom";
    RENT = "Expense", "Rent", "rent";
    SHOPPING = "Expense", "Shopping", "shopping";
    CASH = "Expense", "Cash Withdrawal", "cash";
    BANK_FEES = "Expense", "Bank Fees", "bank-fees";
    TRAVEL = "Expense", "Travel", "travel";
    SALARY = "Income", "Salary", "salary";
    OWN_TRANSFER = "Transfer", "Own Account Transfer", "transfer";
    CARD_PAYMENT = "Transfer", "Credit Card Payment", "card-payment";
}

macro_rules! merchants {
    ($($id:ident = $name:literal, $slug:literal, $mcc:literal;)*) => {
        $(pub static $id: Merchant = Merchant { name: $name, logo_slug: $slug, mcc: $mcc };)*
    };
}

merchants! {
    LULU = "Lulu Hypermarket", "lulu-hypermarket", "5411";
    AL_JAZIRA = "Al Jazira Supermarket", "al-jazira-supermarket", "5411";
    COSTA = "Costa Coffee", "costa-coffee", "5814";
    CARIBOU = "Caribou Coffee", "caribou-coffee", "5814";
    STARBUCKS = "Starbucks", "starbucks", "5814";
    BAPCO = "Bapco", "bapco", "5541";
    EWA = "Electricity & Water Authority", "ewa", "4900";
    BATELCO = "Batelco", "batelco", "4814";
    PANDA = "Panda", "panda", "5411";
    TAMIMI = "Tamimi Markets", "tamimi-markets", "5411";
    DANUBE = "Danube", "danube", "5411";
    STC = "stc", "stc", "4814";
    CAREEM = "Careem", "careem", "4121";
    NOON = "Noon", "noon", "5311";
    JARIR = "Jarir Bookstore", "jarir-bookstore", "5942";
    AL_BAIK = "Al Baik", "al-baik", "5814";
    KUDU = "Kudu", "kudu", "5814";
    GULF_AIR = "Gulf Air", "gulf-air", "4511";
}
