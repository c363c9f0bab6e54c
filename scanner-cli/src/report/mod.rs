//! One report entry per credential: findings grouped by fingerprint, each with every place
//! it was found, in a deterministic order. The printers (`human`, `json`, `sarif`) only
//! format it; `jsonl` streams one line per place as found and ends with its summary.

pub mod human;
pub mod json;
pub mod jsonl;
pub mod sarif;

use std::collections::BTreeMap;

use scanner_core::{Encoding, Facts, Fingerprint, KeyId, Kind, Secret, Severity};

use crate::scan::{InputError, Origin, Outcome, RepoSummary, Skipped};

/// A credential and every place it was found.
#[derive(Debug)]
pub struct Credential {
    pub fingerprint: Fingerprint,
    pub kind: Kind,
    /// The highest severity among its locations (a root-key context in one place counts).
    pub severity: Severity,
    pub key_id: Option<KeyId>,
    pub secret: Option<Secret>,
    pub session_token: Option<Secret>,
    pub facts: Facts,
    /// Sorted by path, line, column.
    pub locations: Vec<Place>,
    /// One occurrence, as found: what verification sends (signed) to STS.
    pub finding: scanner_core::Finding,
    /// The answer of STS, with `--verify`.
    pub verification: Option<scanner_verify::Verification>,
}

impl Credential {
    /// A root user's key: verified so by STS, or downloaded as the console's rootkey.csv.
    pub fn is_root_key(&self) -> bool {
        self.facts.likely_root || self.verification.as_ref().is_some_and(|v| v.is_root())
    }
}

/// One place a credential was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// The repository, for a finding in history.
    pub repository: Option<String>,
    /// The file; in history, the blob's path in the commit that introduced it (`None`
    /// when no commit holds it, or for a message).
    pub path: Option<String>,
    pub line: usize,
    pub column: usize,
    pub encoding: Encoding,
    /// Line of the secret, when a pair's secret sits on another line than its key ID.
    pub secret_line: Option<usize>,
    pub git: Option<GitPlace>,
}

/// Where in a repository's history.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GitPlace {
    /// `blob`, `commit-message` or `tag-message`.
    pub source: &'static str,
    /// The blob, commit or tag object id.
    pub object: String,
    /// For a blob: the commit that introduced it; for a commit message: that commit.
    pub commit: Option<CommitPlace>,
    /// For a tag message: the tag's name.
    pub tag: Option<String>,
    pub refs: Vec<String>,
    pub at_head: Option<bool>,
    /// Other commits holding the blob: (commit, path, reachable).
    pub others: Vec<(String, String, bool)>,
}

impl GitPlace {
    /// A commit or tag message: no path, no refs of its own.
    fn message(
        source: &'static str,
        object: String,
        commit: Option<CommitPlace>,
        tag: Option<String>,
    ) -> GitPlace {
        GitPlace {
            source,
            object,
            commit,
            tag,
            refs: Vec::new(),
            at_head: None,
            others: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CommitPlace {
    pub id: String,
    pub author: String,
    pub date: String,
    pub summary: String,
    pub reachable: bool,
}

impl From<scanner_git::CommitInfo> for CommitPlace {
    fn from(c: scanner_git::CommitInfo) -> Self {
        CommitPlace {
            id: c.id,
            author: c.author,
            date: c.date,
            summary: c.summary,
            reachable: c.reachable,
        }
    }
}

fn place_of(origin: Origin, f: &scanner_core::Finding) -> Place {
    let secret_line = f
        .secret_location
        .map(|l| l.line)
        .filter(|&l| l != f.location.line);
    let (repository, path, git) = match origin {
        Origin::File(path) => (None, Some(path), None),
        Origin::Git { repository, source } => {
            let (path, git) = match *source {
                scanner_git::Source::Blob { id, provenance } => {
                    let (commit, path) = match provenance.introduced {
                        Some((c, p)) => (Some(CommitPlace::from(c)), Some(p)),
                        None => (None, None),
                    };
                    let git = GitPlace {
                        source: "blob",
                        object: id,
                        commit,
                        tag: None,
                        refs: provenance.refs,
                        at_head: provenance.at_head,
                        others: provenance
                            .others
                            .into_iter()
                            .map(|h| (h.commit, h.path, h.reachable))
                            .collect(),
                    };
                    (path, git)
                }
                scanner_git::Source::CommitMessage(c) => (
                    None,
                    GitPlace::message("commit-message", c.id.clone(), Some(c.into()), None),
                ),
                scanner_git::Source::TagMessage { id, name } => {
                    (None, GitPlace::message("tag-message", id, None, Some(name)))
                }
                _ => (None, GitPlace::message("other", String::new(), None, None)),
            };
            (Some(repository), path, Some(git))
        }
    };
    Place {
        repository,
        path,
        line: f.location.line,
        column: f.location.column,
        encoding: f.encoding,
        secret_line,
        git,
    }
}

/// What a scan found, ready to print.
#[derive(Debug)]
pub struct Report {
    /// Most severe first; ties by first location, then fingerprint.
    pub credentials: Vec<Credential>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub repositories: Vec<RepoSummary>,
}

impl Report {
    pub fn new(outcome: Outcome) -> Report {
        let mut groups: BTreeMap<Fingerprint, Credential> = BTreeMap::new();
        for hit in outcome.hits {
            let f = hit.finding;
            let place = place_of(hit.origin, &f);
            let entry = groups.entry(f.fingerprint).or_insert_with(|| Credential {
                fingerprint: f.fingerprint,
                kind: f.kind,
                severity: f.severity,
                key_id: f.key_id.clone(),
                secret: f.secret.clone(),
                session_token: None,
                facts: f.facts.clone(),
                locations: Vec::new(),
                finding: f.clone(),
                verification: None,
            });
            entry.severity = entry.severity.max(f.severity);
            entry.facts.likely_root |= f.facts.likely_root;
            if entry.session_token.is_none() {
                entry.session_token = f.session_token.clone();
            }
            entry.locations.push(place);
        }
        let credentials: Vec<Credential> = groups
            .into_values()
            .map(|mut c| {
                c.locations.sort();
                c.locations.dedup();
                c
            })
            .collect();
        let mut report = Report {
            credentials,
            errors: outcome.errors,
            skipped: outcome.skipped,
            files_scanned: outcome.files_scanned,
            bytes_scanned: outcome.bytes_scanned,
            repositories: outcome.repositories,
        };
        report.sort();
        report
    }

    /// Most severe first; ties by first location, then fingerprint.
    pub fn sort(&mut self) {
        self.credentials.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.locations.first().cmp(&b.locations.first()))
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        });
    }
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
