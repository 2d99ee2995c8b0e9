//! Stable identifiers derived from the customer user id: seeds, UUID-shaped ids, IBANs.

use sha2::{Digest, Sha256};

/// Bumping this string would change every generated id and amount: never change it.
const DOMAIN: &str = "tarabut-sandbox/v1";

fn digest(parts: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN.as_bytes());
    for part in parts {
        // Length-prefixed so that ("ab","c") and ("a","bc") differ.
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

/// The PRNG seed of a customer user id.
pub fn seed_for(customer_user_id: &str) -> u64 {
    let d = digest(&["seed", customer_user_id]);
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// A UUID-formatted (version 8, RFC 9562 variant) id derived from `parts`.
pub fn stable_uuid(parts: &[&str]) -> String {
    let mut b: [u8; 16] = digest(parts)[..16].try_into().unwrap_or([0; 16]);
    b[6] = (b[6] & 0x0F) | 0x80;
    b[8] = (b[8] & 0x3F) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// ISO 13616 check digits for `country` + `bban`.
fn iban_check_digits(country: &str, bban: &str) -> u32 {
    let rearranged = format!("{bban}{country}00");
    let mut remainder: u32 = 0;
    for c in rearranged.chars() {
        let value = match c.to_digit(36) {
            Some(v) => v,
            None => continue,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    98 - remainder
}

/// A valid IBAN (correct check digits) for a country and its BBAN.
pub fn iban(country: &str, bban: &str) -> String {
    format!("{country}{:02}{bban}", iban_check_digits(country, bban))
}

/// Whether an IBAN's check digits verify (mod 97 == 1).
#[cfg(test)]
pub fn iban_is_valid(iban: &str) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let rearranged = format!("{tail}{head}");
    let mut remainder: u32 = 0;
    for c in rearranged.chars() {
        let Some(value) = c.to_digit(36) else {
            return false;
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_ibans_verify() {
        // Published example IBANs of Bahrain and Saudi Arabia.
        assert!(iban_is_valid("BH67BMAG00001299123456"));
        assert!(iban_is_valid("SA0380000000608010167519"));
        assert!(!iban_is_valid("SA0480000000608010167519"));
        assert_eq!(iban("BH", "BMAG00001299123456"), "BH67BMAG00001299123456");
    }

    #[test]
    fn uuid_shape_is_stable() {
        let id = stable_uuid(&["acct", "user-1", "BLUE/current"]);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "8");
        assert_eq!(id, stable_uuid(&["acct", "user-1", "BLUE/current"]));
        assert_ne!(id, stable_uuid(&["acct", "user-2", "BLUE/current"]));
    }
}
