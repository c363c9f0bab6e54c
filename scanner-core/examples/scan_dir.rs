//! Walks a directory with `std::fs`, scans every regular file with [`Scanner::scan_file`],
//! and prints `path:line kind severity` for each finding.
//!
//! ```text
//! cargo run -p scanner-core --example scan_dir -- path/to/dir
//! ```
//!
//! Symbolic links are not followed, files over 64 MiB are skipped (with
//! [`ScannerBuilder::max_read_size`](scanner_core::ScannerBuilder::max_read_size)), and a
//! file that cannot be read is reported on standard error without stopping the walk.
//! Exits with 1 when something was found, 2 when something could not be read, else 0.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use scanner_core::{ErrorKind, Scanner};

/// What a walk found.
#[derive(Debug, Default)]
pub struct Summary {
    pub files: usize,
    pub findings: usize,
    /// Inputs that could not be read, and files skipped for their size.
    pub problems: usize,
}

/// Scans every regular file under `dir` (in each directory its files first, then its
/// subdirectories, each in name order), writing findings to `out` and problems to `err`.
pub fn run(
    scanner: &Scanner,
    dir: &Path,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut pending: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<(PathBuf, std::fs::FileType)> = match std::fs::read_dir(&dir) {
            Ok(list) => list
                .filter_map(|e| match e.and_then(|e| Ok((e.path(), e.file_type()?))) {
                    Ok(pair) => Some(pair),
                    Err(e) => {
                        summary.problems += 1;
                        let _ = writeln!(err, "{}: {e}", dir.display());
                        None
                    }
                })
                .collect(),
            Err(e) => {
                summary.problems += 1;
                writeln!(err, "{}: {e}", dir.display())?;
                continue;
            }
        };
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        // Pushed in reverse, so that subdirectories are walked in name order.
        for (path, kind) in entries.iter().rev() {
            if kind.is_dir() {
                pending.push(path.clone());
            }
        }
        for (path, kind) in &entries {
            if !kind.is_file() {
                continue;
            }
            summary.files += 1;
            match scanner.scan_file(path) {
                Ok(findings) => {
                    for f in &findings {
                        writeln!(
                            out,
                            "{}:{} {} {}",
                            path.display(),
                            f.location.line,
                            f.kind,
                            f.severity
                        )?;
                    }
                    summary.findings += findings.len();
                }
                Err(e) if e.kind() == ErrorKind::TooLarge => {
                    summary.problems += 1;
                    writeln!(err, "skipped {e}")?;
                }
                Err(e) => {
                    summary.problems += 1;
                    writeln!(err, "{e}")?;
                }
            }
        }
    }
    Ok(summary)
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: scan_dir DIR");
        return ExitCode::from(2);
    };
    let scanner = Scanner::builder().max_read_size(64 << 20).build();
    match run(
        &scanner,
        Path::new(&dir),
        &mut io::stdout().lock(),
        &mut io::stderr().lock(),
    ) {
        Ok(s) if s.findings > 0 => ExitCode::from(1),
        Ok(s) if s.problems > 0 => ExitCode::from(2),
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scan_dir: {e}");
            ExitCode::from(2)
        }
    }
}
