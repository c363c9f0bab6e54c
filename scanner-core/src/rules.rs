//! What AWS credentials look like, as data: prefixes, alphabets, the words that name them,
//! and the documentation examples and canary accounts that are not leaks.
//!
//! The regular expressions the confirm stage checks (the shapes of key IDs and secrets, the
//! label vocabulary) are in `rules/patterns.txt`, each with its positive, negative and
//! near-miss examples. The rules as a whole have examples in `rules/aws.toml`, which
//! `cargo test` runs through the full [`Scanner`](crate::Scanner).

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

/// Words that name a secret carelessly: `aws_access_key = "<40 characters>"`, where the
/// name says "access key" and not "ID" (a value of a secret's shape so named is a secret).
/// They open a window as `secret` words do, unless they name an ID (`_id` follows). The
/// camel-case `awsAccessKey` is found only near a key ID or a `secret` word: the prefilter's
/// literals are counted (see `prefilter.rs`).
pub(crate) const ACCESS_KEY_WORDS: [&[u8]; 2] = [b"s_access_key", b"S_ACCESS_KEY"];

/// Whether one of [`ACCESS_KEY_WORDS`] starts at `pos` and names something other than an ID.
pub(crate) fn access_key_word_at(text: &[u8], pos: usize) -> bool {
    let rest = &text[pos..];
    let Some(word) = ACCESS_KEY_WORDS.iter().find(|w| rest.starts_with(w)) else {
        return false;
    };
    let after = &rest[word.len()..];
    !(after.starts_with(b"_id") || after.starts_with(b"_ID") || after.starts_with(b"_Id"))
}

/// The literal anchors the prefilter searches for, in its order: key ID prefixes, `secret`
/// words, their UTF-16 forms, and key ID prefixes as they appear in base64 at each of the
/// three alignments. Benchmarks use them to measure a plain Aho-Corasick pass over the same
/// literals, the floor a scan is compared with.
pub fn prefilter_literals() -> Vec<Vec<u8>> {
    crate::prefilter::anchor_patterns().0
}

/// Characters of a secret access key: the standard base64 alphabet without padding. The
/// `secret` pattern of `rules/patterns.txt` says the same; a test holds them together.
#[inline]
pub(crate) fn is_secret_char(b: u8) -> bool {
    crate::decode::is_base64_char(b)
}

/// Whether a value of secret shape (see the `secret` pattern) is random enough to be a
/// secret access key.
///
/// Real secrets are 30 random bytes in base64. Rejected: hex-only strings (git SHAs, SHA-1
/// digests), strings without both upper- and lower-case letters (a random secret lacks one
/// of them with probability below 1e-8), low-entropy strings, and alphabet runs such as
/// `ABCDEFGH...`. Counting and entropy are not what regular expressions do: this stays code.
pub(crate) fn looks_random(s: &[u8]) -> bool {
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
        if self
            .doc_key_ids
            .iter()
            .any(|doc| near_copy(doc.as_bytes(), key.as_bytes(), NEAR_COPY_KEY_ID))
        {
            return Some(ExampleKind::Fixture);
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
        if self.doc_secrets.contains(secret) {
            return Some(ExampleKind::Documentation);
        }
        self.doc_secrets
            .iter()
            .any(|doc| near_copy(doc.as_bytes(), secret.as_bytes(), NEAR_COPY_SECRET))
            .then_some(ExampleKind::Fixture)
    }
}

/// Characters a secret shares, position by position, with a documentation example to be a
/// near-copy of it (`wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ`): 32 of 40. Two random
/// secrets share about one.
const NEAR_COPY_SECRET: usize = 32;
/// The same for key IDs: 16 of 20 (the four prefix characters included).
const NEAR_COPY_KEY_ID: usize = 16;

/// Whether `value` has the length of `doc` and shares at least `min` characters with it,
/// position by position.
fn near_copy(doc: &[u8], value: &[u8], min: usize) -> bool {
    if doc.len() != value.len() {
        return false;
    }
    // Most values differ from the example almost everywhere: stop at the first mismatch
    // too many.
    let allowed = doc.len().saturating_sub(min);
    let mut mismatches = 0;
    for (a, b) in doc.iter().zip(value) {
        mismatches += usize::from(a != b);
        if mismatches > allowed {
            return false;
        }
    }
    true
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

/// What a label names: the kinds of the label vocabulary of `rules/patterns.txt`, and of
/// the patterns added with
/// [`ScannerBuilder::label_pattern`](crate::ScannerBuilder::label_pattern).
///
/// When labels of several kinds match one name, the first kind in this order wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum LabelKind {
    /// Names a session token: `aws_session_token`, `SessionToken`, `aws_security_token`.
    /// A long token so named is attached to the temporary key ID near it.
    SessionToken,
    /// Names an AWS secret access key: `aws_secret_access_key`, `SecretAccessKey`,
    /// `AWSSecretKey`. A secret so named is reported even without a key ID, and pairs with a
    /// key ID up to 64 lines away.
    AwsSecret,
    /// Names some secret (`secret_key`, `password`): an AWS secret when the lines around it
    /// speak of AWS; it pairs with a key ID up to 64 lines away.
    Secret,
    /// Names an access key ID (`aws_access_key_id`, `AccessKeyId`): a value so named is never
    /// taken for a secret.
    KeyId,
    /// Names something that is not a secret (digests, commits, signatures): a value so named
    /// is never taken for a secret.
    NotSecret,
}

impl LabelKind {
    /// Every kind, in order of precedence.
    pub const ALL: [LabelKind; 5] = [
        LabelKind::SessionToken,
        LabelKind::AwsSecret,
        LabelKind::Secret,
        LabelKind::KeyId,
        LabelKind::NotSecret,
    ];

    /// The name used in `rules/patterns.txt` and in the `[labels]` table of
    /// `leakscan.toml`: `session_token`, `aws_secret`, `secret`, `key_id`, `not_secret`.
    pub const fn as_str(self) -> &'static str {
        match self {
            LabelKind::SessionToken => "session_token",
            LabelKind::AwsSecret => "aws_secret",
            LabelKind::Secret => "secret",
            LabelKind::KeyId => "key_id",
            LabelKind::NotSecret => "not_secret",
        }
    }

    fn from_name(name: &str) -> Option<LabelKind> {
        LabelKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for LabelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the name before a value says about it (`aws_secret_access_key = ...`), as pairing
/// and assembly see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LabelClass {
    AwsSecret,
    Secret,
    SessionToken,
    KeyId,
    NotSecret,
    /// A label no pattern matches.
    Other,
}

impl From<Option<LabelKind>> for LabelClass {
    fn from(kind: Option<LabelKind>) -> LabelClass {
        match kind {
            Some(LabelKind::AwsSecret) => LabelClass::AwsSecret,
            Some(LabelKind::Secret) => LabelClass::Secret,
            Some(LabelKind::SessionToken) => LabelClass::SessionToken,
            Some(LabelKind::KeyId) => LabelClass::KeyId,
            Some(LabelKind::NotSecret) => LabelClass::NotSecret,
            None => LabelClass::Other,
        }
    }
}

/// What a pattern of `rules/patterns.txt` is matched against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The 20 bytes of a key ID candidate, whole.
    KeyId,
    /// The 20 bytes of a key ID candidate that is not a key ID, whole: the shape of one AWS
    /// cannot issue.
    ImpossibleKeyId,
    /// A secret candidate's decoded characters, whole.
    Secret,
    /// A normalized label, anywhere in it.
    Label(LabelKind),
    /// The words of a key's or secret's label, lower-cased and joined by `_`
    /// (`rootAccessKey` is seen as `root_access_key`): a name calling the key a root user's.
    RootLabel,
    /// A comment near a key, lower-cased: one calling the keys a root user's.
    RootComment,
    /// The header row above a key and its secret, trimmed and lower-cased: the console's
    /// root key download (`rootkey.csv`).
    RootHeader,
}

/// What an example of a pattern shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExampleClass {
    /// The pattern matches it.
    Positive,
    /// The pattern does not match it.
    Negative,
    /// The pattern does not match it, although it comes close.
    NearMiss,
}

/// One pattern of `rules/patterns.txt` with its examples.
#[derive(Clone, Debug)]
pub(crate) struct PatternSpec {
    pub(crate) name: &'static str,
    pub(crate) role: Role,
    pub(crate) regex: &'static str,
    pub(crate) examples: Vec<(ExampleClass, &'static str)>,
}

/// The patterns of `rules/patterns.txt`, in file order.
pub(crate) fn pattern_specs() -> &'static [PatternSpec] {
    static SPECS: OnceLock<Vec<PatternSpec>> = OnceLock::new();
    SPECS.get_or_init(|| {
        parse_patterns(include_str!("../rules/patterns.txt"))
            .expect("rules/patterns.txt parses, because a unit test parses it")
    })
}

/// Reads the pattern file's format (described at its top).
fn parse_patterns(text: &'static str) -> Result<Vec<PatternSpec>, String> {
    let mut specs: Vec<PatternSpec> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |what: &str| format!("rules/patterns.txt:{}: {what}", n + 1);
        let (word, rest) = line.split_once(' ').ok_or_else(|| err("no value"))?;
        let class = match word {
            "pattern" => {
                let mut parts = rest.splitn(3, ' ');
                let (Some(name), Some(role), Some(regex)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(err("a pattern has a name, a role and a regex"));
                };
                let role = match role {
                    "key-id" => Role::KeyId,
                    "impossible-key-id" => Role::ImpossibleKeyId,
                    "root-label" => Role::RootLabel,
                    "root-comment" => Role::RootComment,
                    "root-header" => Role::RootHeader,
                    "secret" => Role::Secret,
                    _ => match role.strip_prefix("label:").and_then(LabelKind::from_name) {
                        Some(kind) => Role::Label(kind),
                        None => return Err(err("unknown role")),
                    },
                };
                specs.push(PatternSpec {
                    name,
                    role,
                    regex,
                    examples: Vec::new(),
                });
                continue;
            }
            "positive" => ExampleClass::Positive,
            "negative" => ExampleClass::Negative,
            "near-miss" => ExampleClass::NearMiss,
            _ => return Err(err("unknown entry")),
        };
        specs
            .last_mut()
            .ok_or_else(|| err("an example before any pattern"))?
            .examples
            .push((class, rest));
    }
    Ok(specs)
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
    label_words(label)
        .into_iter()
        .filter(|w| !COMMON.contains(&w.as_str()))
        .collect::<Vec<_>>()
        .join("_")
}

/// The words of a label, lower-cased: split on punctuation and at camel-case boundaries,
/// keeping acronyms whole (`AWSSecretKey` -> aws, secret, key).
pub(crate) fn label_words(label: &str) -> Vec<String> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_must_look_random() {
        assert!(!looks_random(b"0123456789abcdef0123456789abcdef01234567"));
        assert!(!looks_random(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"));
        assert!(!looks_random(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(!looks_random(b"abababababababababababababababababababAB"));
        assert!(looks_random(b"Zq3/9xK+pL0mW7vB2nR8tY4uE6iO1aS5dF/gH+jk"));
    }

    #[test]
    fn the_pattern_file_parses_and_covers_every_role() {
        let specs = parse_patterns(include_str!("../rules/patterns.txt")).unwrap_or_else(|e| {
            panic!("{e}");
        });
        for role in [
            Role::KeyId,
            Role::ImpossibleKeyId,
            Role::Secret,
            Role::RootLabel,
            Role::RootComment,
            Role::RootHeader,
        ]
        .into_iter()
        .chain(LabelKind::ALL.map(Role::Label))
        {
            assert!(
                specs.iter().any(|s| s.role == role),
                "no pattern for {role:?}"
            );
        }
        for s in &specs {
            for class in [
                ExampleClass::Positive,
                ExampleClass::Negative,
                ExampleClass::NearMiss,
            ] {
                assert!(
                    s.examples.iter().any(|(c, _)| *c == class),
                    "{}: no {class:?} example",
                    s.name
                );
            }
        }
        assert!(parse_patterns("positive x").is_err());
        assert!(parse_patterns("pattern x label:nothing y").is_err());
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
