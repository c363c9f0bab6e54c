//! Scans the whole history of a git repository — every object, reachable or not — and
//! prints each finding with the commit and path that introduced it.
//!
//! ```text
//! cargo run -p scanner-git --example scan_history -- path/to/repository
//! ```
//!
//! Exit status: 0 when nothing was found, 1 when something was, 2 when the repository
//! cannot be read.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use scanner_core::Scanner;
use scanner_git::{HistoryOptions, HistoryScanner, Origin};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: scan_history REPOSITORY");
        return ExitCode::from(2);
    };
    let mut out = std::io::stdout().lock();
    match run(Path::new(&path), &mut out) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("scan_history: {e}");
            ExitCode::from(2)
        }
    }
}

/// Scans the repository at `path` and writes one line per finding to `out`, then one per
/// problem (what could not be read). Returns the number of findings.
pub fn run(path: &Path, out: &mut dyn Write) -> Result<usize, Box<dyn std::error::Error>> {
    let history = HistoryScanner::new(Scanner::default(), HistoryOptions::default());
    let scan = history.scan_repository(path)?;
    for f in &scan.findings {
        // A key ID is no secret; secrets are never printed here.
        let what = match &f.finding.key_id {
            Some(key) => format!("{} {}", f.finding.kind.as_str(), key.as_str()),
            None => f.finding.kind.as_str().to_string(),
        };
        let line = f.finding.location.line;
        match &f.origin {
            Origin::Blob { id, provenance } => match &provenance.introduced {
                Some(introduced) => {
                    let c = &introduced.commit;
                    writeln!(
                        out,
                        "{what}: {}:{line}, introduced by commit {} ({}, {})",
                        introduced.path,
                        c.id,
                        c.author.as_deref().unwrap_or("unknown author"),
                        c.date
                            .map_or_else(|| "unknown date".to_string(), |d| d.to_string()),
                    )?;
                    let state = match provenance.at_head {
                        Some(true) => "still at HEAD",
                        Some(false) => "no longer at HEAD",
                        None => "HEAD unknown",
                    };
                    writeln!(
                        out,
                        "  {state}; {} other commit(s); reachable from: {}",
                        provenance.others.len(),
                        if provenance.refs.is_empty() {
                            "no ref".to_string()
                        } else {
                            provenance.refs.join(", ")
                        }
                    )?;
                }
                None => writeln!(out, "{what}: blob {id}:{line}, which no commit holds")?,
            },
            Origin::CommitMessage { commit } => {
                writeln!(out, "{what}: message of commit {}:{line}", commit.id)?;
            }
            Origin::TagMessage { id, name } => {
                writeln!(out, "{what}: message of tag {name} ({id}):{line}")?;
            }
            other => writeln!(out, "{what}: object {}:{line}", other.object_id())?,
        }
    }
    for p in &scan.problems {
        writeln!(out, "could not read {p}")?;
    }
    Ok(scan.findings.len())
}
