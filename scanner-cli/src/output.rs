//! Where a report goes: standard output, or `-o FILE` written whole or not at all.
//!
//! A report to a file is written to a temporary file in the same directory, flushed to
//! disk, then renamed onto FILE: a reader sees the previous report or the new one, never a
//! truncated one (a full disk, a kill). When the report cannot be written, FILE is removed
//! rather than left holding an earlier run's report, and the error says so. `-o` naming
//! something that is not a regular file (`/dev/stdout`, a pipe) is written in place.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::anyhow;

/// Temporary reports of this process, removed by [`abandon`] when a second signal ends
/// the run at once.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

enum Target {
    Stdout(BufWriter<std::io::Stdout>),
    /// Renamed onto `dest` by [`Output::commit`].
    Pending {
        temp: BufWriter<tempfile::NamedTempFile>,
        /// The file replaced (a symbolic link's target).
        dest: PathBuf,
        /// `-o` as given, for messages.
        shown: PathBuf,
        /// What is written, for messages: "the report", "the baseline".
        what: &'static str,
    },
    /// Not a regular file: written in place.
    Direct(BufWriter<File>),
}

/// A report being written. Cloned handles write to the same place (the JSON Lines stream
/// holds one, the caller another to commit it).
#[derive(Clone)]
pub struct Output(Arc<Mutex<Option<Target>>>);

impl Output {
    /// Standard output, or a temporary file beside `path`.
    ///
    /// # Errors
    ///
    /// When the temporary file cannot be created (the directory does not exist, or is not
    /// writable), naming `path`.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Output> {
        Output::open_as(path, "the report")
    }

    /// [`Output::open`] for something else than a report (`what`, as messages name it).
    ///
    /// # Errors
    ///
    /// Those of [`Output::open`].
    pub fn open_as(path: Option<&Path>, what: &'static str) -> anyhow::Result<Output> {
        let target = match path {
            None => Target::Stdout(BufWriter::new(std::io::stdout())),
            Some(path) => open_file(path, what)
                .map_err(|e| anyhow!("cannot write {what} to {}: {e}", path.display()))?,
        };
        Ok(Output(Arc::new(Mutex::new(Some(target)))))
    }

    /// Ends the report, given how writing it went: flushed, and a file's put in place.
    ///
    /// # Errors
    ///
    /// When writing failed, now or before (`written`); a closed standard output is
    /// [`CommitError::Stdout`] with [`std::io::ErrorKind::BrokenPipe`], the caller's to
    /// ignore. A file that could not be written whole is removed (its earlier contents
    /// would be a stale report), and the error says so.
    pub fn commit(&self, written: std::io::Result<()>) -> Result<(), CommitError> {
        let Some(target) = lock(&self.0).take() else {
            return written.map_err(CommitError::Stdout);
        };
        match target {
            Target::Stdout(mut out) => written.and_then(|()| out.flush()),
            Target::Direct(mut out) => written.and_then(|()| out.flush()),
            Target::Pending {
                temp,
                dest,
                shown,
                what,
            } => {
                let temp_path = temp.get_ref().path().to_path_buf();
                let result = written
                    .and_then(|()| {
                        temp.into_inner()
                            .map_err(std::io::IntoInnerError::into_error)
                    })
                    .and_then(|temp| {
                        // A full disk may only show when the data reach it.
                        temp.as_file().sync_all()?;
                        temp.persist(&dest).map(drop).map_err(|e| e.error)
                    });
                // Renamed, or removed with the temporary file dropped on error.
                forget(&temp_path);
                return result.map_err(|e| {
                    let removed = std::fs::remove_file(&dest).is_ok();
                    CommitError::File(anyhow!(
                        "cannot write {what} to {}: {e}; {}",
                        shown.display(),
                        if removed {
                            "the file was removed rather than left with an earlier report"
                        } else {
                            "no report was written"
                        }
                    ))
                });
            }
        }
        .map_err(CommitError::Stdout)
    }
}

/// Why a report could not be committed.
#[derive(Debug)]
pub enum CommitError {
    /// Standard output (or a device) failed: the reader may have gone away.
    Stdout(std::io::Error),
    /// The file could not be written; the message says what is left.
    File(anyhow::Error),
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut *lock(&self.0) {
            Some(Target::Stdout(w)) => w.write(buf),
            Some(Target::Pending { temp, .. }) => temp.write(buf),
            Some(Target::Direct(w)) => w.write(buf),
            None => Err(std::io::Error::other("the report was already ended")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut *lock(&self.0) {
            Some(Target::Stdout(w)) => w.flush(),
            Some(Target::Pending { temp, .. }) => temp.flush(),
            Some(Target::Direct(w)) => w.flush(),
            None => Ok(()),
        }
    }
}

fn open_file(path: &Path, what: &'static str) -> std::io::Result<Target> {
    let existing = std::fs::metadata(path).ok();
    if existing.as_ref().is_some_and(|m| !m.is_file()) {
        return Ok(Target::Direct(BufWriter::new(File::create(path)?)));
    }
    // Replacing a symbolic link's target, not the link.
    let dest = match existing {
        Some(_) => std::fs::canonicalize(path)?,
        None => path.to_path_buf(),
    };
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dest
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".partial");
    // As File::create would make it (the umask applies), or as the file it replaces is.
    #[cfg(unix)]
    let permissions = {
        use std::os::unix::fs::PermissionsExt;
        existing.map_or_else(
            || std::fs::Permissions::from_mode(0o666),
            |m| m.permissions(),
        )
    };
    #[cfg(unix)]
    builder.permissions(permissions);
    let temp = builder.tempfile_in(&dir)?;
    lock(&PENDING).push(temp.path().to_path_buf());
    Ok(Target::Pending {
        temp: BufWriter::new(temp),
        dest,
        shown: path.to_path_buf(),
        what,
    })
}

fn forget(temp: &Path) {
    lock(&PENDING).retain(|p| p != temp);
}

/// Removes the temporary reports still being written, for a run ended at once.
pub fn abandon() {
    for p in lock(&PENDING).drain(..) {
        let _ = std::fs::remove_file(p);
    }
}
