//! The object pass: what happens to each object of a repository as the traversal decodes
//! it, on many threads at once. Blobs not seen before in the run (or not known to the
//! caller's [`KnownObjects`](crate::KnownObjects)) are scanned, each once; trees go into the
//! tree graph; commits are kept as (tree, parents, time) and their messages scanned; tag
//! messages are scanned.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use gix::hashtable::HashMap;
use gix::ObjectId;
use scanner_core::{Finding, Scanner};

use crate::graph::{Graph, GraphBuilder};
use crate::odb::Visitor;
use crate::provenance::CommitNode;
use crate::sync::{into_inner, lock, IdSet};
use crate::{CancelToken, KnownObjects, Problem, ProblemKind, ScanProgress};

/// What a message belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MessageKind {
    Commit,
    /// An annotated tag, with its name.
    Tag(String),
}

/// What the pass reads with: the run's shared state, and this repository's settings.
pub(crate) struct PassContext<'a> {
    pub(crate) scanner: &'a Scanner,
    pub(crate) max_blob_size: u64,
    pub(crate) hash: gix::hash::Kind,
    /// How blobs scanned before are recognised.
    pub(crate) dedup: Dedup<'a>,
    pub(crate) progress: &'a ScanProgress,
    pub(crate) cancel: &'a CancelToken,
}

/// Which blobs are not scanned again.
pub(crate) enum Dedup<'a> {
    /// Those seen earlier in the run, in any repository: the scanner's run-wide set.
    Run(&'a IdSet),
    /// Those seen earlier in this repository's pass, and those the caller knows.
    Known {
        here: IdSet,
        known: &'a dyn KnownObjects,
    },
}

/// One repository's object pass, filled concurrently by the traversal.
pub(crate) struct ObjectPass<'a> {
    cx: PassContext<'a>,
    scanned: AtomicU64,
    bytes: AtomicU64,
    already_seen: AtomicU64,
    too_large: AtomicU64,
    graph: GraphBuilder,
    commits: Mutex<HashMap<ObjectId, CommitNode>>,
    /// Blobs new to the run that have findings.
    matches: Mutex<Vec<(ObjectId, Vec<Finding>)>>,
    /// Blobs the caller knew, with findings (with [`Dedup::Known`]).
    known_matches: Mutex<Vec<(ObjectId, Vec<Finding>)>>,
    /// Blobs scanned by this pass (with [`Dedup::Known`]), to be remembered by the caller.
    scanned_ids: Mutex<Vec<ObjectId>>,
    messages: Mutex<HashMap<ObjectId, (Vec<Finding>, MessageKind)>>,
    /// Findings in what could be read of blobs that are not whole.
    partial: Mutex<Vec<PartialMatch>>,
    problems: Mutex<Vec<Problem>>,
    /// Set once the packs are done: the objects that follow are loose.
    loose_phase: AtomicBool,
    /// Commits, blobs with findings and messages with findings met among loose objects.
    loose_ids: Mutex<Vec<ObjectId>>,
}

/// Findings in a blob that could not be read whole: its id when known, and the problem
/// saying what is wrong with it.
pub(crate) struct PartialMatch {
    pub(crate) id: Option<ObjectId>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) damage: Problem,
}

/// What the pass found, once the traversal is over.
pub(crate) struct PassOutput {
    pub(crate) blobs_scanned: u64,
    pub(crate) bytes_scanned: u64,
    pub(crate) blobs_already_seen: u64,
    pub(crate) blobs_too_large: u64,
    pub(crate) graph: Graph,
    pub(crate) commits: HashMap<ObjectId, CommitNode>,
    pub(crate) matches: Vec<(ObjectId, Vec<Finding>)>,
    pub(crate) known_matches: Vec<(ObjectId, Vec<Finding>)>,
    pub(crate) scanned_ids: Vec<ObjectId>,
    pub(crate) messages: HashMap<ObjectId, (Vec<Finding>, MessageKind)>,
    pub(crate) partial: Vec<PartialMatch>,
    pub(crate) problems: Vec<Problem>,
    /// Commits, matched blobs and messages with findings that were read as loose objects.
    pub(crate) loose_ids: gix::hashtable::HashSet<ObjectId>,
    /// The blobs this pass met (with [`Dedup::Known`]).
    pub(crate) here: Option<IdSet>,
}

impl<'a> ObjectPass<'a> {
    /// A pass that starts with the problems found while opening the object database.
    pub(crate) fn new(cx: PassContext<'a>, problems: Vec<Problem>) -> ObjectPass<'a> {
        ObjectPass {
            graph: GraphBuilder::new(cx.hash),
            cx,
            scanned: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            already_seen: AtomicU64::new(0),
            too_large: AtomicU64::new(0),
            commits: Mutex::default(),
            matches: Mutex::default(),
            known_matches: Mutex::default(),
            scanned_ids: Mutex::default(),
            messages: Mutex::default(),
            partial: Mutex::default(),
            problems: Mutex::new(problems),
            loose_phase: AtomicBool::new(false),
            loose_ids: Mutex::default(),
        }
    }

    /// Marks the end of the packs: what follows are loose objects.
    pub(crate) fn start_loose(&self) {
        self.loose_phase.store(true, Ordering::SeqCst);
    }

    /// Records `id` as met among loose objects, if the pass is there.
    fn note_loose(&self, id: &gix::oid) {
        if self.loose_phase.load(Ordering::Relaxed) {
            lock(&self.loose_ids).push(id.to_owned());
        }
    }

    pub(crate) fn finish(self) -> PassOutput {
        PassOutput {
            blobs_scanned: self.scanned.into_inner(),
            bytes_scanned: self.bytes.into_inner(),
            blobs_already_seen: self.already_seen.into_inner(),
            blobs_too_large: self.too_large.into_inner(),
            graph: self.graph.finish(),
            commits: into_inner(self.commits),
            matches: into_inner(self.matches),
            known_matches: into_inner(self.known_matches),
            scanned_ids: {
                let mut v = into_inner(self.scanned_ids);
                v.sort();
                v
            },
            messages: into_inner(self.messages),
            partial: into_inner(self.partial),
            problems: into_inner(self.problems),
            loose_ids: into_inner(self.loose_ids).into_iter().collect(),
            here: match self.cx.dedup {
                Dedup::Known { here, .. } => Some(here),
                Dedup::Run(_) => None,
            },
        }
    }

    fn blob(&self, data: &[u8], id: &gix::oid) {
        match &self.cx.dedup {
            Dedup::Run(seen) => {
                if !seen.insert(id) {
                    self.already_seen.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
            Dedup::Known { here, known } => {
                if !here.insert(id) {
                    self.already_seen.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                if let Some(found) = known.findings(&crate::ObjectId::from_gix(id.to_owned())) {
                    self.already_seen.fetch_add(1, Ordering::Relaxed);
                    if !found.is_empty() {
                        self.note_loose(id);
                        lock(&self.known_matches).push((id.to_owned(), found.to_vec()));
                    }
                    return;
                }
            }
        }
        let size = data.len() as u64;
        if size > self.cx.max_blob_size {
            self.too_large.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.scanned.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(size, Ordering::Relaxed);
        self.cx.progress.blob_scanned(size);
        let scan = self.cx.scanner.scan_detailed(data);
        for skip in scan.skipped {
            self.problem(Problem::archive(id, None, skip));
        }
        if scan.findings.is_empty() {
            if matches!(self.cx.dedup, Dedup::Known { .. }) {
                lock(&self.scanned_ids).push(id.to_owned());
            }
            return;
        }
        // A finding must come from the object it names. Checked only for blobs with
        // findings, which costs nothing measurable: the pack was checked against its index
        // before, and this catches what those checks cannot (an entry whose header lies
        // about its size, in a pack whose checksums were forged to match).
        let computed = gix::objs::compute_hash(self.cx.hash, gix::objs::Kind::Blob, data);
        if computed.is_ok_and(|c| c == id) {
            if matches!(self.cx.dedup, Dedup::Known { .. }) {
                lock(&self.scanned_ids).push(id.to_owned());
            }
            self.note_loose(id);
            lock(&self.matches).push((id.to_owned(), scan.findings));
        } else {
            // Not recorded as scanned, and forgotten as met: an intact copy of the object
            // elsewhere (another pack, a loose object) is still scanned, and a repaired one
            // is read again by the next run.
            match &self.cx.dedup {
                Dedup::Run(seen) => seen.remove(id),
                Dedup::Known { here, .. } => here.remove(id),
            }
            let damage = Problem::object(
                ProblemKind::DamagedObject,
                "blob",
                id,
                "its contents do not match its id; findings in them are marked as from a damaged object",
            );
            self.problem(damage.clone());
            lock(&self.partial).push(PartialMatch {
                id: Some(id.to_owned()),
                findings: scan.findings,
                damage,
            });
        }
    }

    fn tree(&self, data: &[u8], id: &gix::oid) {
        if let Err(e) = self.graph.add_tree(id, data) {
            self.problem(malformed("tree", id, e));
        }
    }

    fn commit(&self, data: &[u8], id: &gix::oid) {
        match gix::objs::CommitRef::from_bytes(data, self.cx.hash) {
            Ok(c) => {
                let node = CommitNode {
                    tree: c.tree(),
                    parents: c.parents().collect(),
                    time: c.committer().map(|s| s.seconds()).unwrap_or(0),
                };
                self.graph.intern(&node.tree);
                self.message(c.message, id, MessageKind::Commit);
                self.note_loose(id);
                lock(&self.commits).insert(id.to_owned(), node);
            }
            Err(e) => self.problem(malformed("commit", id, e)),
        }
    }

    fn tag(&self, data: &[u8], id: &gix::oid) {
        match gix::objs::TagRef::from_bytes(data, self.cx.hash) {
            Ok(t) => self.message(t.message, id, MessageKind::Tag(t.name.to_string())),
            Err(e) => self.problem(malformed("tag", id, e)),
        }
    }

    fn message(&self, text: &[u8], id: &gix::oid, kind: MessageKind) {
        let findings = self.cx.scanner.scan(text);
        if !findings.is_empty() {
            self.note_loose(id);
            lock(&self.messages).insert(id.to_owned(), (findings, kind));
        }
    }
}

fn malformed(noun: &str, id: &gix::oid, e: impl std::fmt::Display) -> Problem {
    Problem::object(
        ProblemKind::MalformedObject,
        noun,
        id,
        format!("malformed: {e}"),
    )
}

impl Visitor for ObjectPass<'_> {
    fn object(&self, kind: gix::objs::Kind, data: &[u8], id: &gix::oid) {
        self.cx.progress.object_done();
        match kind {
            gix::objs::Kind::Blob => self.blob(data, id),
            gix::objs::Kind::Tree => self.tree(data, id),
            gix::objs::Kind::Commit => self.commit(data, id),
            gix::objs::Kind::Tag => self.tag(data, id),
        }
    }

    fn partial(&self, kind: gix::objs::Kind, data: &[u8], id: Option<&gix::oid>, damage: &Problem) {
        if kind != gix::objs::Kind::Blob || data.len() as u64 > self.cx.max_blob_size {
            return;
        }
        self.cx.progress.blob_scanned(data.len() as u64);
        let findings = self.cx.scanner.scan(data);
        if !findings.is_empty() {
            lock(&self.partial).push(PartialMatch {
                id: id.map(ToOwned::to_owned),
                findings,
                damage: damage.clone(),
            });
        }
    }

    fn oversized(&self, kind: gix::objs::Kind, _size: u64, id: &gix::oid) {
        self.cx.progress.object_done();
        if kind == gix::objs::Kind::Blob {
            let first = match &self.cx.dedup {
                Dedup::Run(seen) => seen.insert(id),
                Dedup::Known { here, .. } => here.insert(id),
            };
            if first {
                self.too_large.fetch_add(1, Ordering::Relaxed);
            } else {
                self.already_seen.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn blob_limit(&self) -> u64 {
        self.cx.max_blob_size
    }

    fn problem(&self, problem: Problem) {
        lock(&self.problems).push(problem);
    }

    fn is_cancelled(&self) -> bool {
        self.cx.cancel.is_cancelled()
    }
}
