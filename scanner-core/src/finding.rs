//! The typed result of a scan: [`Finding`] and the small types it is made of.

#[cfg(feature = "serde")]
mod serde_impl;

use std::fmt;

use sha2::{Digest, Sha256};

use crate::archive::ArchivePath;

/// A half-open byte range `[start, end)` in the scanned bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` (inclusive) to `end` (exclusive).
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// Number of bytes covered.
    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no byte.
    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Where something was found: its byte span and the 1-based line and column of its first byte.
///
/// Columns count bytes, as `grep -b` and ripgrep's JSON output do, so they are exact for any
/// encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Location {
    /// Byte span in the scanned input (for encoded credentials: the span of the encoded form).
    pub span: Span,
    /// 1-based line number of `span.start`.
    pub line: usize,
    /// 1-based byte column of `span.start` within its line.
    pub column: usize,
}

/// What a finding is: a usable pair, or one half of one.
///
/// Kinds are stable identifiers: they appear in reports and in the [`Fingerprint`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Kind {
    /// An access key ID together with its secret access key: a usable credential.
    #[cfg_attr(feature = "serde", serde(rename = "aws-key-pair"))]
    KeyPair,
    /// An access key ID whose secret was not found near it.
    #[cfg_attr(feature = "serde", serde(rename = "aws-key-id"))]
    KeyId,
    /// A secret access key named as such by its context, with no key ID near it.
    #[cfg_attr(feature = "serde", serde(rename = "aws-secret-key"))]
    SecretKey,
}

impl Kind {
    /// The stable identifier used in reports: `aws-key-pair`, `aws-key-id`, `aws-secret-key`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::KeyPair => "aws-key-pair",
            Kind::KeyId => "aws-key-id",
            Kind::SecretKey => "aws-secret-key",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is, from `Info` (not a usable secret) to `Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Severity {
    /// Documentation examples and placeholders (only reported on request).
    Info,
    /// Not usable on its own (a key ID without secret), or a known canary token.
    Low,
    /// Half a credential that is still valuable (a named secret), or temporary credentials.
    Medium,
    /// A usable long-term credential.
    High,
    /// A usable credential that is likely a root user's key, or belongs to one of your accounts.
    Critical,
}

impl Severity {
    /// Lower-case name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of access key, from the key ID's four-letter prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum KeyType {
    /// `AKIA`: a long-term access key of an IAM user or the root user.
    #[cfg_attr(feature = "serde", serde(rename = "long-term"))]
    LongTerm,
    /// `ASIA`: temporary credentials from STS; usable only with their session token.
    #[cfg_attr(feature = "serde", serde(rename = "temporary"))]
    Temporary,
    /// `ABIA`: an AWS STS service bearer token.
    #[cfg_attr(feature = "serde", serde(rename = "sts-bearer-token"))]
    BearerToken,
    /// `ACCA`: a context-specific credential.
    #[cfg_attr(feature = "serde", serde(rename = "context-specific"))]
    ContextSpecific,
}

impl KeyType {
    /// Stable name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyType::LongTerm => "long-term",
            KeyType::Temporary => "temporary",
            KeyType::BearerToken => "sts-bearer-token",
            KeyType::ContextSpecific => "context-specific",
        }
    }

    pub(crate) fn from_prefix(prefix: &[u8]) -> Option<KeyType> {
        match prefix {
            b"AKIA" => Some(KeyType::LongTerm),
            b"ASIA" => Some(KeyType::Temporary),
            b"ABIA" => Some(KeyType::BearerToken),
            b"ACCA" => Some(KeyType::ContextSpecific),
            _ => None,
        }
    }
}

/// A 12-digit AWS account ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(u64);

impl AccountId {
    /// The largest account ID (12 digits).
    const MAX: u64 = 999_999_999_999;

    /// An account ID from its number, if it has at most 12 digits.
    pub const fn new(id: u64) -> Option<AccountId> {
        if id <= Self::MAX {
            Some(AccountId(id))
        } else {
            None
        }
    }

    /// The account number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:012}", self.0)
    }
}

impl std::str::FromStr for AccountId {
    type Err = crate::Error;

    /// Parses exactly 12 ASCII digits (dashes as in `1234-5678-9012` are allowed).
    fn from_str(s: &str) -> Result<AccountId, crate::Error> {
        let digits: String = s.chars().filter(|&c| c != '-').collect();
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(crate::Error::invalid_account_id(s));
        }
        digits
            .parse::<u64>()
            .ok()
            .and_then(AccountId::new)
            .ok_or_else(|| crate::Error::invalid_account_id(s))
    }
}

/// An access key ID such as `AKIA` followed by 16 base32 characters. Not secret by itself.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    pub(crate) fn new_unchecked(s: String) -> KeyId {
        KeyId(s)
    }

    /// A key ID from text of key ID shape (the `key-id` pattern of `rules/patterns.txt`).
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    pub(crate) fn parse(s: &str) -> Option<KeyId> {
        crate::confirm::Patterns::builtin()
            .is_key_id(s.as_bytes())
            .then(|| KeyId(s.to_string()))
    }

    /// The key ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The kind of key, from its prefix.
    pub fn key_type(&self) -> KeyType {
        KeyType::from_prefix(&self.0.as_bytes()[..4])
            .expect("key IDs are only built from credential prefixes")
    }

    /// The AWS account that owns the key, decoded offline from the key ID.
    ///
    /// Only key IDs issued since 2019 encode their account: those whose fifth character is
    /// in `Q`–`Z` or `2`–`7`. Older key IDs give `None`.
    pub fn account_id(&self) -> Option<AccountId> {
        crate::enrich::account_from_key_id(self.0.as_bytes())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeyId").field(&self.0).finish()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret value (secret access key or session token). `Debug` and `Display` never show it;
/// call [`Secret::expose`] to read it.
///
/// # Serialization
///
/// **With the `serde` feature, a `Secret` serializes in clear text**, as a plain string:
/// anything a [`Finding`] is serialized into (a JSON file, a log line, a message queue)
/// then holds a usable credential. Serialize [`Secret::redacted`] instead where the value is
/// not needed. Without the feature a `Secret` cannot be serialized at all.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Secret(String);

impl Secret {
    pub(crate) fn new(s: String) -> Secret {
        Secret(s)
    }

    /// The secret in clear text. Handle with care.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The first four characters followed by `*` for the rest (at most 8 of them), enough to
    /// tell two secrets apart in a report without making either usable.
    pub fn redacted(&self) -> String {
        let shown: String = self.0.chars().take(4).collect();
        let hidden = self.0.chars().count().saturating_sub(4).min(8);
        format!("{shown}{}", "*".repeat(hidden))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A stable identity for a credential: hex SHA-256 over its kind, key ID and secret.
///
/// It never depends on where the credential was found, so the same credential in many files
/// (or many commits) has one fingerprint, and baselines survive moves and history rewrites.
/// It does not reveal the secret.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub(crate) fn compute(kind: Kind, key_id: Option<&KeyId>, secret: Option<&Secret>) -> Self {
        let mut h = Sha256::new();
        h.update(kind.as_str().as_bytes());
        h.update([0]);
        h.update(key_id.map_or("", |k| k.as_str()).as_bytes());
        h.update([0]);
        h.update(secret.map_or("", |s| s.expose()).as_bytes());
        Fingerprint(h.finalize().into())
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, 64 characters.
    pub fn to_hex(&self) -> String {
        use fmt::Write;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = crate::Error;

    /// Parses the 64 hexadecimal characters that [`Fingerprint::to_hex`] and `Display`
    /// print (upper-case accepted too).
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidFingerprint`](crate::ErrorKind::InvalidFingerprint) error
    /// for any other text.
    fn from_str(s: &str) -> Result<Fingerprint, crate::Error> {
        fn nibble(c: u8) -> Option<u8> {
            match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                b'A'..=b'F' => Some(c - b'A' + 10),
                _ => None,
            }
        }
        let bytes = s.as_bytes();
        let mut out = [0u8; 32];
        if bytes.len() != 2 * out.len() {
            return Err(crate::Error::invalid_fingerprint(s));
        }
        for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            match (nibble(pair[0]), nibble(pair[1])) {
                (Some(hi), Some(lo)) => *o = (hi << 4) | lo,
                _ => return Err(crate::Error::invalid_fingerprint(s)),
            }
        }
        Ok(Fingerprint(out))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The form in which a credential was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Encoding {
    /// As is.
    #[cfg_attr(feature = "serde", serde(rename = "plain"))]
    Plain,
    /// With JSON's `\/` escape.
    #[cfg_attr(feature = "serde", serde(rename = "json-escaped"))]
    JsonEscaped,
    /// URL-encoded (`%2F`, `%2B`).
    #[cfg_attr(feature = "serde", serde(rename = "url-encoded"))]
    UrlEncoded,
    /// Inside base64 (standard or URL-safe, one or two levels).
    #[cfg_attr(feature = "serde", serde(rename = "base64"))]
    Base64,
    /// In UTF-16 little-endian text.
    #[cfg_attr(feature = "serde", serde(rename = "utf-16le"))]
    Utf16Le,
    /// In UTF-16 big-endian text.
    #[cfg_attr(feature = "serde", serde(rename = "utf-16be"))]
    Utf16Be,
    /// With backslash escapes of its characters (`\u0041`, `\u{41}`, `\x41`).
    #[cfg_attr(feature = "serde", serde(rename = "escaped"))]
    Escaped,
    /// With HTML or XML character references (`&#x2F;`, `&#47;`, `&amp;`) or split by
    /// inline HTML tags.
    #[cfg_attr(feature = "serde", serde(rename = "html"))]
    Html,
    /// In a quoted-printable mail part (`=3D`, soft line breaks).
    #[cfg_attr(feature = "serde", serde(rename = "quoted-printable"))]
    QuotedPrintable,
}

impl Encoding {
    /// Stable name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Plain => "plain",
            Encoding::JsonEscaped => "json-escaped",
            Encoding::UrlEncoded => "url-encoded",
            Encoding::Base64 => "base64",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
            Encoding::Escaped => "escaped",
            Encoding::Html => "html",
            Encoding::QuotedPrintable => "quoted-printable",
        }
    }
}

/// Why a finding looks like a documentation example rather than a leak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum ExampleKind {
    /// One of the example keys printed in AWS documentation.
    Documentation,
    /// An obvious placeholder such as `AKIAXXXXXXXXXXXXXXXX`.
    Placeholder,
    /// A test fixture made up by hand: a near-copy of a documentation example (a secret
    /// that shares 32 of its 40 characters with one), or a secret paired with a key ID
    /// that AWS cannot issue (a `0`, `1`, `8` or `9` in its body).
    Fixture,
}

/// Facts about a credential derived offline, without contacting AWS.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Facts {
    /// The owning account, decoded from the key ID (keys issued since 2019 only).
    pub account_id: Option<AccountId>,
    /// The kind of key, from the key ID's prefix.
    pub key_type: Option<KeyType>,
    /// The account is a known canary-token account: the key is a tripwire, and using it
    /// alerts its owner.
    pub canary: bool,
    /// The context is the AWS console's root-user key download (`rootkey.csv`).
    pub likely_root: bool,
    /// The account is one of the accounts the scanner was told are yours.
    pub own_account: bool,
    /// The credential is a documentation example or placeholder.
    pub example: Option<ExampleKind>,
}

/// One occurrence of a credential in the scanned bytes.
///
/// Scanning the same bytes always gives the same findings in the same order (by position).
/// The same credential found in many places has the same [`Fingerprint`]; grouping
/// occurrences into one report entry is the caller's choice.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Finding {
    /// What was found.
    pub kind: Kind,
    /// The access key ID, for [`Kind::KeyPair`] and [`Kind::KeyId`].
    pub key_id: Option<KeyId>,
    /// The secret access key, for [`Kind::KeyPair`] and [`Kind::SecretKey`], decoded.
    pub secret: Option<Secret>,
    /// The session token that belongs to a temporary (`ASIA`) key, if one was found with it.
    pub session_token: Option<Secret>,
    /// For a key pair: other plausible secrets near the key ID that no key took, nearest
    /// first. Verification tries them, in order, when `secret` is rejected. Not part of the
    /// fingerprint.
    #[cfg_attr(feature = "serde", serde(default))]
    pub other_secrets: Vec<Secret>,
    /// Content-derived identity of the credential.
    pub fingerprint: Fingerprint,
    /// Severity derived from the kind and the facts.
    pub severity: Severity,
    /// Offline facts.
    pub facts: Facts,
    /// How the credential was written.
    pub encoding: Encoding,
    /// Where the credential is: the key ID's position, or the secret's when there is no key ID.
    pub location: Location,
    /// Where the secret is, when a key pair's secret was found apart from its key ID.
    pub secret_location: Option<Location>,
    /// The entry of an archive the credential is in, outermost first (empty outside
    /// archives). `location` is then a place in that entry's (decompressed) bytes.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "ArchivePath::is_empty")
    )]
    pub archive_path: ArchivePath,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_all_but_four_characters() {
        let s = Secret::new("abcdEFGHijklMNOPqrstUVWXyz0123456789+/AB".into());
        assert_eq!(s.redacted(), "abcd********");
        assert_eq!(format!("{s:?}"), "Secret(abcd********)");
        assert_eq!(format!("{s}"), "abcd********");
        assert!(!format!("{s:?}").contains("EFGH"));
    }

    #[test]
    fn fingerprint_depends_on_kind_key_and_secret_only() {
        let k = KeyId::new_unchecked("AKIA".to_string() + "QAAAAAAAAAAAAAAA");
        let s = Secret::new("x".repeat(40));
        let a = Fingerprint::compute(Kind::KeyPair, Some(&k), Some(&s));
        assert_eq!(a, Fingerprint::compute(Kind::KeyPair, Some(&k), Some(&s)));
        assert_ne!(a, Fingerprint::compute(Kind::KeyId, Some(&k), None));
        assert_eq!(a.to_hex().len(), 64);
    }

    #[test]
    fn fingerprints_parse_back_from_their_hex_form() {
        let k = KeyId::new_unchecked("AKIA".to_string() + "QAAAAAAAAAAAAAAA");
        for f in [
            Fingerprint::compute(Kind::KeyId, Some(&k), None),
            Fingerprint::compute(Kind::SecretKey, None, Some(&Secret::new("y".repeat(40)))),
            Fingerprint([0; 32]),
            Fingerprint([0xff; 32]),
        ] {
            assert_eq!(f.to_string().parse::<Fingerprint>().ok(), Some(f));
            assert_eq!(
                f.to_hex().to_uppercase().parse::<Fingerprint>().ok(),
                Some(f)
            );
        }
        let good = "ab".repeat(32);
        for bad in [
            String::new(),
            "ab".repeat(31),
            "ab".repeat(33),
            format!("{}g", &good[..63]),
            format!("{}é", &good[..62]),
            format!(" {}", &good[..63]),
            format!("+{}", &good[..63]),
        ] {
            let err = bad.parse::<Fingerprint>().expect_err(&bad);
            assert_eq!(err.kind(), crate::ErrorKind::InvalidFingerprint, "{bad:?}");
        }
    }

    #[test]
    fn account_ids_parse_strictly() {
        assert_eq!(
            "1234-5678-9012".parse::<AccountId>().map(|a| a.get()).ok(),
            Some(123_456_789_012)
        );
        assert!("12345678901".parse::<AccountId>().is_err());
        assert!("12345678901x".parse::<AccountId>().is_err());
        assert_eq!(
            AccountId::new(7).map(|a| a.to_string()).as_deref(),
            Some("000000000007")
        );
    }
}
