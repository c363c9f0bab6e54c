//! The SARIF report (`--format sarif`): SARIF 2.1.0, as GitHub code scanning and other
//! SARIF viewers read it.
//!
//! # Shape
//!
//! ```text
//! {
//!   "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
//!   "version": "2.1.0",
//!   "runs": [ {                                   // always exactly one run
//!     "tool": { "driver": { "name": "leakscan", "informationUri": "...", "version": "x.y.z",
//!       "rules": [ ... ] } },                     // always the same four rules, in this order:
//!                                                 // aws-root-key-pair, aws-key-pair,
//!                                                 // aws-secret-key, aws-key-id
//!     "invocations": [ { "executionSuccessful": true,
//!       "toolExecutionNotifications": [ ... ] } ], // unreadable inputs (error), files over
//!                                                 // --max-file-size and parts of archives
//!                                                 // not scanned (warning)
//!     "results": [ {                              // one per hit (place a credential was found);
//!                                                 // credentials most severe first, then hits
//!       "ruleId": "aws-key-pair", "ruleIndex": 1,
//!       "level": "error" | "warning" | "note",    // critical/high, medium, low/info
//!       "message": { "text": "..." },             // kind, key ID, redacted secret, provenance
//!       "locations": [ { "physicalLocation": {
//!         "artifactLocation": { "uri": "config/credentials" },
//!         "region": { "startLine": 2, "startColumn": 21 } } } ],
//!       "partialFingerprints": { "leakscan/v1": "<64 hex>" },  // the credential's fingerprint
//!       "properties": { "severity": "high", "security-severity": "8.0", "kind": "...",
//!         "remediation": "root-key" | "long-term-key" | "temporary-key" | "secret-key"
//!                      | "key-id" | "canary",   // which text of the rule's help applies
//!         "key_id": ..., "account_id": ..., "secret_redacted": ..., "encoding": "plain",
//!         // inside an archive: the entry, outermost first, and the place in it (the
//!         // location is then the archive file, without a region):
//!         "archive_path": ["lib/app.jar", "config/prod.env"], "line": 3, "column": 1,
//!         // for findings in a repository's history:
//!         "repository": "...", "source": "blob" | "commit-message" | "tag-message",
//!         "object": "<id>", "commit": "<id>", "date": "...", "reachable": bool,
//!         "refs": [...], "at_head": bool, "tag": "...",
//!         // with a state (--cache):
//!         "first_seen": "ISO 8601", "last_seen": "ISO 8601" },
//!       "baselineState": "new" | "unchanged" } ]        // with a state: new since the last run
//!   } ]
//! }
//! ```
//!
//! Rules carry the remediation in `help` (text and Markdown: the texts of
//! `report/remediation.rs`, the same the human and JSON reports print) and GitHub's
//! `properties.security-severity` (critical 9.5, high 8.0, medium 5.5, low 3.0, info 1.0); a
//! credential found in the AWS console's root key download gets the dedicated
//! `aws-root-key-pair` rule. Each result also carries its own credential's severity in
//! `properties`, since a rule's is only its default.
//!
//! Locations: a file's path as given on the command line; a finding in a repository's history
//! is placed at the path the introducing commit gives it, under the repository's path, at the
//! line in that commit's version of the file. A commit or tag message, or a blob that no commit
//! holds, is placed at the repository itself, without a region (its line is in `properties`).
//! A finding inside an archive is placed at the archive file without a region (a line of
//! the entry is no line of the archive): `properties.archive_path` names the entry,
//! `properties.line`/`column` the place in it, and the message says
//! `release.zip!config/prod.env:3`.
//! URIs are relative references with forward slashes, percent-encoded (spaces, `%`, `#`,
//! non-ASCII); absolute paths become `file://` URIs. Columns count bytes, as everywhere in
//! leakscan (they equal SARIF's UTF-16 default on ASCII lines).
//!
//! Secrets never appear in clear in a SARIF report, whatever `--show-secrets` says: such
//! reports are uploaded and kept by third parties. Commit summaries are left out too, since a
//! credential found in a commit message may sit in its first line.
//!
//! The output is byte-for-byte identical whatever the number of threads.

use std::collections::BTreeMap;
use std::io::Write;

use scanner_core::{Encoding, ExampleKind, Kind, Severity};
use serde::Serialize;

use super::remediation::Remediation;
use super::{commit_of, date, kind_title, origin_kind, Credential, Report};
use crate::scan::Hit;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const FINGERPRINT_KEY: &str = "leakscan/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool,
    invocations: [Invocation; 1],
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    information_uri: &'static str,
    version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    default_configuration: Configuration,
    help: Help,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

impl Text {
    fn new(text: impl Into<String>) -> Text {
        Text { text: text.into() }
    }
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: [&'static str; 1],
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    /// With a state: `new` for a place this run found first, `unchanged` for one found before.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    severity: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    kind: &'static str,
    /// Which of the rule's remediation texts applies (`remediation::Remediation::id`).
    remediation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_redacted: Option<String>,
    encoding: &'static str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    archive_path: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_line: Option<usize>,
    /// Line and column, for a place that has no region (a message, a blob in no commit).
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    git: Option<GitProperties<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_seen: Option<String>,
}

#[derive(Serialize)]
struct GitProperties<'a> {
    repository: &'a str,
    source: &'static str,
    object: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    reachable: bool,
    refs: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    at_head: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<&'a str>,
}

/// The rules, in the order of `tool.driver.rules` (results point into it by `ruleIndex`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RuleKind {
    RootKeyPair,
    KeyPair,
    SecretKey,
    KeyId,
}

const RULES: [RuleKind; 4] = [
    RuleKind::RootKeyPair,
    RuleKind::KeyPair,
    RuleKind::SecretKey,
    RuleKind::KeyId,
];

impl RuleKind {
    fn of(c: &Credential) -> RuleKind {
        if c.is_root_key() {
            return RuleKind::RootKeyPair;
        }
        match c.kind {
            Kind::KeyId => RuleKind::KeyId,
            Kind::SecretKey => RuleKind::SecretKey,
            _ => RuleKind::KeyPair,
        }
    }

    /// What to do about findings of this rule: the texts of `remediation`, the usual one
    /// first (a result's own is in its `properties.remediation`).
    fn remediations(self) -> &'static [Remediation] {
        match self {
            RuleKind::RootKeyPair => &[Remediation::RootKey],
            RuleKind::KeyPair => &[
                Remediation::LongTermKey,
                Remediation::TemporaryKey,
                Remediation::Canary,
            ],
            RuleKind::SecretKey => &[Remediation::SecretKey],
            RuleKind::KeyId => &[Remediation::KeyId, Remediation::Canary],
        }
    }

    fn index(self) -> usize {
        RULES.iter().position(|&r| r == self).unwrap_or(0)
    }

    fn id(self) -> &'static str {
        match self {
            RuleKind::RootKeyPair => "aws-root-key-pair",
            RuleKind::KeyPair => Kind::KeyPair.as_str(),
            RuleKind::SecretKey => Kind::SecretKey.as_str(),
            RuleKind::KeyId => Kind::KeyId.as_str(),
        }
    }

    fn title(self) -> &'static str {
        match self {
            RuleKind::RootKeyPair => "AWS root user access key pair",
            RuleKind::KeyPair => kind_title(Kind::KeyPair),
            RuleKind::SecretKey => kind_title(Kind::SecretKey),
            RuleKind::KeyId => kind_title(Kind::KeyId),
        }
    }

    /// The severity of a typical finding of this rule.
    fn default_severity(self) -> Severity {
        match self {
            RuleKind::RootKeyPair => Severity::Critical,
            RuleKind::KeyPair => Severity::High,
            RuleKind::SecretKey => Severity::Medium,
            RuleKind::KeyId => Severity::Low,
        }
    }

    fn rule(self) -> Rule {
        let (name, full) = match self {
            RuleKind::RootKeyPair => (
                "AwsRootKeyPair",
                "An access key pair in the form of the AWS console's root key download \
                 (rootkey.csv): very likely an access key of an AWS account's root user, which \
                 has unrestricted access to the whole account, its billing and its closure, \
                 and which no IAM policy limits.",
            ),
            RuleKind::KeyPair => (
                "AwsKeyPair",
                "An AWS access key ID together with its secret access key: a usable \
                 credential, with every permission of the IAM user or role it belongs to.",
            ),
            RuleKind::SecretKey => (
                "AwsSecretKey",
                "A value named as an AWS secret access key, with no access key ID near it. \
                 Together with its key ID, which may be elsewhere, it is a usable credential.",
            ),
            RuleKind::KeyId => (
                "AwsKeyId",
                "An AWS access key ID without its secret access key. Not usable alone, but it \
                 names an account and a key whose secret may have leaked elsewhere.",
            ),
        };
        let body = self
            .remediations()
            .iter()
            .map(|r| r.text())
            .collect::<Vec<_>>()
            .join("\n");
        Rule {
            id: self.id(),
            name,
            short_description: Text::new(self.title()),
            full_description: Text::new(full),
            default_configuration: Configuration {
                level: level(self.default_severity()),
            },
            help: Help {
                markdown: format!("**{}**\n\n{body}", self.title()),
                text: body,
            },
            properties: RuleProperties {
                tags: ["security"],
                security_severity: security_severity(self.default_severity()),
            },
        }
    }
}

/// GitHub's `security-severity` score for a leakscan severity.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// SARIF's `level` for a leakscan severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

pub fn write(out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    let mut results = Vec::new();
    for c in &report.credentials {
        let rule = RuleKind::of(c);
        for hit in &c.hits {
            results.push(result(c, rule, hit));
        }
    }
    let mut notifications: Vec<Notification> = report
        .errors
        .iter()
        .map(|e| Notification {
            level: "error",
            message: Text::new(format!("{}: {}", e.path, e.reason)),
        })
        .collect();
    notifications.extend(report.skipped.iter().map(|s| Notification {
        level: "warning",
        message: Text::new(format!("{}: skipped, {}", s.path, s.reason())),
    }));
    notifications.extend(report.archive_skips.iter().map(|s| Notification {
        level: "warning",
        message: Text::new(super::skip_message(s)),
    }));
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "leakscan",
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    version: env!("CARGO_PKG_VERSION"),
                    rules: RULES.iter().map(|r| r.rule()).collect(),
                },
            },
            invocations: [Invocation {
                execution_successful: report.incomplete.is_none(),
                tool_execution_notifications: notifications,
            }],
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn result<'a>(c: &'a Credential, rule: RuleKind, hit: &'a Hit) -> SarifResult<'a> {
    let history = hit.origin.history();
    let path = hit.origin.path();
    let (uri, region) = match (history, hit.origin.repository(), path.as_deref()) {
        // A web page's URL is already a URI.
        (None, _, _) if hit.origin.web().is_some() => (
            hit.origin
                .web()
                .map_or_else(String::new, |(url, _)| url.to_string()),
            true,
        ),
        (None, _, path) => (uri_of(path.unwrap_or("-")), true),
        (Some(_), repo, Some(path)) => (uri_of(&join(repo.unwrap_or("."), path)), true),
        (Some(_), repo, None) => (uri_of(repo.unwrap_or(".")), false),
    };
    let in_archive = !hit.finding.archive_path.is_empty();
    let region = region && !in_archive;
    let git = history.map(|origin| {
        let commit = commit_of(origin);
        let (refs, at_head): (&[String], _) = match origin {
            scanner_git::Origin::Blob { provenance, .. } => (&provenance.refs, provenance.at_head),
            _ => (&[], None),
        };
        GitProperties {
            repository: hit.origin.repository().unwrap_or("."),
            source: origin_kind(origin),
            object: origin.object_id().to_string(),
            commit: commit.map(|c| c.id.to_string()),
            date: commit.map(date),
            reachable: commit.is_some_and(|c| c.reachable),
            refs,
            at_head,
            tag: match origin {
                scanner_git::Origin::TagMessage { name, .. } => Some(name),
                _ => None,
            },
        }
    });
    let location = &hit.finding.location;
    let encoding = hit.finding.encoding;
    SarifResult {
        rule_id: rule.id(),
        rule_index: rule.index(),
        level: level(c.severity),
        message: Text::new(message(c, rule, hit)),
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri },
                region: region.then_some(Region {
                    start_line: location.line,
                    start_column: location.column,
                }),
            },
        }],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, c.fingerprint.to_hex())]),
        baseline_state: hit.seen.map(|s| if s.new { "new" } else { "unchanged" }),
        properties: ResultProperties {
            severity: c.severity.as_str(),
            security_severity: security_severity(c.severity),
            kind: c.kind.as_str(),
            remediation: Remediation::of(c).id(),
            key_id: c.key_id.as_ref().map(|k| k.as_str()),
            account_id: c.facts.account_id.map(|a| a.to_string()),
            secret_redacted: c.secret_redacted.clone(),
            encoding: encoding.as_str(),
            archive_path: hit.finding.archive_path.components(),
            secret_line: hit.secret_line(),
            line: (!region).then_some(location.line),
            column: (!region).then_some(location.column),
            git,
            first_seen: hit.seen.map(|s| super::time(s.first)),
            last_seen: hit.seen.map(|s| super::time(s.last)),
        },
    }
}

/// What a result says: the credential (its secret redacted), why it matters, and where.
fn message(c: &Credential, rule: RuleKind, hit: &Hit) -> String {
    let mut s = rule.title().to_string();
    if let Some(k) = &c.key_id {
        s += &format!(" {}", k.as_str());
    }
    match (&c.secret_redacted, c.key_id.is_some()) {
        (Some(secret), true) => s += &format!(" with secret {secret}"),
        (Some(secret), false) => s += &format!(" {secret}"),
        (None, _) => {}
    }
    if c.session_token_redacted.is_some() {
        s += " and a session token";
    }
    s += &format!(" ({} severity).", c.severity.as_str());
    let mut notes = Vec::new();
    if c.facts.own_account {
        notes.push("It belongs to one of your accounts.".to_string());
    }
    if c.facts.canary {
        notes.push("It is a canary token: a tripwire, using it alerts its owner.".to_string());
    }
    match c.facts.example {
        Some(ExampleKind::Documentation) => {
            notes.push("It is an AWS documentation example.".to_string());
        }
        Some(ExampleKind::Fixture) => notes.push("It is a made-up test fixture.".to_string()),
        Some(_) => notes.push("It is a placeholder.".to_string()),
        None => {}
    }
    if let Some(t) = c.facts.key_type {
        notes.push(match c.facts.account_id {
            Some(a) => format!("Account {a}, {} key.", t.as_str()),
            None => format!("{} key issued before 2019 (no account ID).", t.as_str()),
        });
    }
    if hit.finding.encoding != Encoding::Plain {
        notes.push(format!("Written {}.", hit.finding.encoding.as_str()));
    }
    if !hit.finding.archive_path.is_empty() {
        let path = hit.origin.path();
        notes.push(format!(
            "Inside an archive, at {}:{}.",
            super::place(path.as_deref().unwrap_or("-"), &hit.finding.archive_path),
            hit.finding.location.line
        ));
    }
    if let Some(origin) = hit.origin.history() {
        notes.push(history_note(hit, origin));
    }
    for n in notes {
        s.push(' ');
        s += &n;
    }
    s
}

fn history_note(hit: &Hit, origin: &scanner_git::Origin) -> String {
    let repo = hit.origin.repository().unwrap_or(".");
    let line = hit.finding.location.line;
    match origin {
        scanner_git::Origin::Blob { id, provenance } => match &provenance.introduced {
            Some(introduced) => {
                let state = match provenance.at_head {
                    Some(true) => "; still present at HEAD",
                    Some(false) => "; removed from HEAD since",
                    None => "",
                };
                let refs = if provenance.refs.is_empty() {
                    "reachable from no ref (only dangling or reflog commits hold it)".to_string()
                } else {
                    format!("reachable from {}", provenance.refs.join(", "))
                };
                format!(
                    "Introduced in repository {repo} by commit {} on {}{state}; {refs}.",
                    introduced.commit.id,
                    date(&introduced.commit)
                )
            }
            None => {
                format!("In blob {id} of repository {repo}, which no commit holds (line {line}).")
            }
        },
        scanner_git::Origin::CommitMessage { commit } => format!(
            "In the message of commit {} of repository {repo} on {} (line {line}).",
            commit.id,
            date(commit)
        ),
        scanner_git::Origin::TagMessage { id, name } => {
            format!("In the message of tag {name} ({id}) of repository {repo} (line {line}).")
        }
        other => format!(
            "In object {} of repository {repo} (line {line}).",
            other.object_id()
        ),
    }
}

/// `path` under the repository at `repo` (both as shown in reports).
fn join(repo: &str, path: &str) -> String {
    match repo {
        "" | "." | "./" => path.to_string(),
        r if r.ends_with('/') => format!("{r}{path}"),
        r => format!("{r}/{path}"),
    }
}

/// A path as a URI reference: forward slashes, percent-encoded; `file://` when absolute.
fn uri_of(path: &str) -> String {
    let path = if cfg!(windows) {
        path.replace('\\', "/")
    } else {
        path.to_string()
    };
    let bytes = path.as_bytes();
    let drive = cfg!(windows)
        && bytes.len() >= 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && !matches!(bytes.get(2), Some(&b) if b != b'/');
    let (mut uri, rest) = if drive {
        (format!("file:///{}", &path[..2]), &path[2..])
    } else if path.starts_with('/') {
        ("file://".to_string(), path.as_str())
    } else if let Some((scheme, after)) = path.split_once("://").filter(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    }) {
        // A remote repository named by its URL: scheme and authority as they are.
        let (authority, tail) = after.split_at(after.find('/').unwrap_or(after.len()));
        (format!("{scheme}://{authority}"), tail)
    } else {
        let mut rest = path.as_str();
        while let Some(r) = rest.strip_prefix("./") {
            rest = r.trim_start_matches('/');
        }
        if rest.is_empty() {
            rest = ".";
        }
        (String::new(), rest)
    };
    for &b in rest.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            uri.push(char::from(b));
        } else {
            uri += &format!("%{b:02X}");
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::{join, uri_of};

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri_of("config/credentials"), "config/credentials");
        assert_eq!(uri_of("./a b/c#1%.env"), "a%20b/c%231%25.env");
        assert_eq!(
            uri_of("dir with space/ключ.env"),
            "dir%20with%20space/%D0%BA%D0%BB%D1%8E%D1%87.env"
        );
        assert_eq!(uri_of("c:odd"), "c%3Aodd");
        assert_eq!(uri_of("."), ".");
        assert_eq!(uri_of("./"), ".");
        #[cfg(unix)]
        assert_eq!(uri_of("/tmp/x y/creds"), "file:///tmp/x%20y/creds");
        #[cfg(unix)]
        assert_eq!(uri_of("a\\b"), "a%5Cb");
    }

    #[test]
    fn history_paths_sit_under_their_repository() {
        assert_eq!(join(".", "deploy/prod.env"), "deploy/prod.env");
        assert_eq!(join("repo", "deploy/prod.env"), "repo/deploy/prod.env");
        assert_eq!(join("/srv/repo/", "a"), "/srv/repo/a");
    }
}
