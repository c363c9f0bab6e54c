//! One report entry per credential: findings grouped by fingerprint, each with every place
//! it was found, in a deterministic order. The printers (`human`, `json`) only format it.

pub mod human;
pub mod json;

use std::collections::BTreeMap;

use scanner_core::{Encoding, Facts, Fingerprint, KeyId, Kind, Secret, Severity};

use crate::scan::{InputError, Outcome, Skipped};

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
}

/// One place a credential was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub encoding: Encoding,
    /// Line of the secret, when a pair's secret sits on another line than its key ID.
    pub secret_line: Option<usize>,
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
}

impl Report {
    pub fn new(outcome: Outcome) -> Report {
        let mut groups: BTreeMap<Fingerprint, Credential> = BTreeMap::new();
        for hit in outcome.hits {
            let f = hit.finding;
            let place = Place {
                path: hit.path,
                line: f.location.line,
                column: f.location.column,
                encoding: f.encoding,
                secret_line: f
                    .secret_location
                    .map(|l| l.line)
                    .filter(|&l| l != f.location.line),
            };
            let entry = groups.entry(f.fingerprint).or_insert_with(|| Credential {
                fingerprint: f.fingerprint,
                kind: f.kind,
                severity: f.severity,
                key_id: f.key_id.clone(),
                secret: f.secret.clone(),
                session_token: None,
                facts: f.facts.clone(),
                locations: Vec::new(),
            });
            entry.severity = entry.severity.max(f.severity);
            entry.facts.likely_root |= f.facts.likely_root;
            if entry.session_token.is_none() {
                entry.session_token = f.session_token.clone();
            }
            entry.locations.push(place);
        }
        let mut credentials: Vec<Credential> = groups
            .into_values()
            .map(|mut c| {
                c.locations.sort();
                c.locations.dedup();
                c
            })
            .collect();
        credentials.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.locations.first().cmp(&b.locations.first()))
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        });
        Report {
            credentials,
            errors: outcome.errors,
            skipped: outcome.skipped,
            files_scanned: outcome.files_scanned,
            bytes_scanned: outcome.bytes_scanned,
        }
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
