//! What AWS credentials look like, as data: prefixes, alphabets, the words that name them,
//! and the documentation examples and canary accounts that are not leaks.
//!
//! Every rule here has positive, negative and near-miss examples in `rules/examples.toml`,
//! which `cargo test` runs through the full [`Scanner`](crate::Scanner).

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::finding::{AccountId, ExampleKind};

/// Prefixes of access key IDs that are credentials.
pub(crate) const KEY_ID_PREFIXES: [&[u8; 4]; 4] = [b"AKIA", b"ASIA", b"ABIA", b"ACCA"];

/// Prefixes of IAM unique IDs. They name users, roles, groups, policies and certificates;
/// they are not credentials and are never reported. Kept here so the tests can show it.
pub const IAM_UNIQUE_ID_PREFIXES: [&str; 8] = [
    "AIDA", "AROA", "AGPA", "AIPA", "ANPA", "ANVA", "APKA", "ASCA",
];

/// Length of an access key ID: a 4-letter prefix and 16 base32 characters.
pub(crate) const KEY_ID_LEN: usize = 20;

/// Length of a secret access key.
pub(crate) const SECRET_LEN: usize = 40;

/// Shortest session token accepted. Real STS tokens are several hundred characters.
pub(crate) const MIN_SESSION_TOKEN_LEN: usize = 100;

/// Words that start a secret's context (`aws_secret_access_key`, `SecretAccessKey`,
/// `AWSSecretKey`, `AWS_SECRET_ACCESS_KEY`, ...). Case-sensitive on purpose: three cheap
/// literals instead of a slow case-insensitive automaton, and they cover the spellings used
/// in practice.
pub(crate) const SECRET_WORDS: [&[u8]; 3] = [b"secret", b"Secret", b"SECRET"];

/// The literal anchors the prefilter searches for, in its order: key ID prefixes, `secret`
/// words, their UTF-16 forms, and key ID prefixes as they appear in base64 at each of the
/// three alignments. Benchmarks use them to measure a plain Aho-Corasick pass over the same
/// literals, the floor a scan is compared with.
pub fn prefilter_literals() -> Vec<Vec<u8>> {
    crate::prefilter::anchor_patterns().0
}

/// Characters of the 16 characters after a key ID's prefix (RFC 4648 base32).
pub(crate) fn is_base32(b: u8) -> bool {
    b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)
}

/// Characters of a secret access key (the standard base64 alphabet without padding).
#[inline]
pub(crate) fn is_secret_char(b: u8) -> bool {
    SECRET_CHARS[usize::from(b)]
}

static SECRET_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
        b += 1;
    }
    t
};

/// Whether a 40-character value is random enough to be a secret access key.
///
/// Real secrets are 30 random bytes in base64. Rejected: hex-only strings (git SHAs, SHA-1
/// digests), strings without both upper- and lower-case letters (a random secret lacks one
/// of them with probability below 1e-8), low-entropy strings, and alphabet runs such as
/// `ABCDEFGH...`.
pub(crate) fn is_plausible_secret(s: &[u8]) -> bool {
    if s.len() != SECRET_LEN || !s.iter().all(|&b| is_secret_char(b)) {
        return false;
    }
    if s.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    if !s.iter().any(u8::is_ascii_uppercase) || !s.iter().any(u8::is_ascii_lowercase) {
        return false;
    }
    let ascending = s
        .windows(2)
        .filter(|w| w[1] == w[0].wrapping_add(1))
        .count();
    if ascending >= 12 {
        return false;
    }
    shannon_entropy(s) >= 3.8
}

/// Shannon entropy in bits per byte.
pub(crate) fn shannon_entropy(s: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &b in s {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// The documentation examples and placeholders of `data/examples.txt`.
pub(crate) struct Examples {
    doc_key_ids: HashSet<&'static str>,
    doc_secrets: HashSet<&'static str>,
    placeholder_prefixes: Vec<&'static str>,
}

impl Examples {
    pub(crate) fn get() -> &'static Examples {
        static EXAMPLES: OnceLock<Examples> = OnceLock::new();
        EXAMPLES.get_or_init(|| {
            let mut e = Examples {
                doc_key_ids: HashSet::new(),
                doc_secrets: HashSet::new(),
                placeholder_prefixes: Vec::new(),
            };
            for (kind, value) in data_lines(include_str!("../data/examples.txt")) {
                match kind {
                    "doc-key-id" => {
                        e.doc_key_ids.insert(value);
                    }
                    "doc-secret" => {
                        e.doc_secrets.insert(value);
                    }
                    "placeholder-key-id-prefix" => e.placeholder_prefixes.push(value),
                    _ => debug_assert!(false, "unknown kind in examples.txt: {kind}"),
                }
            }
            e
        })
    }

    pub(crate) fn key_id(&self, key: &str) -> Option<ExampleKind> {
        if self.doc_key_ids.contains(key) {
            return Some(ExampleKind::Documentation);
        }
        let body = &key.as_bytes()[4..];
        // A body of one or two distinct characters (`AKIAXXXXXXXXXXXXXXXX`,
        // `AKIAAAAAAAAAAAAAAAAA`) is typed, not generated.
        let mut distinct: Vec<u8> = body.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() <= 2 || self.placeholder_prefixes.iter().any(|p| key.starts_with(p)) {
            return Some(ExampleKind::Placeholder);
        }
        let ascending = body.windows(2).filter(|w| w[1] == w[0] + 1).count();
        (ascending >= 10).then_some(ExampleKind::Placeholder)
    }

    pub(crate) fn secret(&self, secret: &str) -> Option<ExampleKind> {
        self.doc_secrets
            .contains(secret)
            .then_some(ExampleKind::Documentation)
    }
}

/// Known canary-token accounts (`data/canary-accounts.txt`).
pub(crate) fn is_canary_account(account: AccountId) -> bool {
    static CANARY: OnceLock<HashSet<u64>> = OnceLock::new();
    CANARY
        .get_or_init(|| {
            data_lines(include_str!("../data/canary-accounts.txt"))
                .filter_map(|(id, _)| id.parse::<u64>().ok())
                .collect()
        })
        .contains(&account.get())
}

/// `(first, second)` words of each non-comment line of a data file.
fn data_lines(text: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            Some((words.next()?, words.next().unwrap_or("")))
        })
}

/// What the name before a value says about it (`aws_secret_access_key = ...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LabelClass {
    /// Names an AWS secret access key: `aws_secret_access_key`, `SecretAccessKey`,
    /// `AWSSecretKey`, `secretAccessKey`, `AWS_SECRET`...
    AwsSecret,
    /// Names some secret (`secret_key`, `secret`, `password`): an AWS one in AWS context.
    Secret,
    /// Names a session token: `aws_session_token`, `SessionToken`, `aws_security_token`.
    SessionToken,
    /// Names an access key ID (`aws_access_key_id`, `AccessKeyId`, `AWSAccessKeyId`).
    KeyId,
    /// Names something that is not a secret: digests, commits, signatures.
    NotSecret,
    /// Anything else.
    Other,
}

/// Classifies a label by its letters and digits, lower-cased.
pub(crate) fn classify_label(norm: &str) -> LabelClass {
    const NOT_SECRET: [&str; 12] = [
        "sha",
        "hash",
        "digest",
        "checksum",
        "etag",
        "signature",
        "commit",
        "integrity",
        "nonce",
        "fingerprint",
        "revision",
        "uuid",
    ];
    if norm.contains("sessiontoken") || norm.contains("securitytoken") {
        LabelClass::SessionToken
    } else if norm.contains("secretaccesskey")
        || norm.contains("awssecret")
        || (norm.contains("secret") && norm.contains("aws"))
    {
        LabelClass::AwsSecret
    } else if norm.contains("secret") || norm.contains("passw") || norm.contains("privatekey") {
        LabelClass::Secret
    } else if norm.contains("accesskey") || norm.contains("keyid") {
        LabelClass::KeyId
    } else if NOT_SECRET.iter().any(|w| norm.contains(w)) {
        LabelClass::NotSecret
    } else {
        LabelClass::Other
    }
}

/// What is left of a label once the words every AWS credential label shares are dropped:
/// `AWS_ACCESS_KEY_ID_PROD` and `aws_secret_access_key_prod` both give `prod`, so a key and
/// a secret that carry the same qualifier belong together.
pub(crate) fn label_qualifier(label: &str) -> String {
    const COMMON: [&str; 15] = [
        "aws",
        "amazon",
        "access",
        "key",
        "keys",
        "id",
        "secret",
        "secrets",
        "accesskey",
        "secretkey",
        "accesskeyid",
        "secretaccesskey",
        "export",
        "set",
        "env",
    ];
    // Split on punctuation and at camel-case boundaries, keeping acronyms whole:
    // `AWSSecretKey` -> aws, secret, key.
    let chars: Vec<char> = label.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_ascii_uppercase()
            && match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
        if boundary && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
        .into_iter()
        .filter(|w| !COMMON.contains(&w.as_str()))
        .collect::<Vec<_>>()
        .join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_must_look_random() {
        assert!(!is_plausible_secret(
            b"0123456789abcdef0123456789abcdef01234567"
        ));
        assert!(!is_plausible_secret(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
        ));
        assert!(!is_plausible_secret(
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        ));
        assert!(!is_plausible_secret(
            b"abababababababababababababababababababAB"
        ));
        assert!(!is_plausible_secret(b"short"));
        assert!(is_plausible_secret(
            b"Zq3/9xK+pL0mW7vB2nR8tY4uE6iO1aS5dF/gH+jk"
        ));
    }

    #[test]
    fn labels_are_classified() {
        for l in [
            "awssecretaccesskey",
            "secretaccesskey",
            "awssecretkey",
            "awssecret",
        ] {
            assert_eq!(classify_label(l), LabelClass::AwsSecret, "{l}");
        }
        assert_eq!(classify_label("secretkey"), LabelClass::Secret);
        assert_eq!(classify_label("awssessiontoken"), LabelClass::SessionToken);
        assert_eq!(classify_label("awsaccesskeyid"), LabelClass::KeyId);
        assert_eq!(classify_label("commitsha"), LabelClass::NotSecret);
        assert_eq!(classify_label("value"), LabelClass::Other);
    }

    #[test]
    fn qualifiers_drop_common_words() {
        assert_eq!(label_qualifier("AWS_ACCESS_KEY_ID_PROD"), "prod");
        assert_eq!(label_qualifier("aws_secret_access_key_prod"), "prod");
        assert_eq!(label_qualifier("prodSecretAccessKey"), "prod");
        assert_eq!(label_qualifier("aws_access_key_id"), "");
        assert_eq!(label_qualifier("AWSSecretKey"), "");
        assert_eq!(label_qualifier("AWSAccessKeyId"), "");
    }
}
