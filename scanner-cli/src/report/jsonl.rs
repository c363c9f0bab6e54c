//! The JSON Lines report (`--format jsonl`): one JSON object per line, for tools that read a
//! stream (`jq -c`, log shippers) rather than one document.
//!
//! # Format (version 1)
//!
//! ```text
//! {"type":"finding", "fingerprint":"<64 hex>", "kind":"aws-key-pair", ..., "locations":[ONE]}
//! {"type":"finding", ...}                      // one line per hit, as found
//! {"type":"summary", "version":1,
//!  "errors":[ { "path": "...", "reason": "..." } ],
//!  "stats":{ "files_scanned": N, "bytes_scanned": N, ..., "errors": N, "findings": N },
//!  "remediations":{ "long-term-key": "...", ... }}
//! ```
//!
//! A finding line has `"type": "finding"` followed by exactly the fields of one entry of the
//! JSON report's `findings` (see [`super::json`]: same names, same values, same redaction:
//! `secret` and `session_token` are `null` unless `--show-secrets`). The last line is always
//! the one summary line, with the JSON report's `version`, `errors`, `stats` and
//! `remediations` (what to do, by the id each finding line names); a reader can
//! tell a complete report from a cut one by it. Every line is compact JSON ending in `\n`;
//! no line holds a raw newline, since JSON escapes them in strings.
//!
//! Finding lines are streamed: each is written as soon as the file (or repository, or
//! staged change) holding it has been scanned, so a consumer sees findings of a long scan
//! while it runs. Each line is one hit, one place a credential was found — its `locations`
//! holds that one hit — and the same credential found in several places gives several lines
//! with the same `fingerprint`. Their order is the order scans finished in and may differ
//! between runs; sort by `fingerprint` and location for a stable order. The summary
//! counts credentials (`stats.findings`), as the JSON report does.

use std::io::Write;

use serde::Serialize;

use super::json::{self, JsonError, JsonFinding, Stats};
use super::Report;
use crate::args::SecretDisplay;

/// The format version of JSON Lines, in the summary line: 1, the layout of places the JSON
/// report had in its version 1 (each line stands alone, so its provenance is inline).
const VERSION: u32 = 1;

#[derive(Serialize)]
struct FindingLine<'a> {
    #[serde(rename = "type")]
    line_type: &'static str,
    #[serde(flatten)]
    finding: JsonFinding<'a>,
}

#[derive(Serialize)]
struct SummaryLine<'a> {
    #[serde(rename = "type")]
    line_type: &'static str,
    version: u32,
    errors: Vec<JsonError<'a>>,
    stats: Stats<'a>,
    remediations: std::collections::BTreeMap<&'static str, String>,
}

/// Writes finding lines as findings arrive, then the summary line.
pub struct Stream {
    out: std::sync::Mutex<Box<dyn Write + Send>>,
    secrets: SecretDisplay,
    accepted: std::collections::BTreeSet<String>,
    /// The first write error: later writes are skipped, and `finish` returns it.
    failed: std::sync::Mutex<Option<std::io::Error>>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").finish_non_exhaustive()
    }
}

impl Stream {
    /// Lines go to `out`; findings whose fingerprint is `accepted` are left out.
    pub fn new(
        out: Box<dyn Write + Send>,
        secrets: SecretDisplay,
        accepted: std::collections::BTreeSet<String>,
    ) -> Stream {
        Stream {
            out: std::sync::Mutex::new(out),
            secrets,
            accepted,
            failed: std::sync::Mutex::new(None),
        }
    }

    /// Writes one line per hit, now.
    pub fn hits(&self, hits: &[crate::scan::Hit]) {
        let mut failed = self
            .failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if failed.is_some() {
            return;
        }
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Secret lines as the grouped reports give them: `hits` holds every hit of the
        // texts it has.
        let mut hits = hits.to_vec();
        super::pair_secret_lines(&mut hits);
        let mut write = || -> std::io::Result<()> {
            for hit in &hits {
                if self.accepted.contains(&hit.finding.fingerprint.to_hex()) {
                    continue;
                }
                // One hit, grouped as the report groups: the same fields, the same redaction.
                let single = Report::new(crate::scan::Outcome {
                    hits: vec![hit.clone()],
                    ..crate::scan::Outcome::default()
                });
                for c in &single.credentials {
                    let line = FindingLine {
                        line_type: "finding",
                        finding: json::finding(c, self.secrets),
                    };
                    serde_json::to_writer(&mut *out, &line)?;
                    writeln!(out)?;
                }
            }
            out.flush()
        };
        if let Err(e) = write() {
            *failed = Some(e);
        }
    }

    /// Writes the summary line.
    pub fn finish(self, report: &Report) -> std::io::Result<()> {
        if let Some(e) = self
            .failed
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            return Err(e);
        }
        let mut out = self
            .out
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        write_summary(&mut *out, report)?;
        out.flush()
    }
}

/// Writes a whole report at once (`leakscan merge`): one line per hit, credentials in the
/// report's order, then the summary line.
pub fn write(out: &mut dyn Write, report: &Report, secrets: SecretDisplay) -> std::io::Result<()> {
    for c in &report.credentials {
        for hit in &c.hits {
            let single = Report::new(crate::scan::Outcome {
                hits: vec![hit.clone()],
                ..crate::scan::Outcome::default()
            });
            for c in &single.credentials {
                let line = FindingLine {
                    line_type: "finding",
                    finding: json::finding(c, secrets),
                };
                serde_json::to_writer(&mut *out, &line)?;
                writeln!(out)?;
            }
        }
    }
    write_summary(out, report)
}

fn write_summary(out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    let summary = SummaryLine {
        line_type: "summary",
        version: VERSION,
        errors: json::errors(report),
        stats: json::stats(report),
        remediations: json::remediations(report),
    };
    serde_json::to_writer(&mut *out, &summary)?;
    writeln!(out)
}
