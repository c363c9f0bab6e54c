//! What a change adds: the blobs staged for the next commit, and the blobs and messages
//! that a range of commits introduces (a push, a pull request). Only those are scanned, so
//! hooks stay fast on large repositories.

use std::collections::{BTreeMap, HashSet as StdHashSet};
use std::path::Path;

use bstr::{BStr, BString, ByteSlice};
use gix::hashtable::{HashMap, HashSet};
use gix::ObjectId as GixId;

use crate::error::{Error, ErrorKind};
use crate::repo::{self, remote_tips};
use crate::{
    CommitInfo, HistoryFinding, HistoryScanner, Introduction, ObjectId, Origin, Problem,
    ProblemKind, Provenance,
};

/// The findings of a staged, range or push scan.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ChangeScan {
    /// Findings in the blobs and messages the change adds.
    pub findings: Vec<HistoryFinding>,
    /// What could not be read.
    pub problems: Vec<Problem>,
    /// Blobs scanned.
    pub blobs_scanned: u64,
    /// Commits in the range (0 for a staged scan).
    pub commits: u64,
    /// Whether the scan was cancelled before it read everything; findings cover what was
    /// read.
    pub cancelled: bool,
}

/// One line of git's pre-push input: `<local ref> <local id> <remote ref> <remote id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct PushedRef {
    /// The local ref being pushed (`(delete)` for a deletion).
    pub local_ref: String,
    /// The local commit being pushed; `None` when the remote ref is deleted.
    pub local: Option<ObjectId>,
    /// The remote ref updated.
    pub remote_ref: String,
    /// What the remote has now; `None` for a new branch.
    pub remote: Option<ObjectId>,
}

impl PushedRef {
    /// Parses one line of the hook's standard input; `None` unless it has four fields and
    /// both ids are ids (git's all-zero id becomes `None`).
    pub fn parse(line: &str) -> Option<PushedRef> {
        let mut w = line.split_whitespace();
        let (local_ref, local, remote_ref, remote) = (w.next()?, w.next()?, w.next()?, w.next()?);
        let id = |s: &str| -> Option<Option<ObjectId>> {
            let id: ObjectId = s.parse().ok()?;
            Some((!id.is_null()).then_some(id))
        };
        Some(PushedRef {
            local_ref: local_ref.to_string(),
            local: id(local)?,
            remote_ref: remote_ref.to_string(),
            remote: id(remote)?,
        })
    }
}

/// Scans of what changes add, with the scanner's detection and size limit.
impl HistoryScanner {
    /// Scans what is staged for the next commit: the index entries whose blob differs from
    /// HEAD's tree at the same path (everything, before the first commit). Directories
    /// whose entry in the index's cache tree is valid and names HEAD's tree there hold
    /// nothing staged and are not read at all.
    ///
    /// # Errors
    ///
    /// When the repository or its index cannot be read: a pre-commit check must fail closed,
    /// never pass silently.
    pub fn scan_staged(&self, path: &Path) -> Result<ChangeScan, Error> {
        let repo = repo::open_local(path)?;
        self.progress.repository_started();
        let scan = self.staged(&repo, path);
        self.progress.repository_done();
        scan
    }

    /// Scans what the commits reachable from `include` and not from `exclude` introduce:
    /// the blobs they add relative to their parents (each blob once, attributed to the
    /// oldest commit adding it), and their messages. Revisions are anything git accepts
    /// (`main`, `origin/main`, `HEAD~3`, full ids).
    ///
    /// # Errors
    ///
    /// When the repository cannot be opened, a revision does not resolve to a commit, or
    /// the commits cannot be walked.
    pub fn scan_range(
        &self,
        path: &Path,
        include: &[String],
        exclude: &[String],
    ) -> Result<ChangeScan, Error> {
        let repo = repo::open_local(path)?;
        let resolve = |spec: &String| -> Result<GixId, Error> {
            let id = repo.rev_parse_single(spec.as_str()).map_err(|e| {
                Error::new(
                    ErrorKind::Revision,
                    path,
                    Some(format!("cannot resolve {spec:?}")),
                    e,
                )
            })?;
            id.object()
                .and_then(|o| o.peel_to_commit())
                .map(|c| c.id)
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Revision,
                        path,
                        Some(format!("{spec:?} is not a commit")),
                        e,
                    )
                })
        };
        let tips = include.iter().map(resolve).collect::<Result<Vec<_>, _>>()?;
        let hidden = exclude.iter().map(resolve).collect::<Result<Vec<_>, _>>()?;
        self.progress.repository_started();
        let scan = self.commits(&repo, path, tips, hidden);
        self.progress.repository_done();
        scan
    }

    /// Scans exactly what a push sends: for each pushed ref, the commits reachable from the
    /// local commit and not from what the remote has (for a new branch, or a remote commit
    /// this clone never fetched: not from any remote-tracking ref). Deletions scan nothing.
    ///
    /// # Errors
    ///
    /// When the repository cannot be opened or the commits cannot be walked (a pushed id
    /// that is not a commit here).
    pub fn scan_push(&self, path: &Path, pushed: &[PushedRef]) -> Result<ChangeScan, Error> {
        let repo = repo::open_local(path)?;
        let mut tips = Vec::new();
        let mut hidden = Vec::new();
        for p in pushed {
            let Some(local) = p.local else { continue };
            tips.push(local.to_gix());
            match p.remote.map(ObjectId::to_gix) {
                // A remote commit this clone never fetched says nothing about what is new:
                // fall back to everything the remote-tracking refs have.
                Some(id) if repo.find_object(id).is_ok() => hidden.push(id),
                _ => hidden.extend(remote_tips(&repo)),
            }
        }
        if tips.is_empty() {
            return Ok(ChangeScan::default());
        }
        self.progress.repository_started();
        let scan = self.commits(&repo, path, tips, hidden);
        self.progress.repository_done();
        scan
    }

    fn staged(&self, repo: &gix::Repository, path: &Path) -> Result<ChangeScan, Error> {
        let index = repo.open_index().map_err(|e| {
            Error::new(
                ErrorKind::Index,
                path,
                Some("cannot read the index".into()),
                e,
            )
        })?;
        let head = match repo.head_tree_id() {
            Ok(tree) => Some(tree.detach()),
            // An unborn HEAD: everything staged is new.
            Err(_) if repo.head_id().is_err() => None,
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Head,
                    path,
                    Some("cannot read HEAD".into()),
                    e,
                ))
            }
        };
        let mut committed = Committed::default();
        if let Some(tree) = head {
            committed
                .read(repo, tree, index.tree(), BString::default())
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Head,
                        path,
                        Some("cannot read HEAD's tree".into()),
                        e,
                    )
                })?;
        }
        let mut out = ChangeScan::default();
        let mut seen = StdHashSet::new();
        for entry in index.entries() {
            use gix::index::entry::{Mode, Stage};
            if self.cancel.is_cancelled() {
                out.cancelled = true;
                break;
            }
            if entry.stage() != Stage::Unconflicted
                || entry.mode.contains(Mode::COMMIT)
                || entry.mode.contains(Mode::DIR)
            {
                continue;
            }
            let p = entry.path(&index);
            if committed.holds(p, &entry.id) || !seen.insert((p.to_owned(), entry.id)) {
                continue;
            }
            out.blobs_scanned += 1;
            for finding in self.blob_findings(repo, &entry.id, Some(p), &mut out.problems) {
                out.findings.push(HistoryFinding {
                    finding,
                    origin: Origin::Staged {
                        id: ObjectId::from_gix(entry.id),
                        path: p.to_owned(),
                    },
                    damage: None,
                });
            }
        }
        Ok(out)
    }

    /// A range scan with resolved ids; `hidden` ids the repository lacks are ignored.
    fn commits(
        &self,
        repo: &gix::Repository,
        path: &Path,
        tips: Vec<GixId>,
        hidden: Vec<GixId>,
    ) -> Result<ChangeScan, Error> {
        let hash = repo.object_hash();
        let walk_error = |e| {
            Error::new(
                ErrorKind::Walk,
                path,
                Some("cannot walk the commits".into()),
                e,
            )
        };
        let hidden: Vec<GixId> = hidden
            .into_iter()
            .filter(|h| repo.find_object(*h).is_ok())
            .collect();
        let walk = repo
            .rev_walk(tips)
            .with_hidden(hidden)
            .all()
            .map_err(&walk_error)?;
        let mut commits = Vec::new();
        for info in walk {
            let info = info.map_err(&walk_error)?;
            commits.push((info.id, info.parent_ids.iter().copied().collect::<Vec<_>>()));
        }
        // Oldest first, so that a blob is attributed to the first commit adding it.
        commits.reverse();
        let mut out = ChangeScan {
            commits: commits.len() as u64,
            ..ChangeScan::default()
        };
        let mut scanned: HashSet<GixId> = HashSet::default();
        // Trees of the commits read so far: a commit's parents in the range come before it.
        let mut trees: HashMap<GixId, GixId> = HashMap::default();
        let mut diff = TreeDiff::default();
        for (id, parents) in &commits {
            if self.cancel.is_cancelled() {
                out.cancelled = true;
                break;
            }
            let commit = match repo.find_object(*id) {
                Ok(c) => c,
                Err(e) => {
                    out.problems.push(unreadable("commit", id, e));
                    continue;
                }
            };
            let Ok(parsed) = gix::objs::CommitRef::from_bytes(&commit.data, hash) else {
                out.problems.push(Problem::object(
                    ProblemKind::MalformedObject,
                    "commit",
                    id,
                    "malformed",
                ));
                continue;
            };
            let tree = parsed.tree();
            trees.insert(*id, tree);
            let info = CommitInfo::of(Some(&parsed), id, true);
            for finding in self.scanner.scan(parsed.message) {
                out.findings.push(HistoryFinding {
                    finding,
                    origin: Origin::CommitMessage {
                        commit: info.clone(),
                    },
                    damage: None,
                });
            }
            let parent_trees: Vec<Option<GixId>> = if parents.is_empty() {
                vec![None]
            } else {
                parents
                    .iter()
                    .map(|p| {
                        trees.get(p).copied().or_else(|| {
                            // A parent outside the range (its boundary): read here.
                            repo.find_object(*p).ok().and_then(|o| {
                                gix::objs::CommitRef::from_bytes(&o.data, hash)
                                    .ok()
                                    .map(|c| c.tree())
                            })
                        })
                    })
                    .collect()
            };
            // A blob is introduced when no parent has it at that path.
            let mut added: Option<Vec<(BString, GixId)>> = None;
            for parent_tree in parent_trees {
                let d = match diff.added(repo, parent_tree, tree) {
                    Ok(d) => d,
                    Err(e) => {
                        out.problems.push(Problem::object(
                            ProblemKind::UnreadableObject,
                            "commit",
                            id,
                            e,
                        ));
                        Vec::new()
                    }
                };
                added = Some(match added {
                    None => d,
                    Some(prev) => prev.into_iter().filter(|x| d.contains(x)).collect(),
                });
            }
            for (p, blob) in added.unwrap_or_default() {
                if !scanned.insert(blob) {
                    continue;
                }
                out.blobs_scanned += 1;
                let findings = self.blob_findings(repo, &blob, Some(&p), &mut out.problems);
                if findings.is_empty() {
                    continue;
                }
                let origin = Origin::Blob {
                    id: ObjectId::from_gix(blob),
                    provenance: Provenance {
                        introduced: Some(Introduction {
                            commit: info.clone(),
                            path: p,
                        }),
                        others: Vec::new(),
                        refs: Vec::new(),
                        at_head: None,
                    },
                };
                out.findings
                    .extend(findings.into_iter().map(|finding| HistoryFinding {
                        finding,
                        origin: origin.clone(),
                        damage: None,
                    }));
            }
        }
        Ok(out)
    }

    /// The findings in blob `id`; none when it is over the size limit or unreadable (a
    /// problem then). Parts of an archive in it that were not scanned are problems too,
    /// named by `path` when it is known.
    fn blob_findings(
        &self,
        repo: &gix::Repository,
        id: &gix::oid,
        path: Option<&[u8]>,
        problems: &mut Vec<Problem>,
    ) -> Vec<scanner_core::Finding> {
        match repo.find_object(id) {
            Ok(obj) if obj.data.len() as u64 <= self.options.max_blob_size => {
                self.progress.blob_scanned(obj.data.len() as u64);
                let scan = self.scanner.scan_detailed(&obj.data);
                for skip in scan.skipped {
                    problems.push(Problem::archive(id, path, skip));
                }
                scan.findings
            }
            Ok(_) => Vec::new(),
            Err(e) => {
                problems.push(unreadable("object", id, e));
                Vec::new()
            }
        }
    }
}

/// An object that could not be read: missing, or unreadable.
fn unreadable(noun: &str, id: &gix::oid, e: gix::Error) -> Problem {
    let kind = if e.is_not_found() {
        ProblemKind::MissingObject
    } else {
        ProblemKind::UnreadableObject
    };
    Problem::object(kind, noun, id, e.to_string())
}

/// The blobs of HEAD's tree, by path, except below directories the index's cache tree
/// shows unchanged.
#[derive(Default)]
struct Committed {
    blobs: BTreeMap<BString, GixId>,
    /// Directories (`a/b`, no trailing slash; empty for the root) whose index entries
    /// all match HEAD.
    unchanged: StdHashSet<BString>,
}

impl Committed {
    /// Reads `tree` (HEAD's tree at `prefix`), skipping it whole when `cache`, the index's
    /// cache-tree entry for the same directory, is valid and names the same tree.
    fn read(
        &mut self,
        repo: &gix::Repository,
        tree: GixId,
        cache: Option<&gix::index::extension::Tree>,
        prefix: BString,
    ) -> Result<(), String> {
        if cache.is_some_and(|c| c.num_entries.is_some() && c.id == tree) {
            self.unchanged.insert(prefix);
            return Ok(());
        }
        let obj = repo
            .find_object(tree)
            .map_err(|e| format!("tree {tree}: {e}"))?;
        for entry in gix::objs::TreeRefIter::from_bytes(&obj.data, repo.object_hash()) {
            let entry = entry.map_err(|e| format!("tree {tree}: {e}"))?;
            let path = join(prefix.as_ref(), entry.filename);
            if entry.mode.is_tree() {
                let child = cache.and_then(|c| {
                    c.children
                        .iter()
                        .find(|t| t.name.as_slice() == entry.filename.as_bytes())
                });
                self.read(repo, entry.oid.to_owned(), child, path)?;
            } else if !entry.mode.is_commit() {
                self.blobs.insert(path, entry.oid.to_owned());
            }
        }
        Ok(())
    }

    /// Whether HEAD has blob `id` at `path`.
    fn holds(&self, path: &BStr, id: &GixId) -> bool {
        if self.blobs.get(path) == Some(id) {
            return true;
        }
        // Below an unchanged directory every index entry is HEAD's.
        if self.unchanged.contains(BStr::new(b"")) {
            return true;
        }
        path.iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'/')
            .any(|(i, _)| self.unchanged.contains(&path[..i]))
    }
}

/// `prefix/name`, or `name` at the root.
fn join(prefix: &BStr, name: &BStr) -> BString {
    let mut p = BString::from(prefix.to_vec());
    if !p.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// gix's tree diff, keeping only what a commit adds: blobs (and symlinks) whose id is new
/// at their path. Subtrees with the same id are skipped whole, so the cost follows the size
/// of the change.
#[derive(Default)]
struct TreeDiff {
    state: gix::diff::tree::State,
}

impl TreeDiff {
    /// Blobs of `new` that `old` does not have at the same path, in path order.
    fn added(
        &mut self,
        repo: &gix::Repository,
        old: Option<GixId>,
        new: GixId,
    ) -> Result<Vec<(BString, GixId)>, String> {
        if old == Some(new) {
            return Ok(Vec::new());
        }
        let hash = repo.object_hash();
        let read = |id: Option<GixId>| -> Result<Vec<u8>, String> {
            match id {
                None => Ok(Vec::new()),
                Some(id) => repo
                    .find_object(id)
                    .map(|o| o.detach().data)
                    .map_err(|e| format!("tree {id}: {e}")),
            }
        };
        let (old_data, new_data) = (read(old)?, read(Some(new))?);
        let mut recorder = gix::diff::tree::Recorder::default();
        gix::diff::tree(
            gix::objs::TreeRefIter::from_bytes(&old_data, hash),
            gix::objs::TreeRefIter::from_bytes(&new_data, hash),
            &mut self.state,
            &repo.objects,
            &mut recorder,
        )
        .map_err(|e| crate::error::error_chain(&e))?;
        use gix::diff::tree::recorder::Change;
        let mut added: Vec<(BString, GixId)> = recorder
            .records
            .into_iter()
            .filter_map(|change| match change {
                Change::Addition {
                    entry_mode,
                    oid,
                    path,
                    ..
                } => Some((entry_mode, oid, path)),
                Change::Modification {
                    previous_oid,
                    entry_mode,
                    oid,
                    path,
                    ..
                } if previous_oid != oid => Some((entry_mode, oid, path)),
                _ => None,
            })
            .filter(|(mode, _, _)| !mode.is_tree() && !mode.is_commit())
            .map(|(_, oid, path)| (path, oid))
            .collect();
        // Breadth-first from gix; path order is what git shows (and depth-first order).
        added.sort();
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::PushedRef;

    #[test]
    fn pre_push_lines_parse_with_either_hash_and_zero_ids() {
        let sha1 = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
        let line = format!("refs/heads/main {sha1} refs/heads/topic {}", "0".repeat(40));
        let p = PushedRef::parse(&line).expect("a well-formed line");
        assert_eq!(p.local_ref, "refs/heads/main");
        assert_eq!(p.local.map(|i| i.to_string()).as_deref(), Some(sha1));
        assert_eq!(p.remote_ref, "refs/heads/topic");
        assert_eq!(p.remote, None, "a new branch");

        let line = format!("(delete) {} refs/heads/old {sha1}", "0".repeat(40));
        let p = PushedRef::parse(&line).expect("a well-formed line");
        assert_eq!(p.local, None, "a deletion");
        assert_eq!(p.remote.map(|i| i.to_string()).as_deref(), Some(sha1));
        #[cfg(feature = "sha256")]
        {
            let sha256 = "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813";
            let line = format!("(delete) {} refs/heads/old {sha256}", "0".repeat(64));
            let p = PushedRef::parse(&line).expect("a well-formed line");
            assert_eq!(p.local, None, "a deletion");
            assert_eq!(p.remote.map(|i| i.to_string()).as_deref(), Some(sha256));
        }

        assert_eq!(
            PushedRef::parse("refs/heads/main abc refs/heads/main"),
            None
        );
        assert_eq!(
            PushedRef::parse(&format!("a {sha1} b not-an-id")),
            None,
            "ids must be ids"
        );
    }
}
