//! One report entry per credential: findings grouped by fingerprint, each with every hit
//! (origin and location) where it was found, in a deterministic order. The printers
//! (`human`, `json`, `sarif`) only format it; `jsonl` streams one line per hit as found and
//! ends with its summary. What to do about each kind of credential is in `remediation`, for
//! every printer.
//!
//! Reports show scanner-git's types as they are ([`scanner_git::Origin`], its
//! [`Provenance`](scanner_git::Provenance) and [`CommitInfo`]); the helpers here only say
//! how each is shown.

pub mod human;
pub mod json;
pub mod jsonl;
pub mod remediation;
pub mod sarif;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use scanner_core::{ArchivePath, Encoding, Facts, Fingerprint, KeyId, Kind, Secret, Severity};
use scanner_git::{CommitInfo, ObjectId};

use crate::scan::{ArchiveSkip, Hit, InputError, Origin, Outcome, RepoSummary, Seen, Skipped};

/// A credential and every hit of it.
#[derive(Debug)]
pub struct Credential {
    pub fingerprint: Fingerprint,
    pub kind: Kind,
    /// The highest severity among its hits (a root-key context in one hit counts).
    pub severity: Severity,
    pub key_id: Option<KeyId>,
    /// The secret in clear, when known (a report merged from redacted reports has only its
    /// redacted form).
    pub secret: Option<Secret>,
    /// The secret's redacted form, whenever the credential has a secret.
    pub secret_redacted: Option<String>,
    pub session_token: Option<Secret>,
    /// The session token's redacted form, whenever the credential has one.
    pub session_token_redacted: Option<String>,
    pub facts: Facts,
    /// Sorted (see [`Hit::order`]): files first, then by repository, path, line, column.
    pub hits: Vec<Hit>,
    /// One occurrence, as found: what verification sends (signed) to STS.
    pub finding: scanner_core::Finding,
    /// The answer of STS, with `--verify`.
    pub verification: Option<scanner_verify::Verification>,
    /// With a state: when the credential was first and last seen (over all its places), and
    /// whether this run found it first.
    pub seen: Option<Seen>,
}

impl Credential {
    /// A root user's key: verified so by STS, or downloaded as the console's rootkey.csv.
    pub fn is_root_key(&self) -> bool {
        self.facts.likely_root || self.verification.as_ref().is_some_and(|v| v.is_root())
    }
}

impl Origin {
    /// The repository of a finding in history; `None` for files, standard input and
    /// staged files (shown as the files they are about to be).
    pub fn repository(&self) -> Option<&str> {
        match self {
            Origin::Git { repository, origin } if !is_staged(origin) => Some(repository),
            _ => None,
        }
    }

    /// The path reports show: the file's; `-` for standard input; a web text's URL; a staged file's path
    /// under its repository; for a blob, its path in the commit that introduced it. `None`
    /// for messages and blobs no commit holds. Bytes that are not UTF-8 are written `\xNN`
    /// ([`lossless`]); [`path_bytes`](Self::path_bytes) has them exactly.
    pub fn path(&self) -> Option<Cow<'_, str>> {
        match self {
            Origin::File(path) => Some(Cow::Borrowed(path)),
            Origin::Stdin => Some(Cow::Borrowed("-")),
            Origin::Web { url, .. } => Some(Cow::Borrowed(url)),
            Origin::Git { repository, origin } => {
                let path = lossless(origin.path()?);
                Some(match &**origin {
                    scanner_git::Origin::Staged { .. } if repository != "." => {
                        Cow::Owned(format!("{repository}/{path}"))
                    }
                    _ => path,
                })
            }
        }
    }

    /// The path as bytes, exactly (a git path need not be UTF-8): what [`path`](Self::path)
    /// shows lossily.
    pub fn path_bytes(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            Origin::Git { repository, origin } => {
                let path = origin.path()?.as_slice();
                Some(match &**origin {
                    scanner_git::Origin::Staged { .. } if repository != "." => {
                        let mut p = format!("{repository}/").into_bytes();
                        p.extend_from_slice(path);
                        Cow::Owned(p)
                    }
                    _ => Cow::Borrowed(path),
                })
            }
            _ => self.path().map(|p| match p {
                Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
                Cow::Owned(s) => Cow::Owned(s.into_bytes()),
            }),
        }
    }

    /// Whether the place is there now: a file (or standard input, a staged file, a web
    /// text), or a blob HEAD's tree still holds.
    pub fn is_present(&self) -> bool {
        match self.history() {
            None => true,
            Some(scanner_git::Origin::Blob { provenance, .. }) => provenance.at_head == Some(true),
            Some(_) => false,
        }
    }

    /// When the bytes entered history: the date of the introducing commit (or of the
    /// commit whose message it is).
    pub fn entered(&self) -> Option<scanner_git::CommitTime> {
        self.history().and_then(commit_of).and_then(|c| c.date)
    }

    /// A web page's text: its URL and what it is.
    pub fn web(&self) -> Option<(&str, scanner_remote::TextKind)> {
        match self {
            Origin::Web { url, kind } => Some((url, *kind)),
            _ => None,
        }
    }

    /// The origin in a repository's history (not a staged file).
    pub fn history(&self) -> Option<&scanner_git::Origin> {
        match self {
            Origin::Git { origin, .. } if !is_staged(origin) => Some(origin),
            _ => None,
        }
    }
}

fn is_staged(origin: &scanner_git::Origin) -> bool {
    matches!(origin, scanner_git::Origin::Staged { .. })
}

/// The name machine reports give a history origin (their `source` field).
pub fn origin_kind(origin: &scanner_git::Origin) -> &'static str {
    match origin {
        scanner_git::Origin::Blob { .. } => "blob",
        scanner_git::Origin::CommitMessage { .. } => "commit-message",
        scanner_git::Origin::TagMessage { .. } => "tag-message",
        scanner_git::Origin::Staged { .. } => "staged",
        _ => "other",
    }
}

/// The commit reports show next to a history origin: for a blob, the commit that
/// introduced it; for a commit message, that commit.
pub fn commit_of(origin: &scanner_git::Origin) -> Option<&CommitInfo> {
    match origin {
        scanner_git::Origin::Blob { provenance, .. } => {
            provenance.introduced.as_ref().map(|i| &i.commit)
        }
        scanner_git::Origin::CommitMessage { commit } => Some(commit),
        _ => None,
    }
}

/// A commit's author as reports show it (empty when unknown).
pub fn author(c: &CommitInfo) -> &str {
    c.author.as_deref().unwrap_or("")
}

/// A commit's date as reports show it: ISO 8601 (empty when unknown).
pub fn date(c: &CommitInfo) -> String {
    c.date.map(|d| d.to_string()).unwrap_or_default()
}

/// A time of a run (Unix seconds) as reports show it: ISO 8601 in UTC, like commit dates.
pub fn time(seconds: i64) -> String {
    scanner_git::CommitTime::new(seconds, 0).to_string()
}

/// The first 12 hex digits of an id, as the human report abbreviates them.
pub fn short(id: &ObjectId) -> String {
    id.to_hex_prefix(12)
}

/// How hits are ordered, as fields of equal precedence: where the hit is shown (files
/// before repositories, then repository, path, line, column), how it was written, and for
/// history, the kind of origin and its objects.
type OrderKey<'a> = (
    Option<&'a str>,
    Option<Cow<'a, str>>,
    &'a ArchivePath,
    usize,
    usize,
    Encoding,
    Option<usize>,
    Option<(&'static str, ObjectId, Option<ObjectId>, Option<&'a str>)>,
);

impl Hit {
    /// Line of the secret, when a pair's secret sits on another line than its key ID.
    pub fn secret_line(&self) -> Option<usize> {
        let f = &self.finding;
        f.secret_location
            .map(|l| l.line)
            .filter(|&l| l != f.location.line)
    }

    fn order_key(&self) -> OrderKey<'_> {
        let history = self.origin.history().map(|o| {
            let tag = match o {
                scanner_git::Origin::TagMessage { name, .. } => Some(name.as_str()),
                _ => None,
            };
            (
                origin_kind(o),
                o.object_id(),
                commit_of(o).map(|c| c.id),
                tag,
            )
        });
        (
            self.origin.repository(),
            self.origin.path(),
            &self.finding.archive_path,
            self.finding.location.line,
            self.finding.location.column,
            self.finding.encoding,
            self.secret_line(),
            history,
        )
    }

    /// The order of hits in a report: files first (by path), then history by repository,
    /// path (messages and blobs in no commit first), line, column.
    pub fn order(&self, other: &Hit) -> Ordering {
        self.order_key().cmp(&other.order_key())
    }

    /// The same hit twice (the same repository given twice, say).
    fn is_same(&self, other: &Hit) -> bool {
        self.order(other).is_eq() && self.origin.history() == other.origin.history()
    }
}

/// What a scan found, ready to print.
#[derive(Debug)]
pub struct Report {
    /// Most dangerous first (see [`Report::sort`]).
    pub credentials: Vec<Credential>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
    /// Parts of archives not scanned (warnings).
    pub archive_skips: Vec<ArchiveSkip>,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub repositories: Vec<RepoSummary>,
    /// What mirroring remote sources did, when there were any.
    pub remote: Option<crate::sources::Summary>,
    /// What the configuration file did, when one was applied.
    pub config: Option<crate::config::Effect>,
    /// Why the scan did not finish (`interrupted by SIGINT`): the report covers only what
    /// was scanned before.
    pub incomplete: Option<String>,
    /// How long the run took, for the summary (set just before printing).
    pub elapsed: Option<std::time::Duration>,
    /// Work-tree files git ignores, not read.
    pub ignored: u64,
    /// What scans of changes read (staged, ranges, pushes).
    pub changes: Option<crate::scan::Changes>,
}

impl Credential {
    /// Whether the credential is still there: at HEAD of a repository, or in a file.
    pub fn is_present(&self) -> bool {
        self.hits.iter().any(|h| h.origin.is_present())
    }

    /// When the credential first entered a history (Unix seconds), if it did.
    pub fn first_entered(&self) -> Option<i64> {
        self.hits
            .iter()
            .filter_map(|h| h.origin.entered())
            .map(|t| t.seconds())
            .min()
    }
}

/// Keeps a hit's secret line only where that secret is the hit's own pair's: repeated
/// mentions of a paired key ID elsewhere in the same bytes carry the line of the first
/// pair's secret, which is not next to them. Of the hits of one credential in one text
/// sharing a secret line, the one nearest to it keeps it (the pair); the others lose it.
/// Works on any slice holding every hit of each text it has (a file's, a blob's), so that
/// the streamed and the grouped reports agree.
pub fn pair_secret_lines(hits: &mut [Hit]) {
    type Text<'a> = (Option<&'a str>, Option<ObjectId>, Option<Cow<'a, str>>);
    let mut nearest: BTreeMap<(Fingerprint, Text<'_>, &ArchivePath, usize), (usize, usize)> =
        BTreeMap::new();
    for (i, h) in hits.iter().enumerate() {
        let Some(sl) = h.secret_line() else { continue };
        let text: Text<'_> = (
            h.origin.repository(),
            h.origin.history().map(scanner_git::Origin::object_id),
            h.origin.path(),
        );
        let d = sl.abs_diff(h.finding.location.line);
        let key = (h.finding.fingerprint, text, &h.finding.archive_path, sl);
        let e = nearest.entry(key).or_insert((d, i));
        if d < e.0 {
            *e = (d, i);
        }
    }
    let keep: std::collections::BTreeSet<usize> = nearest.into_values().map(|(_, i)| i).collect();
    for (i, h) in hits.iter_mut().enumerate() {
        if h.secret_line().is_some() && !keep.contains(&i) {
            h.finding.secret_location = None;
        }
    }
}

impl Report {
    pub fn new(outcome: Outcome) -> Report {
        let mut groups: BTreeMap<Fingerprint, Credential> = BTreeMap::new();
        for hit in outcome.hits {
            let f = &hit.finding;
            let entry = groups.entry(f.fingerprint).or_insert_with(|| Credential {
                fingerprint: f.fingerprint,
                kind: f.kind,
                severity: f.severity,
                key_id: f.key_id.clone(),
                secret: f.secret.clone(),
                secret_redacted: f
                    .secret
                    .as_ref()
                    .map(Secret::redacted)
                    .or_else(|| hit.redacted.as_ref().and_then(|r| r.secret.clone())),
                session_token: None,
                session_token_redacted: None,
                facts: f.facts.clone(),
                hits: Vec::new(),
                finding: f.clone(),
                verification: None,
                seen: None,
            });
            entry.severity = entry.severity.max(f.severity);
            entry.facts.likely_root |= f.facts.likely_root;
            // Hits merged from several reports: one may have the secret in clear (made with
            // --show-secrets) where another had it redacted.
            if entry.secret.is_none() && f.secret.is_some() {
                entry.secret = f.secret.clone();
                entry.secret_redacted = f.secret.as_ref().map(Secret::redacted);
                entry.finding = f.clone();
            }
            if entry.secret_redacted.is_none() {
                entry.secret_redacted = hit.redacted.as_ref().and_then(|r| r.secret.clone());
            }
            if entry.session_token.is_none() {
                entry.session_token = f.session_token.clone();
            }
            if entry.session_token_redacted.is_none() {
                entry.session_token_redacted = f
                    .session_token
                    .as_ref()
                    .map(Secret::redacted)
                    .or_else(|| hit.redacted.as_ref().and_then(|r| r.session_token.clone()));
            }
            if let Some(s) = hit.seen {
                entry.seen = Some(match entry.seen {
                    None => s,
                    Some(e) => Seen {
                        first: e.first.min(s.first),
                        last: e.last.max(s.last),
                        new: e.new && s.new,
                    },
                });
            }
            entry.hits.push(hit);
        }
        let credentials: Vec<Credential> = groups
            .into_values()
            .map(|mut c| {
                c.hits.sort_by(Hit::order);
                c.hits.dedup_by(|a, b| a.is_same(b));
                pair_secret_lines(&mut c.hits);
                c
            })
            .collect();
        let mut report = Report {
            credentials,
            errors: outcome.errors,
            skipped: outcome.skipped,
            archive_skips: outcome.archive_skips,
            files_scanned: outcome.files_scanned,
            bytes_scanned: outcome.bytes_scanned,
            repositories: outcome.repositories,
            remote: outcome.remote,
            config: None,
            incomplete: outcome.incomplete,
            elapsed: None,
            ignored: outcome.ignored,
            changes: outcome.changes,
        };
        report.sort();
        report
    }

    /// Most dangerous first: by severity; within a severity, those still there (at HEAD,
    /// in a file) before those only in history, then by when they first entered a history
    /// (earliest first; none last); ties by first location, then fingerprint.
    pub fn sort(&mut self) {
        self.credentials.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| b.is_present().cmp(&a.is_present()))
                .then_with(|| match (a.first_entered(), b.first_entered()) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (x, y) => y.is_some().cmp(&x.is_some()),
                })
                .then_with(|| match (a.hits.first(), b.hits.first()) {
                    (Some(x), Some(y)) => x.order(y),
                    (x, y) => x.is_some().cmp(&y.is_some()),
                })
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        });
    }
}

/// A place as people read it: the path, then each archive entry after a `!`
/// (`release.zip!config/prod.env`). Control characters in the path and in entry names (an
/// archive can hold any) are escaped ([`esc`]).
pub fn place(path: &str, archive_path: &ArchivePath) -> String {
    let mut s = esc(path).into_owned();
    for name in archive_path.components() {
        s.push('!');
        s += &esc(name);
    }
    s
}

/// Text from the scanned data (a path, a commit summary, an author) made safe to print on
/// a terminal: control characters (newlines, escape sequences, C1 controls) and the
/// invisible characters that reorder or hide text (bidirectional overrides, zero-width
/// characters) become escapes (`\n`, `\x1b`, `\u{202e}`), so that a hostile repository
/// can neither forge report lines nor hide them. Everything else is shown as it is.
pub fn esc(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Bytes that should be UTF-8 (paths) as text, losing nothing: bytes that are not UTF-8
/// become `\xNN` instead of U+FFFD, so that two different paths never read the same.
pub fn lossless(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out += &format!("\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

/// [`esc`] for bytes that need not be UTF-8 (git paths): bytes that are not UTF-8 are shown
/// as `\xNN`, never replaced, so that two different paths never look the same.
pub fn esc_bytes(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return esc(s);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        chunk
            .valid()
            .chars()
            .for_each(|c| push_escaped(&mut out, c));
        for b in chunk.invalid() {
            out += &format!("\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if needs_escape(c) && u32::from(c) < 0x100 => {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        }
        c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        c => out.push(c),
    }
}

/// A count as people read it: `8,788`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// `n` and the noun, in the singular or plural: `1 commit`, `2 commits`.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// How an archive skip is told: where, and why.
pub fn skip_message(s: &ArchiveSkip) -> String {
    format!(
        "{}: skipped ({}): {}",
        place(&s.path, &s.archive_path),
        s.reason,
        s.detail
    )
}

/// Human name of a finding kind.
pub fn kind_title(kind: Kind) -> &'static str {
    match kind {
        Kind::KeyPair => "AWS access key pair",
        Kind::KeyId => "AWS access key ID",
        Kind::SecretKey => "AWS secret access key",
        _ => "AWS credential",
    }
}
