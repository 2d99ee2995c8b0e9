//! The caller's accounts (`GET /finance/accounts`): what the app shows of each, nothing it
//! must not (no consent id, token or table key; the IBAN masked to its last four).

use serde::Serialize;

use crate::AppState;
use crate::banking::{AccountRecord, Connection, ConnectionStatus};
use crate::erasure;
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::money::{Currency, Money};
use crate::time::Timestamp;

/// The IBAN as the app may show it: four bullets, a space, its last four characters.
pub const IBAN_MASK: &str = "•••• ";

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub account_id: String,
    pub connection_id: String,
    pub provider_id: Option<String>,
    pub product_type: Option<String>,
    pub currency: Currency,
    pub masked_iban: Option<String>,
    pub holder_name: Option<String>,
    /// The latest balance stored (signed, holder's view), its time and Tarabut's type.
    pub balance: Option<Money>,
    pub balance_at: Option<String>,
    pub balance_type: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AccountList {
    pub accounts: Vec<AccountView>,
}

/// The connections whose accounts the reads show: live ones, including those whose consent
/// must be renewed or has expired (their data is still the user's and still correct up to the
/// last sync, until retention or a delete removes it).
/// Pending connections have no accounts yet; deleted ones never show (§3.7).
pub fn shown(connection: &Connection) -> bool {
    matches!(
        connection.status,
        ConnectionStatus::Active | ConnectionStatus::ReauthRequired | ConnectionStatus::Expired
    )
}

/// The caller's accounts on connections that are [`shown`], by connection then account id.
pub async fn list(state: &AppState, user: &UserId) -> Result<AccountList, UseCaseError> {
    let records = erasure::visible_accounts_where(state, user, shown).await?;
    Ok(AccountList {
        accounts: records.into_iter().map(view).collect(),
    })
}

fn view(r: AccountRecord) -> AccountView {
    AccountView {
        masked_iban: r.iban.as_deref().map(mask_iban),
        balance_at: r.balance_at.map(Timestamp::to_rfc3339),
        account_id: r.account_id,
        connection_id: r.connection_id,
        provider_id: r.provider_id,
        product_type: r.product_type,
        currency: r.currency,
        holder_name: r.holder_name,
        balance: r.balance,
        balance_type: r.balance_type,
    }
}

/// `"•••• 1234"`: only the last four characters (spaces ignored); an IBAN of four or fewer
/// shows none of them.
pub fn mask_iban(iban: &str) -> String {
    let chars: Vec<char> = iban.chars().filter(|c| !c.is_whitespace()).collect();
    let tail: String = if chars.len() > 4 {
        chars[chars.len() - 4..].iter().collect()
    } else {
        String::new()
    };
    format!("{IBAN_MASK}{tail}").trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_four_characters_show() {
        assert_eq!(mask_iban("BH67BMAG00001299123456"), "•••• 3456");
        assert_eq!(mask_iban("SA03 8000 0000 6080 1016 7519"), "•••• 7519");
        assert_eq!(mask_iban("1234"), "••••");
        assert_eq!(mask_iban(""), "••••");
    }
}
