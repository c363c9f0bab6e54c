//! What can go wrong with a remote source: one opaque [`Error`] with a
//! `#[non_exhaustive]` [`ErrorKind`], naming what it concerns (a URL, `owner/name`, an
//! organization) and why, in words that never hold a token.

use std::fmt;

/// What kind of [`Error`] it is: what a caller may do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The repository, organization or user does not exist — or is private and the token
    /// (if any) does not reach it: GitHub answers 404 to both.
    NotFound,
    /// Credentials were needed and missing, or were refused.
    AuthFailed,
    /// The credentials are valid but do not allow this (HTTP 403 that is not a rate limit).
    Forbidden,
    /// GitHub's rate limit would not reset soon enough, or kept being hit after waiting.
    RateLimited,
    /// The host could not be reached: DNS, connection refused, TLS, timeouts, 5xx after
    /// retries. Trying again later may work.
    Unreachable,
    /// What came back, or what the cache holds, is damaged or not what the protocol says.
    Corrupt,
    /// The run was cancelled.
    Interrupted,
    /// The input cannot be used: an unparsable URL or `--shard`, a URL holding a password.
    InvalidInput,
    /// The cache directory cannot be written.
    Io,
}

impl ErrorKind {
    /// A short name for reports (`not found`, `authentication failed`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AuthFailed => "authentication failed",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Io => "cache I/O error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A remote source, or one repository of it, that could not be enumerated, cloned or
/// fetched.
///
/// `Display` is `<what>: <kind>: <detail>`; [`Error::reason`] is the part after `<what>`.
/// No message holds a token: details are scrubbed of it when they are made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    what: String,
    detail: String,
}

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        what: impl Into<String>,
        detail: impl Into<String>,
    ) -> Error {
        Error {
            kind,
            what: what.into(),
            detail: detail.into(),
        }
    }

    /// What kind of error it is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What it concerns, as reports name it: a URL, `owner/name`, `github org ORG`.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Why: the kind and the detail, e.g. `not found: HTTP 404 from https://…`.
    pub fn reason(&self) -> String {
        if self.detail.is_empty() {
            self.kind.as_str().to_string()
        } else {
            format!("{}: {}", self.kind, self.detail)
        }
    }

    /// The same error about something else (a request's error becomes the repository's).
    pub(crate) fn about(mut self, what: impl Into<String>) -> Error {
        self.what = what.into();
        self
    }

    /// The detail with every occurrence of `secret` replaced, for errors made from text
    /// another library wrote.
    pub(crate) fn scrubbed(mut self, secret: Option<&str>) -> Error {
        if let Some(s) = secret.filter(|s| !s.is_empty()) {
            self.detail = self.detail.replace(s, "***");
            self.what = self.what.replace(s, "***");
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.reason())
    }
}

impl std::error::Error for Error {}
