//! Keyword data (English and Arabic, written naturally and normalised when the lexicon is
//! built) and the per-call lexicon that finds them in a token stream.

use bitflags::bitflags;
use rustc_hash::FxHashMap;

use super::taxonomy::Category;
use super::text::phrase_tokens;

bitflags! {
    /// Signals found in a description, the provider's transaction type or a merchant name.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct Markers: u32 {
        const OWN_TRANSFER = 1 << 0;
        const CARD_PAYMENT = 1 << 1;
        const LOAN = 1 << 2;
        const REFUND = 1 << 3;
        const CASH_WITHDRAWAL = 1 << 4;
        const FEE = 1 << 5;
        const CASH_DEPOSIT = 1 << 6;
        const PAYROLL = 1 << 7;
        const PENSION = 1 << 8;
        const BENEFIT = 1 << 9;
        const PROFIT = 1 << 10;
        const P2P = 1 << 11;
        /// Payer looks like a company, ministry or government body.
        const ORGANISATION = 1 << 12;
        const TRANSFER = 1 << 13;
    }
}

/// Words that say "salary", not who pays it. The one payroll list: each phrase sets
/// `Markers::PAYROLL` (as if it were in `MARKER_PHRASES`), and salary detection removes them
/// from a stream's label to name the employer.
pub const PAYROLL_WORDS: &[&str] = &[
    "salary",
    "salaries",
    "sal",
    "payroll",
    "wps",
    "wages",
    "wage",
    "monthly pay",
    "راتب",
    "رواتب",
    "مرتب",
    "أجور",
];

/// Phrases that set a marker. Single words must be whole tokens ("FEE" never matches "COFFEE").
pub const MARKER_PHRASES: &[(&str, Markers)] = &[
    // Own-account transfers.
    ("own account", Markers::OWN_TRANSFER),
    ("own accounts", Markers::OWN_TRANSFER),
    ("between my accounts", Markers::OWN_TRANSFER),
    ("between own accounts", Markers::OWN_TRANSFER),
    ("self transfer", Markers::OWN_TRANSFER),
    ("to my account", Markers::OWN_TRANSFER),
    ("internal transfer", Markers::OWN_TRANSFER),
    ("تحويل بين حساباتي", Markers::OWN_TRANSFER),
    ("بين حساباتي", Markers::OWN_TRANSFER),
    ("تحويل داخلي", Markers::OWN_TRANSFER),
    ("الى حسابي", Markers::OWN_TRANSFER),
    // Credit card repayments.
    ("credit card payment", Markers::CARD_PAYMENT),
    ("credit card repayment", Markers::CARD_PAYMENT),
    ("cc payment", Markers::CARD_PAYMENT),
    ("card repayment", Markers::CARD_PAYMENT),
    ("payment thank you", Markers::CARD_PAYMENT),
    ("payment received", Markers::CARD_PAYMENT),
    ("card settlement", Markers::CARD_PAYMENT),
    ("سداد بطاقة", Markers::CARD_PAYMENT),
    ("سداد البطاقة الائتمانية", Markers::CARD_PAYMENT),
    ("سداد بطاقة ائتمان", Markers::CARD_PAYMENT),
    // Loans, financing and BNPL: a payment when debited, a disbursement when credited.
    ("loan", Markers::LOAN),
    ("installment", Markers::LOAN),
    ("instalment", Markers::LOAN),
    ("emi", Markers::LOAN),
    ("finance repayment", Markers::LOAN),
    ("financing", Markers::LOAN),
    ("mortgage", Markers::LOAN),
    ("disbursement", Markers::LOAN),
    ("tabby", Markers::LOAN),
    ("tamara", Markers::LOAN),
    ("postpay", Markers::LOAN),
    ("spotii", Markers::LOAN),
    ("قسط", Markers::LOAN),
    ("أقساط", Markers::LOAN),
    ("تمويل", Markers::LOAN),
    ("قرض", Markers::LOAN),
    // Refunds and reversals.
    ("refund", Markers::REFUND),
    ("refunded", Markers::REFUND),
    ("reversal", Markers::REFUND),
    ("reversed", Markers::REFUND),
    ("return", Markers::REFUND),
    ("returned", Markers::REFUND),
    ("chargeback", Markers::REFUND),
    ("charge back", Markers::REFUND),
    ("استرداد", Markers::REFUND),
    ("استرجاع", Markers::REFUND),
    ("عكس", Markers::REFUND),
    ("مرتجع", Markers::REFUND),
    ("إرجاع", Markers::REFUND),
    // Cash.
    ("atm", Markers::CASH_WITHDRAWAL),
    ("cash withdrawal", Markers::CASH_WITHDRAWAL),
    ("withdrawal", Markers::CASH_WITHDRAWAL),
    ("cash wdl", Markers::CASH_WITHDRAWAL),
    ("سحب نقدي", Markers::CASH_WITHDRAWAL),
    ("سحب", Markers::CASH_WITHDRAWAL),
    ("صراف", Markers::CASH_WITHDRAWAL),
    ("cash deposit", Markers::CASH_DEPOSIT),
    ("cash dep", Markers::CASH_DEPOSIT),
    ("cdm", Markers::CASH_DEPOSIT),
    ("cheque deposit", Markers::CASH_DEPOSIT),
    ("chq dep", Markers::CASH_DEPOSIT),
    ("إيداع نقدي", Markers::CASH_DEPOSIT),
    ("ايداع نقدي", Markers::CASH_DEPOSIT),
    ("إيداع شيك", Markers::CASH_DEPOSIT),
    // Fees.
    ("fee", Markers::FEE),
    ("fees", Markers::FEE),
    ("charge", Markers::FEE),
    ("charges", Markers::FEE),
    ("commission", Markers::FEE),
    ("رسوم", Markers::FEE),
    ("رسم", Markers::FEE),
    ("عمولة", Markers::FEE),
    // Payroll: `PAYROLL_WORDS`, added by the lexicon.
    // Pensions.
    ("pension", Markers::PENSION),
    ("gosi", Markers::PENSION),
    ("sio", Markers::PENSION),
    ("gpssa", Markers::PENSION),
    ("retirement", Markers::PENSION),
    ("social insurance", Markers::PENSION),
    ("معاش", Markers::PENSION),
    ("تقاعد", Markers::PENSION),
    ("التأمينات الاجتماعية", Markers::PENSION),
    // Government benefits.
    ("citizen account", Markers::BENEFIT),
    ("hafiz", Markers::BENEFIT),
    ("saned", Markers::BENEFIT),
    ("social security", Markers::BENEFIT),
    ("social support", Markers::BENEFIT),
    ("unemployment", Markers::BENEFIT),
    ("cost of living", Markers::BENEFIT),
    ("حساب المواطن", Markers::BENEFIT),
    ("حافز", Markers::BENEFIT),
    ("ساند", Markers::BENEFIT),
    ("الضمان الاجتماعي", Markers::BENEFIT),
    ("تعطل", Markers::BENEFIT),
    ("علاوة الغلاء", Markers::BENEFIT),
    // Profit and interest.
    ("profit", Markers::PROFIT),
    ("profit distribution", Markers::PROFIT),
    ("interest", Markers::PROFIT),
    ("dividend", Markers::PROFIT),
    ("dividends", Markers::PROFIT),
    ("أرباح", Markers::PROFIT),
    ("ربح", Markers::PROFIT),
    ("فوائد", Markers::PROFIT),
    ("عائد", Markers::PROFIT),
    // Wallets and instant payments.
    ("benefit pay", Markers::P2P),
    ("benefitpay", Markers::P2P),
    ("fawri", Markers::P2P),
    ("stc pay", Markers::P2P),
    ("stcpay", Markers::P2P),
    ("urpay", Markers::P2P),
    ("aani", Markers::P2P),
    ("payit", Markers::P2P),
    ("instant payment", Markers::P2P),
    ("sarie", Markers::P2P),
    // Organisations.
    ("wll", Markers::ORGANISATION),
    ("w l l", Markers::ORGANISATION),
    ("bsc", Markers::ORGANISATION),
    ("b s c", Markers::ORGANISATION),
    ("llc", Markers::ORGANISATION),
    ("l l c", Markers::ORGANISATION),
    ("co", Markers::ORGANISATION),
    ("company", Markers::ORGANISATION),
    ("est", Markers::ORGANISATION),
    ("establishment", Markers::ORGANISATION),
    ("ltd", Markers::ORGANISATION),
    ("limited", Markers::ORGANISATION),
    ("corp", Markers::ORGANISATION),
    ("corporation", Markers::ORGANISATION),
    ("holding", Markers::ORGANISATION),
    ("inc", Markers::ORGANISATION),
    ("pjsc", Markers::ORGANISATION),
    ("fze", Markers::ORGANISATION),
    ("fzco", Markers::ORGANISATION),
    ("ministry", Markers::ORGANISATION),
    ("government", Markers::ORGANISATION),
    ("authority", Markers::ORGANISATION),
    ("شركة", Markers::ORGANISATION),
    ("مؤسسة", Markers::ORGANISATION),
    ("ذ م م", Markers::ORGANISATION),
    ("ذ.م.م", Markers::ORGANISATION),
    ("وزارة", Markers::ORGANISATION),
    ("هيئة", Markers::ORGANISATION),
    ("حكومة", Markers::ORGANISATION),
    // Generic transfer wording (a hint, not a classification).
    ("transfer", Markers::TRANSFER),
    ("trf", Markers::TRANSFER),
    ("tfr", Markers::TRANSFER),
    ("ift", Markers::TRANSFER),
    ("remittance", Markers::TRANSFER),
    ("تحويل", Markers::TRANSFER),
    ("حوالة", Markers::TRANSFER),
];

/// Merchant and description words → spending category (longest phrase wins).
pub const CATEGORY_PHRASES: &[(&str, Category)] = &[
    // Food and drink: Gulf grocers, cafés, delivery apps.
    ("lulu", Category::FoodAndDrink),
    ("carrefour", Category::FoodAndDrink),
    ("panda", Category::FoodAndDrink),
    ("danube", Category::FoodAndDrink),
    ("tamimi", Category::FoodAndDrink),
    ("othaim", Category::FoodAndDrink),
    ("al othaim", Category::FoodAndDrink),
    ("alosra", Category::FoodAndDrink),
    ("al jazira supermarket", Category::FoodAndDrink),
    ("midway", Category::FoodAndDrink),
    ("spinneys", Category::FoodAndDrink),
    ("waitrose", Category::FoodAndDrink),
    ("choithrams", Category::FoodAndDrink),
    ("nesto", Category::FoodAndDrink),
    ("geant", Category::FoodAndDrink),
    ("hypermarket", Category::FoodAndDrink),
    ("supermarket", Category::FoodAndDrink),
    ("grocery", Category::FoodAndDrink),
    ("bakery", Category::FoodAndDrink),
    ("starbucks", Category::FoodAndDrink),
    ("costa", Category::FoodAndDrink),
    ("tim hortons", Category::FoodAndDrink),
    ("mcdonalds", Category::FoodAndDrink),
    ("kfc", Category::FoodAndDrink),
    ("albaik", Category::FoodAndDrink),
    ("al baik", Category::FoodAndDrink),
    ("shawarma", Category::FoodAndDrink),
    ("cafe", Category::FoodAndDrink),
    ("coffee", Category::FoodAndDrink),
    ("restaurant", Category::FoodAndDrink),
    ("talabat", Category::FoodAndDrink),
    ("hungerstation", Category::FoodAndDrink),
    ("jahez", Category::FoodAndDrink),
    ("deliveroo", Category::FoodAndDrink),
    ("careem food", Category::FoodAndDrink),
    ("noon food", Category::FoodAndDrink),
    ("بقالة", Category::FoodAndDrink),
    ("سوبرماركت", Category::FoodAndDrink),
    ("هايبر", Category::FoodAndDrink),
    ("بنده", Category::FoodAndDrink),
    ("العثيم", Category::FoodAndDrink),
    ("مطعم", Category::FoodAndDrink),
    ("مقهى", Category::FoodAndDrink),
    ("كافيه", Category::FoodAndDrink),
    ("البيك", Category::FoodAndDrink),
    ("مخبز", Category::FoodAndDrink),
    // Transport.
    ("careem", Category::Transport),
    ("uber", Category::Transport),
    ("enoc", Category::Transport),
    ("adnoc", Category::Transport),
    ("eppco", Category::Transport),
    ("bapco", Category::Transport),
    ("aldrees", Category::Transport),
    ("petromin", Category::Transport),
    ("sasco", Category::Transport),
    ("salik", Category::Transport),
    ("darb", Category::Transport),
    ("parking", Category::Transport),
    ("fuel", Category::Transport),
    ("petrol", Category::Transport),
    ("petrol station", Category::Transport),
    ("وقود", Category::Transport),
    ("بنزين", Category::Transport),
    ("محطة", Category::Transport),
    ("مواقف", Category::Transport),
    // Travel.
    ("gulf air", Category::Travel),
    ("saudia", Category::Travel),
    ("flynas", Category::Travel),
    ("flydubai", Category::Travel),
    ("emirates airline", Category::Travel),
    ("fly emirates", Category::Travel),
    ("etihad airways", Category::Travel),
    ("air arabia", Category::Travel),
    ("airways", Category::Travel),
    ("airlines", Category::Travel),
    ("booking com", Category::Travel),
    ("agoda", Category::Travel),
    ("expedia", Category::Travel),
    ("airbnb", Category::Travel),
    ("hotel", Category::Travel),
    ("marriott", Category::Travel),
    ("hilton", Category::Travel),
    ("طيران", Category::Travel),
    ("فندق", Category::Travel),
    // Bills and utilities.
    ("ewa", Category::BillsAndUtilities),
    ("sec", Category::BillsAndUtilities),
    ("saudi electricity", Category::BillsAndUtilities),
    ("dewa", Category::BillsAndUtilities),
    ("sewa", Category::BillsAndUtilities),
    ("addc", Category::BillsAndUtilities),
    ("fewa", Category::BillsAndUtilities),
    ("stc", Category::BillsAndUtilities),
    ("mobily", Category::BillsAndUtilities),
    ("zain", Category::BillsAndUtilities),
    ("batelco", Category::BillsAndUtilities),
    ("etisalat", Category::BillsAndUtilities),
    ("du", Category::BillsAndUtilities),
    ("viva", Category::BillsAndUtilities),
    ("rent", Category::BillsAndUtilities),
    ("electricity", Category::BillsAndUtilities),
    ("water", Category::BillsAndUtilities),
    ("internet", Category::BillsAndUtilities),
    ("كهرباء", Category::BillsAndUtilities),
    ("مياه", Category::BillsAndUtilities),
    ("إيجار", Category::BillsAndUtilities),
    ("ايجار", Category::BillsAndUtilities),
    ("اتصالات", Category::BillsAndUtilities),
    // Entertainment.
    ("netflix", Category::Entertainment),
    ("spotify", Category::Entertainment),
    ("shahid", Category::Entertainment),
    ("osn", Category::Entertainment),
    ("anghami", Category::Entertainment),
    ("youtube", Category::Entertainment),
    ("playstation", Category::Entertainment),
    ("steam", Category::Entertainment),
    ("vox", Category::Entertainment),
    ("cinema", Category::Entertainment),
    ("muvi", Category::Entertainment),
    ("سينما", Category::Entertainment),
    // Shopping and home.
    ("amazon", Category::Shopping),
    ("noon", Category::Shopping),
    ("namshi", Category::Shopping),
    ("shein", Category::Shopping),
    ("centrepoint", Category::Shopping),
    ("zara", Category::Shopping),
    ("jarir", Category::Shopping),
    ("extra", Category::Shopping),
    ("sharaf dg", Category::Shopping),
    ("mall", Category::Shopping),
    ("ikea", Category::Home),
    ("home centre", Category::Home),
    ("ace hardware", Category::Home),
    ("furniture", Category::Home),
    ("أثاث", Category::Home),
    // Health and personal care.
    ("pharmacy", Category::Health),
    ("nahdi", Category::Health),
    ("al dawaa", Category::Health),
    ("aster", Category::Health),
    ("boots", Category::Health),
    ("hospital", Category::Health),
    ("clinic", Category::Health),
    ("medical", Category::Health),
    ("dental", Category::Health),
    ("صيدلية", Category::Health),
    ("مستشفى", Category::Health),
    ("عيادة", Category::Health),
    ("salon", Category::PersonalCare),
    ("barber", Category::PersonalCare),
    ("spa", Category::PersonalCare),
    ("gym", Category::PersonalCare),
    ("fitness", Category::PersonalCare),
    ("صالون", Category::PersonalCare),
    ("حلاق", Category::PersonalCare),
    // Services.
    ("school", Category::Services),
    ("university", Category::Services),
    ("tuition", Category::Services),
    ("insurance", Category::Services),
    ("takaful", Category::Services),
    ("laundry", Category::Services),
    ("مدرسة", Category::Services),
    ("جامعة", Category::Services),
    ("تأمين", Category::Services),
    // Government and charity.
    ("ministry", Category::GovernmentAndCharity),
    ("absher", Category::GovernmentAndCharity),
    ("traffic fine", Category::GovernmentAndCharity),
    ("zakat", Category::GovernmentAndCharity),
    ("donation", Category::GovernmentAndCharity),
    ("charity", Category::GovernmentAndCharity),
    ("gosi", Category::GovernmentAndCharity),
    ("وزارة", Category::GovernmentAndCharity),
    ("زكاة", Category::GovernmentAndCharity),
    ("صدقة", Category::GovernmentAndCharity),
    ("تبرع", Category::GovernmentAndCharity),
    ("مرور", Category::GovernmentAndCharity),
    // Interest charged on a debit is a bank cost.
    ("interest charge", Category::BankFees),
    ("finance charge", Category::BankFees),
    // Wallet transfers to people.
    ("stc pay", Category::TransferOut),
    ("benefit pay", Category::TransferOut),
    ("benefitpay", Category::TransferOut),
    ("fawri", Category::TransferOut),
];

/// Words that say nothing about the counterparty: dropped from the fingerprint.
pub const NOISE_WORDS: &[&str] = &[
    "pos",
    "purchase",
    "purch",
    "debit",
    "credit",
    "card",
    "atm",
    "ach",
    "online",
    "payment",
    "payments",
    "pmt",
    "transfer",
    "transfers",
    "trf",
    "tfr",
    "ft",
    "ift",
    "ibft",
    "sadad",
    "mada",
    "visa",
    "mc",
    "mastercard",
    "master",
    "txn",
    "trx",
    "ref",
    "reference",
    "no",
    "number",
    "id",
    "from",
    "to",
    "for",
    "the",
    "of",
    "at",
    "by",
    "via",
    "in",
    "on",
    "and",
    "with",
    "inward",
    "outward",
    "local",
    "intl",
    "international",
    "dr",
    "cr",
    "transaction",
    "contactless",
    "nfc",
    "ecom",
    "ecommerce",
    "www",
    "com",
    "bh",
    "sa",
    "ae",
    "ksa",
    "uae",
    "bhr",
    "sau",
    "are",
    "bhd",
    "sar",
    "aed",
    "usd",
    "amount",
    "amt",
    "date",
    "value",
    "شراء",
    "تحويل",
    "حوالة",
    "دفع",
    "دفعة",
    "بطاقة",
    "مدى",
    "سداد",
    "نقاط",
    "نقطة",
    "بيع",
    "عملية",
    "رقم",
    "من",
    "إلى",
    "الى",
    "في",
    "على",
    "عن",
    "حساب",
    "شهر",
    "لشهر",
    "مبلغ",
    "ريال",
    "دينار",
    "درهم",
    "مرجع",
    "خصم",
];

/// Month names (English, Arabic Gregorian, Levantine and Hijri): dropped like numbers, so
/// "SALARY JAN 2025" and "SALARY FEB 2025" share a fingerprint.
pub const MONTH_WORDS: &[&str] = &[
    "january",
    "jan",
    "february",
    "feb",
    "march",
    "mar",
    "april",
    "apr",
    "may",
    "june",
    "jun",
    "july",
    "jul",
    "august",
    "aug",
    "september",
    "sept",
    "sep",
    "october",
    "oct",
    "november",
    "nov",
    "december",
    "dec",
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "إبريل",
    "مايو",
    "يونيو",
    "يونيه",
    "يوليو",
    "يوليه",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
    "كانون",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين",
    "محرم",
    "صفر",
    "ربيع",
    "جمادى",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "القعدة",
    "الحجة",
    "ذو",
    "الأول",
    "الثاني",
    "الآخر",
    "الاخرة",
];

/// What a keyword entry does when found.
#[derive(Debug, Clone, Copy)]
enum Tag {
    Marker(Markers),
    Category(Category),
}

struct Entry {
    rest: Vec<String>,
    tag: Tag,
}

/// Everything the lexicon knows about one token: one hash lookup per token serves both the
/// keyword scan and the fingerprint.
#[derive(Default)]
pub struct TokenEntry {
    /// Noise or month word: left out of fingerprints.
    pub dropped: bool,
    phrases: Vec<Entry>,
}

/// The keyword tables indexed by token, built once per engine call (no global state).
pub struct Lexicon {
    by_token: FxHashMap<String, TokenEntry>,
}

/// What a scan found: every marker, and the category of the longest category phrase.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanResult {
    pub markers: Markers,
    pub category: Option<Category>,
    category_len: usize,
}

impl Lexicon {
    pub fn new() -> Lexicon {
        let mut by_token: FxHashMap<String, TokenEntry> = FxHashMap::default();
        let entries = MARKER_PHRASES
            .iter()
            .map(|(phrase, markers)| (*phrase, Tag::Marker(*markers)))
            .chain(
                PAYROLL_WORDS
                    .iter()
                    .map(|phrase| (*phrase, Tag::Marker(Markers::PAYROLL))),
            )
            .chain(
                CATEGORY_PHRASES
                    .iter()
                    .map(|(phrase, category)| (*phrase, Tag::Category(*category))),
            );
        for (phrase, tag) in entries {
            let mut tokens = phrase_tokens(phrase);
            if tokens.is_empty() {
                continue;
            }
            let first = tokens.remove(0);
            by_token
                .entry(first)
                .or_default()
                .phrases
                .push(Entry { rest: tokens, tag });
        }
        for word in NOISE_WORDS.iter().chain(MONTH_WORDS.iter()) {
            for token in phrase_tokens(word) {
                by_token.entry(token).or_default().dropped = true;
            }
        }
        Lexicon { by_token }
    }

    #[inline]
    pub fn lookup(&self, token: &str) -> Option<&TokenEntry> {
        self.by_token.get(token)
    }

    /// Applies the phrases starting with `tokens[i]` (whose entry is `entry`).
    #[inline]
    pub fn apply(&self, entry: &TokenEntry, tokens: &[&str], i: usize, result: &mut ScanResult) {
        for phrase in &entry.phrases {
            let end = i + 1 + phrase.rest.len();
            if end > tokens.len()
                || !phrase
                    .rest
                    .iter()
                    .zip(&tokens[i + 1..end])
                    .all(|(want, have)| want == have)
            {
                continue;
            }
            match phrase.tag {
                Tag::Marker(markers) => result.markers |= markers,
                Tag::Category(category) => {
                    let len = phrase.rest.len() + 1;
                    if len > result.category_len {
                        result.category = Some(category);
                        result.category_len = len;
                    }
                }
            }
        }
    }

    /// Finds keyword phrases in canonical tokens.
    pub fn scan(&self, tokens: &[&str], result: &mut ScanResult) {
        for (i, token) in tokens.iter().enumerate() {
            if let Some(entry) = self.lookup(token) {
                self.apply(entry, tokens, i, result);
            }
        }
    }

    /// Whether a canonical token is noise or a month name.
    #[cfg(test)]
    pub fn is_dropped(&self, token: &str) -> bool {
        self.lookup(token).is_some_and(|e| e.dropped)
    }
}

impl Default for Lexicon {
    fn default() -> Self {
        Lexicon::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{normalize_into, tokenize};

    fn scan(lexicon: &Lexicon, text: &str) -> ScanResult {
        let mut norm = String::new();
        normalize_into(text, &mut norm);
        let mut tokens = Vec::new();
        tokenize(&norm, &mut tokens);
        let mut result = ScanResult::default();
        lexicon.scan(&tokens, &mut result);
        result
    }

    #[test]
    fn finds_whole_word_markers_in_english_and_arabic() {
        let lexicon = Lexicon::new();
        assert!(
            scan(&lexicon, "ATM FEE 0.300")
                .markers
                .contains(Markers::FEE)
        );
        assert!(
            !scan(&lexicon, "COFFEE HOUSE")
                .markers
                .contains(Markers::FEE)
        );
        assert!(
            scan(&lexicon, "راتب شهر يناير")
                .markers
                .contains(Markers::PAYROLL)
        );
        assert!(
            scan(&lexicon, "تحويل الراتب")
                .markers
                .contains(Markers::PAYROLL)
        );
        assert!(
            scan(&lexicon, "استرداد مبلغ")
                .markers
                .contains(Markers::REFUND)
        );
        assert!(
            scan(&lexicon, "GULF TRADING W.L.L.")
                .markers
                .contains(Markers::ORGANISATION)
        );
        assert!(
            scan(&lexicon, "شركة الاتصالات")
                .markers
                .contains(Markers::ORGANISATION)
        );
        assert!(
            scan(&lexicon, "المؤسسة العامة للتأمينات الاجتماعية")
                .markers
                .contains(Markers::PENSION)
        );
    }

    #[test]
    fn longest_category_phrase_wins() {
        let lexicon = Lexicon::new();
        assert_eq!(
            scan(&lexicon, "CAREEM FOOD ORDER").category,
            Some(Category::FoodAndDrink)
        );
        assert_eq!(
            scan(&lexicon, "CAREEM RIDE").category,
            Some(Category::Transport)
        );
        assert_eq!(
            scan(&lexicon, "مطعم البيك").category,
            Some(Category::FoodAndDrink)
        );
        assert_eq!(
            scan(&lexicon, "STC PAY TO AHMED").category,
            Some(Category::TransferOut)
        );
        assert_eq!(scan(&lexicon, "RANDOM SHOP").category, None);
    }

    #[test]
    fn noise_and_month_words_are_dropped_in_canonical_form() {
        let lexicon = Lexicon::new();
        for word in [
            "POS",
            "PURCHASE",
            "JAN",
            "يناير",
            "بطاقه",
            "الي",
            "اغسطس",
            "قعده",
        ] {
            assert!(lexicon.is_dropped(word), "{word} should be dropped");
        }
        assert!(!lexicon.is_dropped("LULU"));
    }
}
