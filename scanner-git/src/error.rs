//! What can go wrong: an [`Error`] when a repository cannot be scanned at all, a [`Problem`]
//! for each thing inside one that could not be read while the rest was.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::ObjectId;

/// What kind of [`Error`] it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The path is not a git repository, or the repository cannot be opened (unreadable
    /// configuration).
    Open,
    /// A repository of a format this build cannot read: SHA-256 objects when scanner-git
    /// was built without its `sha256` feature, a repository format version or extension gix
    /// does not know.
    Unsupported,
    /// The index (staging area) cannot be read: a staged scan cannot tell what is staged.
    Index,
    /// `HEAD` or its tree cannot be read.
    Head,
    /// A revision of a range or a push does not name a commit of the repository.
    Revision,
    /// The commits of a range cannot be walked.
    Walk,
}

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A repository could not be scanned at all. (Damage inside a repository that can be
/// opened is a [`Problem`] of its scan instead.)
///
/// `Display` names the repository and the step that failed; the underlying error, if any,
/// is the [`source`](std::error::Error::source).
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: PathBuf,
    step: Option<String>,
    source: Option<Cause>,
}

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        path: &Path,
        step: Option<String>,
        source: impl Into<Cause>,
    ) -> Error {
        Error {
            kind,
            path: path.to_path_buf(),
            step,
            source: Some(source.into()),
        }
    }

    /// What kind of error it is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The repository path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: not a readable git repository", self.path.display())?;
        match &self.step {
            Some(step) => write!(f, ": {step}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// What kind of [`Problem`] it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum ProblemKind {
    /// A pack file that cannot be traversed as a whole: its header damaged, bytes that are
    /// no readable object, objects lost, or an index without its pack. What could be read
    /// of it was still read; each damaged object of it is a problem of its own.
    DamagedPack,
    /// A loose object that cannot be inflated or parsed, that declares more bytes than its
    /// compressed bytes can hold (it is then not inflated at all), whose contents do not
    /// match its id, or that is followed by garbage. What could be read of a damaged blob
    /// was scanned, and findings in it are marked.
    CorruptLooseObject,
    /// An object that trees, commits or refs name but the object database lacks.
    MissingObject,
    /// An object that could not be read (the database could not say whether it is there).
    UnreadableObject,
    /// An object whose contents do not parse as its kind (tree, commit, tag).
    MalformedObject,
    /// A shallow clone: history before its boundary is not in the repository.
    Shallow,
    /// A ref that cannot be read or resolved.
    UnreadableRef,
    /// An objects directory (or the list of alternates) that cannot be listed.
    UnreadableObjectDirectory,
    /// Trees nested deeper than provenance follows (a guard against hostile repositories).
    TreeTooDeep,
    /// Part of an archive inside a blob was not scanned (an encrypted entry, an archive
    /// limit reached, a damaged archive): [`Problem::archive_skip`] says which and why. The
    /// repository is fine; the rest of the blob was scanned.
    ArchiveSkip,
    /// An object of a pack whose bytes are damaged: they do not match the CRC-32 the pack's
    /// index records, its zlib stream is corrupt, or it declares more bytes than it can
    /// hold. What could be read of a damaged blob was scanned, and findings in it are
    /// marked ([`HistoryFinding::damage`](crate::HistoryFinding::damage)).
    DamagedObject,
    /// An object cut short, packed or loose: its zlib stream ends before the size it
    /// declares, or without its Adler-32 checksum. What could be read of a blob was scanned,
    /// and findings in it are marked
    /// ([`HistoryFinding::damage`](crate::HistoryFinding::damage)).
    TruncatedObject,
    /// A checksum that does not match: a pack's trailing checksum against its contents or
    /// against the one its index records (git: "packfile does not match index").
    ChecksumMismatch,
    /// A pack index that is missing, empty, truncated or corrupt. The pack was read from
    /// its start without it, and what it holds was found.
    UnusablePackIndex,
}

/// Something in a repository that could not be read, and why; the rest was read.
///
/// `Display` is `what: reason`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Problem {
    what: String,
    reason: String,
    kind: ProblemKind,
    object: Option<ObjectId>,
    /// For [`ProblemKind::ArchiveSkip`]: scanner-core's account of it (not serialized:
    /// `what` and `reason` say the same in words).
    #[cfg_attr(feature = "serde", serde(skip))]
    skip: Option<scanner_core::Skip>,
}

impl Problem {
    pub(crate) fn new(
        kind: ProblemKind,
        what: impl Into<String>,
        reason: impl Into<String>,
    ) -> Problem {
        Problem {
            what: what.into(),
            reason: reason.into(),
            kind,
            object: None,
            skip: None,
        }
    }

    /// Part of the archive in blob `id` (at `path`, when it is known) that was not scanned.
    pub(crate) fn archive(id: &gix::oid, path: Option<&[u8]>, skip: scanner_core::Skip) -> Problem {
        let what = match path {
            Some(p) => String::from_utf8_lossy(p).into_owned(),
            None => format!("blob {id}"),
        };
        let place = if skip.archive_path.is_empty() {
            String::new()
        } else {
            format!("{}: ", skip.archive_path)
        };
        Problem {
            object: Some(ObjectId::from_gix(id.to_owned())),
            skip: None,
            ..Problem::new(
                ProblemKind::ArchiveSkip,
                what,
                format!("{place}{} ({})", skip.detail, skip.reason),
            )
        }
        .with_skip(skip)
    }

    fn with_skip(mut self, skip: scanner_core::Skip) -> Problem {
        self.skip = Some(skip);
        self
    }

    /// For a [`ProblemKind::ArchiveSkip`] problem: the entry inside the blob's archive
    /// that was not scanned, and why.
    pub fn archive_skip(&self) -> Option<&scanner_core::Skip> {
        self.skip.as_ref()
    }

    /// A problem with one object: `what` is `"{noun} {id}"`.
    pub(crate) fn object(
        kind: ProblemKind,
        noun: &str,
        id: &gix::oid,
        reason: impl Into<String>,
    ) -> Problem {
        Problem {
            object: Some(ObjectId::from_gix(id.to_owned())),
            ..Problem::new(kind, format!("{noun} {id}"), reason)
        }
    }

    /// This problem, about object `id`.
    pub(crate) fn with_object(mut self, id: &gix::oid) -> Problem {
        self.object = Some(ObjectId::from_gix(id.to_owned()));
        self
    }

    /// What could not be read: a pack file, an object (`object <id>`, `tree <id>`, ...), a
    /// ref, `refs`, `history`, ...
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Why.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// What kind of problem it is.
    pub fn kind(&self) -> ProblemKind {
        self.kind
    }

    /// The object it concerns, when it concerns one.
    pub fn object_id(&self) -> Option<ObjectId> {
        self.object
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.reason)
    }
}

/// An error with its causes, on one line (gix's errors often hold the interesting part in
/// their sources).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let cs = c.to_string();
        if !s.contains(&cs) {
            s.push_str(": ");
            s.push_str(&cs);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_repository_and_the_step_and_keep_their_cause() {
        let cause = std::io::Error::new(std::io::ErrorKind::InvalidData, "bad signature");
        let e = Error::new(
            ErrorKind::Index,
            Path::new("repo"),
            Some("cannot read the index".into()),
            cause,
        );
        assert_eq!(e.kind(), ErrorKind::Index);
        assert_eq!(e.path(), Path::new("repo"));
        assert_eq!(
            e.to_string(),
            "repo: not a readable git repository: cannot read the index"
        );
        let source = std::error::Error::source(&e).expect("the cause is kept");
        assert_eq!(source.to_string(), "bad signature");
    }

    #[test]
    fn problems_print_what_and_why() {
        let id = gix::ObjectId::empty_blob(gix::hash::Kind::Sha1);
        let p = Problem::object(ProblemKind::MissingObject, "object", &id, "missing");
        assert_eq!(p.what(), format!("object {id}"));
        assert_eq!(p.reason(), "missing");
        assert_eq!(p.kind(), ProblemKind::MissingObject);
        assert_eq!(p.object_id().map(|o| o.to_string()), Some(id.to_string()));
        assert_eq!(p.to_string(), format!("object {id}: missing"));
        let q = Problem::new(ProblemKind::Shallow, "history", "shallow clone");
        assert_eq!(q.object_id(), None);
        assert!(q < p, "problems sort by what, then why");
    }
}
