//! What Tarabut's account list says about one consent: which accounts it covers (mapped onto
//! our records), when it expires, and whether it is gone. Pure: the callers fetch the list.

use std::collections::HashMap;

use crate::banking::{AccountRecord, Connection};
use crate::money::Currency;
use crate::tarabut;
use crate::time::Timestamp;

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ConsentAccounts {
    /// The consent's accounts, keeping what we learnt before (last booking date, balance).
    pub accounts: Vec<AccountRecord>,
    /// The earliest expiry of the consent's entries (epoch ms).
    pub expires_at: Option<Timestamp>,
    /// Revoked or expired, or its accounts vanished from the list: reauth required.
    pub gone: bool,
}

/// Sorts the listed accounts by the connection's consent. `known` are the accounts stored for
/// the connection: they vanishing from the list means the consent went away.
pub(crate) fn consent_accounts(
    conn: &Connection,
    listed: &[tarabut::Account],
    known: Vec<AccountRecord>,
    now: Timestamp,
) -> ConsentAccounts {
    let consent_id = conn.consent_id.as_deref().unwrap_or_default();
    let mut known: HashMap<String, AccountRecord> = known
        .into_iter()
        .map(|a| (a.account_id.clone(), a))
        .collect();
    let had_accounts = !known.is_empty();
    let mut out = ConsentAccounts::default();
    let mut seen = false;
    for account in listed {
        let Some(consent) = account.consents.iter().find(|c| c.id == consent_id) else {
            continue;
        };
        seen = true;
        let expiry = consent.expiry_date.map(Timestamp::from);
        if let Some(e) = expiry {
            out.expires_at = Some(out.expires_at.map_or(e, |x| x.min(e)));
        }
        let active = consent.status.as_deref().is_none_or(|s| {
            s.eq_ignore_ascii_case("active") || s.eq_ignore_ascii_case("authorised")
        });
        if !active || expiry.is_some_and(|e| e <= now) {
            out.gone = true;
            continue;
        }
        match account_record(conn, account, known.remove(&account.account_id), now) {
            Some(record) => out.accounts.push(record),
            None => {
                tracing::warn!(account = %account.account_id, "account without a known currency skipped")
            }
        }
    }
    out.gone |= !seen && had_accounts;
    out
}

/// Maps a Tarabut account onto our record, keeping what we learnt before.
fn account_record(
    conn: &Connection,
    account: &tarabut::Account,
    previous: Option<AccountRecord>,
    now: Timestamp,
) -> Option<AccountRecord> {
    let currency = Currency::from_code(account.currency_code()?.trim()).ok()?;
    let previous = previous.filter(|p| p.currency == currency);
    Some(AccountRecord {
        user: conn.user.clone(),
        connection_id: conn.connection_id.clone(),
        account_id: account.account_id.clone(),
        provider_id: account
            .provider_id
            .clone()
            .or_else(|| conn.provider_id.clone()),
        currency,
        product_type: account.account_product_type.clone(),
        description: account.account_description.clone(),
        holder_name: account.account_holder_name.clone(),
        iban: account.iban().map(str::to_string),
        last_booking_date: previous.as_ref().and_then(|p| p.last_booking_date),
        balance: previous.as_ref().and_then(|p| p.balance),
        balance_type: previous.as_ref().and_then(|p| p.balance_type.clone()),
        balance_at: previous.as_ref().and_then(|p| p.balance_at),
        updated_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::banking::ConnectionStatus;
    use crate::identity::UserId;
    use crate::money::Money;

    const NOW: Timestamp = Timestamp::from_millis(1_800_000_000_000);

    fn conn() -> Connection {
        Connection {
            user: UserId::parse("u").unwrap(),
            connection_id: "c".into(),
            status: ConnectionStatus::Active,
            intent_id: "i".into(),
            provider_id: Some("BLUE".into()),
            consent_id: Some("consent-1".into()),
            consent_expires_at: None,
            created_at: Timestamp::EPOCH,
            updated_at: Timestamp::EPOCH,
            last_sync_at: None,
            last_sync_status: None,
            next_sync_at: None,
            deleted_at: None,
            erase_sweep_at: None,
            sync: Default::default(),
        }
    }

    fn listed(id: &str, consent: &str, status: &str, expires_in_ms: i64) -> tarabut::Account {
        let expiry = Timestamp::from_millis(NOW.millis() + expires_in_ms).to_datetime();
        serde_json::from_value(serde_json::json!({
            "accountId": id, "currency": "BHD", "accountProductType": "CurrentAccount",
            "consents": [{ "id": consent, "status": status, "expiryDate": expiry.to_rfc3339() }]
        }))
        .unwrap()
    }

    fn known(id: &str) -> AccountRecord {
        let mut a = consent_accounts(
            &conn(),
            &[listed(id, "consent-1", "ACTIVE", 1)],
            vec![],
            NOW,
        )
        .accounts
        .remove(0);
        a.last_booking_date = chrono::NaiveDate::from_ymd_opt(2026, 11, 1);
        a.balance = Some(Money::from_minor(
            12_500,
            Currency::from_code("BHD").unwrap(),
        ));
        a
    }

    #[test]
    fn keeps_the_consents_accounts_and_what_we_knew_of_them() {
        let list = [
            listed("a1", "consent-1", "ACTIVE", 90_000),
            listed("a2", "consent-1", "ACTIVE", 60_000),
            listed("other", "consent-2", "ACTIVE", 10_000),
        ];
        let r = consent_accounts(&conn(), &list, vec![known("a1")], NOW);
        assert!(!r.gone);
        let ids: Vec<&str> = r.accounts.iter().map(|a| a.account_id.as_str()).collect();
        assert_eq!(ids, ["a1", "a2"], "another consent's account is not ours");
        assert_eq!(r.accounts[0].balance, known("a1").balance, "kept");
        assert_eq!(
            r.accounts[0].last_booking_date,
            known("a1").last_booking_date
        );
        assert_eq!(r.accounts[1].last_booking_date, None, "a new account");
        assert_eq!(
            r.expires_at,
            Some(Timestamp::from_millis(NOW.millis() + 60_000)),
            "the earliest expiry"
        );
    }

    #[test]
    fn revoked_expired_or_vanished_consents_are_gone() {
        let revoked = [listed("a1", "consent-1", "REVOKED", 90_000)];
        assert!(consent_accounts(&conn(), &revoked, vec![], NOW).gone);
        let expired = [listed("a1", "consent-1", "ACTIVE", 0)];
        assert!(consent_accounts(&conn(), &expired, vec![], NOW).gone);
        let elsewhere = [listed("a1", "consent-2", "ACTIVE", 90_000)];
        assert!(consent_accounts(&conn(), &elsewhere, vec![known("a1")], NOW).gone);
        // Nothing known and nothing listed yet (right after linking): not gone.
        assert!(!consent_accounts(&conn(), &elsewhere, vec![], NOW).gone);
    }
}
