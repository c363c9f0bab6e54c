//! Where a finding's bytes come from in a repository ([`Origin`]), and for a blob, its
//! history ([`Provenance`]): the commit and path that introduced it, every other commit
//! holding it, the refs that reach it, whether HEAD still has it.
//!
//! These are plain values: built by the scans, read by reports. The position of a finding
//! inside the bytes is scanner-core's [`Location`](scanner_core::Location).

use bstr::BString;

use crate::{CommitTime, ObjectId};

/// What the bytes of a history finding are.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Origin {
    /// A blob: file contents at some point of history.
    Blob {
        /// The blob.
        id: ObjectId,
        /// Where the blob comes from.
        provenance: Provenance,
    },
    /// The message of a commit.
    CommitMessage {
        /// The commit.
        commit: CommitInfo,
    },
    /// The message of an annotated tag.
    TagMessage {
        /// The tag object.
        id: ObjectId,
        /// The tag's name, as the tag object records it (lossily UTF-8).
        name: String,
    },
    /// A blob staged for the next commit (the index), not committed yet.
    Staged {
        /// The blob.
        id: ObjectId,
        /// Its path in the index, as git stores it (bytes, `/`-separated).
        path: BString,
    },
}

impl Origin {
    /// The object holding the bytes: the blob, the commit, or the tag object.
    pub fn object_id(&self) -> ObjectId {
        match self {
            Origin::Blob { id, .. } | Origin::TagMessage { id, .. } | Origin::Staged { id, .. } => {
                *id
            }
            Origin::CommitMessage { commit } => commit.id,
        }
    }

    /// The path the bytes have: a staged blob's path, or the path a blob had in the commit
    /// that introduced it; `None` for messages and for blobs no commit holds.
    pub fn path(&self) -> Option<&BString> {
        match self {
            Origin::Blob { provenance, .. } => provenance.introduced.as_ref().map(|i| &i.path),
            Origin::Staged { path, .. } => Some(path),
            Origin::CommitMessage { .. } | Origin::TagMessage { .. } => None,
        }
    }
}

/// A commit, as shown next to a finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct CommitInfo {
    /// The commit.
    pub id: ObjectId,
    /// `Name <email>` of the author (lossily UTF-8); `None` when the commit could not be
    /// read or has no readable author.
    pub author: Option<String>,
    /// When the author wrote it; `None` when unreadable.
    pub date: Option<CommitTime>,
    /// First line of the message (lossily UTF-8); empty when the commit could not be read.
    pub summary: String,
    /// Whether a ref (branch, tag, stash, notes, HEAD) reaches the commit. Commits only a
    /// reflog or nothing at all holds are unreachable.
    pub reachable: bool,
}

impl CommitInfo {
    /// What is known of a commit that could not be read: its id.
    pub(crate) fn unknown(id: ObjectId, reachable: bool) -> CommitInfo {
        CommitInfo {
            id,
            author: None,
            date: None,
            summary: String::new(),
            reachable,
        }
    }

    /// What a report shows of a parsed commit.
    pub(crate) fn of(
        commit: Option<&gix::objs::CommitRef<'_>>,
        id: &gix::oid,
        reachable: bool,
    ) -> CommitInfo {
        let mut info = CommitInfo::unknown(ObjectId::from_gix(id.to_owned()), reachable);
        if let Some(c) = commit {
            if let Ok(a) = c.author() {
                info.author = Some(format!("{} <{}>", a.name, a.email));
                info.date = a.time().ok().map(CommitTime::from_gix);
            }
            info.summary = c.message().summary().to_string();
        }
        info
    }

    /// Reads commit `id` from `repo`; only its id when it cannot be read.
    pub(crate) fn read(repo: &gix::Repository, id: &gix::oid, reachable: bool) -> CommitInfo {
        let obj = repo.find_object(id).ok();
        let parsed = obj
            .as_ref()
            .and_then(|o| gix::objs::CommitRef::from_bytes(&o.data, repo.object_hash()).ok());
        CommitInfo::of(parsed.as_ref(), id, reachable)
    }
}

/// The commit that introduced a blob, and the blob's path there.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Introduction {
    /// The commit.
    pub commit: CommitInfo,
    /// The blob's path in its tree, as git stores it (bytes, `/`-separated).
    pub path: BString,
}

/// One other commit holding a blob, and the path there.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Holding {
    /// The commit.
    pub commit: ObjectId,
    /// The blob's path in that commit's tree, as git stores it.
    pub path: BString,
    /// Whether a ref reaches the commit.
    pub reachable: bool,
}

/// Where a blob comes from in a repository's history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Provenance {
    /// The earliest commit, in topological order, whose tree holds the blob, and the path
    /// there. `None` when no commit holds it (a dangling blob, an index-only object), and
    /// for every blob of a cancelled scan (provenance is not resolved then).
    pub introduced: Option<Introduction>,
    /// Every other commit and path holding the blob, oldest first (at most 1000).
    pub others: Vec<Holding>,
    /// Refs from which a commit holding the blob is reachable, sorted.
    pub refs: Vec<String>,
    /// Whether HEAD's tree still holds the blob; `None` without a HEAD commit or when not
    /// known (range and push scans).
    pub at_head: Option<bool>,
}

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;

    #[test]
    fn origins_round_trip_through_serde_with_exact_paths() {
        let blob: ObjectId = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
            .parse()
            .expect("an id");
        let origin = Origin::Blob {
            id: blob,
            provenance: Provenance {
                introduced: Some(Introduction {
                    commit: CommitInfo {
                        id: blob,
                        author: Some("T Tester <t@example.com>".into()),
                        date: Some(CommitTime::new(1_700_000_360, 3600)),
                        summary: "add".into(),
                        reachable: true,
                    },
                    path: BString::from(&b"cr\xffds"[..]),
                }),
                others: Vec::new(),
                refs: vec!["refs/heads/main".into()],
                at_head: Some(false),
            },
        };
        let json = serde_json::to_string(&origin).expect("serializable");
        assert!(json.starts_with(r#"{"blob":{"id":"e69de29b"#), "{json}");
        let back: Origin = serde_json::from_str(&json).expect("deserializable");
        assert_eq!(back, origin);
        assert_eq!(back.path().map(|p| p.as_slice()), Some(&b"cr\xffds"[..]));
    }
}
