//! Offline facts about a credential and the severity they add up to.

use std::collections::HashSet;

use crate::finding::{AccountId, Facts, KeyId, KeyType, Kind, Secret, Severity};
use crate::rules::{self, Examples};

/// The accounts the scanner was told about: the user's own, and canary-token accounts
/// beyond the built-in list.
#[derive(Clone, Debug, Default)]
pub(crate) struct Accounts {
    pub(crate) own: HashSet<AccountId>,
    pub(crate) canary: HashSet<AccountId>,
}

/// The offline facts of a credential: its key type and account from the key ID, whether it
/// is a documentation example or placeholder, a canary token, one of the user's accounts,
/// and (from its context, found by assembly) a likely root key.
pub(crate) fn facts(
    key_id: Option<&KeyId>,
    secret: Option<&Secret>,
    likely_root: bool,
    accounts: &Accounts,
) -> Facts {
    let examples = Examples::get();
    let mut facts = Facts::default();
    if let Some(k) = key_id {
        facts.key_type = Some(k.key_type());
        facts.account_id = k.account_id();
        facts.example = examples.key_id(k.as_str());
    }
    if let Some(s) = secret {
        facts.example = facts.example.or(examples.secret(s.expose()));
    }
    if let Some(a) = facts.account_id {
        facts.canary = rules::is_canary_account(a) || accounts.canary.contains(&a);
        facts.own_account = accounts.own.contains(&a);
    }
    facts.likely_root = likely_root;
    facts
}

/// Decodes the owning account from a key ID, as AWS has encoded it since 2019.
///
/// The 16 characters after the prefix are base32; the first 6 decoded bytes, big-endian,
/// hold the account shifted left by 7 bits below a flag bit. Only key IDs whose fifth
/// character is in `Q`-`Z` or `2`-`7` use this layout; older ones give `None`.
pub(crate) fn account_from_key_id(key: &[u8]) -> Option<AccountId> {
    let body = key.get(4..20)?;
    if !matches!(body[0], b'Q'..=b'Z' | b'2'..=b'7') {
        return None;
    }
    let mut bits: u128 = 0;
    for &c in body {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | u128::from(v);
    }
    // 16 characters are 80 bits; the first 48 of them are the 6 bytes that carry the account.
    let z = (bits >> 32) as u64;
    AccountId::new((z & 0x7FFF_FFFF_FF80) >> 7)
}

/// Severity from what was found and what is known about it.
pub(crate) fn severity(kind: Kind, facts: &Facts) -> Severity {
    if facts.example.is_some() {
        return Severity::Info;
    }
    if facts.canary {
        return Severity::Low;
    }
    let base = match kind {
        Kind::KeyPair => match facts.key_type {
            Some(KeyType::Temporary) => Severity::Medium,
            _ => Severity::High,
        },
        Kind::KeyId => Severity::Low,
        Kind::SecretKey => Severity::Medium,
    };
    if kind == Kind::KeyPair && facts.likely_root {
        return Severity::Critical;
    }
    if facts.own_account {
        return match base {
            Severity::Info | Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        };
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(prefix: &str, body: &str) -> String {
        format!("{prefix}{body}")
    }

    #[test]
    fn decodes_published_account_ids() {
        // Vectors from public write-ups of the key ID layout; assembled so that this file
        // holds no whole key ID.
        for (k, account) in [
            (key("AKIA", "XYZDQCEN4B6JSJQI"), 534_261_010_715),
            (key("ASIA", "Y34FZKBOKMUTVV7A"), 609_629_065_308),
            (key("AKIA", "YVP4CIPPERUVIFXG"), 595_918_472_158),
        ] {
            assert_eq!(
                account_from_key_id(k.as_bytes()).map(AccountId::get),
                Some(account),
                "{k}"
            );
        }
    }

    #[test]
    fn old_key_ids_carry_no_account() {
        assert_eq!(
            account_from_key_id(key("AKIA", "IOSFODNN7EXAMPLE").as_bytes()),
            None
        );
        assert_eq!(
            account_from_key_id(key("AKIA", "JSIE27KKMHXI3BJQ").as_bytes()),
            None
        );
        assert_eq!(account_from_key_id(b"AKIAQ"), None);
    }

    #[test]
    fn severity_rises_with_root_and_own_account() {
        let mut f = Facts {
            key_type: Some(KeyType::LongTerm),
            ..Facts::default()
        };
        assert_eq!(severity(Kind::KeyPair, &f), Severity::High);
        assert_eq!(severity(Kind::KeyId, &f), Severity::Low);
        assert_eq!(severity(Kind::SecretKey, &f), Severity::Medium);
        f.likely_root = true;
        assert_eq!(severity(Kind::KeyPair, &f), Severity::Critical);
        f.likely_root = false;
        f.own_account = true;
        assert_eq!(severity(Kind::KeyPair, &f), Severity::Critical);
        assert_eq!(severity(Kind::KeyId, &f), Severity::Medium);
        f.canary = true;
        assert_eq!(severity(Kind::KeyPair, &f), Severity::Low);
        f.example = Some(crate::finding::ExampleKind::Placeholder);
        assert_eq!(severity(Kind::KeyPair, &f), Severity::Info);
        let t = Facts {
            key_type: Some(KeyType::Temporary),
            ..Facts::default()
        };
        assert_eq!(severity(Kind::KeyPair, &t), Severity::Medium);
    }
}
