//! Category of a spending row: Tarabut's enrichment mapped through our table, then keyword
//! rules (merchant, then description), then the merchant category code. Refunds take the
//! category of the purchase they refund.

use super::counterparty::Counterparties;
use super::flow::{FlowKind, Flows};
use super::input::{Account, Transaction};
use super::keywords::Markers;
use super::ledger::Ledger;
use super::prepared::Prepared;
use super::taxonomy::Category;

/// Category of row `i` as a purchase, ignoring refund links.
fn own_category(ledger: &Ledger<'_>, cps: &Counterparties, flows: &Flows, i: usize) -> Category {
    match flows.kind[i] {
        FlowKind::CashWithdrawal => return Category::Cash,
        FlowKind::Fee => return Category::BankFees,
        FlowKind::LoanPayment => return Category::LoanPayments,
        FlowKind::Income | FlowKind::CashDeposit => return Category::Income,
        FlowKind::InternalTransfer | FlowKind::CardPayment | FlowKind::LoanDisbursement => {
            return if ledger.rows[i].minor < 0 {
                Category::TransferOut
            } else {
                Category::TransferIn
            };
        }
        FlowKind::Expense | FlowKind::Refund => {}
    }
    let info = &cps.info[i];
    // A reversed fee goes back to fees.
    if flows.kind[i] == FlowKind::Refund && info.markers.contains(Markers::FEE) {
        return Category::BankFees;
    }
    info.tarabut_category
        .or(info.rule_category)
        .or(info.mcc_category)
        .unwrap_or_else(|| {
            let to_someone = info.iban_key.is_some()
                || info.markers.contains(Markers::TRANSFER)
                || info.markers.contains(Markers::P2P);
            if to_someone {
                Category::TransferOut
            } else {
                Category::Uncategorized
            }
        })
}

/// Category of row `i`; refunds inherit the refunded purchase's category.
pub fn category_of(ledger: &Ledger<'_>, cps: &Counterparties, flows: &Flows, i: usize) -> Category {
    match (flows.kind[i], flows.refund_of[i]) {
        (FlowKind::Refund, Some(purchase)) => own_category(ledger, cps, flows, purchase as usize),
        _ => own_category(ledger, cps, flows, i),
    }
}

/// The category of each of `transactions` (by position) exactly as the spending insight
/// assigns it over the same data: the same pipeline and [`category_of`], so a list filtered
/// by category and the spending report grouped by category agree. `None` for the rows the
/// engine does not use (pending, duplicate, unknown account, another currency, out of range).
/// A row's category depends on its neighbours (a refund takes its purchase's category, up to
/// 90 days earlier; own-account transfers pair legs up to 4 days apart), so pass them too.
pub fn categories(accounts: &[Account], transactions: &[Transaction]) -> Vec<Option<Category>> {
    let prepared = Prepared::new(accounts, transactions);
    let mut out = vec![None; transactions.len()];
    for (i, row) in prepared.ledger.rows.iter().enumerate() {
        if let Some(slot) = out.get_mut(row.input as usize) {
            *slot = Some(category_of(
                &prepared.ledger,
                &prepared.cps,
                &prepared.flows,
                i,
            ));
        }
    }
    out
}
