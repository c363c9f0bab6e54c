//! `leakscan.toml`: per-repository settings, found at the root of the scanned directory or
//! given with `--config`.
//!
//! ```toml
//! # Paths to skip (gitignore syntax).
//! exclude = ["vendor/", "*.min.js"]
//! # Skip files and blobs larger than this (bytes, or with a K, M or G suffix).
//! max_file_size = "10M"
//! # Your AWS accounts: their credentials are reported at higher severity.
//! own_accounts = ["123456789012"]
//! # Canary-token accounts beyond the built-in list.
//! canary_accounts = ["210987654321"]
//! # Files skipped while walking, blobs over the size limit and parts of archives not read
//! # make the exit status 2 (as `--fail-on-skip` does).
//! fail_on_skip = true
//!
//! # More label vocabulary: regular expressions matched, ignoring case, against the letters
//! # and digits of the name a value is assigned to (`CORP_VAULT_KEY` is `corpvaultkey`).
//! # Keys: aws_secret, secret, session_token, key_id, not_secret.
//! [labels]
//! aws_secret = ["^corp_?vault_?key$"]
//! not_secret = ["^build_?token$"]
//!
//! # Credentials accepted on purpose, by fingerprint (never by secret).
//! [[allow]]
//! fingerprint = "50f6cb324abeea026ce187f1cac35bf54959e70897a0cc858e27e6be344790f6"
//! reason = "revoked test key kept in a fixture"
//! ```
//!
//! Unknown keys are errors, and every error names the file, line and column.

use std::ops::Range;
use std::path::Path;

use anyhow::bail;
use scanner_core::{AccountId, LabelKind, Scanner};
use serde::Deserialize;
use toml::Spanned;

/// The file name looked for at the root of a scanned directory.
pub const FILE_NAME: &str = "leakscan.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    exclude: Vec<String>,
    max_file_size: Option<Spanned<toml::Value>>,
    #[serde(default)]
    own_accounts: Vec<Spanned<String>>,
    #[serde(default)]
    canary_accounts: Vec<Spanned<String>>,
    #[serde(default)]
    allow: Vec<RawAllow>,
    #[serde(default)]
    labels: RawLabels,
    fail_on_skip: Option<bool>,
}

/// `[labels]`: one list of patterns per label kind.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabels {
    #[serde(default)]
    aws_secret: Vec<Spanned<String>>,
    #[serde(default)]
    secret: Vec<Spanned<String>>,
    #[serde(default)]
    session_token: Vec<Spanned<String>>,
    #[serde(default)]
    key_id: Vec<Spanned<String>>,
    #[serde(default)]
    not_secret: Vec<Spanned<String>>,
}

impl RawLabels {
    fn into_patterns(self) -> impl Iterator<Item = (LabelKind, Spanned<String>)> {
        let tag =
            |kind: LabelKind, list: Vec<Spanned<String>>| list.into_iter().map(move |p| (kind, p));
        tag(LabelKind::AwsSecret, self.aws_secret)
            .chain(tag(LabelKind::Secret, self.secret))
            .chain(tag(LabelKind::SessionToken, self.session_token))
            .chain(tag(LabelKind::KeyId, self.key_id))
            .chain(tag(LabelKind::NotSecret, self.not_secret))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    fingerprint: Spanned<String>,
    #[serde(default)]
    #[allow(dead_code)]
    reason: Option<String>,
}

/// A loaded configuration file.
#[derive(Debug, Default)]
pub struct FileConfig {
    pub exclude: Vec<String>,
    pub max_file_size: Option<u64>,
    pub own_accounts: Vec<AccountId>,
    pub canary_accounts: Vec<AccountId>,
    pub allowed_fingerprints: Vec<String>,
    /// `[labels]`: label patterns by kind, in file order, each checked to compile.
    pub label_patterns: Vec<(LabelKind, String)>,
    /// `fail_on_skip = true`: what was not read makes the exit status 2 (`--fail-on-skip`).
    pub fail_on_skip: Option<bool>,
}

/// `file:line:column` of a byte range of `text`.
fn position(path: &Path, text: &str, span: Option<Range<usize>>) -> String {
    let Some(span) = span else {
        return path.display().to_string();
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |n| before.len() - n - 1)
        + 1;
    format!("{}:{line}:{column}", path.display())
}

impl FileConfig {
    /// Loads `path`.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or is not a valid configuration, naming the file, and
    /// the line and column of the problem.
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!("{}: cannot read the configuration: {e}", path.display())
        })?;
        let raw: Raw = match toml::from_str(&text) {
            Ok(raw) => raw,
            Err(e) => bail!("{}: {}", position(path, &text, e.span()), e.message()),
        };
        let at = |span: Range<usize>| position(path, &text, Some(span));
        let accounts = |list: Vec<Spanned<String>>| -> anyhow::Result<Vec<AccountId>> {
            list.into_iter()
                .map(|s| {
                    let span = s.span();
                    s.into_inner()
                        .parse::<AccountId>()
                        .map_err(|e| anyhow::anyhow!("{}: {e}", at(span)))
                })
                .collect()
        };
        let max_file_size = match raw.max_file_size {
            None => None,
            Some(v) => {
                let span = v.span();
                let parsed = match v.into_inner() {
                    toml::Value::Integer(n) => {
                        u64::try_from(n).map_err(|_| "a size cannot be negative".to_string())
                    }
                    toml::Value::String(s) => crate::args::parse_size(&s),
                    _ => Err(
                        "max_file_size is a number of bytes or a string such as \"10M\""
                            .to_string(),
                    ),
                };
                Some(parsed.map_err(|e| anyhow::anyhow!("{}: {e}", at(span)))?)
            }
        };
        let mut allowed = Vec::new();
        for a in raw.allow {
            let span = a.fingerprint.span();
            let fp = a.fingerprint.into_inner().to_ascii_lowercase();
            if fp.len() != 64 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!("{}: a fingerprint is 64 hexadecimal characters", at(span));
            }
            allowed.push(fp);
        }
        // Compiled here, one by one and together, so that a bad pattern is named with its
        // place in the file; the scanner compiles them again when it is built.
        let mut labels = Scanner::builder();
        let mut label_patterns = Vec::new();
        for (kind, pattern) in raw.labels.into_patterns() {
            let span = pattern.span();
            let pattern = pattern.into_inner();
            labels = labels
                .label_pattern(kind, &pattern)
                .map_err(|e| anyhow::anyhow!("{}: {e}", at(span)))?;
            label_patterns.push((kind, pattern));
        }
        Ok(FileConfig {
            exclude: raw.exclude,
            max_file_size,
            own_accounts: accounts(raw.own_accounts)?,
            canary_accounts: accounts(raw.canary_accounts)?,
            allowed_fingerprints: allowed,
            label_patterns,
            fail_on_skip: raw.fail_on_skip,
        })
    }
}

/// What the configuration applied did in a run, for reports (stderr, `stats.config`).
#[derive(Debug, Clone)]
pub struct Effect {
    pub file: crate::args::ConfigFile,
    /// Paths its `exclude` kept from the walks (a directory counts once).
    pub excluded_paths: u64,
    /// Credentials its `[[allow]]` removed from the report.
    pub findings_allowed: usize,
}

impl Effect {
    /// One line for stderr: the file, where it was found, and each thing it did or set.
    pub fn describe(&self) -> String {
        let f = &self.file;
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut did = Vec::new();
        if !f.exclude.is_empty() {
            did.push(format!(
                "exclude {} ({} excluded)",
                plural(f.exclude.len(), "glob", "globs"),
                plural(
                    usize::try_from(self.excluded_paths).unwrap_or(usize::MAX),
                    "path",
                    "paths"
                )
            ));
        }
        if !f.allowed.is_empty() {
            did.push(format!(
                "allow {} ({} not reported)",
                plural(f.allowed.len(), "fingerprint", "fingerprints"),
                plural(self.findings_allowed, "finding", "findings")
            ));
        }
        if let Some(n) = f.max_file_size {
            did.push(format!("max_file_size {n}"));
        }
        if f.own_accounts > 0 {
            did.push(format!("own_accounts {}", f.own_accounts));
        }
        if f.canary_accounts > 0 {
            did.push(format!("canary_accounts {}", f.canary_accounts));
        }
        if f.label_patterns > 0 {
            did.push(format!(
                "{} in [labels]",
                plural(f.label_patterns, "pattern", "patterns")
            ));
        }
        if let Some(b) = f.fail_on_skip {
            did.push(format!("fail_on_skip {b}"));
        }
        let where_ = match f.found {
            crate::args::ConfigFound::ScannedTree => {
                "found in the scanned tree; --no-config ignores it"
            }
            crate::args::ConfigFound::CommandLine => "--config",
        };
        let did = if did.is_empty() {
            "sets nothing".to_string()
        } else {
            did.join(", ")
        };
        format!("leakscan: configuration {} ({where_}): {did}", f.path)
    }
}
