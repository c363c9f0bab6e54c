//! `scanner-git` scans the whole history of git repositories for leaked AWS credentials:
//! every object in the object database — packs and loose objects, reachable or not
//! (branches, tags, stash, notes, reflog-only and dangling commits) — each blob once, with
//! `scanner-core` doing the detection. For the blobs that matched, it then tells where they
//! come from: the commit and path that introduced them, every other commit and path
//! holding them, the refs they are reachable from, and whether HEAD still holds them.
//!
//! Repositories are opened read-only: nothing is written, locked, refreshed or collected.
//! A damaged pack, a corrupt loose object or objects missing from a shallow or partial
//! clone are reported as [`Problem`]s; the rest is still scanned.
//!
//! # Example
//!
//! ```no_run
//! use scanner_core::Scanner;
//! use scanner_git::{HistoryOptions, HistoryScanner};
//!
//! let history = HistoryScanner::new(Scanner::default(), HistoryOptions::default());
//! let scan = history.scan_repository(std::path::Path::new("."))?;
//! for f in &scan.findings {
//!     println!("{} {:?}", f.finding.kind, f.source);
//! }
//! # Ok::<(), scanner_git::Error>(())
//! ```
//!
//! # Cost and memory
//!
//! Each pack is traversed so that every delta base is inflated once (gix's delta-tree
//! traversal), in parallel; loose objects are read one by one. Memory holds, besides the
//! memory-mapped packs and one pack's delta tree at a time: the ids of all blobs seen in
//! the run (for deduplication across repositories), the ids referenced by trees (to report
//! missing objects), one small record per commit, and the findings. Repositories with
//! findings pay one more traversal that keeps each tree's subtree list for the provenance
//! walk.

#![deny(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod changes;
mod graph;
mod odb;
mod provenance;
mod sync;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use gix::ObjectId;
use scanner_core::{Finding, Scanner};

pub use changes::{scan_push, scan_range, scan_staged, ChangeScan, PushedRef};
use provenance::CommitNode;
use sync::{lock, IdSet};

/// Settings of a history scan.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HistoryOptions {
    /// Blobs larger than this are not scanned (they are counted).
    pub max_blob_size: u64,
    /// Threads for pack traversal; `None` uses every core.
    pub threads: Option<usize>,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        HistoryOptions {
            max_blob_size: 256 << 20,
            threads: None,
        }
    }
}

impl HistoryOptions {
    /// Sets [`HistoryOptions::max_blob_size`].
    pub fn max_blob_size(mut self, bytes: u64) -> Self {
        self.max_blob_size = bytes;
        self
    }

    /// Sets [`HistoryOptions::threads`].
    pub fn threads(mut self, threads: Option<usize>) -> Self {
        self.threads = threads;
        self
    }
}

/// A repository could not be opened at all. (Damage inside a repository that can be
/// opened is a [`Problem`] of its [`RepoScan`] instead.)
#[derive(Debug)]
pub struct Error {
    path: PathBuf,
    message: String,
}

impl Error {
    /// The repository path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: not a readable git repository: {}",
            self.path.display(),
            self.message
        )
    }
}

impl std::error::Error for Error {}

/// Something in a repository that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// What could not be read: a pack, a loose object, an object id, a file.
    pub what: String,
    /// Why.
    pub reason: String,
}

impl Problem {
    pub(crate) fn new(what: impl Into<String>, reason: impl Into<String>) -> Problem {
        Problem {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

/// A commit, as shown next to a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommitInfo {
    /// Full hex id.
    pub id: String,
    /// `Name <email>`.
    pub author: String,
    /// Author date, ISO 8601 with offset.
    pub date: String,
    /// First line of the message.
    pub summary: String,
    /// Whether a ref (branch, tag, stash, notes, HEAD) reaches the commit. Commits only a
    /// reflog or nothing at all holds are unreachable.
    pub reachable: bool,
}

/// One other commit holding a blob, and the path there.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Holding {
    /// Full hex id of the commit.
    pub commit: String,
    /// Path of the blob in that commit's tree (lossily UTF-8).
    pub path: String,
    /// Whether a ref reaches the commit.
    pub reachable: bool,
}

/// Where a matched blob comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Provenance {
    /// The earliest commit, in topological order, whose tree holds the blob, and the path
    /// there. `None` when no commit holds it (a dangling blob, an index-only object).
    pub introduced: Option<(CommitInfo, String)>,
    /// Every other commit and path holding the blob, oldest first.
    pub others: Vec<Holding>,
    /// Refs from which a commit holding the blob is reachable.
    pub refs: Vec<String>,
    /// Whether HEAD's tree still holds the blob; `None` without a HEAD commit.
    pub at_head: Option<bool>,
}

/// Where a history finding is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// In a blob (file content at some point of history).
    Blob {
        /// Full hex id of the blob.
        id: String,
        /// Where the blob comes from.
        provenance: Provenance,
    },
    /// In the message of a commit.
    CommitMessage(CommitInfo),
    /// In a blob staged for the next commit.
    Staged {
        /// Path in the index.
        path: String,
        /// Full hex id of the blob.
        id: String,
    },
    /// In the message of an annotated tag.
    TagMessage {
        /// Full hex id of the tag object.
        id: String,
        /// The tag's name.
        name: String,
    },
}

/// One finding in a repository's history.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HistoryFinding {
    /// The finding; its location is relative to the blob or message.
    pub finding: Finding,
    /// Where it is.
    pub source: Source,
}

/// Counts of one repository scan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryStats {
    /// Packs traversed.
    pub packs: u64,
    /// Blobs scanned in this repository.
    pub blobs_scanned: u64,
    /// Bytes of those blobs.
    pub bytes_scanned: u64,
    /// Blobs already scanned earlier in the run (another pack, another repository).
    pub blobs_already_seen: u64,
    /// Blobs over the size limit, not scanned.
    pub blobs_too_large: u64,
    /// Commits in the object database.
    pub commits: u64,
    /// Objects that trees or commits refer to but the database lacks.
    pub missing_objects: u64,
}

/// The result of scanning one repository.
#[derive(Debug)]
#[non_exhaustive]
pub struct RepoScan {
    /// The repository path as given.
    pub path: PathBuf,
    /// Its work tree, if it has one.
    pub work_tree: Option<PathBuf>,
    /// Findings in blobs and messages; sorted by source, then position.
    pub findings: Vec<HistoryFinding>,
    /// What could not be read.
    pub problems: Vec<Problem>,
    /// Counts.
    pub stats: HistoryStats,
}

/// How far the object passes of a [`HistoryScanner`] have come, for a progress display.
/// Counts only grow; totals are known once a repository's packs are opened.
#[derive(Debug, Default)]
pub struct ScanProgress {
    objects_done: AtomicU64,
    objects_total: AtomicU64,
}

impl ScanProgress {
    /// Objects visited so far, and objects known so far (packed objects of the
    /// repositories opened; loose objects are counted as they are read).
    pub fn objects(&self) -> (u64, u64) {
        let done = self.objects_done.load(Ordering::Relaxed);
        (done, self.objects_total.load(Ordering::Relaxed).max(done))
    }
}

/// Scans repositories; remembers the blobs it has seen, so that a blob shared by several
/// repositories of one run (forks) is scanned once.
#[derive(Debug)]
pub struct HistoryScanner {
    scanner: Scanner,
    options: HistoryOptions,
    seen: IdSet,
    /// Blobs with findings, from every repository so far.
    matched: Mutex<HashMap<ObjectId, Vec<Finding>>>,
    progress: std::sync::Arc<ScanProgress>,
}

/// At most this many missing objects are listed one by one; the rest are counted.
const MAX_LISTED_MISSING: usize = 20;
/// At most this many other holdings are listed per blob; the rest are counted.
const MAX_LISTED_HOLDINGS: usize = 1000;

impl HistoryScanner {
    /// A history scanner using `scanner` for detection.
    pub fn new(scanner: Scanner, options: HistoryOptions) -> HistoryScanner {
        HistoryScanner {
            scanner,
            options,
            seen: IdSet::default(),
            matched: Mutex::new(HashMap::new()),
            progress: std::sync::Arc::default(),
        }
    }

    /// A handle on this scanner's progress, to display from another thread.
    pub fn progress(&self) -> std::sync::Arc<ScanProgress> {
        self.progress.clone()
    }

    /// Whether `path` can be opened as a git repository (work tree, bare, or linked
    /// worktree). Directories inside a work tree are not repositories.
    pub fn is_repository(path: &Path) -> bool {
        (path.join(".git").exists() || path.join("HEAD").is_file()) && odb::open(path).is_ok()
    }

    /// Whether a blob with these contents was seen in this run (in any repository).
    pub fn has_seen_blob(&self, contents: &[u8]) -> bool {
        gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, contents)
            .is_ok_and(|id| self.seen.contains(&id))
    }

    /// Scans every object of the repository at `path`.
    ///
    /// # Errors
    ///
    /// Only when the repository cannot be opened; damage inside it is reported in
    /// [`RepoScan::problems`].
    pub fn scan_repository(&self, path: &Path) -> Result<RepoScan, Error> {
        let ts = odb::open(path).map_err(|message| Error {
            path: path.to_path_buf(),
            message,
        })?;
        let repo = ts.to_thread_local();
        let mut problems = Vec::new();
        let odb = odb::Odb::of(&repo, &mut problems);
        let problems = Mutex::new(problems);
        let threads = self.options.threads;

        // Pass one: every object once.
        let graph = graph::GraphBuilder::default();
        let commits: Mutex<gix::hashtable::HashMap<ObjectId, CommitNode>> =
            Mutex::new(gix::hashtable::HashMap::default());
        let new_matches: Mutex<Vec<(ObjectId, Vec<Finding>)>> = Mutex::new(Vec::new());
        let messages: Mutex<HashMap<ObjectId, (Vec<Finding>, MessageKind)>> =
            Mutex::new(HashMap::new());
        let counts = Counts::default();
        self.progress
            .objects_total
            .fetch_add(odb::packed_objects(&odb), Ordering::Relaxed);
        let visit = |kind: gix::objs::Kind, data: &[u8], id: &gix::oid| {
            self.progress.objects_done.fetch_add(1, Ordering::Relaxed);
            self.visit(
                kind,
                data,
                id,
                &counts,
                &graph,
                &commits,
                &new_matches,
                &messages,
                &problems,
            );
        };
        odb::for_each_object(&odb, threads, &problems, &visit);

        let commits = crate::sync::into_inner(commits);
        let mut problems = crate::sync::into_inner(problems);
        let mut stats = HistoryStats {
            packs: odb.packs.len() as u64,
            blobs_scanned: counts.scanned.load(Ordering::Relaxed),
            bytes_scanned: counts.bytes.load(Ordering::Relaxed),
            blobs_already_seen: counts.already_seen.load(Ordering::Relaxed),
            blobs_too_large: counts.too_large.load(Ordering::Relaxed),
            commits: commits.len() as u64,
            missing_objects: 0,
        };
        let graph = graph.finish();
        self.report_missing(&repo, &graph, &mut stats, &mut problems);

        let new_matches = crate::sync::into_inner(new_matches);
        let matched: HashMap<ObjectId, Vec<Finding>> = {
            let mut all = lock(&self.matched);
            all.extend(new_matches.iter().cloned());
            all.clone()
        };
        let new_ids: HashSet<ObjectId> = new_matches.iter().map(|(id, _)| *id).collect();
        let (refs, head) = refs_of(&repo, &mut problems);
        let messages = crate::sync::into_inner(messages);

        let problems = Mutex::new(problems);
        let provenances = if matched.is_empty() && messages.is_empty() {
            provenance::Provenances::default()
        } else {
            let ids: HashSet<ObjectId> = matched.keys().copied().collect();
            provenance::compute(&repo, &graph, &commits, &ids, &refs, head, &problems)
        };
        let mut problems = crate::sync::into_inner(problems);

        let mut out = Vec::new();
        let mut info_cache: HashMap<ObjectId, CommitInfo> = HashMap::new();
        let mut info = |id: ObjectId| -> CommitInfo {
            info_cache
                .entry(id)
                .or_insert_with(|| commit_info(&repo, id, provenances.reachable.contains(&id)))
                .clone()
        };
        let mut blob_ids: Vec<&ObjectId> = matched.keys().collect();
        blob_ids.sort();
        for blob in blob_ids {
            let p = provenances.blobs.get(blob);
            let held_here = p.is_some_and(|p| !p.holdings.is_empty());
            // Blobs matched in an earlier repository belong here only if this one holds them.
            if !new_ids.contains(blob) && !held_here {
                continue;
            }
            let provenance = match p {
                Some(p) => Provenance {
                    introduced: p.holdings.first().map(|h| (info(h.commit), lossy(&h.path))),
                    others: p
                        .holdings
                        .iter()
                        .skip(1)
                        .take(MAX_LISTED_HOLDINGS)
                        .map(|h| Holding {
                            commit: h.commit.to_string(),
                            path: lossy(&h.path),
                            reachable: provenances.reachable.contains(&h.commit),
                        })
                        .collect(),
                    refs: p.refs.clone(),
                    at_head: p.at_head,
                },
                None => Provenance::default(),
            };
            for f in &matched[blob] {
                out.push(HistoryFinding {
                    finding: f.clone(),
                    source: Source::Blob {
                        id: blob.to_string(),
                        provenance: provenance.clone(),
                    },
                });
            }
        }
        let mut message_ids: Vec<&ObjectId> = messages.keys().collect();
        message_ids.sort();
        for id in message_ids {
            let (findings, kind) = &messages[id];
            let source = match kind {
                MessageKind::Commit => Source::CommitMessage(info(*id)),
                MessageKind::Tag(name) => Source::TagMessage {
                    id: id.to_string(),
                    name: name.clone(),
                },
            };
            for f in findings {
                out.push(HistoryFinding {
                    finding: f.clone(),
                    source: source.clone(),
                });
            }
        }
        problems.sort();
        problems.dedup();
        Ok(RepoScan {
            path: path.to_path_buf(),
            work_tree: repo.workdir().map(Path::to_path_buf),
            findings: out,
            problems,
            stats,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn visit(
        &self,
        kind: gix::objs::Kind,
        data: &[u8],
        id: &gix::oid,
        counts: &Counts,
        graph: &graph::GraphBuilder,
        commits: &Mutex<gix::hashtable::HashMap<ObjectId, CommitNode>>,
        new_matches: &Mutex<Vec<(ObjectId, Vec<Finding>)>>,
        messages: &Mutex<HashMap<ObjectId, (Vec<Finding>, MessageKind)>>,
        problems: &Mutex<Vec<Problem>>,
    ) {
        use gix::objs::Kind;
        match kind {
            Kind::Blob => {
                if !self.seen.insert(id) {
                    counts.already_seen.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                if data.len() as u64 > self.options.max_blob_size {
                    counts.too_large.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                counts.scanned.fetch_add(1, Ordering::Relaxed);
                counts.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                let findings = self.scanner.scan(data);
                if !findings.is_empty() {
                    lock(new_matches).push((id.to_owned(), findings));
                }
            }
            Kind::Tree => {
                if let Err(e) = graph.add_tree(id, data) {
                    lock(problems).push(Problem::new(
                        format!("tree {id}"),
                        format!("malformed: {e}"),
                    ));
                }
            }
            Kind::Commit => match gix::objs::CommitRef::from_bytes(data, gix::hash::Kind::Sha1) {
                Ok(c) => {
                    let node = CommitNode {
                        tree: c.tree(),
                        parents: c.parents().collect(),
                        time: c.committer().map(|s| s.seconds()).unwrap_or(0),
                    };
                    graph.intern(&node.tree);
                    let findings = self.scanner.scan(c.message);
                    if !findings.is_empty() {
                        lock(messages).insert(id.to_owned(), (findings, MessageKind::Commit));
                    }
                    lock(commits).insert(id.to_owned(), node);
                }
                Err(e) => lock(problems).push(Problem::new(
                    format!("commit {id}"),
                    format!("malformed: {e}"),
                )),
            },
            Kind::Tag => match gix::objs::TagRef::from_bytes(data, gix::hash::Kind::Sha1) {
                Ok(t) => {
                    let findings = self.scanner.scan(t.message);
                    if !findings.is_empty() {
                        lock(messages).insert(
                            id.to_owned(),
                            (findings, MessageKind::Tag(t.name.to_string())),
                        );
                    }
                }
                Err(e) => lock(problems)
                    .push(Problem::new(format!("tag {id}"), format!("malformed: {e}"))),
            },
        }
    }

    fn report_missing(
        &self,
        repo: &gix::Repository,
        graph: &graph::Graph,
        stats: &mut HistoryStats,
        problems: &mut Vec<Problem>,
    ) {
        let missing = graph.missing(|id| self.seen.contains(id));
        stats.missing_objects = missing.len() as u64;
        let shallow = repo.is_shallow().unwrap_or(false);
        let partial = is_partial(repo);
        let why = if partial {
            "missing from the object database (partial clone)"
        } else if shallow {
            "missing from the object database (shallow clone)"
        } else {
            "missing from the object database"
        };
        for id in missing.iter().take(MAX_LISTED_MISSING) {
            problems.push(Problem::new(format!("object {id}"), why));
        }
        if missing.len() > MAX_LISTED_MISSING {
            problems.push(Problem::new(
                "objects",
                format!("{} more objects {why}", missing.len() - MAX_LISTED_MISSING),
            ));
        }
        if shallow {
            problems.push(Problem::new(
                "history",
                "shallow clone: commits before the shallow boundary are not in the repository and were not scanned",
            ));
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    scanned: AtomicU64,
    bytes: AtomicU64,
    already_seen: AtomicU64,
    too_large: AtomicU64,
}

#[derive(Debug, Clone)]
enum MessageKind {
    Commit,
    Tag(String),
}

fn lossy(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// Whether objects may be missing because the repository is a partial clone.
fn is_partial(repo: &gix::Repository) -> bool {
    let cfg = repo.config_snapshot();
    cfg.string("extensions.partialClone").is_some()
        || cfg
            .sections_by_name("remote")
            .into_iter()
            .flatten()
            .any(|s| s.value("promisor").is_some_and(|v| v.as_slice() == b"true"))
}

/// Every ref (branches, tags, remotes, stash, notes) peeled to the object it names, and
/// HEAD's commit.
fn refs_of(
    repo: &gix::Repository,
    problems: &mut Vec<Problem>,
) -> (Vec<(String, ObjectId)>, Option<ObjectId>) {
    let mut out = Vec::new();
    match repo.references() {
        Ok(platform) => match platform.all() {
            Ok(iter) => {
                for r in iter {
                    match r {
                        Ok(mut r) => {
                            let name = r.name().as_bstr().to_string();
                            match r.peel_to_id() {
                                Ok(id) => out.push((name, id.detach())),
                                Err(e) => problems
                                    .push(Problem::new(name, format!("cannot resolve ref: {e}"))),
                            }
                        }
                        Err(e) => {
                            problems.push(Problem::new("refs", format!("cannot read ref: {e}")))
                        }
                    }
                }
            }
            Err(e) => problems.push(Problem::new("refs", e.to_string())),
        },
        Err(e) => problems.push(Problem::new("refs", e.to_string())),
    }
    let head = repo.head_id().ok().map(gix::Id::detach);
    if let Some(h) = head {
        out.push(("HEAD".to_string(), h));
    }
    out.sort();
    (out, head)
}

pub(crate) fn commit_info(repo: &gix::Repository, id: ObjectId, reachable: bool) -> CommitInfo {
    let obj = repo.find_object(id).ok();
    let parsed = obj
        .as_ref()
        .and_then(|o| gix::objs::CommitRef::from_bytes(&o.data, gix::hash::Kind::Sha1).ok());
    commit_info_of(parsed.as_ref(), id, reachable)
}

/// What a report shows of a commit already parsed (`None`: unreadable, only its id).
pub(crate) fn commit_info_of(
    commit: Option<&gix::objs::CommitRef<'_>>,
    id: ObjectId,
    reachable: bool,
) -> CommitInfo {
    let mut info = CommitInfo {
        id: id.to_string(),
        author: String::new(),
        date: String::new(),
        summary: String::new(),
        reachable,
    };
    if let Some(c) = commit {
        if let Ok(a) = c.author() {
            info.author = format!("{} <{}>", a.name, a.email);
            if let Ok(t) = a.time() {
                info.date = t.format_or_unix(gix::date::time::format::ISO8601_STRICT);
            }
        }
        info.summary = c.message().summary().to_string();
    }
    info
}
