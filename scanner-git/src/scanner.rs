//! The history scanner: settings, the full-history scan of a repository, and its results.
//! (Scans of what a change adds — staged, range, push — are in `changes.rs`.)

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gix::hashtable::{HashMap, HashSet};
use scanner_core::{Finding, Scanner};

use crate::graph::Graph;
use crate::odb::{self, Odb};
use crate::pass::{Dedup, MessageKind, ObjectPass, PassContext, PassOutput};
use crate::provenance::{self, Provenances};
use crate::repo::{self, Refs};
use crate::sync::{lock, IdSet};
use crate::{
    CancelToken, Change, CommitInfo, Error, HashKind, Holding, Introduction, ObjectId, Origin,
    Problem, ProblemKind, Provenance, RepoRecord, ScanProgress,
};

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

/// One finding in a repository: the finding, with its location inside the blob or
/// message, and the origin of those bytes.
///
/// With the `serde` feature it serializes — and its finding's secret **in clear text**
/// (scanner-core's `serde` feature, which this one turns on).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct HistoryFinding {
    /// The finding; its location is relative to the blob or message.
    pub finding: Finding,
    /// What the scanned bytes are.
    pub origin: Origin,
    /// When the bytes come from an object that could not be read whole (cut short,
    /// corrupt, not matching its id): the problem saying so, which
    /// [`RepoScan::problems`] lists too. The finding is what those bytes hold — a key ID
    /// whose secret was in the part that was lost is found alone. An object whose id could
    /// not be known (a damaged object of a pack read without its index) has the null id in
    /// [`HistoryFinding::origin`].
    pub damage: Option<Problem>,
}

/// Counts of one repository scan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct HistoryStats {
    /// Packs traversed.
    pub packs: u64,
    /// Blobs scanned in this repository.
    pub blobs_scanned: u64,
    /// Bytes of those blobs.
    pub bytes_scanned: u64,
    /// Blobs not scanned again: scanned earlier in the run (another pack, another
    /// repository), or known to the caller ([`KnownObjects`](crate::KnownObjects)).
    pub blobs_already_seen: u64,
    /// Blobs over the size limit, not scanned.
    pub blobs_too_large: u64,
    /// Commits in the object database.
    pub commits: u64,
    /// Objects that trees or commits refer to but the database lacks (not counted for a
    /// cancelled scan, where unread objects would look missing).
    pub missing_objects: u64,
    /// Packs not read again, because the record of an earlier scan covers them
    /// ([`HistoryScanner::scan_planned`]).
    #[cfg_attr(feature = "serde", serde(default))]
    pub packs_unchanged: u64,
}

/// The result of scanning one repository.
#[derive(Debug)]
#[non_exhaustive]
pub struct RepoScan {
    /// The repository path as given.
    pub path: PathBuf,
    /// Its work tree, if it has one.
    pub work_tree: Option<PathBuf>,
    /// The hash function of its objects.
    pub object_hash: HashKind,
    /// Findings in blobs and messages: blobs by id, then messages by id; each in the order
    /// the scanner gave them.
    pub findings: Vec<HistoryFinding>,
    /// What could not be read, sorted.
    pub problems: Vec<Problem>,
    /// Counts.
    pub stats: HistoryStats,
    /// Whether the scan was cancelled ([`CancelToken`]): then findings and counts cover
    /// only the objects read before, provenance is not resolved (every blob's
    /// [`Provenance`] is empty), and missing objects are not looked for.
    pub cancelled: bool,
    /// For a [planned scan](HistoryScanner::scan_planned): how the repository compared with
    /// its record. `None` for [`HistoryScanner::scan_repository`].
    pub change: Option<Change>,
    /// For a planned scan that was not cancelled: what to record for the next one.
    pub record: Option<RepoRecord>,
    /// For a planned scan: the blobs it scanned (sorted), which the caller's
    /// [`KnownObjects`](crate::KnownObjects) should know from now on. Their findings are
    /// among [`RepoScan::findings`] (origin [`Origin::Blob`] with the same id).
    pub scanned_blobs: Vec<ObjectId>,
}

/// Scans repositories' histories, and what changes add to them (staged, range, push).
///
/// Remembers the blobs it has seen, so that a blob shared by several repositories of one
/// run (forks) is scanned once. `Send + Sync`: one scanner serves every thread of a run.
#[derive(Debug)]
pub struct HistoryScanner {
    pub(crate) scanner: Scanner,
    pub(crate) options: HistoryOptions,
    seen: IdSet,
    /// The hash functions of the repositories scanned, to hash work-tree files with.
    hashes: Mutex<Vec<gix::hash::Kind>>,
    /// Blobs with findings, from every repository so far.
    matched: Mutex<HashMap<gix::ObjectId, Vec<Finding>>>,
    pub(crate) progress: Arc<ScanProgress>,
    pub(crate) cancel: CancelToken,
}

/// At most this many missing objects are listed one by one; the rest are counted.
const MAX_LISTED_MISSING: usize = 20;
/// At most this many other holdings are listed per blob.
const MAX_LISTED_HOLDINGS: usize = 1000;

impl HistoryScanner {
    /// A history scanner using `scanner` for detection.
    pub fn new(scanner: Scanner, options: HistoryOptions) -> HistoryScanner {
        HistoryScanner {
            scanner,
            options,
            seen: IdSet::default(),
            hashes: Mutex::default(),
            matched: Mutex::default(),
            progress: Arc::default(),
            cancel: CancelToken::new(),
        }
    }

    /// This scanner, cancelled by `token` (for one token shared with other work).
    pub fn with_cancel_token(mut self, token: CancelToken) -> HistoryScanner {
        self.cancel = token;
        self
    }

    /// A handle on this scanner's progress, to display from another thread.
    pub fn progress(&self) -> Arc<ScanProgress> {
        self.progress.clone()
    }

    /// A handle that cancels this scanner's scans, from any thread.
    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// The settings.
    pub fn options(&self) -> &HistoryOptions {
        &self.options
    }

    /// Whether `path` is a git repository (work tree, bare, or linked worktree), also one
    /// of a format this build cannot read (scanning it gives an error of kind
    /// [`Unsupported`](crate::ErrorKind::Unsupported), never a silent scan of its files).
    /// Directories inside a work tree are not repositories.
    pub fn is_repository(path: &Path) -> bool {
        (path.join(".git").exists() || path.join("HEAD").is_file())
            && repo::open(path).map_or_else(|e| e.is_unsupported(), |_| true)
    }

    /// Whether a blob with these contents was seen in this run (in any repository, hashed
    /// as each repository hashes its objects).
    pub fn has_seen_blob(&self, contents: &[u8]) -> bool {
        let hashes = lock(&self.hashes).clone();
        hashes.into_iter().any(|kind| {
            gix::objs::compute_hash(kind, gix::objs::Kind::Blob, contents)
                .is_ok_and(|id| self.seen.contains(&id))
        })
    }

    /// Scans every object of the repository at `path`: each blob not seen before in this
    /// run, every commit and tag message; then tells where each matched blob comes from.
    ///
    /// # Errors
    ///
    /// Only when the repository cannot be opened; damage inside it is reported in
    /// [`RepoScan::problems`].
    pub fn scan_repository(&self, path: &Path) -> Result<RepoScan, Error> {
        let repo = repo::open_local(path)?;
        self.progress.repository_started();
        let scan = self.scan_opened(&repo, path);
        self.progress.repository_done();
        Ok(scan)
    }

    fn scan_opened(&self, repo: &gix::Repository, path: &Path) -> RepoScan {
        let hash = repo.object_hash();
        {
            let mut hashes = lock(&self.hashes);
            if !hashes.contains(&hash) {
                hashes.push(hash);
            }
        }
        let mut problems = Vec::new();
        let odb = Odb::of(repo, &mut problems);
        self.progress.add_objects_total(odb.packed_objects());
        let pass = ObjectPass::new(
            PassContext {
                scanner: &self.scanner,
                max_blob_size: self.options.max_blob_size,
                hash,
                dedup: Dedup::Run(&self.seen),
                progress: &self.progress,
                cancel: &self.cancel,
            },
            problems,
        );
        if !self.cancel.is_cancelled() {
            odb::for_each_object(&odb, self.options.threads, &pass);
        }
        let PassOutput {
            blobs_scanned,
            bytes_scanned,
            blobs_already_seen,
            blobs_too_large,
            graph,
            commits,
            matches,
            messages,
            mut partial,
            mut problems,
            ..
        } = pass.finish();
        // Damaged copies of blobs that were read whole elsewhere add nothing.
        partial.retain(|p| p.id.is_none_or(|id| !self.seen.contains(&id)));
        partial.sort_by(|a, b| (a.id, &a.damage).cmp(&(b.id, &b.damage)));
        let cancelled = self.cancel.is_cancelled();
        let mut stats = HistoryStats {
            packs: odb.packs.len() as u64,
            blobs_scanned,
            bytes_scanned,
            blobs_already_seen,
            blobs_too_large,
            commits: commits.len() as u64,
            missing_objects: 0,
            packs_unchanged: 0,
        };
        if !cancelled {
            stats.missing_objects =
                report_missing(repo, &graph, |id| self.seen.contains(id), &mut problems);
        }

        let new_ids: HashSet<gix::ObjectId> = matches.iter().map(|(id, _)| *id).collect();
        let matched: HashMap<gix::ObjectId, Vec<Finding>> = {
            let mut all = lock(&self.matched);
            all.extend(matches);
            all.clone()
        };
        let refs = Refs::of(repo, |id| commits.contains_key(id), &mut problems);
        let provenances =
            if cancelled || (matched.is_empty() && messages.is_empty() && partial.is_empty()) {
                Provenances::default()
            } else {
                let ids: HashSet<gix::ObjectId> = matched
                    .keys()
                    .copied()
                    .chain(partial.iter().filter_map(|p| p.id))
                    .collect();
                provenance::compute(repo, &graph, &commits, &refs, &ids, &HashSet::default()).0
            };
        problems.extend(provenances.problems.iter().cloned());

        let mut origins = Origins {
            repo,
            provenances: &provenances,
            commits: HashMap::default(),
        };
        let findings = origins.findings(&matched, &new_ids, &partial, &messages, hash);
        problems.sort();
        problems.dedup();
        RepoScan {
            path: path.to_path_buf(),
            work_tree: repo.workdir().map(Path::to_path_buf),
            object_hash: HashKind::from_gix(hash),
            findings,
            problems,
            stats,
            cancelled,
            change: None,
            record: None,
            scanned_blobs: Vec::new(),
        }
    }
}

/// Records the objects trees and commits refer to that are neither trees of the graph nor
/// `present`; returns how many.
pub(crate) fn report_missing(
    repo: &gix::Repository,
    graph: &Graph,
    present: impl Fn(&gix::oid) -> bool,
    problems: &mut Vec<Problem>,
) -> u64 {
    {
        let missing = graph.missing(present);
        // Damaged objects are missing as whole objects, and counted so; they are listed
        // with their damage already.
        let damaged: HashSet<ObjectId> = problems.iter().filter_map(Problem::object_id).collect();
        let listed: Vec<&gix::ObjectId> = missing
            .iter()
            .filter(|id| !damaged.contains(&ObjectId::from_gix(**id)))
            .collect();
        let shallow = repo.is_shallow().unwrap_or(false);
        let why = if repo::is_partial(repo) {
            "missing from the object database (partial clone)"
        } else if shallow {
            "missing from the object database (shallow clone)"
        } else {
            "missing from the object database"
        };
        for id in listed.iter().take(MAX_LISTED_MISSING) {
            problems.push(Problem::object(
                ProblemKind::MissingObject,
                "object",
                id,
                why,
            ));
        }
        if listed.len() > MAX_LISTED_MISSING {
            problems.push(Problem::new(
                ProblemKind::MissingObject,
                "objects",
                format!("{} more objects {why}", listed.len() - MAX_LISTED_MISSING),
            ));
        }
        if shallow {
            problems.push(Problem::new(
                ProblemKind::Shallow,
                "history",
                "shallow clone: commits before the shallow boundary are not in the repository and were not scanned",
            ));
        }
        missing.len() as u64
    }
}

/// Turns the provenance stage's binary results into the public values, reading each
/// commit shown at most once.
pub(crate) struct Origins<'a> {
    pub(crate) repo: &'a gix::Repository,
    pub(crate) provenances: &'a Provenances,
    pub(crate) commits: HashMap<gix::ObjectId, CommitInfo>,
}

impl Origins<'_> {
    /// The findings of a repository's scan, in a fixed order: blobs with findings (those
    /// found first in another repository only where a commit here holds them), blobs read
    /// in part (marked with their damage), then commit and tag messages.
    pub(crate) fn findings(
        &mut self,
        matched: &HashMap<gix::ObjectId, Vec<Finding>>,
        first_here: &HashSet<gix::ObjectId>,
        partial: &[crate::pass::PartialMatch],
        messages: &HashMap<gix::ObjectId, (Vec<Finding>, MessageKind)>,
        hash: gix::hash::Kind,
    ) -> Vec<HistoryFinding> {
        let mut findings = Vec::new();
        let mut blob_ids: Vec<&gix::ObjectId> = matched.keys().collect();
        blob_ids.sort();
        for blob in blob_ids {
            let held_here = self
                .provenances
                .blobs
                .get(blob)
                .is_some_and(|p| !p.holdings.is_empty());
            if !first_here.contains(blob) && !held_here {
                continue;
            }
            let origin = Origin::Blob {
                id: ObjectId::from_gix(*blob),
                provenance: self.provenance(blob),
            };
            findings.extend(matched[blob].iter().map(|f| HistoryFinding {
                finding: f.clone(),
                origin: origin.clone(),
                damage: None,
            }));
        }
        self.partial(partial, hash, &mut findings);
        let mut message_ids: Vec<&gix::ObjectId> = messages.keys().collect();
        message_ids.sort();
        for id in message_ids {
            let (found, kind) = &messages[id];
            let origin = match kind {
                MessageKind::Commit => Origin::CommitMessage {
                    commit: self.commit(id),
                },
                MessageKind::Tag(name) => Origin::TagMessage {
                    id: ObjectId::from_gix(*id),
                    name: name.clone(),
                },
            };
            findings.extend(found.iter().map(|f| HistoryFinding {
                finding: f.clone(),
                origin: origin.clone(),
                damage: None,
            }));
        }
        findings
    }

    /// The findings of blobs read in part (damaged), marked with their damage; a damaged
    /// object whose id is not known shows the null id.
    fn partial(
        &mut self,
        partial: &[crate::pass::PartialMatch],
        hash: gix::hash::Kind,
        out: &mut Vec<HistoryFinding>,
    ) {
        for p in partial {
            let (id, provenance) = match &p.id {
                Some(id) => (*id, self.provenance(id)),
                None => (hash.null(), Provenance::default()),
            };
            let origin = Origin::Blob {
                id: ObjectId::from_gix(id),
                provenance,
            };
            out.extend(p.findings.iter().map(|f| HistoryFinding {
                finding: f.clone(),
                origin: origin.clone(),
                damage: Some(p.damage.clone()),
            }));
        }
    }

    pub(crate) fn commit(&mut self, id: &gix::oid) -> CommitInfo {
        let (repo, reachable) = (self.repo, &self.provenances.reachable);
        self.commits
            .entry(id.to_owned())
            .or_insert_with(|| CommitInfo::read(repo, id, reachable.contains(id)))
            .clone()
    }

    pub(crate) fn provenance(&mut self, blob: &gix::oid) -> Provenance {
        let Some(p) = self.provenances.blobs.get(blob) else {
            return Provenance::default();
        };
        let introduced = p.holdings.first().map(|h| Introduction {
            commit: self.commit(&h.commit),
            path: h.path.clone().into(),
        });
        let reachable = &self.provenances.reachable;
        Provenance {
            introduced,
            others: p
                .holdings
                .iter()
                .skip(1)
                .take(MAX_LISTED_HOLDINGS)
                .map(|h| Holding {
                    commit: ObjectId::from_gix(h.commit),
                    path: h.path.clone().into(),
                    reachable: reachable.contains(&h.commit),
                })
                .collect(),
            refs: p.refs.clone(),
            at_head: p.at_head,
        }
    }
}
