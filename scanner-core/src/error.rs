//! The library's error type: opaque, with a [`ErrorKind`] to branch on.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong, to branch on. New kinds may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading the input failed.
    Io,
    /// A configured AWS account ID is not 12 digits.
    InvalidAccountId,
    /// A label pattern given to
    /// [`ScannerBuilder::label_pattern`](crate::ScannerBuilder::label_pattern) is not a
    /// valid regular expression, or is too large. The message names the pattern.
    InvalidPattern,
    /// The input is larger than the limit set with
    /// [`ScannerBuilder::max_read_size`](crate::ScannerBuilder::max_read_size). The message
    /// names the limit.
    TooLarge,
    /// Text given as a [`Fingerprint`](crate::Fingerprint) is not 64 hexadecimal
    /// characters.
    InvalidFingerprint,
}

/// An error from `scanner-core`. Carries the path of the input when there is one.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: Option<PathBuf>,
    message: String,
    source: Option<std::io::Error>,
}

impl Error {
    pub(crate) fn io(path: Option<&Path>, source: std::io::Error) -> Error {
        Error {
            kind: ErrorKind::Io,
            path: path.map(Path::to_path_buf),
            message: source.to_string(),
            source: Some(source),
        }
    }

    pub(crate) fn invalid_account_id(text: &str) -> Error {
        Error {
            kind: ErrorKind::InvalidAccountId,
            path: None,
            message: format!("not a 12-digit AWS account ID: {text:?}"),
            source: None,
        }
    }

    pub(crate) fn invalid_pattern(
        kind: crate::LabelKind,
        pattern: &str,
        source: &regex::Error,
    ) -> Error {
        Error {
            kind: ErrorKind::InvalidPattern,
            path: None,
            message: format!("invalid {kind} label pattern {pattern:?}: {source}"),
            source: None,
        }
    }

    pub(crate) fn too_large(path: Option<&Path>, limit: u64) -> Error {
        Error {
            kind: ErrorKind::TooLarge,
            path: path.map(Path::to_path_buf),
            message: format!("larger than the limit of {limit} bytes"),
            source: None,
        }
    }

    pub(crate) fn invalid_fingerprint(text: &str) -> Error {
        // Only a prefix: the text may be anything, even a secret pasted by mistake.
        let shown: String = text.chars().take(8).collect();
        let more = if text.chars().count() > 8 { "..." } else { "" };
        Error {
            kind: ErrorKind::InvalidFingerprint,
            path: None,
            message: format!(
                "not a fingerprint (64 hexadecimal characters): {shown:?}{more}, {} characters",
                text.chars().count()
            ),
            source: None,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The input the error is about, if it is a file.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The underlying I/O error, for [`ErrorKind::Io`].
    pub fn io_error(&self) -> Option<&std::io::Error> {
        self.source.as_ref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}: {}", p.display(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
