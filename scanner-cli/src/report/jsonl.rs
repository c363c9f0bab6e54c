//! The JSON Lines report (`--format jsonl`): one JSON object per line, for tools that read a
//! stream (`jq -c`, log shippers) rather than one document.
//!
//! # Format (version 1)
//!
//! ```text
//! {"type":"finding", "fingerprint":"<64 hex>", "kind":"aws-key-pair", ..., "locations":[...]}
//! {"type":"finding", ...}                      // one line per credential; most severe first
//! {"type":"summary", "version":1,
//!  "errors":[ { "path": "...", "reason": "..." } ],
//!  "stats":{ "files_scanned": N, "bytes_scanned": N, ..., "errors": N, "findings": N }}
//! ```
//!
//! A finding line has `"type": "finding"` followed by exactly the fields of one entry of the
//! JSON report's `findings` (see [`super::json`]: same names, same values, same redaction:
//! `secret` and `session_token` are `null` unless `--show-secrets`). The last line is always
//! the one summary line, with the JSON report's `version`, `errors` and `stats`; a reader can
//! tell a complete report from a cut one by it. Every line is compact JSON ending in `\n`;
//! no line holds a raw newline, since JSON escapes them in strings.
//!
//! The lines are written from the finished report, so their order is the JSON report's and
//! byte-for-byte identical whatever the number of threads.

use std::io::Write;

use serde::Serialize;

use super::json::{self, JsonError, JsonFinding, Stats};
use super::Report;
use crate::args::SecretDisplay;

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
}

pub fn write(out: &mut dyn Write, report: &Report, secrets: SecretDisplay) -> std::io::Result<()> {
    for c in &report.credentials {
        let line = FindingLine {
            line_type: "finding",
            finding: json::finding(c, secrets),
        };
        serde_json::to_writer(&mut *out, &line)?;
        writeln!(out)?;
    }
    let summary = SummaryLine {
        line_type: "summary",
        version: json::VERSION,
        errors: json::errors(report),
        stats: json::stats(report),
    };
    serde_json::to_writer(&mut *out, &summary)?;
    writeln!(out)
}
