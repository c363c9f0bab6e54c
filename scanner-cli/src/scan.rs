//! Turns inputs (files, directories, git repositories, standard input) into hits — each
//! finding with its [`Origin`] — in parallel. Every input that cannot be read becomes an [`InputError`] with its path and
//! reason; the scan always goes on.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use scanner_core::{ArchivePath, Finding, Scan, Scanner, SkipReason};
use scanner_git::{HistoryOptions, HistoryScanner, HistoryStats};

use crate::args::{Excludes, History, Input, ScanConfig};
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
    /// For a finding in a git object that could not be read whole (cut short, corrupt):
    /// what is wrong with it. The finding is what the bytes that could be read hold.
    pub damage: Option<String>,
}

impl Hit {
    /// A hit found by this scan.
    pub fn new(origin: Origin, finding: Finding) -> Hit {
        Hit {
            origin,
            finding,
            seen: None,
            redacted: None,
            damage: None,
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

/// A file not scanned: over `--max-file-size`, or not a regular file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: String,
    pub size: u64,
    pub why: SkipWhy,
}

/// Why a file was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipWhy {
    /// Larger than `--max-file-size`.
    TooLarge,
    /// A named pipe: opening it waits for a writer, reading it for ever.
    Fifo,
    /// A Unix domain socket: nothing to read.
    Socket,
    /// A device (`/dev/zero`, a disk, a tape): endless, huge, or changed by being opened.
    Device,
    /// Anything else that is neither a regular file nor a directory.
    Other,
}

impl SkipWhy {
    /// The name machine reports give it (`stats.skipped[].reason`).
    pub fn as_str(self) -> &'static str {
        match self {
            SkipWhy::TooLarge => "too-large",
            SkipWhy::Fifo => "fifo",
            SkipWhy::Socket => "socket",
            SkipWhy::Device => "device",
            SkipWhy::Other => "not-a-regular-file",
        }
    }

    /// Read back from [`SkipWhy::as_str`]; reports made before reasons were given only
    /// skipped files over the size limit.
    pub fn parse(s: Option<&str>) -> SkipWhy {
        match s {
            Some("fifo") => SkipWhy::Fifo,
            Some("socket") => SkipWhy::Socket,
            Some("device") => SkipWhy::Device,
            Some("not-a-regular-file") => SkipWhy::Other,
            _ => SkipWhy::TooLarge,
        }
    }

    /// A file of this type, when it is not a regular file or a directory.
    fn of(t: std::fs::FileType) -> Option<SkipWhy> {
        if t.is_file() || t.is_dir() {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                return Some(SkipWhy::Fifo);
            }
            if t.is_socket() {
                return Some(SkipWhy::Socket);
            }
            if t.is_char_device() || t.is_block_device() {
                return Some(SkipWhy::Device);
            }
        }
        Some(SkipWhy::Other)
    }
}

impl Skipped {
    /// Why it was not read, as people read it.
    pub fn reason(&self) -> String {
        match self.why {
            SkipWhy::TooLarge => format!("{} bytes is over --max-file-size", self.size),
            SkipWhy::Fifo => "a named pipe (FIFO), not a regular file".to_string(),
            SkipWhy::Socket => "a socket, not a regular file".to_string(),
            SkipWhy::Device => "a device, not a regular file".to_string(),
            SkipWhy::Other => "not a regular file".to_string(),
        }
    }
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
    /// Paths the configuration's `exclude` kept from the walks (a directory counts once).
    pub config_excluded: u64,
    /// Why the scan (or, merged, one of the scans) did not finish.
    pub incomplete: Option<String>,
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
    )
    .with_cancel_token(config.cancel.clone());
    let cancel = &config.cancel;
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
        if cancel.is_cancelled() {
            break;
        }
        let before = outcome.hits.len();
        match input {
            Input::Stdin => absorb(
                &mut outcome,
                scan_stdin(&config.scanner, config.max_file_size, cancel),
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
                            outcome.ignored +=
                                collect_work_tree(&wt, config, &mut work_tree_files, &mut outcome);
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
                            outcome.ignored +=
                                collect_work_tree(&wt, config, &mut work_tree_files, &mut outcome);
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
                    outcome.ignored += collect_work_tree(p, config, &mut files, &mut outcome);
                } else {
                    collect(p, config, &mut files, &mut outcome);
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
    // Once cancelled, the files not begun are left out of the report (it is marked
    // incomplete); those under way are finished.
    let results: Vec<FileResult> = pool.install(|| {
        let scan = |p, known| {
            counted(
                progress,
                &emit,
                sighted(scan_file(&config.scanner, p, config.max_file_size, known)),
            )
        };
        let plain = files
            .par_iter()
            .filter(|_| !cancel.is_cancelled())
            .map(|p| scan(p, None));
        let work_tree = work_tree_files
            .par_iter()
            .filter(|_| !cancel.is_cancelled())
            .map(|p| scan(p, Some(&known_blob)));
        plain.chain(work_tree).collect()
    });
    for r in results {
        absorb(&mut outcome, r);
    }
    // A run cut short stays unfinished in the state, as a killed one does.
    if let Some(state) = state.filter(|_| !cancel.is_cancelled()) {
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
        damage: f.damage.map(|p| p.reason().to_string()),
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

/// A file to scan, and whether it was named on the command line: not reading a file named
/// is an error, not reading one met while walking a skip.
struct ToScan {
    path: PathBuf,
    named: bool,
}

/// Adds the files under `path` to `files`: the path itself if it is no directory (named),
/// every regular file below it if it is one. Ignore files are not honoured (secrets hide in
/// ignored `.env` files); `.git` directories are skipped, and so are symbolic links met
/// while walking. Anything else met while walking (named pipes, sockets, devices) is never
/// opened: it is a skip, with its reason.
fn collect(path: &Path, config: &ScanConfig, files: &mut Vec<ToScan>, outcome: &mut Outcome) {
    walk(path, config, files, outcome, false);
}

/// [`collect`], leaving out what git ignores (`.gitignore` files of the tree,
/// `.git/info/exclude`) when `git_ignores`.
fn walk(
    path: &Path,
    config: &ScanConfig,
    files: &mut Vec<ToScan>,
    outcome: &mut Outcome,
    git_ignores: bool,
) {
    let excludes: &Excludes = &config.excludes;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            outcome.errors.push(InputError {
                path: display(path),
                reason: e.to_string(),
            });
            return;
        }
    };
    if !meta.is_dir() {
        files.push(ToScan {
            path: path.to_path_buf(),
            named: true,
        });
        return;
    }
    let Some(overrides) = exclusions(path, &excludes.command_line, "--exclude", outcome) else {
        return;
    };
    // The configuration's globs apart, so that what they excluded is counted (a directory
    // once: it is not walked). The walker applies `--exclude` before this filter.
    let Some(configured) = exclusions(path, &excludes.config, "exclude", outcome) else {
        return;
    };
    let excluded = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = excluded.clone();
    let walker = ignore::WalkBuilder::new(path)
        .standard_filters(false)
        .git_ignore(git_ignores)
        .git_exclude(git_ignores)
        .require_git(false)
        .parents(false)
        .follow_links(false)
        .overrides(overrides)
        .filter_entry(move |e| {
            if e.file_name() == ".git" {
                return false;
            }
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if e.depth() > 0 && configured.matched(e.path(), is_dir).is_ignore() {
                counter.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            true
        })
        .build();
    for entry in walker {
        if config.cancel.is_cancelled() {
            break;
        }
        match entry {
            Ok(e) => match e.file_type() {
                Some(t) if t.is_file() => files.push(ToScan {
                    path: e.into_path(),
                    named: false,
                }),
                Some(t) if t.is_dir() || t.is_symlink() => {}
                // The walker's type is lstat's: no open, no wait on a pipe.
                Some(t) => outcome.skipped.push(Skipped {
                    path: display(e.path()),
                    size: 0,
                    why: SkipWhy::of(t).unwrap_or(SkipWhy::Other),
                }),
                // Standard input: never met while walking.
                None => {}
            },
            Err(e) => outcome.errors.push(walk_error(path, &e)),
        }
    }
    outcome.config_excluded += excluded.load(Ordering::Relaxed);
}

/// The globs as exclusions under `root` (gitignore syntax); `None` after an error.
fn exclusions(
    root: &Path,
    globs: &[String],
    what: &str,
    outcome: &mut Outcome,
) -> Option<ignore::overrides::Override> {
    let mut overrides = ignore::overrides::OverrideBuilder::new(root);
    for glob in globs {
        if let Err(e) = overrides.add(&format!("!{glob}")) {
            outcome.errors.push(InputError {
                path: glob.clone(),
                reason: format!("invalid {what} glob: {e}"),
            });
        }
    }
    match overrides.build() {
        Ok(o) => Some(o),
        Err(e) => {
            outcome.errors.push(InputError {
                path: display(root),
                reason: format!("invalid {what} globs: {e}"),
            });
            None
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
    file: &ToScan,
    max_size: u64,
    known: Option<&KnownBlob<'_>>,
) -> FileResult {
    let path = file.path.as_path();
    let shown = display(path);
    let failed = |e: std::io::Error| {
        FileResult::Failed(InputError {
            path: shown.clone(),
            reason: e.to_string(),
        })
    };
    let skipped = |why: SkipWhy, size: u64| {
        let s = Skipped {
            path: shown.clone(),
            size,
            why,
        };
        if file.named {
            // Named on the command line and not read: the run did not do what was asked.
            FileResult::Failed(InputError {
                path: s.path.clone(),
                reason: format!("not read: {}", s.reason()),
            })
        } else {
            FileResult::Skipped(s)
        }
    };
    // The type before anything is opened: opening a named pipe waits for a writer, opening
    // a device can act on it.
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    if let Some(why) = SkipWhy::of(meta.file_type()) {
        return skipped(why, 0);
    }
    if meta.len() > max_size {
        return skipped(SkipWhy::TooLarge, meta.len());
    }
    // Opened without blocking, and its type checked again on the open file: a regular file
    // swapped for a pipe since is not waited on.
    let opened = match open_nonblocking(path) {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let meta = match opened.metadata() {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    if let Some(why) = SkipWhy::of(meta.file_type()) {
        return skipped(why, 0);
    }
    let size = meta.len();
    if size > max_size {
        return skipped(SkipWhy::TooLarge, size);
    }
    if known.is_some() || size < LARGE_FILE {
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        if let Err(e) = (&opened)
            .take(max_size.saturating_add(1))
            .read_to_end(&mut bytes)
        {
            return failed(e);
        }
        // It grew since its size was read.
        if bytes.len() as u64 > max_size {
            return skipped(SkipWhy::TooLarge, bytes.len() as u64);
        }
        if known.is_some_and(|known| known(&bytes)) {
            return FileResult::Known;
        }
        return scanned(
            Origin::File(shown),
            bytes.len() as u64,
            scanner.scan_detailed(&bytes),
        );
    }
    // Large files are memory-mapped by the core, through the file already open (its path
    // may name another file by now).
    let result = match open_file_path(&opened) {
        Some(p) => scanner.scan_file_detailed(&p),
        None => scanner.scan_reader_detailed(&opened),
    };
    match result {
        Ok(scan) => scanned(Origin::File(shown), size, scan),
        Err(e) => FileResult::Failed(InputError {
            path: shown,
            reason: e
                .io_error()
                .map_or_else(|| e.to_string(), ToString::to_string),
        }),
    }
}

/// From this size on the core memory-maps a file rather than reading it (as its own
/// threshold does).
const LARGE_FILE: u64 = 1 << 20;

/// Opens a file for reading without waiting: on unix with `O_NONBLOCK`, which a pipe's open
/// honours and a regular file's reads ignore.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// A path that opens the very file `file` is (`/dev/fd/N`), where the system has one.
fn open_file_path(file: &std::fs::File) -> Option<PathBuf> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let p = PathBuf::from(format!("/dev/fd/{}", file.as_raw_fd()));
        if p.exists() {
            return Some(p);
        }
    }
    let _ = file;
    None
}

/// The size of standard input when it is a regular file.
fn stdin_file_size() -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
        let meta = std::fs::File::from(fd).metadata().ok()?;
        return meta.is_file().then_some(meta.len());
    }
    #[allow(unreachable_code)]
    None
}

fn scan_stdin(scanner: &Scanner, max_size: u64, cancel: &scanner_git::CancelToken) -> FileResult {
    let path = "-".to_string();
    // Standard input redirected from a file says its size: one over the limit is not read.
    if let Some(size) = stdin_file_size().filter(|&n| n > max_size) {
        return FileResult::Failed(InputError {
            path,
            reason: format!("not read: {size} bytes is over --max-file-size"),
        });
    }
    // Read on a thread of its own: a read waiting for a writer that never comes must not
    // keep a signal from stopping the run.
    let limit = max_size.saturating_add(1);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let read = std::io::stdin().lock().take(limit).read_to_end(&mut buf);
        let _ = tx.send(read.map(|_| buf));
    });
    let read = loop {
        match rx.recv_timeout(std::time::Duration::from_millis(50)) {
            Ok(read) => break read,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) if cancel.is_cancelled() => {
                return FileResult::Failed(InputError {
                    path,
                    reason: "not read: interrupted".to_string(),
                });
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                break Err(std::io::Error::other("the thread reading it ended"));
            }
        }
    };
    let buf = match read {
        Ok(buf) => buf,
        Err(e) => {
            return FileResult::Failed(InputError {
                path,
                reason: e.to_string(),
            })
        }
    };
    let size = buf.len() as u64;
    if size > max_size {
        // A stream is always named: not reading it whole is an error. Nothing past the
        // limit was read.
        return FileResult::Failed(InputError {
            path,
            reason: format!("not read: more than {max_size} bytes, over --max-file-size"),
        });
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
    files: &mut Vec<ToScan>,
    outcome: &mut Outcome,
) -> u64 {
    if config.include_ignored {
        collect(work_tree, config, files, outcome);
        return 0;
    }
    let before = files.len();
    walk(work_tree, config, files, outcome, true);
    let kept = (files.len() - before) as u64;
    // Every file, to count those left out: a walk of directory entries, nothing is read;
    // what it meets was reported by the walk above.
    let mut all = Vec::new();
    let mut scratch = Outcome::default();
    walk(work_tree, config, &mut all, &mut scratch, false);
    (all.len() as u64).saturating_sub(kept)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A regular file swapped for a named pipe after the walk: the open does not wait for
    /// a writer, and the open file's type says what it is.
    #[test]
    fn a_file_swapped_for_a_pipe_is_opened_without_waiting_and_skipped() {
        let dir = tempfile::tempdir().expect("a temporary directory because /tmp is writable");
        let path = dir.path().join("swapped");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(made, "mkfifo");
        let opened = open_nonblocking(&path).expect("O_NONBLOCK opens a pipe at once");
        let kind = opened.metadata().map(|m| SkipWhy::of(m.file_type()));
        assert_eq!(kind.ok(), Some(Some(SkipWhy::Fifo)));
        let scanner = Scanner::builder().build();
        let walked = ToScan { path, named: false };
        match scan_file(&scanner, &walked, 1 << 20, None) {
            FileResult::Skipped(s) => assert_eq!(s.why, SkipWhy::Fifo),
            _ => panic!("a pipe met while walking is a skip"),
        }
    }
}
