//! Planned scans, for callers that remember earlier scans (a state database): a repository
//! is compared with the [`RepoRecord`] of its last scan, only the packs and loose objects
//! the record does not cover are read, blobs the caller already scanned are not scanned
//! again, and provenance is still resolved over the whole history — the record holds the
//! commits of the packs not read again and the trees of them that lead to findings — so
//! that the result equals a scan of everything.
//!
//! Memory does not grow with the number of repositories scanned: the blobs met are
//! remembered for one repository only; across repositories and runs the caller's
//! [`KnownObjects`] remembers them (on disk).

use std::path::{Path, PathBuf};

use gix::hashtable::{HashMap, HashSet};
use scanner_core::Finding;

use crate::odb::{self, Odb};
use crate::pass::{Dedup, MessageKind, ObjectPass, PassContext, PassOutput};
use crate::provenance::{self, Provenances};
use crate::record::MatchFlags;
use crate::repo::{self, Refs};
use crate::scanner::{report_missing, Origins};
use crate::sync::IdSet;
use crate::{
    Error, HashKind, HistoryScanner, HistoryStats, ObjectId, Problem, RepoRecord, RepoScan,
};

/// What a caller remembers of objects scanned before — in an earlier run, or in another
/// repository of this one — so that a planned scan does not scan them again.
///
/// Asked from many threads at once during the object pass, so lookups should be quick
/// (an in-memory set of the ids [`ScanPlan::for_each_lookup`] names, say).
pub trait KnownObjects: Sync {
    /// If the object `id` (a blob, or a commit or tag whose message was scanned) was scanned
    /// before with the same scanner settings: its findings, empty when it had none. `None`
    /// when it was not scanned yet.
    fn findings(&self, id: &ObjectId) -> Option<&[Finding]>;
}

/// Nothing is known: every blob is scanned.
impl KnownObjects for () {
    fn findings(&self, _: &ObjectId) -> Option<&[Finding]> {
        None
    }
}

/// How a repository compares with the record of its last scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Change {
    /// No record (or one of another hash function): every object is read.
    New,
    /// The record no longer covers the repository — a pack it lists is gone (repacked,
    /// pruned), or objects were missing then: every object is read again; blobs scanned
    /// before are not scanned again.
    Rewritten,
    /// New packs or loose objects, or moved refs: only the new packs and the loose objects
    /// are read.
    Grown,
    /// Refs, packs and loose objects are as recorded: the findings, their provenance and
    /// the counts are those of the last scan. A caller that kept them need not scan at
    /// all; [`HistoryScanner::scan_planned`] still reads the loose objects and resolves
    /// provenance again.
    Unchanged,
}

impl Change {
    /// `new`, `rewritten`, `grown` or `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Rewritten => "rewritten",
            Change::Grown => "grown",
            Change::Unchanged => "unchanged",
        }
    }
}

/// A repository opened and compared with its record, ready to be scanned by
/// [`HistoryScanner::scan_planned`]: which packs will be read, and which objects the scan
/// may ask the caller's [`KnownObjects`] about.
pub struct ScanPlan {
    repo: gix::Repository,
    path: PathBuf,
    odb: Odb,
    problems: Vec<Problem>,
    checksums: Vec<Option<gix::ObjectId>>,
    refs: Refs,
    loose: Vec<(usize, gix::ObjectId)>,
    loose_digest: gix::ObjectId,
    /// The record, when its hash function is the repository's.
    previous: Option<RepoRecord>,
    /// Whether the record covers the packs it lists (`Grown`, `Unchanged`).
    base: bool,
    /// Packs to read, by number.
    read: Vec<usize>,
    change: Change,
}

impl std::fmt::Debug for ScanPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanPlan")
            .field("path", &self.path)
            .field("change", &self.change)
            .field("packs", &self.odb.packs.len())
            .field("read", &self.read.len())
            .field("loose", &self.loose.len())
            .finish_non_exhaustive()
    }
}

impl ScanPlan {
    /// How the repository compares with its record.
    pub fn change(&self) -> Change {
        self.change
    }

    /// The hash function of the repository's objects.
    pub fn object_hash(&self) -> HashKind {
        HashKind::from_gix(self.repo.object_hash())
    }

    /// Number of packs in the repository, and of those the scan will read.
    pub fn packs(&self) -> (usize, usize) {
        (self.odb.packs.len(), self.read.len())
    }

    /// The repository's work tree, if it has one.
    pub fn work_tree(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// Calls `f` with every object id the scan may ask [`KnownObjects`] about: the objects
    /// of the packs it will read (from their indexes, in id order per pack), the loose
    /// objects, and the objects with findings the record lists. A caller whose memory is on
    /// disk loads just these before the scan, so that its lookups during the scan are
    /// in-memory and what it holds is bounded by this repository, not by all it knows.
    pub fn for_each_lookup(&self, mut f: impl FnMut(&ObjectId)) {
        for &i in &self.read {
            odb::for_each_packed_id(&self.odb, i, |id| f(&ObjectId::from_gix(id.to_owned())));
        }
        for (_, id) in &self.loose {
            f(&ObjectId::from_gix(*id));
        }
        if let Some(r) = self.previous.as_ref() {
            for (id, _) in &r.matched {
                f(&ObjectId::from_gix(*id));
            }
            for (id, _) in &r.messages {
                f(&ObjectId::from_gix(*id));
            }
        }
    }
}

impl HistoryScanner {
    /// Opens the repository at `path` and compares it with `previous`, the record of its
    /// last scan ([`RepoScan::record`]): its refs, its packs (by checksum) and its loose
    /// objects. Cheap: pack indexes and ref files are read, no object.
    ///
    /// # Errors
    ///
    /// When the repository cannot be opened.
    pub fn plan(&self, path: &Path, previous: Option<RepoRecord>) -> Result<ScanPlan, Error> {
        let repo = repo::open_local(path)?;
        let mut problems = Vec::new();
        let odb = Odb::of(&repo, &mut problems);
        let checksums = odb::pack_checksums(&odb);
        let loose = odb::list_loose(&odb, &mut problems);
        let loose_digest = digest(repo.object_hash(), loose.iter().map(|(_, id)| id));
        let refs = Refs::of(&repo, |_| false, &mut problems);
        let previous = previous.filter(|r| r.hash == repo.object_hash());
        let all: Vec<usize> = (0..odb.packs.len()).collect();
        let (change, read, base) = match &previous {
            None => (Change::New, all, false),
            Some(r) => {
                let have: HashSet<gix::ObjectId> = checksums.iter().flatten().copied().collect();
                if r.missing > 0 || r.packs.iter().any(|p| !have.contains(p)) {
                    (Change::Rewritten, all, false)
                } else {
                    let recorded: HashSet<gix::ObjectId> = r.packs.iter().copied().collect();
                    let read: Vec<usize> = all
                        .into_iter()
                        .filter(|&i| checksums[i].is_none_or(|c| !recorded.contains(&c)))
                        .collect();
                    let same = read.is_empty() && r.loose == loose_digest && r.refs == refs.all;
                    let change = if same {
                        Change::Unchanged
                    } else {
                        Change::Grown
                    };
                    (change, read, true)
                }
            }
        };
        Ok(ScanPlan {
            repo,
            path: path.to_path_buf(),
            odb,
            problems,
            checksums,
            refs,
            loose,
            loose_digest,
            previous,
            base,
            read,
            change,
        })
    }

    /// Scans what `plan` says is to be read — each blob `known` does not know, every
    /// message of the commits and tags read — and resolves provenance over the whole
    /// history, the part of it not read again taken from the plan's record. Findings,
    /// provenance and counts of commits are those a scan of every object would give
    /// ([`HistoryScanner::scan_repository`]); [`HistoryStats::blobs_scanned`] counts what
    /// this scan read, and [`RepoScan::record`] is what to remember for the next.
    ///
    /// Blobs are deduplicated within the repository and through `known`, not with the
    /// scanner's run-wide memory (which planned scans neither read nor grow): across
    /// repositories, the caller remembers.
    ///
    /// Should `known` not know an object with findings that the record lists (the caller
    /// lost it), every pack is read again.
    pub fn scan_planned(&self, plan: ScanPlan, known: &dyn KnownObjects) -> RepoScan {
        self.progress.repository_started();
        let scan = self.scan_plan(plan, known);
        self.progress.repository_done();
        scan
    }

    fn scan_plan(&self, plan: ScanPlan, known: &dyn KnownObjects) -> RepoScan {
        let ScanPlan {
            repo,
            path,
            odb,
            problems,
            checksums,
            refs,
            loose,
            loose_digest,
            previous,
            mut base,
            mut read,
            mut change,
        } = plan;
        let hash = repo.object_hash();
        let findings_of = |id: &gix::ObjectId| known.findings(&ObjectId::from_gix(*id));
        if base {
            let r = previous
                .as_ref()
                .expect("a base is a previous record, because plan() says so");
            let lost = r
                .matched
                .iter()
                .filter(|(_, f)| f.packed)
                .map(|(id, _)| id)
                .chain(r.messages.iter().map(|(id, _)| id))
                .any(|id| findings_of(id).is_none());
            if lost {
                base = false;
                read = (0..odb.packs.len()).collect();
                change = Change::Rewritten;
            }
        }
        let record = previous.as_ref().filter(|_| base);

        let read_objects: u64 = read
            .iter()
            .filter_map(|&i| odb.packs.get(i))
            .filter_map(|(idx, _)| gix::odb::pack::index::File::at(idx, hash).ok())
            .map(|i| u64::from(i.num_objects()))
            .sum();
        self.progress
            .add_objects_total(read_objects + loose.len() as u64);
        let pass = ObjectPass::new(
            PassContext {
                scanner: &self.scanner,
                max_blob_size: self.options.max_blob_size,
                hash,
                dedup: Dedup::Known {
                    here: IdSet::default(),
                    known,
                },
                progress: &self.progress,
                cancel: &self.cancel,
            },
            problems,
        );
        let mut whole = Vec::new();
        if !self.cancel.is_cancelled() {
            whole = odb::for_each_packed(&odb, &read, self.options.threads, &pass);
            pass.start_loose();
            odb::for_each_loose(&odb, &loose, &pass);
        }
        let PassOutput {
            blobs_scanned,
            bytes_scanned,
            blobs_already_seen,
            blobs_too_large,
            graph,
            commits: new_commits,
            matches,
            known_matches,
            scanned_ids,
            messages: new_messages,
            mut partial,
            mut problems,
            loose_ids,
            here,
        } = pass.finish();
        let here = here.unwrap_or_default();
        // Damaged copies of blobs that were read whole elsewhere add nothing.
        partial.retain(|p| p.id.is_none_or(|id| !here.contains(&id)));
        partial.sort_by(|a, b| (a.id, &a.damage).cmp(&(b.id, &b.damage)));
        let cancelled = self.cancel.is_cancelled();

        // The whole history: the record's commits, and those read now.
        let mut commits = record.map(RepoRecord::commit_map).unwrap_or_default();
        let packed_new: Vec<(gix::ObjectId, crate::provenance::CommitNode)> = new_commits
            .iter()
            .filter(|(id, _)| !loose_ids.contains(*id))
            .map(|(id, n)| (*id, n.clone()))
            .collect();
        commits.extend(new_commits);

        // Blobs with findings: scanned now, known and met now, and the record's packed ones.
        let first_before: HashSet<gix::ObjectId> = previous
            .iter()
            .flat_map(|r| &r.matched)
            .filter(|(_, f)| f.first_here)
            .map(|(id, _)| *id)
            .collect();
        let mut first_here: HashSet<gix::ObjectId> = matches.iter().map(|(id, _)| *id).collect();
        let mut matched: HashMap<gix::ObjectId, Vec<Finding>> = HashMap::default();
        let mut packed_matches: HashSet<gix::ObjectId> = HashSet::default();
        if let Some(r) = record {
            for (id, f) in r.matched.iter().filter(|(_, f)| f.packed) {
                if let Some(found) = findings_of(id) {
                    matched.insert(*id, found.to_vec());
                    packed_matches.insert(*id);
                    if f.first_here {
                        first_here.insert(*id);
                    }
                }
            }
        }
        for (id, found) in known_matches {
            if first_before.contains(&id) {
                first_here.insert(id);
            }
            matched.insert(id, found);
        }
        matched.extend(matches);
        for id in matched.keys() {
            if !loose_ids.contains(id) {
                packed_matches.insert(*id);
            }
        }

        // Messages with findings: read now, and the record's.
        let mut messages = new_messages;
        let mut packed_messages: Vec<(gix::ObjectId, MessageKind)> = messages
            .iter()
            .filter(|(id, _)| !loose_ids.contains(*id))
            .map(|(id, (_, kind))| (*id, kind.clone()))
            .collect();
        if let Some(r) = record {
            for (id, kind) in &r.messages {
                if messages.contains_key(id) {
                    continue;
                }
                if let Some(found) = findings_of(id) {
                    messages.insert(*id, (found.to_vec(), kind.clone()));
                    packed_messages.push((*id, kind.clone()));
                }
            }
        }

        let mut stats = HistoryStats {
            packs: odb.packs.len() as u64,
            blobs_scanned,
            bytes_scanned,
            blobs_already_seen,
            blobs_too_large,
            commits: commits.len() as u64,
            missing_objects: 0,
            packs_unchanged: (odb.packs.len() - read.len()) as u64,
        };
        if !cancelled {
            // Objects of the packs not read again are present, though this pass did not meet them.
            stats.missing_objects = report_missing(
                &repo,
                &graph,
                |id| here.contains(id) || (base && repo.has_object(id)),
                &mut problems,
            );
        }

        let base_leads: HashSet<gix::ObjectId> =
            record.iter().flat_map(|r| &r.lead_trees).copied().collect();
        let ids: HashSet<gix::ObjectId> = matched
            .keys()
            .copied()
            .chain(partial.iter().filter_map(|p| p.id))
            .collect();
        let (provenances, lead_trees) = if cancelled || (ids.is_empty() && messages.is_empty()) {
            (Provenances::default(), Vec::new())
        } else {
            let (p, leads) = provenance::compute(&repo, &graph, &commits, &refs, &ids, &base_leads);
            let mut trees: Vec<gix::ObjectId> = leads.trees(&graph).collect();
            trees.extend(base_leads.iter().copied());
            trees.sort();
            trees.dedup();
            (p, trees)
        };
        problems.extend(provenances.problems.iter().cloned());

        let mut origins = Origins {
            repo: &repo,
            provenances: &provenances,
            commits: HashMap::default(),
        };
        let findings = origins.findings(
            &matched,
            &first_here,
            &partial,
            &messages,
            repo.object_hash(),
        );
        problems.sort();
        problems.dedup();

        let new_record = (!cancelled).then(|| {
            let mut packs: Vec<gix::ObjectId> = record.map(|r| r.packs.clone()).unwrap_or_default();
            packs.extend(
                read.iter()
                    .zip(&whole)
                    .filter(|(_, &w)| w)
                    .filter_map(|(&i, _)| checksums.get(i).copied().flatten()),
            );
            packs.sort();
            packs.dedup();
            let mut recorded_commits: Vec<(gix::ObjectId, crate::provenance::CommitNode)> =
                record.map(|r| r.commits.clone()).unwrap_or_default();
            recorded_commits.extend(packed_new);
            recorded_commits.sort_by_key(|a| a.0);
            recorded_commits.dedup_by(|a, b| a.0 == b.0);
            let mut recorded_matches: Vec<(gix::ObjectId, MatchFlags)> = matched
                .keys()
                .map(|id| {
                    (
                        *id,
                        MatchFlags {
                            packed: packed_matches.contains(id),
                            first_here: first_here.contains(id),
                        },
                    )
                })
                .collect();
            recorded_matches.sort_by_key(|a| a.0);
            packed_messages.sort_by_key(|a| a.0);
            packed_messages.dedup_by(|a, b| a.0 == b.0);
            RepoRecord {
                hash,
                refs: refs.all.clone(),
                packs,
                loose: loose_digest,
                commits: recorded_commits,
                lead_trees,
                matched: recorded_matches,
                messages: packed_messages,
                missing: stats.missing_objects,
            }
        });
        RepoScan {
            path,
            work_tree: repo.workdir().map(Path::to_path_buf),
            object_hash: HashKind::from_gix(hash),
            findings,
            problems,
            stats,
            cancelled,
            change: Some(change),
            record: new_record,
            scanned_blobs: scanned_ids.into_iter().map(ObjectId::from_gix).collect(),
        }
    }
}

/// A digest of object ids (the loose objects), to tell a changed set from an unchanged one.
fn digest<'a>(
    hash: gix::hash::Kind,
    ids: impl Iterator<Item = &'a gix::ObjectId>,
) -> gix::ObjectId {
    let mut h = gix::hash::hasher(hash);
    for id in ids {
        h.update(id.as_bytes());
    }
    h.try_finalize()
        .unwrap_or_else(|_| gix::ObjectId::null(hash))
}
