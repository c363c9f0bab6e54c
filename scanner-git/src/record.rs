//! What a planned scan remembers of a repository for the next one ([`RepoRecord`]), in a
//! compact, versioned binary form of scanner-git's own: the refs and packs it saw (to tell
//! an unchanged repository at a glance), and, of the packs it read whole, what provenance
//! needs without reading them again — their commits, the trees that lead to blobs with
//! findings, those blobs and the messages with findings.
//!
//! Findings themselves are not in it: the caller keeps them by object id and hands them
//! back through [`KnownObjects`](crate::KnownObjects).

use std::fmt;

use gix::hashtable::HashMap;

use crate::pass::MessageKind;
use crate::provenance::CommitNode;
use crate::HashKind;

const MAGIC: &[u8; 4] = b"LSRR";
/// Bumped whenever the encoding changes; records of another version are not read (the
/// repository is then read whole again).
const VERSION: u8 = 1;

/// What a [scan](crate::HistoryScanner::scan_planned) recorded of a repository, for the next
/// scan to read only what is new: the refs and packs it saw, and the commits, trees and
/// objects with findings of the packs it read whole.
///
/// Opaque: store it with [`RepoRecord::to_bytes`] and read it back with
/// [`RepoRecord::from_bytes`]. It holds object ids, ref names and commit times, never a
/// finding or a secret. Size: about 70 bytes per commit (SHA-1), plus 21 bytes per tree
/// leading to a finding.
#[derive(Clone, PartialEq, Eq)]
pub struct RepoRecord {
    pub(crate) hash: gix::hash::Kind,
    /// Every ref and what it pointed to, sorted.
    pub(crate) refs: Vec<(String, gix::ObjectId)>,
    /// Checksums of the packs read whole (now or by an earlier scan), sorted.
    pub(crate) packs: Vec<gix::ObjectId>,
    /// A digest of the sorted ids of the loose objects.
    pub(crate) loose: gix::ObjectId,
    /// The commits of those packs.
    pub(crate) commits: Vec<(gix::ObjectId, CommitNode)>,
    /// Trees (of those packs) that lead to a blob with findings, sorted.
    pub(crate) lead_trees: Vec<gix::ObjectId>,
    /// Blobs with findings, sorted, and for each whether it is packed and whether this
    /// repository scanned it first (then it is reported even when no commit holds it).
    pub(crate) matched: Vec<(gix::ObjectId, MatchFlags)>,
    /// Commit and tag objects of those packs whose message has findings, sorted.
    pub(crate) messages: Vec<(gix::ObjectId, MessageKind)>,
    /// Objects missing from the repository when it was scanned.
    pub(crate) missing: u64,
}

/// About a blob with findings in a [`RepoRecord`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MatchFlags {
    pub(crate) packed: bool,
    pub(crate) first_here: bool,
}

impl fmt::Debug for RepoRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RepoRecord")
            .field("hash", &self.hash)
            .field("refs", &self.refs.len())
            .field("packs", &self.packs.len())
            .field("commits", &self.commits.len())
            .field("lead_trees", &self.lead_trees.len())
            .field("matched", &self.matched.len())
            .field("messages", &self.messages.len())
            .field("missing", &self.missing)
            .finish()
    }
}

/// Bytes that are not a [`RepoRecord`] of this version: cut, of another format, or of
/// another scanner-git version. `Display` says which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    detail: &'static str,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a repository record of this version: {}",
            self.detail
        )
    }
}

impl std::error::Error for RecordError {}

impl RepoRecord {
    /// The hash function of the repository's objects.
    pub fn object_hash(&self) -> HashKind {
        HashKind::from_gix(self.hash)
    }

    /// Number of commits recorded (those of the packs read whole).
    pub fn commits(&self) -> usize {
        self.commits.len()
    }

    /// Number of packs recorded as read whole.
    pub fn packs(&self) -> usize {
        self.packs.len()
    }

    /// The commits as the provenance stage wants them.
    pub(crate) fn commit_map(&self) -> HashMap<gix::ObjectId, CommitNode> {
        let mut m = HashMap::default();
        m.reserve(self.commits.len());
        m.extend(self.commits.iter().cloned());
        m
    }

    /// The record in its binary form (versioned; read back with [`RepoRecord::from_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer {
            out: Vec::with_capacity(64 + 80 * self.commits.len()),
        };
        w.out.extend_from_slice(MAGIC);
        w.out.push(VERSION);
        w.out.push(match self.hash {
            gix::hash::Kind::Sha1 => 1,
            #[allow(unreachable_patterns)]
            _ => 2,
        });
        w.len(self.refs.len());
        for (name, id) in &self.refs {
            w.bytes(name.as_bytes());
            w.id(id);
        }
        w.ids(&self.packs);
        w.id(&self.loose);
        w.len(self.commits.len());
        for (id, node) in &self.commits {
            w.id(id);
            w.id(&node.tree);
            w.len(node.parents.len());
            for p in &node.parents {
                w.id(p);
            }
            w.int(node.time);
        }
        w.ids(&self.lead_trees);
        w.len(self.matched.len());
        for (id, flags) in &self.matched {
            w.id(id);
            w.out
                .push(u8::from(flags.packed) | (u8::from(flags.first_here) << 1));
        }
        w.len(self.messages.len());
        for (id, kind) in &self.messages {
            w.id(id);
            match kind {
                MessageKind::Commit => w.out.push(0),
                MessageKind::Tag(name) => {
                    w.out.push(1);
                    w.bytes(name.as_bytes());
                }
            }
        }
        w.uint(self.missing);
        w.out
    }

    /// Reads a record written by [`RepoRecord::to_bytes`].
    ///
    /// # Errors
    ///
    /// When the bytes are not a record of this version (cut, corrupt, written by another
    /// version of scanner-git, or of a hash function this build does not read).
    pub fn from_bytes(bytes: &[u8]) -> Result<RepoRecord, RecordError> {
        let err = |detail| RecordError { detail };
        let mut r = Reader {
            rest: bytes,
            hash: 0,
        };
        if r.take(4)? != MAGIC {
            return Err(err("no record header"));
        }
        if r.byte()? != VERSION {
            return Err(err("written by another version"));
        }
        let hash = match r.byte()? {
            1 => gix::hash::Kind::Sha1,
            #[cfg(feature = "sha256")]
            2 => gix::hash::Kind::Sha256,
            _ => return Err(err("a hash function this build does not read")),
        };
        r.hash = hash.len_in_bytes();
        let n = r.len()?;
        let mut refs = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            let name = String::from_utf8(r.bytes()?.to_vec()).map_err(|_| err("a ref name"))?;
            refs.push((name, r.id()?));
        }
        let packs = r.ids()?;
        let loose = r.id()?;
        let n = r.len()?;
        let mut commits = Vec::with_capacity(n.min(1 << 20));
        for _ in 0..n {
            let id = r.id()?;
            let tree = r.id()?;
            let np = r.len()?;
            let mut parents = Vec::with_capacity(np.min(64));
            for _ in 0..np {
                parents.push(r.id()?);
            }
            let time = r.int()?;
            commits.push((
                id,
                CommitNode {
                    tree,
                    parents,
                    time,
                },
            ));
        }
        let lead_trees = r.ids()?;
        let n = r.len()?;
        let mut matched = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            let id = r.id()?;
            let f = r.byte()?;
            matched.push((
                id,
                MatchFlags {
                    packed: f & 1 != 0,
                    first_here: f & 2 != 0,
                },
            ));
        }
        let n = r.len()?;
        let mut messages = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            let id = r.id()?;
            let kind = match r.byte()? {
                0 => MessageKind::Commit,
                1 => MessageKind::Tag(
                    String::from_utf8(r.bytes()?.to_vec()).map_err(|_| err("a tag name"))?,
                ),
                _ => return Err(err("a message kind")),
            };
            messages.push((id, kind));
        }
        let missing = r.uint()?;
        if !r.rest.is_empty() {
            return Err(err("trailing bytes"));
        }
        Ok(RepoRecord {
            hash,
            refs,
            packs,
            loose,
            commits,
            lead_trees,
            matched,
            messages,
            missing,
        })
    }
}

struct Writer {
    out: Vec<u8>,
}

impl Writer {
    fn uint(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(b);
                return;
            }
            self.out.push(b | 0x80);
        }
    }
    fn int(&mut self, v: i64) {
        self.uint(((v << 1) ^ (v >> 63)) as u64);
    }
    fn len(&mut self, n: usize) {
        self.uint(n as u64);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.out.extend_from_slice(b);
    }
    fn id(&mut self, id: &gix::oid) {
        self.out.extend_from_slice(id.as_bytes());
    }
    fn ids(&mut self, ids: &[gix::ObjectId]) {
        self.len(ids.len());
        for id in ids {
            self.id(id);
        }
    }
}

struct Reader<'a> {
    rest: &'a [u8],
    hash: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        if self.rest.len() < n {
            return Err(RecordError {
                detail: "cut short",
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
    fn byte(&mut self) -> Result<u8, RecordError> {
        Ok(self.take(1)?[0])
    }
    fn uint(&mut self) -> Result<u64, RecordError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(RecordError {
            detail: "a number too long",
        })
    }
    fn int(&mut self) -> Result<i64, RecordError> {
        let u = self.uint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
    /// A count, which cannot exceed the bytes left (every counted item takes at least one).
    fn len(&mut self) -> Result<usize, RecordError> {
        let n = self.uint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.rest.len())
            .ok_or(RecordError {
                detail: "a count larger than the record",
            })
    }
    fn bytes(&mut self) -> Result<&'a [u8], RecordError> {
        let n = self.len()?;
        self.take(n)
    }
    fn id(&mut self) -> Result<gix::ObjectId, RecordError> {
        let b = self.take(self.hash)?;
        gix::ObjectId::try_from(b).map_err(|_| RecordError {
            detail: "an object id",
        })
    }
    fn ids(&mut self) -> Result<Vec<gix::ObjectId>, RecordError> {
        let n = self.len()?;
        (0..n).map(|_| self.id()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> gix::ObjectId {
        gix::ObjectId::try_from(&[n; 20][..]).expect("20 bytes")
    }

    fn record() -> RepoRecord {
        RepoRecord {
            hash: gix::hash::Kind::Sha1,
            refs: vec![("HEAD".into(), id(1)), ("refs/heads/main".into(), id(1))],
            packs: vec![id(2)],
            loose: id(3),
            commits: vec![(
                id(1),
                CommitNode {
                    tree: id(4),
                    parents: vec![id(5), id(6)],
                    time: -1_700_000_000,
                },
            )],
            lead_trees: vec![id(4)],
            matched: vec![(
                id(7),
                MatchFlags {
                    packed: true,
                    first_here: false,
                },
            )],
            messages: vec![
                (id(8), MessageKind::Tag("v1".into())),
                (id(9), MessageKind::Commit),
            ],
            missing: 300,
        }
    }

    #[test]
    fn records_round_trip() {
        let r = record();
        let bytes = r.to_bytes();
        assert_eq!(RepoRecord::from_bytes(&bytes), Ok(r));
    }

    #[test]
    fn damaged_records_are_errors_never_misread() {
        let bytes = record().to_bytes();
        for cut in 0..bytes.len() {
            assert!(
                RepoRecord::from_bytes(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut other = bytes.clone();
        other[4] = VERSION + 1;
        let e = RepoRecord::from_bytes(&other).expect_err("another version");
        assert!(e.to_string().contains("another version"), "{e}");
        let mut longer = bytes;
        longer.push(0);
        assert!(RepoRecord::from_bytes(&longer).is_err());
    }
}
