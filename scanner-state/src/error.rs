//! What can go wrong with a state file.

use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of [`Error`] it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file or its directory cannot be created, opened or locked.
    Open,
    /// The file is not a leakscan state (another SQLite database, or not SQLite at all).
    NotAState,
    /// The state was written by a newer leakscan, whose schema this one does not know.
    Newer,
    /// The state has a schema version this leakscan cannot read or migrate.
    Unknown,
    /// SQLite failed while reading or writing (disk full, I/O error, a corrupt page).
    Database,
}

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A state file that cannot be used, or a read or write of it that failed.
///
/// `Display` names the file and says what to do; the SQLite error, if any, is the
/// [`source`](std::error::Error::source).
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: PathBuf,
    detail: String,
    source: Option<Cause>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, path: &Path, detail: impl Into<String>) -> Error {
        Error {
            kind,
            path: path.to_path_buf(),
            detail: detail.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(mut self, source: impl Into<Cause>) -> Error {
        self.source = Some(source.into());
        self
    }

    pub(crate) fn database(path: &Path, e: rusqlite::Error) -> Error {
        let not_a_database = matches!(
            &e,
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase
        );
        if not_a_database {
            Error::new(
                ErrorKind::NotAState,
                path,
                "not a leakscan state (not an SQLite database)",
            )
            .with_source(e)
        } else {
            Error::new(ErrorKind::Database, path, "the state database failed").with_source(e)
        }
    }

    /// What kind of error it is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.detail)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// `Result` with this crate's [`Error`], the state file's path attached by [`At::at`].
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Attaches the state file's path to SQLite's errors.
pub(crate) trait At<T> {
    fn at(self, path: &Path) -> Result<T>;
}

impl<T> At<T> for std::result::Result<T, rusqlite::Error> {
    fn at(self, path: &Path) -> Result<T> {
        self.map_err(|e| Error::database(path, e))
    }
}
