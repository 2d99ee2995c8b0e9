//! Flow kind per booked row (docs/insight-algorithms.md §2.4): own-account transfers, card
//! payments, loan payments and disbursements, refunds (linked to the purchase they refund), cash,
//! fees, cash deposits, income and expense. Deterministic: depends only on the canonical ledger.

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::counterparty::Counterparties;
use super::input::AccountKind;
use super::keywords::Markers;
use super::ledger::Ledger;
use super::transfers::match_pairs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowKind {
    InternalTransfer,
    CardPayment,
    LoanPayment,
    LoanDisbursement,
    Refund,
    CashWithdrawal,
    Fee,
    CashDeposit,
    Income,
    Expense,
}

impl FlowKind {
    /// Rows the spending insight counts (refunds net into them).
    pub fn is_spending(self) -> bool {
        matches!(
            self,
            FlowKind::Expense
                | FlowKind::CashWithdrawal
                | FlowKind::Fee
                | FlowKind::LoanPayment
                | FlowKind::Refund
        )
    }
}

/// How far back a refund looks for the purchase it refunds.
pub const REFUND_LOOKBACK_DAYS: i32 = 90;
/// A key must be at least this good (percent) to link a refund without a marker.
pub const MIN_KEY_QUALITY: u8 = 80;

pub struct Flows {
    pub kind: Vec<FlowKind>,
    /// For refunds: the purchase row they refund, when one was found.
    pub refund_of: Vec<Option<u32>>,
}

impl Flows {
    pub fn new(ledger: &Ledger<'_>, cps: &Counterparties) -> Flows {
        let rows = &ledger.rows;
        let n = rows.len();
        let own_target: Vec<Option<u32>> = rows
            .iter()
            .zip(&cps.info)
            .map(|(row, info)| {
                let target = *cps.own_ibans.get(&info.iban_key?)?;
                (target != row.account).then_some(target)
            })
            .collect();

        // Legs of a transfer: never card purchases, cash, fees, refunds or payroll.
        let blocking = Markers::FEE
            | Markers::CASH_WITHDRAWAL
            | Markers::REFUND
            | Markers::PAYROLL
            | Markers::CASH_DEPOSIT
            | Markers::PROFIT;
        let eligible: Vec<bool> = rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let info = &cps.info[i];
                if row.minor == 0
                    || info.pos_typed
                    || info.has_merchant
                    || info.markers.intersects(blocking)
                {
                    return false;
                }
                let kind = ledger.account(row).kind;
                // Card debits are purchases unless they say they are transfers.
                if kind == AccountKind::CreditCard && row.minor < 0 {
                    return info.markers.contains(Markers::TRANSFER)
                        || info.markers.contains(Markers::OWN_TRANSFER);
                }
                true
            })
            .collect();

        let mut kind: Vec<Option<FlowKind>> = vec![None; n];
        for (debit, credit) in match_pairs(ledger, &eligible) {
            let from = ledger.account(&rows[debit as usize]).kind;
            let to = ledger.account(&rows[credit as usize]).kind;
            let (debit_kind, credit_kind) = match (from, to) {
                (_, AccountKind::CreditCard) if from != AccountKind::CreditCard => {
                    (FlowKind::CardPayment, FlowKind::CardPayment)
                }
                (_, AccountKind::Loan) if from != AccountKind::Loan => {
                    (FlowKind::LoanPayment, FlowKind::InternalTransfer)
                }
                (AccountKind::Loan, _) => (FlowKind::InternalTransfer, FlowKind::LoanDisbursement),
                _ => (FlowKind::InternalTransfer, FlowKind::InternalTransfer),
            };
            kind[debit as usize] = Some(debit_kind);
            kind[credit as usize] = Some(credit_kind);
        }

        // Debits first: a credit's refund link needs the purchases' kinds.
        for i in 0..n {
            let row = &rows[i];
            if kind[i].is_some() || row.minor >= 0 {
                continue;
            }
            let markers = cps.info[i].markers;
            let account_kind = ledger.account(row).kind;
            let flow = if account_kind == AccountKind::Loan {
                // The loan ledger itself: the payment from the current account is what counts.
                FlowKind::InternalTransfer
            } else if let Some(target) = own_target[i] {
                match ledger.accounts[target as usize].kind {
                    AccountKind::CreditCard => FlowKind::CardPayment,
                    AccountKind::Loan => FlowKind::LoanPayment,
                    _ => FlowKind::InternalTransfer,
                }
            } else if markers.contains(Markers::OWN_TRANSFER) {
                FlowKind::InternalTransfer
            } else if markers.contains(Markers::CARD_PAYMENT)
                && account_kind != AccountKind::CreditCard
            {
                FlowKind::CardPayment
            } else if markers.contains(Markers::FEE) {
                FlowKind::Fee
            } else if markers.contains(Markers::LOAN) {
                FlowKind::LoanPayment
            } else if markers.contains(Markers::CASH_WITHDRAWAL) {
                FlowKind::CashWithdrawal
            } else {
                FlowKind::Expense
            };
            kind[i] = Some(flow);
        }

        // Purchases a refund can point at, by (account, key), in canonical (date) order.
        let mut purchases: FxHashMap<(u32, u32), Vec<u32>> = FxHashMap::default();
        for (i, row) in rows.iter().enumerate() {
            if row.minor >= 0 || !matches!(kind[i], Some(FlowKind::Expense | FlowKind::Fee)) {
                continue;
            }
            let info = &cps.info[i];
            if let Some(key) = info.key.filter(|_| info.quality >= MIN_KEY_QUALITY) {
                purchases
                    .entry((row.account, key))
                    .or_default()
                    .push(i as u32);
            }
            if let Some(desc) = info
                .desc_key
                .filter(|d| info.desc_quality >= MIN_KEY_QUALITY && Some(*d) != info.key)
            {
                purchases
                    .entry((row.account, desc))
                    .or_default()
                    .push(i as u32);
            }
        }

        let mut refund_of = vec![None; n];
        for i in 0..n {
            let row = &rows[i];
            if kind[i].is_some() || row.minor <= 0 {
                continue;
            }
            let info = &cps.info[i];
            let markers = info.markers;
            let account_kind = ledger.account(row).kind;
            let find_purchase = || {
                let mut best: Option<(bool, i32, u32)> = None;
                let keys = [
                    info.key.filter(|_| info.quality >= MIN_KEY_QUALITY),
                    info.desc_key
                        .filter(|_| info.desc_quality >= MIN_KEY_QUALITY),
                ];
                for key in keys.into_iter().flatten() {
                    let Some(list) = purchases.get(&(row.account, key)) else {
                        continue;
                    };
                    let hi = list.partition_point(|&p| rows[p as usize].day <= row.day);
                    for &p in list[..hi].iter().rev() {
                        let purchase = &rows[p as usize];
                        if purchase.day < row.day - REFUND_LOOKBACK_DAYS {
                            break;
                        }
                        let spent = i128::from(purchase.minor).abs();
                        if spent < i128::from(row.minor) {
                            continue;
                        }
                        // Prefer the exact amount, then the most recent purchase.
                        let candidate = (spent == i128::from(row.minor), purchase.day, p);
                        if best.is_none_or(|b| candidate > b) {
                            best = Some(candidate);
                        }
                    }
                }
                best.map(|(_, _, p)| p)
            };
            let flow = if account_kind == AccountKind::Loan {
                FlowKind::InternalTransfer
            } else if let Some(source) = own_target[i] {
                if ledger.accounts[source as usize].kind == AccountKind::Loan {
                    FlowKind::LoanDisbursement
                } else {
                    FlowKind::InternalTransfer
                }
            } else if markers.contains(Markers::OWN_TRANSFER) {
                FlowKind::InternalTransfer
            } else if markers.contains(Markers::REFUND) {
                refund_of[i] = find_purchase();
                FlowKind::Refund
            } else if account_kind == AccountKind::CreditCard {
                match find_purchase() {
                    Some(p) => {
                        refund_of[i] = Some(p);
                        FlowKind::Refund
                    }
                    // Money into a card that refunds nothing is a repayment.
                    None => FlowKind::CardPayment,
                }
            } else if markers.contains(Markers::LOAN) {
                FlowKind::LoanDisbursement
            } else if let Some(p) = (!markers.contains(Markers::PAYROLL))
                .then(find_purchase)
                .flatten()
            {
                refund_of[i] = Some(p);
                FlowKind::Refund
            } else if markers.contains(Markers::CASH_DEPOSIT) {
                FlowKind::CashDeposit
            } else {
                FlowKind::Income
            };
            kind[i] = Some(flow);
        }

        Flows {
            kind: kind
                .into_iter()
                .map(|k| k.unwrap_or(FlowKind::Income))
                .collect(),
            refund_of,
        }
    }
}
