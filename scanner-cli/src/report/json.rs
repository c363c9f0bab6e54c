//! The JSON report.
//!
//! # Schema (version 2)
//!
//! ```text
//! {
//!   "version": 2,
//!   "findings": [                       // one per credential; most dangerous first: by
//!                                       // severity, then still present (HEAD, files) before
//!                                       // only in history, then by first appearance
//!     {
//!       "fingerprint": "<64 hex>",      // SHA-256 of kind, key ID and secret; stable
//!       "kind": "aws-key-pair" | "aws-key-id" | "aws-secret-key",
//!       "severity": "critical" | "high" | "medium" | "low" | "info",
//!       "key_id": "AKIA..." | null,
//!       "key_type": "long-term" | "temporary" | "sts-bearer-token" | "context-specific" | null,
//!       "account_id": "123456789012" | null,   // decoded offline from the key ID
//!       "secret": "..." | null,                // only with --show-secrets
//!       "secret_redacted": "abcd********" | null,
//!       "session_token": "..." | null,         // only with --show-secrets
//!       "has_session_token": true | false,
//!       "session_token_redacted": "ASIA********",  // only when it has one (the field is absent otherwise)
//!       "canary": bool, "likely_root": bool, "own_account": bool,
//!       "example": "documentation" | "placeholder" | "fixture" | null,
//!       "verification": null | {          // with --verify: what AWS STS answered
//!           "status": "active" | "inactive" | "inconclusive" | "skipped",
//!           "arn": "..." | null, "account": "..." | null, "user_id": "..." | null,
//!           "reason": "..." | null,       // STS error code, HTTP status or failure
//!           "root": bool,                 // an active key of the account's root user
//!           "secret_index": N },          // 0: the paired secret was the live one; n: the
//!                                         // n-th other secret near the key (now `secret`)
//!       "remediation": "root-key" | "long-term-key" | "temporary-key" | "secret-key"
//!                    | "key-id" | "canary",  // what to do: a key of `remediations`
//!       "locations": [                  // sorted: files first, then by repository, path, line
//!         { "path": "..." | null,       // file; in history, the path in the introducing commit
//!                                       // (bytes that are not UTF-8 written \xNN)
//!           "path_bytes": [99, 255, ...],  // only when the path is not UTF-8: its exact
//!                                       // bytes (git paths; file names have the \xNN form)
//!           "archive_path": ["lib/app.jar", "config/prod.env"],  // only inside an archive:
//!                                       // the entry, outermost first (a compressed stream
//!                                       // such as .gz adds no name); absent otherwise
//!           "line": 1, "column": 1,     // in the file, blob or message (in the entry's
//!                                       // decompressed bytes, inside an archive)
//!           "encoding": "plain" | "json-escaped" | "url-encoded" | "base64" | "utf-16le" | "utf-16be"
//!                     | "escaped" | "html" | "quoted-printable",
//!           "secret_line": 3 | null,
//!           // only for findings in a repository's history:
//!           "repository": "...",
//!           "source": "blob" | "commit-message" | "tag-message",
//!           "object": "<blob, commit or tag id>",
//!           "commit": "<id>" | null,    // blob: the introducing commit (earliest in topological
//!                                       // order whose tree holds it); message: that commit.
//!                                       // Both in history[repository].commits
//!           "tag": "v1.0" | null,
//!           // the blob's provenance is history[repository].blobs[object], once per blob
//!           // only for findings in issue and pull-request text (--include-issues); `path`
//!           // is then the URL too:
//!           "url": "https://github.com/o/r/issues/1#issuecomment-2",
//!           "source": "issue" | "pull-request" | "comment" | "review-comment",
//!           // only with a state (--cache); absent otherwise:
//!           "first_seen": "ISO 8601", "last_seen": "ISO 8601", "new": bool }
//!       ],
//!       "locations_omitted": N          // only with --max-places N: the places left out
//!                                       // (kept: those of the first N paths, as the human
//!                                       // report orders them)
//!     }
//!   ],
//!   "errors": [ { "path": "...", "reason": "..." } ],        // inputs that could not be read
//!   "stats": { "files_scanned": N, "bytes_scanned": N, "files_skipped": N,
//!              "skipped": [ { "path": "...", "size": N,   // files met while walking, not read
//!                             "reason": "too-large"      // over --max-file-size
//!                                     | "fifo" | "socket" | "device" | "not-a-regular-file" } ],
//!              "files_ignored": N,      // only when some: work-tree files git ignores,
//!                                       // not read (--include-ignored reads them)
//!              "repositories": [ { "path": "...", "packs": N, "commits": N,
//!                   "blobs_scanned": N,        // blobs read and scanned by this run
//!                   "bytes_scanned": N, "blobs_already_seen": N, "blobs_too_large": N,
//!                   "missing_objects": N,
//!                   // only with a state (--cache); absent otherwise:
//!                   "change": "new" | "grown" | "rewritten" | "unchanged",
//!                   "packs_unchanged": N } ], // packs not read again
//!              "archive_skipped": [     // only when some: parts of archives not scanned
//!                 { "path": "...",      // the file, or "repo: path" / "repo: blob <id>"
//!                   "archive_path": [...],  // the entry; [] for the file itself
//!                   "reason": "encrypted" | "unsupported" | "too-deep" | "too-many-bytes"
//!                           | "ratio" | "too-many-entries" | "memory-limit" | "truncated"
//!                           | "corrupt",
//!                   "detail": "..." } ],
//!              "errors": N, "findings": N,
//!              // only with remote sources (URLs, --github-org, --github-user, --repos-from):
//!              "remote": { "repositories": N,        // in this shard
//!                          "cloned": N, "updated": N, "unchanged": N, "failed": N,
//!                          "absent": N,              // wikis listed but never written
//!                          "objects_fetched": N, "other_shards": N, "web_texts": N,
//!                          "repositories_fetched": [ { "name": "owner/name" | "<url>", "url": "...",
//!                               "kind": "repository" | "wiki" | "gist",
//!                               "fetch": "cloned" | "updated" | "unchanged" | "absent" | "failed",
//!                               "objects": N,        // received in this run
//!                               "scanned": bool,     // a mirror was scanned (after a failed
//!                                                    // fetch: the last good one)
//!                               "reason": "..." | null } ] },
//!              // only when a configuration file was applied: what it did
//!              "config": { "path": "leakscan.toml",
//!                          "found": "scanned-tree" | "command-line",   // or --config
//!                          "exclude": ["..."], "excluded_paths": N,  // a directory counts once
//!                          "allowed_fingerprints": N, "findings_allowed": N,  // not reported
//!                          "max_file_size": N | null, "own_accounts": N, "canary_accounts": N,
//!                          "label_patterns": N, "fail_on_skip": bool | null },
//!              // only when the scan was stopped (SIGINT, SIGTERM): the report covers only
//!              // what was scanned before
//!              "incomplete": "interrupted by SIGINT" },
//!   "remediations": { "long-term-key": "...", ... }, // what to do, for each kind the
//!                                       // findings name: paragraphs, one step per line
//!   "history": {                        // what the places in history point to, once each
//!     "<repository>": {                 // as locations name it
//!       "commits": { "<id>": {          // every commit the places and blobs name
//!           "author": "Name <email>", "date": "ISO 8601", "summary": "...",
//!                                       // absent for commits named only in also_in, and
//!                                       // author/date when unreadable
//!           "reachable": bool } },      // a ref reaches it (false: dangling or reflog-only)
//!       "blobs": { "<id>": {
//!           "commit": "<id>" | null,    // the introducing commit; null: no commit holds it
//!           "path": "..." | null,       // its path there ("path_bytes" when not UTF-8)
//!           "at_head": bool | null,     // HEAD's tree still holds it (null: not known)
//!           "refs": N,                  // index into ref_sets: refs reaching a commit
//!                                       // that holds it
//!           "also_in": [ { "path": "...", "commits": ["<id>", ...] } ] } } } },
//!                                       // the other commits holding it, by path (at most
//!                                       // 1000 commits per blob)
//!   "ref_sets": [ ["HEAD", "refs/heads/main"], ... ]  // each list of refs once
//! }
//! ```
//!
//! Version 2 keeps every place (unless `--max-places`) but writes each commit's and each
//! blob's provenance once, in `history`, and each list of refs once, in `ref_sets`: the places
//! of a credential found in thousands of versions of a file repeated them (version 1 wrote
//! `author`, `date`, `summary`, `reachable`, `refs`, `at_head` and `also_in` into every
//! place; JSON Lines still do, since each line stands alone). On gitleaks/gitleaks's
//! history (11,340 places, 1,505 refs) the report went from 153 MB to 12.8 MB. `leakscan
//! merge` reads both versions.
//!
//! `archive_skipped` lists warnings, not errors: the archive was read and everything
//! readable in it scanned (a truncated archive's entries before the cut, the entries
//! besides an encrypted one); they do not change the exit status.
//!
//! Paths are shown as given on the command line; bytes that are not UTF-8 are written `\xNN`
//! (never replaced), and a git path's exact bytes are in `path_bytes`. The
//! output is byte-for-byte identical whatever the number of threads.
//!
//! The report holds everything `leakscan merge` needs to rebuild it: secrets only as shown,
//! everything else in full. Dates are ISO 8601 with their offset, as `CommitTime` shows them.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::remediation::Remediation;
use super::{author, commit_of, date, origin_kind, Credential, Report};
use crate::args::SecretDisplay;
use crate::scan::Hit;

/// The schema version of the JSON report, in `version`: 2 since provenance moved into the
/// `history` and `ref_sets` tables (version 1 wrote it into every place, as JSON Lines
/// still do).
pub(super) const VERSION: u32 = 2;

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    stats: Stats<'a>,
    remediations: BTreeMap<&'static str, String>,
    history: BTreeMap<&'a str, JsonHistory<'a>>,
    ref_sets: Vec<&'a [String]>,
}

/// What to do about each kind of finding, by the id findings name in `remediation`: the
/// kinds this report's findings have.
pub(super) fn remediations(report: &Report) -> BTreeMap<&'static str, String> {
    report
        .credentials
        .iter()
        .map(Remediation::of)
        .map(|r| (r.id(), r.text()))
        .collect()
}

#[derive(Serialize)]
pub(super) struct JsonFinding<'a> {
    fingerprint: String,
    kind: &'static str,
    severity: &'static str,
    key_id: Option<&'a str>,
    key_type: Option<&'static str>,
    account_id: Option<String>,
    secret: Option<&'a str>,
    secret_redacted: Option<String>,
    session_token: Option<&'a str>,
    has_session_token: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token_redacted: Option<&'a str>,
    canary: bool,
    likely_root: bool,
    own_account: bool,
    example: Option<&'static str>,
    verification: Option<JsonVerification<'a>>,
    remediation: &'static str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    seen: Option<JsonSeen>,
    locations: Vec<JsonLocation<'a>>,
    /// With `--max-places`: how many places were left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    locations_omitted: Option<usize>,
}

/// When a credential or a place of it was first and last seen (with a state).
#[derive(Serialize)]
pub(super) struct JsonSeen {
    first_seen: String,
    last_seen: String,
    new: bool,
}

impl JsonSeen {
    fn of(s: &crate::scan::Seen) -> JsonSeen {
        JsonSeen {
            first_seen: super::time(s.first),
            last_seen: super::time(s.last),
            new: s.new,
        }
    }
}

#[derive(Serialize)]
struct JsonVerification<'a> {
    status: &'static str,
    arn: Option<&'a str>,
    account: Option<String>,
    user_id: Option<&'a str>,
    reason: Option<&'a str>,
    root: bool,
    secret_index: usize,
}

#[derive(Serialize)]
struct JsonLocation<'a> {
    path: Option<Cow<'a, str>>,
    /// The path's exact bytes, when they are not UTF-8 (`path` then writes them `\xNN`).
    #[serde(skip_serializing_if = "Option::is_none")]
    path_bytes: Option<Cow<'a, [u8]>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    archive_path: &'a [String],
    line: usize,
    column: usize,
    encoding: &'static str,
    secret_line: Option<usize>,
    #[serde(flatten)]
    git: Option<JsonGit<'a>>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    seen: Option<JsonSeen>,
    #[serde(flatten)]
    web: Option<JsonWeb<'a>>,
    /// Only for a finding in a git object that could not be read whole: what is wrong
    /// with it (the finding holds what could be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    damaged: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonWeb<'a> {
    url: &'a str,
    source: &'static str,
}

/// Where a history place's bytes come from. The JSON report (version 2) keeps the
/// provenance in its `history` and `ref_sets` tables, once per blob and commit; the JSON
/// Lines report, whose lines stand alone, writes it into each place (the fields that are
/// `Some` only there).
#[derive(Serialize)]
struct JsonGit<'a> {
    repository: Option<&'a str>,
    source: &'static str,
    object: String,
    commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reachable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refs: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at_head: Option<Option<bool>>,
    tag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    also_in: Option<Vec<JsonHolding<'a>>>,
}

#[derive(Serialize)]
struct JsonHolding<'a> {
    commit: String,
    path: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_bytes: Option<&'a [u8]>,
    reachable: bool,
}

/// How places in history are written: with their provenance (JSON Lines), or pointing
/// into the report's tables (JSON).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Inline,
    Referenced,
}

/// A commit of a repository's `history` table.
#[derive(Serialize)]
struct JsonCommit<'a> {
    /// Absent for commits known only as holding a blob (`also_in`): only their
    /// reachability is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    reachable: bool,
}

/// A blob of a repository's `history` table: its provenance.
#[derive(Serialize)]
struct JsonBlob<'a> {
    commit: Option<String>,
    path: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_bytes: Option<&'a [u8]>,
    at_head: Option<bool>,
    /// An index into `ref_sets`.
    refs: usize,
    also_in: Vec<JsonAlso<'a>>,
}

/// The other commits holding a blob at one path.
#[derive(Serialize)]
struct JsonAlso<'a> {
    path: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_bytes: Option<&'a [u8]>,
    commits: Vec<String>,
}

/// The commits and blobs of one repository that the report's places name.
#[derive(Serialize, Default)]
struct JsonHistory<'a> {
    commits: BTreeMap<String, JsonCommit<'a>>,
    blobs: BTreeMap<String, JsonBlob<'a>>,
}

/// The report's tables: provenance once per repository, blob and commit; ref lists once.
#[derive(Default)]
struct Tables<'a> {
    history: BTreeMap<&'a str, JsonHistory<'a>>,
    ref_sets: Vec<&'a [String]>,
    ref_index: std::collections::HashMap<&'a [String], usize>,
}

impl<'a> Tables<'a> {
    fn add(&mut self, hit: &'a Hit) {
        let (Some(repository), Some(origin)) = (hit.origin.repository(), hit.origin.history())
        else {
            return;
        };
        let history = self.history.entry(repository).or_default();
        if let Some(c) = commit_of(origin) {
            let known = JsonCommit {
                author: c.author.as_deref(),
                date: c.date.map(|d| d.to_string()),
                summary: Some(c.summary.as_str()),
                reachable: c.reachable,
            };
            match history.commits.entry(c.id.to_string()) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(known);
                }
                // Known so far only as holding a blob.
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    if e.get().summary.is_none() {
                        e.insert(known);
                    }
                }
            }
        }
        let scanner_git::Origin::Blob { id, provenance } = origin else {
            return;
        };
        let key = id.to_string();
        if history.blobs.contains_key(&key) {
            return;
        }
        let refs = match self.ref_index.get(provenance.refs.as_slice()) {
            Some(&i) => i,
            None => {
                self.ref_sets.push(&provenance.refs);
                self.ref_index
                    .insert(&provenance.refs, self.ref_sets.len() - 1);
                self.ref_sets.len() - 1
            }
        };
        let mut also_in: Vec<JsonAlso<'a>> = Vec::new();
        for h in &provenance.others {
            history
                .commits
                .entry(h.commit.to_string())
                .or_insert(JsonCommit {
                    author: None,
                    date: None,
                    summary: None,
                    reachable: h.reachable,
                });
            let path = super::lossless(&h.path);
            match also_in.iter_mut().find(|a| a.path == path) {
                Some(a) => a.commits.push(h.commit.to_string()),
                None => also_in.push(JsonAlso {
                    path,
                    path_bytes: not_utf8(&h.path),
                    commits: vec![h.commit.to_string()],
                }),
            }
        }
        let introduced = provenance.introduced.as_ref();
        history.blobs.insert(
            key,
            JsonBlob {
                commit: introduced.map(|i| i.commit.id.to_string()),
                path: introduced.map(|i| super::lossless(&i.path)),
                path_bytes: introduced.and_then(|i| not_utf8(&i.path)),
                at_head: provenance.at_head,
                refs,
                also_in,
            },
        );
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A path's bytes, when they are not UTF-8.
fn not_utf8(bytes: &[u8]) -> Option<&[u8]> {
    std::str::from_utf8(bytes).is_err().then_some(bytes)
}

#[derive(Serialize)]
struct JsonRepo<'a> {
    path: &'a str,
    packs: u64,
    commits: u64,
    blobs_scanned: u64,
    bytes_scanned: u64,
    blobs_already_seen: u64,
    blobs_too_large: u64,
    missing_objects: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    packs_unchanged: Option<u64>,
}

#[derive(Serialize)]
pub(super) struct JsonError<'a> {
    path: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    path: &'a str,
    size: u64,
    reason: &'static str,
}

#[derive(Serialize)]
struct JsonArchiveSkip<'a> {
    path: &'a str,
    archive_path: &'a [String],
    reason: &'static str,
    detail: &'a str,
}

#[derive(Serialize)]
pub(super) struct Stats<'a> {
    files_scanned: u64,
    bytes_scanned: u64,
    files_skipped: usize,
    skipped: Vec<JsonSkipped<'a>>,
    #[serde(skip_serializing_if = "is_zero")]
    files_ignored: u64,
    repositories: Vec<JsonRepo<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    archive_skipped: Vec<JsonArchiveSkip<'a>>,
    errors: usize,
    findings: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote: Option<JsonRemote<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<JsonConfig<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    incomplete: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonConfig<'a> {
    path: &'a str,
    found: &'static str,
    exclude: &'a [String],
    excluded_paths: u64,
    allowed_fingerprints: usize,
    findings_allowed: usize,
    max_file_size: Option<u64>,
    own_accounts: usize,
    canary_accounts: usize,
    label_patterns: usize,
    fail_on_skip: Option<bool>,
}

#[derive(Serialize)]
struct JsonRemote<'a> {
    repositories: usize,
    cloned: usize,
    updated: usize,
    unchanged: usize,
    failed: usize,
    absent: usize,
    objects_fetched: u64,
    other_shards: usize,
    web_texts: usize,
    repositories_fetched: Vec<JsonFetch<'a>>,
}

#[derive(Serialize)]
struct JsonFetch<'a> {
    name: &'a str,
    url: &'a str,
    kind: &'static str,
    fetch: &'static str,
    objects: u64,
    scanned: bool,
    reason: Option<&'a str>,
}

pub fn write(
    out: &mut dyn Write,
    report: &Report,
    secrets: SecretDisplay,
    max_places: Option<usize>,
) -> std::io::Result<()> {
    let mut tables = Tables::default();
    let mut findings = Vec::with_capacity(report.credentials.len());
    for c in &report.credentials {
        let hits = kept(c, max_places);
        for &h in &hits {
            tables.add(h);
        }
        let mut f = finding_with(c, secrets, &hits, Form::Referenced);
        if hits.len() < c.hits.len() {
            f.locations_omitted = Some(c.hits.len() - hits.len());
        }
        findings.push(f);
    }
    let doc = Doc {
        version: VERSION,
        findings,
        errors: errors(report),
        stats: stats(report),
        remediations: remediations(report),
        history: tables.history,
        ref_sets: tables.ref_sets,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// One credential as the JSON Lines report shows it: every hit, provenance inline.
pub(super) fn finding(c: &Credential, secrets: SecretDisplay) -> JsonFinding<'_> {
    let hits: Vec<&Hit> = c.hits.iter().collect();
    finding_with(c, secrets, &hits, Form::Inline)
}

/// One credential with the places `hits`, written in `form`.
fn finding_with<'a>(
    c: &'a Credential,
    secrets: SecretDisplay,
    hits: &[&'a Hit],
    form: Form,
) -> JsonFinding<'a> {
    let shown = secrets == SecretDisplay::Shown;
    JsonFinding {
        fingerprint: c.fingerprint.to_hex(),
        kind: c.kind.as_str(),
        severity: c.severity.as_str(),
        key_id: c.key_id.as_ref().map(|k| k.as_str()),
        key_type: c.facts.key_type.map(|t| t.as_str()),
        account_id: c.facts.account_id.map(|a| a.to_string()),
        secret: c.secret.as_ref().filter(|_| shown).map(|s| s.expose()),
        secret_redacted: c.secret_redacted.clone(),
        session_token: c
            .session_token
            .as_ref()
            .filter(|_| shown)
            .map(|s| s.expose()),
        has_session_token: c.session_token_redacted.is_some(),
        session_token_redacted: c.session_token_redacted.as_deref(),
        canary: c.facts.canary,
        likely_root: c.facts.likely_root,
        own_account: c.facts.own_account,
        example: c.facts.example.map(|e| match e {
            scanner_core::ExampleKind::Documentation => "documentation",
            scanner_core::ExampleKind::Fixture => "fixture",
            _ => "placeholder",
        }),
        verification: c.verification.as_ref().map(|v| JsonVerification {
            status: v.status.as_str(),
            arn: v.arn.as_deref(),
            account: v.account.map(|a| a.to_string()),
            user_id: v.user_id.as_deref(),
            reason: v.reason.as_deref(),
            root: v.is_root(),
            secret_index: v.secret_index,
        }),
        remediation: Remediation::of(c).id(),
        seen: c.seen.as_ref().map(JsonSeen::of),
        locations: hits.iter().map(|h| location(h, form)).collect(),
        locations_omitted: None,
    }
}

/// The hits a report lists: all of them, or with `--max-places N` those of the first N
/// groups by path, in the order the human report lists groups (still there first, then by
/// when they entered history); in the report's order of hits either way.
fn kept(c: &Credential, max_places: Option<usize>) -> Vec<&Hit> {
    let all: Vec<&Hit> = c.hits.iter().collect();
    let Some(max) = max_places else {
        return all;
    };
    let groups = super::human::group(&all, false);
    if groups.len() <= max {
        return all;
    }
    let kept: std::collections::HashSet<*const Hit> = groups[..max]
        .iter()
        .flat_map(|g| g.hits.iter().map(|&h| std::ptr::from_ref(h)))
        .collect();
    all.into_iter()
        .filter(|h| kept.contains(&std::ptr::from_ref(*h)))
        .collect()
}

/// One hit of a credential: where it is, and for history, where its bytes come from.
fn location(hit: &Hit, form: Form) -> JsonLocation<'_> {
    let inline = form == Form::Inline;
    JsonLocation {
        path: hit.origin.path(),
        path_bytes: hit
            .origin
            .path_bytes()
            .filter(|p| std::str::from_utf8(p).is_err()),
        archive_path: hit.finding.archive_path.components(),
        line: hit.finding.location.line,
        column: hit.finding.location.column,
        encoding: hit.finding.encoding.as_str(),
        secret_line: hit.secret_line(),
        damaged: hit.damage.as_deref(),
        git: hit.origin.history().map(|origin| {
            let commit = commit_of(origin);
            let provenance = match origin {
                scanner_git::Origin::Blob { provenance, .. } => Some(provenance),
                _ => None,
            };
            JsonGit {
                repository: hit.origin.repository(),
                source: origin_kind(origin),
                object: origin.object_id().to_string(),
                commit: commit.map(|c| c.id.to_string()),
                author: commit.filter(|_| inline).map(|c| Some(author(c))),
                date: commit.filter(|_| inline).map(date),
                summary: commit.filter(|_| inline).map(|c| c.summary.as_str()),
                reachable: inline.then(|| commit.is_some_and(|c| c.reachable)),
                refs: inline.then(|| provenance.map_or(&[][..], |p| &p.refs)),
                at_head: inline.then(|| provenance.and_then(|p| p.at_head)),
                tag: match origin {
                    scanner_git::Origin::TagMessage { name, .. } => Some(name),
                    _ => None,
                },
                also_in: inline.then(|| {
                    provenance
                        .into_iter()
                        .flat_map(|p| &p.others)
                        .map(|h| JsonHolding {
                            commit: h.commit.to_string(),
                            path: super::lossless(&h.path),
                            path_bytes: not_utf8(&h.path),
                            reachable: h.reachable,
                        })
                        .collect()
                }),
            }
        }),
        web: hit.origin.web().map(|(url, kind)| JsonWeb {
            url,
            source: kind.as_str(),
        }),
        seen: hit.seen.as_ref().map(JsonSeen::of),
    }
}

/// The inputs that could not be read (shared with the JSON Lines report).
pub(super) fn errors(report: &Report) -> Vec<JsonError<'_>> {
    report
        .errors
        .iter()
        .map(|e| JsonError {
            path: &e.path,
            reason: &e.reason,
        })
        .collect()
}

/// What the scan counted (shared with the JSON Lines report).
pub(super) fn stats(report: &Report) -> Stats<'_> {
    Stats {
        files_scanned: report.files_scanned,
        bytes_scanned: report.bytes_scanned,
        files_skipped: report.skipped.len(),
        files_ignored: report.ignored,
        skipped: report
            .skipped
            .iter()
            .map(|s| JsonSkipped {
                path: &s.path,
                size: s.size,
                reason: s.why.as_str(),
            })
            .collect(),
        repositories: report
            .repositories
            .iter()
            .map(|r| JsonRepo {
                path: &r.path,
                packs: r.stats.packs,
                commits: r.stats.commits,
                blobs_scanned: r.stats.blobs_scanned,
                bytes_scanned: r.stats.bytes_scanned,
                blobs_already_seen: r.stats.blobs_already_seen,
                blobs_too_large: r.stats.blobs_too_large,
                missing_objects: r.stats.missing_objects,
                change: r.change.map(scanner_git::Change::as_str),
                packs_unchanged: r.change.map(|_| r.stats.packs_unchanged),
            })
            .collect(),
        archive_skipped: report
            .archive_skips
            .iter()
            .map(|s| JsonArchiveSkip {
                path: &s.path,
                archive_path: s.archive_path.components(),
                reason: s.reason.as_str(),
                detail: &s.detail,
            })
            .collect(),
        errors: report.errors.len(),
        findings: report.credentials.len(),
        remote: report.remote.as_ref().map(|r| JsonRemote {
            repositories: r.repositories,
            cloned: r.cloned,
            updated: r.updated,
            unchanged: r.unchanged,
            failed: r.failed,
            absent: r.absent,
            objects_fetched: r.objects_fetched,
            other_shards: r.other_shards,
            web_texts: r.web_texts,
            repositories_fetched: r
                .repos
                .iter()
                .map(|f| JsonFetch {
                    name: &f.name,
                    url: &f.url,
                    kind: f.kind,
                    fetch: f.fetch,
                    objects: f.objects,
                    scanned: f.scanned,
                    reason: f.reason.as_deref(),
                })
                .collect(),
        }),
        config: report.config.as_ref().map(|c| JsonConfig {
            path: &c.file.path,
            found: c.file.found.as_str(),
            exclude: &c.file.exclude,
            excluded_paths: c.excluded_paths,
            allowed_fingerprints: c.file.allowed.len(),
            findings_allowed: c.findings_allowed,
            max_file_size: c.file.max_file_size,
            own_accounts: c.file.own_accounts,
            canary_accounts: c.file.canary_accounts,
            label_patterns: c.file.label_patterns,
            fail_on_skip: c.file.fail_on_skip,
        }),
        incomplete: report.incomplete.as_deref(),
    }
}
