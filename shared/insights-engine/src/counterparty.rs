//! Normalisation step 2: per row, the counterparty key and its quality, the description
//! fingerprint, the keyword markers and the rule-based category. Keys are interned so later
//! grouping works on integers.

use rustc_hash::FxHashMap;

use super::input::Transaction;
use super::keywords::{Lexicon, Markers, ScanResult};
use super::ledger::Ledger;
use super::taxonomy::{Category, from_mcc, from_tarabut_name};
use super::text::{has_digit, is_mask, normalize_into, title_case, tokenize};

/// Which field the counterparty key came from (docs/insight-algorithms.md §2.3 preference order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Merchant,
    Iban,
    Description,
}

/// Interned key strings: "m:<merchant>", "i:<IBAN>", "d:<fingerprint>".
#[derive(Default)]
pub struct KeyTable {
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
}

impl KeyTable {
    pub fn intern(&mut self, key: &str) -> u32 {
        if let Some(id) = self.ids.get(key) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(key.to_owned());
        self.ids.insert(key.to_owned(), id);
        id
    }

    pub fn name(&self, id: u32) -> &str {
        self.names
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// What normalisation learned about one row: everything later steps need from the row's
/// strings, so they never read the input's strings again.
#[derive(Debug, Clone, Copy)]
pub struct RowInfo {
    /// Best counterparty key (merchant > IBAN > description fingerprint).
    pub key: Option<u32>,
    pub key_source: KeySource,
    /// Quality of `key` in percent: merchant 100, IBAN 95, fingerprint 55/80/85/90 by tokens.
    pub quality: u8,
    /// Description fingerprint key, kept beside a better key so rows with and without
    /// enrichment can still be compared.
    pub desc_key: Option<u32>,
    pub desc_quality: u8,
    /// Counterparty IBAN key ("i:…"), when the row names one.
    pub iban_key: Option<u32>,
    pub markers: Markers,
    /// Category from keyword rules: merchant name first, then description.
    pub rule_category: Option<Category>,
    /// Tarabut's category (name, else group) mapped onto ours.
    pub tarabut_category: Option<Category>,
    pub mcc_category: Option<Category>,
    /// The provider enriched the row with a merchant or a merchant category code.
    pub has_merchant: bool,
    /// Typed as a card purchase by the provider (never a transfer leg).
    pub pos_typed: bool,
    /// The merchant name as written (trimmed), interned in `Counterparties::labels`.
    pub merchant_label: Option<u32>,
}

impl Default for RowInfo {
    fn default() -> Self {
        RowInfo {
            key: None,
            key_source: KeySource::Description,
            quality: 0,
            desc_key: None,
            desc_quality: 0,
            iban_key: None,
            markers: Markers::default(),
            rule_category: None,
            tarabut_category: None,
            mcc_category: None,
            has_merchant: false,
            pos_typed: false,
            merchant_label: None,
        }
    }
}

/// Fingerprint quality by number of kept tokens (driggsby `normalize.rs`): one token is too
/// weak to key a recurring stream.
fn fingerprint_quality(tokens: usize) -> u8 {
    match tokens {
        0 => 0,
        1 => 55,
        2 => 80,
        3 => 85,
        _ => 90,
    }
}

/// Markers from the provider's transaction type and sub-type ("POS", "ATM", "Salary", ...).
pub fn type_markers(kind: Option<&str>) -> (Markers, bool) {
    let Some(kind) = kind else {
        return (Markers::empty(), false);
    };
    // Upper-case alphanumerics into a stack buffer: types are short words.
    let mut buf = [0u8; 32];
    let mut len = 0;
    for b in kind.bytes().filter(u8::is_ascii_alphanumeric) {
        if len == buf.len() {
            return (Markers::empty(), false);
        }
        buf[len] = b.to_ascii_uppercase();
        len += 1;
    }
    let folded: &[u8] = &buf[..len];
    let bits = match folded {
        b"ATM" | b"CASHWITHDRAWAL" | b"WITHDRAWAL" | b"ATMWITHDRAWAL" => Markers::CASH_WITHDRAWAL,
        b"FEE" | b"FEES" | b"CHARGE" | b"CHARGES" | b"COMMISSION" | b"BANKCHARGE" => Markers::FEE,
        b"SALARY" | b"PAYROLL" | b"WPS" => Markers::PAYROLL,
        b"OWNACCOUNTTRANSFER" | b"INTERNALTRANSFER" | b"OWNTRANSFER" => Markers::OWN_TRANSFER,
        b"TRANSFER" | b"STANDINGORDER" | b"FUNDSTRANSFER" | b"REMITTANCE" => Markers::TRANSFER,
        b"CASHDEPOSIT" | b"CHEQUEDEPOSIT" | b"CHECKDEPOSIT" => Markers::CASH_DEPOSIT,
        b"INTEREST" | b"PROFIT" | b"PROFITDISTRIBUTION" | b"DIVIDEND" => Markers::PROFIT,
        b"REFUND" | b"REVERSAL" | b"CHARGEBACK" => Markers::REFUND,
        b"LOAN" | b"LOANPAYMENT" | b"INSTALMENT" | b"INSTALLMENT" | b"LOANDISBURSEMENT" => {
            Markers::LOAN
        }
        b"CREDITCARDPAYMENT" | b"CARDREPAYMENT" => Markers::CARD_PAYMENT,
        _ => Markers::empty(),
    };
    let pos = matches!(
        folded,
        b"POS" | b"PURCHASE" | b"CARDPURCHASE" | b"ECOMMERCE"
    );
    (bits, pos)
}

/// Per-row info for a whole ledger, plus the interned keys.
pub struct Counterparties {
    /// Indexed like `Ledger::rows`.
    pub info: Vec<RowInfo>,
    pub keys: KeyTable,
    /// Raw merchant names (display labels).
    pub labels: KeyTable,
    /// IBAN key id → index of the user's account with that IBAN.
    pub own_ibans: FxHashMap<u32, u32>,
}

/// Scratch buffers reused from row to row.
#[derive(Default)]
struct Buffers {
    norm: String,
    merchant_norm: String,
    key: String,
}

/// Row-by-row text analysis, run inside the ledger's single pass over the transactions.
pub struct Analyser<'t, 'l> {
    lexicon: &'l Lexicon,
    keys: KeyTable,
    labels: KeyTable,
    buffers: Buffers,
    cache: TextCache<'t>,
    spare: Vec<&'static str>,
}

impl<'t, 'l> Analyser<'t, 'l> {
    pub fn new(lexicon: &'l Lexicon) -> Self {
        Analyser {
            lexicon,
            keys: KeyTable::default(),
            labels: KeyTable::default(),
            buffers: Buffers::default(),
            cache: TextCache::default(),
            spare: Vec::with_capacity(16),
        }
    }

    pub fn analyse(&mut self, tx: &'t Transaction) -> RowInfo {
        let mut work = Work {
            lexicon: self.lexicon,
            keys: &mut self.keys,
            labels: &mut self.labels,
            buffers: &mut self.buffers,
            spare: &mut self.spare,
        };
        analyse(tx, &mut self.cache, &mut work)
    }

    /// The counterparties of a ledger built with `analyse` as its per-row function.
    pub fn finish(mut self, ledger: &Ledger<'_>, info: Vec<RowInfo>) -> Counterparties {
        let mut own_ibans = FxHashMap::default();
        for (i, account) in ledger.accounts.iter().enumerate() {
            if let Some(iban) = account.iban.as_deref() {
                let folded = fold_iban(iban);
                if folded.len() >= 8 {
                    own_ibans.insert(self.keys.intern(&format!("i:{folded}")), i as u32);
                }
            }
        }
        Counterparties {
            info,
            keys: self.keys,
            labels: self.labels,
            own_ibans,
        }
    }
}

impl Counterparties {
    /// Analyses a ledger built without text analysis (tests and tools; the insights use
    /// `Analyser` inside the ledger's pass).
    #[cfg(test)]
    pub fn new(ledger: &Ledger<'_>, lexicon: &Lexicon) -> Counterparties {
        let mut analyser = Analyser::new(lexicon);
        let info = ledger
            .rows
            .iter()
            .map(|row| analyser.analyse(row.tx))
            .collect();
        analyser.finish(ledger, info)
    }

    /// Display label for a key: the merchant as the bank wrote it, the fingerprint in title
    /// case, or a masked IBAN.
    pub fn label(&self, ledger: &Ledger<'_>, row: usize) -> String {
        let info = &self.info[row];
        let tx = ledger.rows[row].tx;
        match info.key_source {
            KeySource::Merchant => tx
                .merchant_name
                .as_deref()
                .map(|m| m.trim().to_owned())
                .unwrap_or_default(),
            KeySource::Iban => match info.desc_key {
                Some(desc) if info.desc_quality >= 80 => {
                    title_case(self.keys.name(desc).get(2..).unwrap_or(""))
                }
                _ => mask_iban(tx.counterparty_iban.as_deref().unwrap_or("")),
            },
            KeySource::Description => info
                .desc_key
                .map(|desc| title_case(self.keys.name(desc).get(2..).unwrap_or("")))
                .unwrap_or_default(),
        }
    }
}

/// What a merchant name contributes to a row.
#[derive(Debug, Clone, Copy)]
struct MerchantInfo {
    key: u32,
    label: u32,
    category: Option<Category>,
    markers: Markers,
}

/// What a description contributes to a row.
#[derive(Debug, Clone, Copy)]
struct DescInfo {
    markers: Markers,
    category: Option<Category>,
    key: Option<u32>,
    quality: u8,
}

/// Per-call memo of the text work, keyed by the raw strings: merchant names, Tarabut
/// categories and many descriptions repeat, and a repeat costs one hash lookup.
#[derive(Default)]
struct TextCache<'t> {
    merchants: FxHashMap<&'t str, Option<MerchantInfo>>,
    descriptions: FxHashMap<&'t str, DescInfo>,
    names: FxHashMap<&'t str, Option<Category>>,
    description_lookups: u32,
    description_hits: u32,
    /// Descriptions carrying references rarely repeat: the memo is dropped when it does not
    /// pay for its hashing.
    descriptions_off: bool,
}

impl TextCache<'_> {
    const PROBE: u32 = 4096;

    fn description_cache_useful(&mut self) -> bool {
        if !self.descriptions_off && self.description_lookups >= Self::PROBE {
            // Fewer than one hit in four: stop memoising.
            if self.description_hits * 4 < self.description_lookups {
                self.descriptions_off = true;
                self.descriptions = FxHashMap::default();
            } else {
                self.description_lookups = 0;
                self.description_hits = 0;
            }
        }
        !self.descriptions_off
    }
}

struct Work<'w> {
    lexicon: &'w Lexicon,
    keys: &'w mut KeyTable,
    labels: &'w mut KeyTable,
    buffers: &'w mut Buffers,
    spare: &'w mut Vec<&'static str>,
}

fn analyse_merchant(merchant: &str, work: &mut Work<'_>) -> Option<MerchantInfo> {
    normalize_into(merchant, &mut work.buffers.merchant_norm);
    if work.buffers.merchant_norm.is_empty() {
        return None;
    }
    work.buffers.key.clear();
    work.buffers.key.push_str("m:");
    work.buffers.key.push_str(&work.buffers.merchant_norm);
    let key = work.keys.intern(&work.buffers.key);
    let label = work.labels.intern(merchant.trim());
    let mut tokens = recycle(std::mem::take(work.spare));
    tokenize(&work.buffers.merchant_norm, &mut tokens);
    let mut scan = ScanResult::default();
    work.lexicon.scan(&tokens, &mut scan);
    *work.spare = recycle(tokens);
    Some(MerchantInfo {
        key,
        label,
        category: scan.category,
        markers: scan.markers,
    })
}

/// Markers, category and fingerprint of a description in one pass, one lookup per token.
fn analyse_description(description: &str, work: &mut Work<'_>) -> DescInfo {
    let lexicon = work.lexicon;
    let buffers = &mut *work.buffers;
    normalize_into(description, &mut buffers.norm);
    let mut tokens = recycle(std::mem::take(work.spare));
    tokenize(&buffers.norm, &mut tokens);
    let mut scan = ScanResult::default();
    buffers.key.clear();
    buffers.key.push_str("d:");
    let mut kept = 0usize;
    let mut skip_pay = false;
    for (i, token) in tokens.iter().enumerate() {
        // No keyword holds a digit, and numbers, dates and references never key a payee.
        if has_digit(token) {
            continue;
        }
        let entry = lexicon.lookup(token);
        if let Some(entry) = entry {
            lexicon.apply(entry, &tokens, i, &mut scan);
        }
        if std::mem::take(&mut skip_pay) && *token == "PAY" {
            continue;
        }
        if kept == 4 || token.len() == 1 || is_mask(token) || entry.is_some_and(|e| e.dropped) {
            continue;
        }
        // "APPLE PAY", "GOOGLE PAY", "SAMSUNG PAY" are payment methods, not payees.
        if matches!(*token, "APPLE" | "GOOGLE" | "SAMSUNG")
            && tokens.get(i + 1).is_some_and(|next| *next == "PAY")
        {
            skip_pay = true;
            continue;
        }
        if kept > 0 {
            buffers.key.push(' ');
        }
        buffers.key.push_str(token);
        kept += 1;
    }
    *work.spare = recycle(tokens);
    DescInfo {
        markers: scan.markers,
        category: scan.category,
        key: (kept > 0).then(|| work.keys.intern(&work.buffers.key)),
        quality: fingerprint_quality(kept),
    }
}

/// Reads one transaction's strings once and returns what the engine needs from them.
fn analyse<'t>(tx: &'t Transaction, cache: &mut TextCache<'t>, work: &mut Work<'_>) -> RowInfo {
    let (type_bits, pos_a) = type_markers(tx.transaction_type.as_deref());
    let (sub_bits, pos_b) = type_markers(tx.sub_transaction_type.as_deref());
    let merchant = tx.merchant_name.as_deref().and_then(|name| {
        if let Some(known) = cache.merchants.get(name) {
            return *known;
        }
        let analysed = analyse_merchant(name, work);
        cache.merchants.insert(name, analysed);
        analysed
    });
    let description = if cache.description_cache_useful() {
        cache.description_lookups += 1;
        match cache.descriptions.get(tx.description.as_str()) {
            Some(known) => {
                cache.description_hits += 1;
                *known
            }
            None => {
                let analysed = analyse_description(&tx.description, work);
                cache.descriptions.insert(tx.description.as_str(), analysed);
                analysed
            }
        }
    } else {
        analyse_description(&tx.description, work)
    };
    let iban_key = tx.counterparty_iban.as_deref().and_then(|iban| {
        let key = &mut work.buffers.key;
        key.clear();
        key.push_str("i:");
        key.extend(
            iban.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_uppercase()),
        );
        (key.len() >= 10).then(|| work.keys.intern(&work.buffers.key))
    });

    let (key, key_source, quality) = if let Some(m) = merchant {
        (Some(m.key), KeySource::Merchant, 100)
    } else if let Some(k) = iban_key {
        (Some(k), KeySource::Iban, 95)
    } else {
        (description.key, KeySource::Description, description.quality)
    };
    let names = &mut cache.names;
    let mut tarabut = |name: Option<&'t str>| {
        name.and_then(|n| *names.entry(n).or_insert_with(|| from_tarabut_name(n)))
    };
    let tarabut_category =
        tarabut(tx.category_name.as_deref()).or_else(|| tarabut(tx.category_group.as_deref()));
    let mcc = tx
        .merchant_category_code
        .as_deref()
        .filter(|m| !m.trim().is_empty());
    RowInfo {
        key,
        key_source,
        quality,
        desc_key: description.key,
        desc_quality: description.quality,
        iban_key,
        markers: type_bits
            | sub_bits
            | description.markers
            | merchant.map_or(Markers::empty(), |m| m.markers),
        rule_category: merchant.and_then(|m| m.category).or(description.category),
        tarabut_category,
        mcc_category: mcc.and_then(from_mcc),
        has_merchant: merchant.is_some() || mcc.is_some(),
        pos_typed: pos_a || pos_b,
        merchant_label: merchant.map(|m| m.label),
    }
}

// `filter_map(|_| None)` is what lets the element lifetime change; `filter` cannot.
#[allow(clippy::unnecessary_filter_map)]
fn recycle<'b>(tokens: Vec<&str>) -> Vec<&'b str> {
    tokens.into_iter().filter_map(|_| None).collect()
}

/// Upper-case alphanumerics of an IBAN ("bh67 bmag ..." → "BH67BMAG...").
pub fn fold_iban(iban: &str) -> String {
    iban.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn mask_iban(iban: &str) -> String {
    let folded = fold_iban(iban);
    let tail: String = folded
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("IBAN ••••{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{AccountKind, Country};
    use crate::tests::builders::{TxExt, account, tx};

    fn keys_of(descriptions: &[&str]) -> Vec<(String, u8)> {
        let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
        let txs: Vec<_> = descriptions
            .iter()
            .enumerate()
            .map(|(i, d)| {
                tx(
                    &cur,
                    &format!("t{i}"),
                    &format!("2025-01-{:02}", i + 1),
                    "-1.000",
                    d,
                )
            })
            .collect();
        let accounts = [cur];
        let ledger = Ledger::new(&accounts, &txs);
        let cps = Counterparties::new(&ledger, &Lexicon::new());
        cps.info
            .iter()
            .map(|i| {
                (
                    i.key
                        .map(|k| cps.keys.name(k).to_owned())
                        .unwrap_or_default(),
                    i.quality,
                )
            })
            .collect()
    }

    #[test]
    fn fingerprints_drop_noise_numbers_months_and_wallets() {
        let keys = keys_of(&[
            "APPLE PAY LULU HYPERMARKET 4521XXXX1234",
            "APPLE.COM/BILL",
            "SALARY CREDIT FOR JAN 2025 REF 88213",
            "راتب شهر يناير ٢٠٢٥",
            "POS 12345",
            "TALABAT ORDER FOOD DELIVERY KUWAIT",
        ]);
        assert_eq!(keys[0], ("d:LULU HYPERMARKET".to_owned(), 80));
        assert_eq!(keys[1], ("d:APPLE BILL".to_owned(), 80));
        assert_eq!(keys[2], ("d:SALARY".to_owned(), 55));
        assert_eq!(keys[3], ("d:راتب".to_owned(), 55));
        assert_eq!(keys[4], (String::new(), 0));
        // At most four tokens: quality 0.9.
        assert_eq!(keys[5], ("d:TALABAT ORDER FOOD DELIVERY".to_owned(), 90));
    }

    #[test]
    fn merchant_beats_iban_beats_description() {
        let cur = account("cur", "BHD", AccountKind::Current, Country::BH);
        let txs = vec![
            tx(&cur, "a", "2025-01-01", "-1.000", "POS COFFEE")
                .merchant("Coffee House")
                .iban("BH00 XXXX 1234 5678"),
            tx(&cur, "b", "2025-01-02", "5.000", "TRANSFER FROM ALI").iban("bh00 xxxx 1234 5678"),
        ];
        let accounts = [cur];
        let ledger = Ledger::new(&accounts, &txs);
        let cps = Counterparties::new(&ledger, &Lexicon::new());
        let a = &cps.info[0];
        assert_eq!(
            (cps.keys.name(a.key.unwrap()), a.key_source, a.quality),
            ("m:COFFEE HOUSE", KeySource::Merchant, 100)
        );
        let b = &cps.info[1];
        assert_eq!(
            (cps.keys.name(b.key.unwrap()), b.key_source, b.quality),
            ("i:BH00XXXX12345678", KeySource::Iban, 95)
        );
        assert_eq!(cps.label(&ledger, 0), "Coffee House");
        assert_eq!(cps.label(&ledger, 1), "IBAN ••••5678");
    }
}
