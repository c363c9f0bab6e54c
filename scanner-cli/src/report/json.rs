//! The JSON report.
//!
//! # Schema (version 1)
//!
//! ```text
//! {
//!   "version": 1,
//!   "findings": [                       // one per credential; most severe first
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
//!       "example": "documentation" | "placeholder" | null,
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
//!           "encoding": "plain" | "json-escaped" | "url-encoded" | "base64" | "utf-16le" | "utf-16be",
//!           "secret_line": 3 | null,
//!           // only for findings in a repository's history:
//!           "repository": "...",
//!           "source": "blob" | "commit-message" | "tag-message",
//!           "object": "<blob, commit or tag id>",
//!           "commit": "<id>" | null,    // blob: the introducing commit (earliest in topological
//!                                       // order whose tree holds it); message: that commit
//!           "author": "Name <email>" | null, "date": "ISO 8601" | null, "summary": "..." | null,
//!           "reachable": bool,          // a ref reaches that commit (false: dangling or reflog-only)
//!           "refs": ["refs/heads/main", ...],   // refs reaching a commit that holds the blob
//!           "at_head": bool | null,     // HEAD's tree still holds the blob
//!           "tag": "v1.0" | null,
//!           "also_in": [ { "commit": "<id>", "path": "...", "reachable": bool } ],
//!                                       // (and "path_bytes" when not UTF-8)
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
//!              "skipped": [ { "path": "...", "size": N } ],  // over --max-file-size
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
//!                               "reason": "..." | null } ] } },
//!   "remediations": { "long-term-key": "...", ... }  // what to do, for each kind the
//!                                       // findings name: paragraphs, one step per line
//! }
//! ```
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

/// The schema version, in `version` (and in the JSON Lines summary line).
pub(super) const VERSION: u32 = 1;

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    stats: Stats<'a>,
    remediations: BTreeMap<&'static str, String>,
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
}

#[derive(Serialize)]
struct JsonWeb<'a> {
    url: &'a str,
    source: &'static str,
}

#[derive(Serialize)]
struct JsonGit<'a> {
    repository: Option<&'a str>,
    source: &'static str,
    object: String,
    commit: Option<String>,
    author: Option<&'a str>,
    date: Option<String>,
    summary: Option<&'a str>,
    reachable: bool,
    refs: &'a [String],
    at_head: Option<bool>,
    tag: Option<&'a str>,
    also_in: Vec<JsonHolding<'a>>,
}

#[derive(Serialize)]
struct JsonHolding<'a> {
    commit: String,
    path: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_bytes: Option<&'a [u8]>,
    reachable: bool,
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
    let doc = Doc {
        version: VERSION,
        findings: report
            .credentials
            .iter()
            .map(|c| {
                let mut f = finding(c, secrets);
                if let Some(max) = max_places {
                    cap(&mut f, c, max);
                }
                f
            })
            .collect(),
        errors: errors(report),
        stats: stats(report),
        remediations: remediations(report),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// One credential as the JSON report shows it (shared with the JSON Lines report).
pub(super) fn finding(c: &Credential, secrets: SecretDisplay) -> JsonFinding<'_> {
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
        locations: c.hits.iter().map(location).collect(),
        locations_omitted: None,
    }
}

/// Keeps the places of the first `max` groups by path, in the order the human report lists
/// them (still there first, then by when they entered history), and counts the rest.
fn cap<'a>(f: &mut JsonFinding<'a>, c: &'a Credential, max: usize) {
    let hits: Vec<&Hit> = c.hits.iter().collect();
    let groups = super::human::group(&hits, false);
    if groups.len() <= max {
        return;
    }
    let kept: std::collections::HashSet<*const Hit> = groups[..max]
        .iter()
        .flat_map(|g| g.hits.iter().map(|&h| std::ptr::from_ref(h)))
        .collect();
    let before = c.hits.len();
    f.locations = c
        .hits
        .iter()
        .filter(|h| kept.contains(&std::ptr::from_ref(*h)))
        .map(location)
        .collect();
    f.locations_omitted = Some(before - f.locations.len());
}

/// One hit of a credential: where it is, and for history, where its bytes come from.
fn location(hit: &Hit) -> JsonLocation<'_> {
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
                author: commit.map(author),
                date: commit.map(date),
                summary: commit.map(|c| c.summary.as_str()),
                reachable: commit.is_some_and(|c| c.reachable),
                refs: provenance.map_or(&[], |p| &p.refs),
                at_head: provenance.and_then(|p| p.at_head),
                tag: match origin {
                    scanner_git::Origin::TagMessage { name, .. } => Some(name),
                    _ => None,
                },
                also_in: provenance
                    .into_iter()
                    .flat_map(|p| &p.others)
                    .map(|h| JsonHolding {
                        commit: h.commit.to_string(),
                        path: super::lossless(&h.path),
                        path_bytes: not_utf8(&h.path),
                        reachable: h.reachable,
                    })
                    .collect(),
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
    }
}
