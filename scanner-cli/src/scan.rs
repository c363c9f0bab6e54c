//! Turns inputs (files, directories, git repositories, standard input) into hits — each
//! finding with its [`Origin`] — in parallel. Every input that cannot be read becomes an [`InputError`] with its path and
//! reason; the scan always goes on.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use scanner_core::{ArchivePath, Finding, Scan, Scanner, SkipReason};
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
    /// Text from a web page of GitHub: an issue or pull request body or comment
    /// (`--include-issues`), located by its URL.
    Web {
        url: String,
        kind: scanner_remote::TextKind,
    },
}

/// A hit: a finding, with where it is inside the bytes (its `location`), and what those
/// bytes are (its origin). Reports group hits by credential.
#[derive(Clone, Debug)]
pub struct Hit {
    pub origin: Origin,
    pub finding: Finding,
    /// With a state (`--cache`): when this place was first and last seen.
    pub seen: Option<Seen>,
    /// Secrets known only in their redacted form (hits read back from a redacted report
    /// by `leakscan merge`); the finding then has none in clear.
    pub redacted: Option<Box<RedactedSecrets>>,
}

impl Hit {
    /// A hit found by this scan.
    pub fn new(origin: Origin, finding: Finding) -> Hit {
        Hit {
            origin,
            finding,
            seen: None,
            redacted: None,
        }
    }
}

/// When a place was first and last seen (Unix seconds), and whether this run found it first.
pub type Seen = scanner_state::Seen;

/// The redacted forms of a finding's secret and session token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RedactedSecrets {
    pub secret: Option<String>,
    pub session_token: Option<String>,
}

/// What the history scan of one repository counted.
#[derive(Debug)]
pub struct RepoSummary {
    pub path: String,
    pub stats: HistoryStats,
    /// With a state: how the repository compared with its last scan.
    pub change: Option<scanner_git::Change>,
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

/// Part of an archive not scanned (an encrypted entry, a limit reached, a damaged
/// archive): a warning, reported but not an error (see `main.rs`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ArchiveSkip {
    /// The input, as reports show it (`repo: path` or `repo: blob <id>` in history).
    pub path: String,
    /// The entry, outermost first; empty for the input itself.
    pub archive_path: ArchivePath,
    pub reason: SkipReason,
    pub detail: String,
}

impl ArchiveSkip {
    fn of(path: &str, skips: Vec<scanner_core::Skip>) -> impl Iterator<Item = ArchiveSkip> + '_ {
        skips.into_iter().map(move |s| ArchiveSkip {
            path: path.to_string(),
            archive_path: s.archive_path,
            reason: s.reason,
            detail: s.detail,
        })
    }
}

/// Everything a scan produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub hits: Vec<Hit>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
    pub archive_skips: Vec<ArchiveSkip>,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub repositories: Vec<RepoSummary>,
    /// What mirroring remote sources did, when there were any.
    pub remote: Option<crate::sources::Summary>,
    /// Files of repositories' work trees that git ignores, not read (`--include-ignored`
    /// reads them).
    pub ignored: u64,
    /// What staged, range and push scans read, when there were any.
    pub changes: Option<Changes>,
}

/// What scans of changes (staged, a range of commits, a push) read: reports count commits
/// and staged files, not "files".
#[derive(Debug, Default, Clone, Copy)]
pub struct Changes {
    /// Commits of ranges and pushes.
    pub commits: u64,
    /// Blobs those commits add.
    pub blobs: u64,
    /// Staged files read.
    pub staged: u64,
}

/// What happened to one input.
enum FileResult {
    Scanned {
        origin: Origin,
        bytes: u64,
        findings: Vec<Finding>,
        /// With a state: when each finding's place was first and last seen.
        seen: Vec<Seen>,
        skips: Vec<ArchiveSkip>,
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
    let state = config
        .state
        .as_ref()
        .map(crate::state::RunState::open)
        .transpose()?;
    let mut files = Vec::new();
    // Work-tree files of scanned repositories: scanned only when their contents are not a
    // blob the history scan already read.
    let mut work_tree_files = Vec::new();
    let mirrors = config
        .inputs
        .iter()
        .filter(|i| matches!(i, Input::Mirror { .. }))
        .count();
    let mut mirrors_done = 0;
    for input in &config.inputs {
        let before = outcome.hits.len();
        match input {
            Input::Stdin => absorb(
                &mut outcome,
                scan_stdin(&config.scanner, config.max_file_size),
            ),
            Input::Path(p)
                if config.history == History::Scan
                    && state.is_some()
                    && HistoryScanner::is_repository(p) =>
            {
                let Some(state) = &state else { continue };
                let repository = display(p);
                match pool.install(|| state.scan_repository(&history, p))? {
                    Ok(scan) => {
                        let hits = scan.findings.into_iter().zip(
                            scan.seen
                                .into_iter()
                                .map(Some)
                                .chain(std::iter::repeat(None)),
                        );
                        absorb_history_seen(&mut outcome, &repository, scan.problems, hits);
                        outcome.repositories.push(RepoSummary {
                            path: repository,
                            stats: scan.stats,
                            change: Some(scan.change),
                        });
                        if let Some(wt) = scan.work_tree {
                            outcome.ignored += collect_work_tree(
                                &wt,
                                config,
                                &mut work_tree_files,
                                &mut outcome.errors,
                            );
                        }
                    }
                    Err(e) => {
                        outcome.errors.push(InputError {
                            path: repository.clone(),
                            reason: git_error(&e),
                        });
                        // What it had when last read stays in the report, last seen then.
                        if let Some(stored) = state.stored(p)? {
                            let hits = stored
                                .findings
                                .into_iter()
                                .zip(stored.seen.into_iter().map(Some));
                            absorb_history_seen(&mut outcome, &repository, Vec::new(), hits);
                        }
                    }
                }
            }
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
                            change: None,
                        });
                        if let Some(wt) = scan.work_tree {
                            outcome.ignored += collect_work_tree(
                                &wt,
                                config,
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
            Input::Path(p) => {
                // A repository gone since the last run: an error, and what it had stays in
                // the report, last seen then.
                let stored = match &state {
                    Some(state) if !p.exists() => state.stored(p)?,
                    _ => None,
                };
                if config.history == History::Skip && p.join(".git").exists() {
                    // --no-history: the work tree, as a repository's is read.
                    outcome.ignored +=
                        collect_work_tree(p, config, &mut files, &mut outcome.errors);
                } else {
                    collect(p, &config.excludes, &mut files, &mut outcome.errors);
                }
                if let Some(stored) = stored {
                    let hits = stored
                        .findings
                        .into_iter()
                        .zip(stored.seen.into_iter().map(Some));
                    absorb_history_seen(&mut outcome, &display(p), Vec::new(), hits);
                }
            }
            Input::Mirror { path, name } => {
                mirrors_done += 1;
                progress.set_stage(format!("scanning {name} ({mirrors_done} of {mirrors})"));
                match &state {
                    Some(state) => {
                        let key = crate::state::RunState::mirror_key(name);
                        match pool.install(|| state.scan_mirror(&history, &key, path))? {
                            Ok(scan) => {
                                let hits = scan.findings.into_iter().zip(
                                    scan.seen
                                        .into_iter()
                                        .map(Some)
                                        .chain(std::iter::repeat(None)),
                                );
                                absorb_history_seen(&mut outcome, name, scan.problems, hits);
                                outcome.repositories.push(RepoSummary {
                                    path: name.clone(),
                                    stats: scan.stats,
                                    change: Some(scan.change),
                                });
                            }
                            Err(e) => {
                                outcome.errors.push(InputError {
                                    path: name.clone(),
                                    reason: git_error(&e),
                                });
                                if let Some(stored) = state.stored_mirror(&key)? {
                                    let hits = stored
                                        .findings
                                        .into_iter()
                                        .zip(stored.seen.into_iter().map(Some));
                                    absorb_history_seen(&mut outcome, name, Vec::new(), hits);
                                }
                            }
                        }
                    }
                    None => match pool.install(|| history.scan_repository(path)) {
                        Ok(scan) => {
                            absorb_history(&mut outcome, name, scan.problems, scan.findings);
                            outcome.repositories.push(RepoSummary {
                                path: name.clone(),
                                stats: scan.stats,
                                change: None,
                            });
                        }
                        Err(e) => outcome.errors.push(InputError {
                            path: name.clone(),
                            reason: git_error(&e),
                        }),
                    },
                }
                progress.set_stage(String::new());
            }
            Input::Staged(repo) => {
                absorb_changes(&mut outcome, true, repo, history.scan_staged(repo));
            }
            Input::Range {
                repo,
                include,
                exclude,
            } => absorb_changes(
                &mut outcome,
                false,
                repo,
                history.scan_range(repo, include, exclude),
            ),
            Input::Push { repo, refs } => {
                absorb_changes(&mut outcome, false, repo, history.scan_push(repo, refs));
            }
        }
        // Repositories, staged changes and standard input are done here; files below.
        emit(&outcome.hits[before..]);
    }
    progress.files_total.store(
        (files.len() + work_tree_files.len()) as u64,
        Ordering::Relaxed,
    );
    // Work-tree files whose contents history already had are not scanned again: blobs of
    // this run, or with a state, of any run.
    let known_blob = |bytes: &[u8]| match &state {
        Some(state) => state.knows(bytes),
        None => history.has_seen_blob(bytes),
    };
    let sighted = |r: FileResult| -> FileResult {
        match (&state, r) {
            (
                Some(state),
                FileResult::Scanned {
                    origin,
                    bytes,
                    findings,
                    skips,
                    ..
                },
            ) => {
                let seen = state.sight_file(&origin, &findings);
                FileResult::Scanned {
                    origin,
                    bytes,
                    findings,
                    seen,
                    skips,
                }
            }
            (_, r) => r,
        }
    };
    let results: Vec<FileResult> = pool.install(|| {
        let plain = files.par_iter().map(|p| {
            counted(
                progress,
                &emit,
                sighted(scan_file(&config.scanner, p, config.max_file_size, None)),
            )
        });
        let work_tree = work_tree_files.par_iter().map(|p| {
            counted(
                progress,
                &emit,
                sighted(scan_file(
                    &config.scanner,
                    p,
                    config.max_file_size,
                    Some(&known_blob),
                )),
            )
        });
        plain.chain(work_tree).collect()
    });
    for r in results {
        absorb(&mut outcome, r);
    }
    if let Some(state) = state {
        state.finish()?;
    }
    outcome.errors.sort();
    outcome.errors.dedup();
    outcome.skipped.sort();
    outcome.archive_skips.sort();
    outcome.archive_skips.dedup();
    Ok(outcome)
}

fn counted(progress: &Progress, emit: &(dyn Fn(&[Hit]) + Sync), r: FileResult) -> FileResult {
    progress.files_done.fetch_add(1, Ordering::Relaxed);
    if let FileResult::Scanned {
        origin,
        findings,
        seen,
        ..
    } = &r
    {
        let hits: Vec<Hit> = findings
            .iter()
            .enumerate()
            .map(|(i, f)| Hit {
                seen: seen.get(i).copied(),
                ..Hit::new(origin.clone(), f.clone())
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
    staged: bool,
    repo: &Path,
    result: Result<scanner_git::ChangeScan, scanner_git::Error>,
) {
    let repository = display(repo);
    match result {
        Ok(scan) => {
            outcome.files_scanned += scan.blobs_scanned;
            let changes = outcome.changes.get_or_insert_with(Changes::default);
            if staged {
                changes.staged += scan.blobs_scanned;
            } else {
                changes.commits += scan.commits;
                changes.blobs += scan.blobs_scanned;
            }
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
    absorb_history_seen(
        outcome,
        repository,
        problems,
        findings.into_iter().map(|f| (f, None)),
    );
}

/// [`absorb_history`], each finding with when its place was first and last seen.
fn absorb_history_seen(
    outcome: &mut Outcome,
    repository: &str,
    problems: Vec<scanner_git::Problem>,
    findings: impl Iterator<Item = (scanner_git::HistoryFinding, Option<Seen>)>,
) {
    for problem in problems {
        let path = format!("{repository}: {}", problem.what());
        if let Some(skip) = problem.archive_skip() {
            // Not an error of the repository: a warning about one blob's archive.
            outcome
                .archive_skips
                .extend(ArchiveSkip::of(&path, vec![skip.clone()]));
            continue;
        }
        outcome.errors.push(InputError {
            path,
            reason: problem.reason().to_string(),
        });
    }
    outcome.hits.extend(findings.map(|(f, seen)| Hit {
        seen,
        ..Hit::new(
            Origin::Git {
                repository: repository.to_string(),
                origin: Box::new(f.origin),
            },
            f.finding,
        )
    }));
}

fn absorb(outcome: &mut Outcome, r: FileResult) {
    match r {
        FileResult::Scanned {
            origin,
            bytes,
            findings,
            seen,
            skips,
        } => {
            outcome.archive_skips.extend(skips);
            outcome.files_scanned += 1;
            outcome.bytes_scanned += bytes;
            outcome
                .hits
                .extend(findings.into_iter().enumerate().map(|(i, finding)| Hit {
                    seen: seen.get(i).copied(),
                    ..Hit::new(origin.clone(), finding)
                }));
        }
        FileResult::Known => {}
        FileResult::Skipped(s) => outcome.skipped.push(s),
        FileResult::Failed(e) => outcome.errors.push(e),
    }
}

/// How a path is shown in reports: as given, without a leading `./`; bytes of a name that
/// are not UTF-8 as `\xNN` (never replaced: two names must not read the same).
pub fn display(path: &Path) -> String {
    #[cfg(unix)]
    let s = {
        use std::os::unix::ffi::OsStrExt;
        crate::report::lossless(path.as_os_str().as_bytes())
    };
    #[cfg(not(unix))]
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

/// Whether a file's contents are a blob the history scans already read.
type KnownBlob<'a> = dyn Fn(&[u8]) -> bool + Sync + 'a;

fn scan_file(
    scanner: &Scanner,
    path: &Path,
    max_size: u64,
    known: Option<&KnownBlob<'_>>,
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
    if let Some(known) = known {
        return match std::fs::read(path) {
            Ok(bytes) if known(&bytes) => FileResult::Known,
            Ok(bytes) => scanned(Origin::File(shown), size, scanner.scan_detailed(&bytes)),
            Err(e) => FileResult::Failed(InputError {
                path: shown,
                reason: e.to_string(),
            }),
        };
    }
    match scanner.scan_file_detailed(path) {
        Ok(scan) => scanned(Origin::File(shown), size, scan),
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
    scanned(Origin::Stdin, size, scanner.scan_detailed(&buf))
}

fn scanned(origin: Origin, bytes: u64, scan: Scan) -> FileResult {
    let shown = match &origin {
        Origin::File(path) => path.clone(),
        _ => "-".to_string(),
    };
    FileResult::Scanned {
        skips: ArchiveSkip::of(&shown, scan.skipped).collect(),
        origin,
        bytes,
        findings: scan.findings,
        seen: Vec::new(),
    }
}

/// Adds the files of a repository's work tree to `files`, as [`collect`] does, but for the
/// files git ignores (`.gitignore` files of the tree, `.git/info/exclude`), which are
/// counted and left out unless `--include-ignored`: a work tree is what the repository
/// holds plus the untracked files a person would commit, not its build output. The user's
/// global excludes are not read (the scan is isolated from the user's git configuration,
/// and reading more is the safe side). Returns how many files were left out.
fn collect_work_tree(
    work_tree: &Path,
    config: &ScanConfig,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<InputError>,
) -> u64 {
    if config.include_ignored {
        collect(work_tree, &config.excludes, files, errors);
        return 0;
    }
    let mut overrides = ignore::overrides::OverrideBuilder::new(work_tree);
    for glob in &config.excludes {
        // An invalid glob is reported by `collect`'s walk below.
        let _ = overrides.add(&format!("!{glob}"));
    }
    let overrides = overrides
        .build()
        .unwrap_or_else(|_| ignore::overrides::Override::empty());
    let walker = ignore::WalkBuilder::new(work_tree)
        .standard_filters(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .parents(false)
        .follow_links(false)
        .overrides(overrides)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    let mut kept = 0u64;
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                files.push(e.into_path());
                kept += 1;
            }
            Ok(_) => {}
            Err(e) => errors.push(walk_error(work_tree, &e)),
        }
    }
    // Every file, to count those left out: a walk of directory entries, nothing is read.
    let mut all = Vec::new();
    let mut ignored_errors = Vec::new();
    collect(work_tree, &config.excludes, &mut all, &mut ignored_errors);
    errors.extend(
        ignored_errors
            .into_iter()
            .filter(|e| e.reason.starts_with("invalid --exclude")),
    );
    (all.len() as u64).saturating_sub(kept)
}
