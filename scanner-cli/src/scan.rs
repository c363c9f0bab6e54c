//! Turns inputs (files, directories, git repositories, standard input) into hits — each
//! finding with its [`Origin`] — in parallel. Every input that cannot be read becomes an [`InputError`] with its path and
//! reason; the scan always goes on.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use scanner_core::{Finding, Scanner};
use scanner_git::{HistoryOptions, HistoryScanner, HistoryStats};

use crate::args::{History, Input, ScanConfig};
use crate::progress::Progress;
use std::sync::atomic::Ordering;

/// What a finding's bytes are: a file, standard input, or something in a repository
/// (scanner-git's [`Origin`](scanner_git::Origin): a blob with its provenance, a message, a
/// staged file). Where the finding is inside those bytes is the finding's
/// [`Location`](scanner_core::Location).
#[derive(Clone, Debug)]
pub enum Origin {
    /// A file, by its path as shown in reports.
    File(String),
    /// Standard input (`-`).
    Stdin,
    /// Something in a repository.
    Git {
        /// The repository, as shown in reports.
        repository: String,
        origin: Box<scanner_git::Origin>,
    },
}

/// A hit: a finding, with where it is inside the bytes (its `location`), and what those
/// bytes are (its origin). Reports group hits by credential.
#[derive(Clone, Debug)]
pub struct Hit {
    pub origin: Origin,
    pub finding: Finding,
    /// For a finding in a git object that could not be read whole (cut short, corrupt):
    /// what is wrong with it. The finding is what the bytes that could be read hold.
    pub damage: Option<String>,
}

/// What the history scan of one repository counted.
#[derive(Debug)]
pub struct RepoSummary {
    pub path: String,
    pub stats: HistoryStats,
}

/// An input that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputError {
    pub path: String,
    pub reason: String,
}

/// A file not scanned because of `--max-file-size`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: String,
    pub size: u64,
}

/// Everything a scan produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub hits: Vec<Hit>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub repositories: Vec<RepoSummary>,
}

/// What happened to one input.
enum FileResult {
    Scanned {
        origin: Origin,
        bytes: u64,
        findings: Vec<Finding>,
    },
    /// A work-tree file whose contents the history scan already read.
    Known,
    Skipped(Skipped),
    Failed(InputError),
}

/// Receives findings as soon as an input's scan ends (for reports that stream).
pub type Sink<'a> = &'a (dyn Fn(&[Hit]) + Sync);

/// Scans every input of `config`, counting progress in `progress` and handing findings to
/// `sink` as they are found.
pub fn run(
    config: &ScanConfig,
    progress: &Progress,
    sink: Option<Sink<'_>>,
) -> anyhow::Result<Outcome> {
    let emit = |hits: &[Hit]| {
        if let Some(sink) = sink {
            if !hits.is_empty() {
                sink(hits);
            }
        }
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads.unwrap_or(0))
        .build()?;
    let mut outcome = Outcome::default();
    let history = HistoryScanner::new(
        config.scanner.clone(),
        HistoryOptions::default()
            .max_blob_size(config.max_file_size)
            .threads(config.threads),
    );
    let _ = progress.history.set(history.progress());
    let mut files = Vec::new();
    // Work-tree files of scanned repositories: scanned only when their contents are not a
    // blob the history scan already read.
    let mut work_tree_files = Vec::new();
    for input in &config.inputs {
        let before = outcome.hits.len();
        match input {
            Input::Stdin => absorb(
                &mut outcome,
                scan_stdin(&config.scanner, config.max_file_size),
            ),
            Input::Path(p)
                if config.history == History::Scan && HistoryScanner::is_repository(p) =>
            {
                match pool.install(|| history.scan_repository(p)) {
                    Ok(scan) => {
                        let repository = display(p);
                        absorb_history(&mut outcome, &repository, scan.problems, scan.findings);
                        outcome.repositories.push(RepoSummary {
                            path: repository,
                            stats: scan.stats,
                        });
                        if let Some(wt) = scan.work_tree {
                            collect(
                                &wt,
                                &config.excludes,
                                &mut work_tree_files,
                                &mut outcome.errors,
                            );
                        }
                    }
                    Err(e) => outcome.errors.push(InputError {
                        path: display(p),
                        reason: git_error(&e),
                    }),
                }
            }
            Input::Path(p) => collect(p, &config.excludes, &mut files, &mut outcome.errors),
            Input::Staged(repo) => {
                absorb_changes(&mut outcome, repo, history.scan_staged(repo));
            }
            Input::Range {
                repo,
                include,
                exclude,
            } => absorb_changes(
                &mut outcome,
                repo,
                history.scan_range(repo, include, exclude),
            ),
            Input::Push { repo, refs } => {
                absorb_changes(&mut outcome, repo, history.scan_push(repo, refs));
            }
        }
        // Repositories, staged changes and standard input are done here; files below.
        emit(&outcome.hits[before..]);
    }
    progress.files_total.store(
        (files.len() + work_tree_files.len()) as u64,
        Ordering::Relaxed,
    );
    let results: Vec<FileResult> = pool.install(|| {
        let plain = files.par_iter().map(|p| {
            counted(
                progress,
                &emit,
                scan_file(&config.scanner, p, config.max_file_size, None),
            )
        });
        let work_tree = work_tree_files.par_iter().map(|p| {
            counted(
                progress,
                &emit,
                scan_file(&config.scanner, p, config.max_file_size, Some(&history)),
            )
        });
        plain.chain(work_tree).collect()
    });
    for r in results {
        absorb(&mut outcome, r);
    }
    outcome.errors.sort();
    outcome.errors.dedup();
    outcome.skipped.sort();
    Ok(outcome)
}

fn counted(progress: &Progress, emit: &(dyn Fn(&[Hit]) + Sync), r: FileResult) -> FileResult {
    progress.files_done.fetch_add(1, Ordering::Relaxed);
    if let FileResult::Scanned {
        origin, findings, ..
    } = &r
    {
        let hits: Vec<Hit> = findings
            .iter()
            .map(|f| Hit {
                origin: origin.clone(),
                finding: f.clone(),
                damage: None,
            })
            .collect();
        emit(&hits);
    }
    r
}

/// Adds the result of a staged, range or push scan. A repository whose index or commits
/// cannot be read is an error: a hook must fail closed, never pass silently.
fn absorb_changes(
    outcome: &mut Outcome,
    repo: &Path,
    result: Result<scanner_git::ChangeScan, scanner_git::Error>,
) {
    let repository = display(repo);
    match result {
        Ok(scan) => {
            outcome.files_scanned += scan.blobs_scanned;
            absorb_history(outcome, &repository, scan.problems, scan.findings);
        }
        Err(e) => outcome.errors.push(InputError {
            path: repository,
            reason: git_error(&e),
        }),
    }
}

/// A repository that could not be scanned: what failed, and the error underneath.
fn git_error(e: &scanner_git::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// Adds what a repository scan found and could not read.
fn absorb_history(
    outcome: &mut Outcome,
    repository: &str,
    problems: Vec<scanner_git::Problem>,
    findings: Vec<scanner_git::HistoryFinding>,
) {
    for problem in problems {
        outcome.errors.push(InputError {
            path: format!("{repository}: {}", problem.what()),
            reason: problem.reason().to_string(),
        });
    }
    outcome.hits.extend(findings.into_iter().map(|f| Hit {
        origin: Origin::Git {
            repository: repository.to_string(),
            origin: Box::new(f.origin),
        },
        finding: f.finding,
        damage: f.damage.map(|p| p.reason().to_string()),
    }));
}

fn absorb(outcome: &mut Outcome, r: FileResult) {
    match r {
        FileResult::Scanned {
            origin,
            bytes,
            findings,
        } => {
            outcome.files_scanned += 1;
            outcome.bytes_scanned += bytes;
            outcome.hits.extend(findings.into_iter().map(|finding| Hit {
                origin: origin.clone(),
                finding,
                damage: None,
            }));
        }
        FileResult::Known => {}
        FileResult::Skipped(s) => outcome.skipped.push(s),
        FileResult::Failed(e) => outcome.errors.push(e),
    }
}

/// How a path is shown in reports: as given, without a leading `./`.
pub fn display(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./")
        .map_or_else(|| s.to_string(), str::to_string)
}

/// Adds the files under `path` to `files`: the path itself if it is a file (or anything
/// else that can be read, such as a named pipe), every regular file below it if it is a
/// directory. Ignore files are not honoured (secrets hide in ignored `.env` files); `.git`
/// directories are skipped, and so are symbolic links met while walking.
fn collect(
    path: &Path,
    excludes: &[String],
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<InputError>,
) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            errors.push(InputError {
                path: display(path),
                reason: e.to_string(),
            });
            return;
        }
    };
    if !meta.is_dir() {
        files.push(path.to_path_buf());
        return;
    }
    let mut overrides = ignore::overrides::OverrideBuilder::new(path);
    for glob in excludes {
        if let Err(e) = overrides.add(&format!("!{glob}")) {
            errors.push(InputError {
                path: glob.clone(),
                reason: format!("invalid --exclude glob: {e}"),
            });
        }
    }
    let overrides = match overrides.build() {
        Ok(o) => o,
        Err(e) => {
            errors.push(InputError {
                path: display(path),
                reason: format!("invalid --exclude globs: {e}"),
            });
            return;
        }
    };
    let walker = ignore::WalkBuilder::new(path)
        .standard_filters(false)
        .follow_links(false)
        .overrides(overrides)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => files.push(e.into_path()),
            Ok(_) => {}
            Err(e) => errors.push(walk_error(path, &e)),
        }
    }
}

fn walk_error(root: &Path, e: &ignore::Error) -> InputError {
    fn path_of(e: &ignore::Error) -> Option<&Path> {
        match e {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            _ => None,
        }
    }
    fn reason(e: &ignore::Error) -> String {
        match e {
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => reason(err),
            other => other.to_string(),
        }
    }
    InputError {
        path: display(path_of(e).unwrap_or(root)),
        reason: reason(e),
    }
}

fn scan_file(
    scanner: &Scanner,
    path: &Path,
    max_size: u64,
    known: Option<&HistoryScanner>,
) -> FileResult {
    let shown = display(path);
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => {
            return FileResult::Failed(InputError {
                path: shown,
                reason: e.to_string(),
            })
        }
    };
    if size > max_size {
        return FileResult::Skipped(Skipped { path: shown, size });
    }
    if let Some(history) = known {
        return match std::fs::read(path) {
            Ok(bytes) if history.has_seen_blob(&bytes) => FileResult::Known,
            Ok(bytes) => FileResult::Scanned {
                origin: Origin::File(shown),
                bytes: size,
                findings: scanner.scan(&bytes),
            },
            Err(e) => FileResult::Failed(InputError {
                path: shown,
                reason: e.to_string(),
            }),
        };
    }
    match scanner.scan_file(path) {
        Ok(findings) => FileResult::Scanned {
            origin: Origin::File(shown),
            bytes: size,
            findings,
        },
        Err(e) => FileResult::Failed(InputError {
            path: shown,
            reason: e
                .io_error()
                .map_or_else(|| e.to_string(), ToString::to_string),
        }),
    }
}

fn scan_stdin(scanner: &Scanner, max_size: u64) -> FileResult {
    let path = "-".to_string();
    let mut buf = Vec::new();
    let limit = max_size.saturating_add(1);
    if let Err(e) = std::io::stdin().lock().take(limit).read_to_end(&mut buf) {
        return FileResult::Failed(InputError {
            path,
            reason: e.to_string(),
        });
    }
    let size = buf.len() as u64;
    if size > max_size {
        return FileResult::Skipped(Skipped { path, size });
    }
    FileResult::Scanned {
        origin: Origin::Stdin,
        bytes: size,
        findings: scanner.scan(&buf),
    }
}
