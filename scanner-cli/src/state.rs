//! `--cache`: the glue between a scan and its state (`scanner-state`). The cache directory
//! is created private; repositories are known to the state by their canonical path, so
//! that the same repository given another way (`./repo`, `/abs/repo`) is the same one.

use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use scanner_core::Finding;
use scanner_git::{HashKind, HistoryScanner};
use scanner_state::{Place, RepoOutcome, Seen, State};

use crate::args::StateConfig;
use crate::scan::Origin;

/// The state's file in the cache directory (beside remote sources' `mirrors/`).
pub const FILE: &str = "state.sqlite";

/// The state of one run, shared by the threads that scan files.
#[derive(Debug)]
pub struct RunState {
    state: Mutex<State>,
    /// The hash functions of the repositories read, to hash work-tree files with.
    hashes: Mutex<Vec<HashKind>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RunState {
    /// Opens the state in the cache directory (created, readable by its owner only, if
    /// needed) and starts a run.
    pub fn open(config: &StateConfig) -> anyhow::Result<RunState> {
        create_dir(&config.dir).with_context(|| {
            format!("cannot create the cache directory {}", config.dir.display())
        })?;
        let state = State::open(&config.dir.join(FILE), &config.settings, config.full)?;
        if state.settings_changed() {
            eprintln!(
                "leakscan: the scanner's settings or version differ from the last run's with {}: everything is scanned again",
                config.dir.display()
            );
        }
        Ok(RunState {
            state: Mutex::new(state),
            hashes: Mutex::default(),
        })
    }

    /// Scans a repository through the state. The outer error is the state's (fatal); the
    /// inner, the repository's.
    pub fn scan_repository(
        &self,
        history: &HistoryScanner,
        path: &Path,
    ) -> anyhow::Result<Result<RepoOutcome, scanner_git::Error>> {
        self.scan_mirror(history, &key(path), path)
    }

    /// Scans a mirror of a remote repository, known to the state by its name (`owner/name`
    /// or URL) rather than by where the cache keeps it.
    pub fn scan_mirror(
        &self,
        history: &HistoryScanner,
        key: &str,
        path: &Path,
    ) -> anyhow::Result<Result<RepoOutcome, scanner_git::Error>> {
        let outcome = lock(&self.state).scan_repository(history, key, path)?;
        if let Ok(o) = &outcome {
            let mut hashes = lock(&self.hashes);
            if !hashes.contains(&o.object_hash) {
                hashes.push(o.object_hash);
            }
        }
        Ok(outcome)
    }

    /// What the state has of a repository that cannot be read now.
    pub fn stored(&self, path: &Path) -> anyhow::Result<Option<RepoOutcome>> {
        self.stored_mirror(&key(path))
    }

    /// What the state has of a remote repository, by the key [`Self::scan_mirror`] took.
    pub fn stored_mirror(&self, key: &str) -> anyhow::Result<Option<RepoOutcome>> {
        Ok(lock(&self.state).stored(key)?)
    }

    /// The state's key of a remote repository.
    pub fn mirror_key(name: &str) -> String {
        format!("remote:{name}")
    }

    /// Whether these contents are a blob scanned before (in any repository, any run).
    pub fn knows(&self, contents: &[u8]) -> bool {
        let hashes = lock(&self.hashes).clone();
        let state = lock(&self.state);
        hashes
            .into_iter()
            .any(|h| state.knows_blob(&h.blob_id(contents)).unwrap_or(false))
    }

    /// Records the places of a file's findings; when each was first and last seen. A state
    /// that cannot be written here gives no times (the run's end reports the failure).
    pub fn sight_file(&self, origin: &Origin, findings: &[Finding]) -> Vec<Seen> {
        let Origin::File(path) = origin else {
            return Vec::new();
        };
        if findings.is_empty() {
            return Vec::new();
        }
        let places: Vec<Place> = findings
            .iter()
            .map(|f| Place {
                key: format!(
                    "{}\n{}:{}",
                    key(Path::new(path)),
                    f.location.line,
                    f.location.column
                ),
                fingerprint: f.fingerprint,
            })
            .collect();
        lock(&self.state).sight(&places).unwrap_or_default()
    }

    /// Ends the run.
    pub fn finish(self) -> anyhow::Result<()> {
        let state = self
            .state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(state.finish()?)
    }
}

/// How the state names a local path: canonical (a path gone since is named by its
/// canonical parent).
fn key(path: &Path) -> String {
    let p = std::fs::canonicalize(path)
        .or_else(|_| {
            let abs = std::path::absolute(path)?;
            match (abs.parent(), abs.file_name()) {
                (Some(parent), Some(name)) => std::fs::canonicalize(parent).map(|p| p.join(name)),
                _ => Ok(abs),
            }
        })
        .unwrap_or_else(|_| path.to_path_buf());
    format!("path:{}", p.to_string_lossy())
}

#[cfg(unix)]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}
