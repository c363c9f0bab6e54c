//! What a change adds: the blobs staged for the next commit, and the blobs and messages
//! that a range of commits introduces (a push, a pull request). Only those are scanned, so
//! hooks stay fast on large repositories.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use gix::ObjectId;
use scanner_core::{Finding, Scanner};

use crate::{commit_info_of, odb, CommitInfo, Error, HistoryFinding, Problem, Provenance, Source};

/// The findings of a staged or range scan.
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
}

fn open(path: &Path) -> Result<gix::Repository, Error> {
    odb::open(path)
        .map(|ts| ts.to_thread_local())
        .map_err(|message| Error {
            path: path.to_path_buf(),
            message,
        })
}

fn error(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error {
        path: path.to_path_buf(),
        message: format!("{what}: {e}"),
    }
}

/// One entry of a tree.
#[derive(Clone, Copy, PartialEq, Eq)]
struct TreeEntry {
    id: ObjectId,
    is_tree: bool,
    is_submodule: bool,
}

/// Entries of a tree by name; none for no tree.
fn entries(
    repo: &gix::Repository,
    tree: Option<ObjectId>,
) -> Result<BTreeMap<Vec<u8>, TreeEntry>, String> {
    let Some(tree) = tree else {
        return Ok(BTreeMap::new());
    };
    let obj = repo
        .find_object(tree)
        .map_err(|e| format!("tree {tree}: {e}"))?;
    Ok(
        gix::objs::TreeRefIter::from_bytes(&obj.data, gix::hash::Kind::Sha1)
            .filter_map(Result::ok)
            .map(|e| {
                let entry = TreeEntry {
                    id: e.oid.to_owned(),
                    is_tree: e.mode.is_tree(),
                    is_submodule: e.mode.is_commit(),
                };
                (e.filename.to_vec(), entry)
            })
            .collect(),
    )
}

/// `prefix/name`, or `name` at the root.
fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = prefix.to_vec();
    if !p.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// Every blob under `tree`, by path.
fn tree_blobs(
    repo: &gix::Repository,
    tree: ObjectId,
    prefix: &[u8],
    out: &mut BTreeMap<Vec<u8>, ObjectId>,
) -> Result<(), String> {
    for (name, e) in entries(repo, Some(tree))? {
        let path = join(prefix, &name);
        if e.is_tree {
            tree_blobs(repo, e.id, &path, out)?;
        } else if !e.is_submodule {
            out.insert(path, e.id);
        }
    }
    Ok(())
}

/// Blobs of `new` that `old` does not have at the same path: what a commit adds. Subtrees
/// with the same id are skipped whole, so the cost follows the size of the change.
fn diff(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: ObjectId,
    prefix: &[u8],
    out: &mut Vec<(Vec<u8>, ObjectId)>,
) -> Result<(), String> {
    if old == Some(new) {
        return Ok(());
    }
    let before = entries(repo, old)?;
    for (name, e) in entries(repo, Some(new))? {
        let prev = before.get(&name);
        if e.is_submodule || prev.is_some_and(|p| p.id == e.id) {
            continue;
        }
        let path = join(prefix, &name);
        if e.is_tree {
            diff(
                repo,
                prev.filter(|p| p.is_tree).map(|p| p.id),
                e.id,
                &path,
                out,
            )?;
        } else {
            out.push((path, e.id));
        }
    }
    Ok(())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scan_blob(
    repo: &gix::Repository,
    scanner: &Scanner,
    id: ObjectId,
    max_size: u64,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Finding>> {
    match repo.find_object(id) {
        Ok(obj) if obj.data.len() as u64 <= max_size => Some(scanner.scan(&obj.data)),
        Ok(_) => None,
        Err(e) => {
            problems.push(Problem::new(format!("object {id}"), e.to_string()));
            None
        }
    }
}

/// Scans what is staged for the next commit: the index entries whose blob differs from
/// HEAD's tree at the same path (everything, before the first commit).
///
/// # Errors
///
/// When the repository or its index cannot be read: a pre-commit check must fail closed,
/// never pass silently.
pub fn scan_staged(scanner: &Scanner, path: &Path, max_size: u64) -> Result<ChangeScan, Error> {
    let repo = open(path)?;
    let index = repo
        .open_index()
        .map_err(|e| error(path, "cannot read the index", e))?;
    let mut head = BTreeMap::new();
    match repo.head_tree_id() {
        Ok(tree) => tree_blobs(&repo, tree.detach(), &[], &mut head)
            .map_err(|e| error(path, "cannot read HEAD's tree", e))?,
        // An unborn HEAD: everything staged is new.
        Err(_) if repo.head_id().is_err() => {}
        Err(e) => return Err(error(path, "cannot read HEAD", e)),
    }
    let mut out = ChangeScan::default();
    let mut seen = HashSet::new();
    for entry in index.entries() {
        use gix::index::entry::{Mode, Stage};
        if entry.stage() != Stage::Unconflicted
            || entry.mode.contains(Mode::COMMIT)
            || entry.mode.contains(Mode::DIR)
        {
            continue;
        }
        let p = entry.path(&index);
        if head.get(p.as_ref() as &[u8]) == Some(&entry.id) || !seen.insert((p.to_vec(), entry.id))
        {
            continue;
        }
        out.blobs_scanned += 1;
        if let Some(findings) = scan_blob(&repo, scanner, entry.id, max_size, &mut out.problems) {
            for f in findings {
                out.findings.push(HistoryFinding {
                    finding: f,
                    source: Source::Staged {
                        path: lossy(p),
                        id: entry.id.to_string(),
                    },
                });
            }
        }
    }
    Ok(out)
}

/// Scans what the commits reachable from `include` and not from `exclude` introduce: the
/// blobs they add relative to their parents (each blob once, attributed to the oldest
/// commit adding it), and their messages. Revisions are anything git accepts
/// (`main`, `origin/main`, `HEAD~3`, full ids).
///
/// # Errors
///
/// When the repository cannot be opened or a revision does not resolve.
pub fn scan_range(
    scanner: &Scanner,
    path: &Path,
    include: &[String],
    exclude: &[String],
    max_size: u64,
) -> Result<ChangeScan, Error> {
    let repo = open(path)?;
    let resolve = |spec: &String| -> Result<ObjectId, Error> {
        repo.rev_parse_single(spec.as_str())
            .map_err(|e| error(path, &format!("cannot resolve {spec:?}"), e))
            .and_then(|id| {
                id.object()
                    .and_then(|o| o.peel_to_commit())
                    .map(|c| c.id)
                    .map_err(|e| error(path, &format!("{spec:?} is not a commit"), e))
            })
    };
    let tips = include.iter().map(resolve).collect::<Result<Vec<_>, _>>()?;
    let hidden = exclude.iter().map(resolve).collect::<Result<Vec<_>, _>>()?;
    scan_commits(scanner, &repo, path, tips, hidden, max_size)
}

/// [`scan_range`] with resolved ids; `hidden` ids the repository lacks are ignored.
pub(crate) fn scan_commits(
    scanner: &Scanner,
    repo: &gix::Repository,
    path: &Path,
    tips: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
    max_size: u64,
) -> Result<ChangeScan, Error> {
    let hidden: Vec<ObjectId> = hidden
        .into_iter()
        .filter(|h| repo.find_object(*h).is_ok())
        .collect();
    let walk = repo
        .rev_walk(tips)
        .with_hidden(hidden)
        .all()
        .map_err(|e| error(path, "cannot walk the commits", e))?;
    let mut commits = Vec::new();
    for info in walk {
        let info = info.map_err(|e| error(path, "cannot walk the commits", e))?;
        commits.push((info.id, info.parent_ids.iter().copied().collect::<Vec<_>>()));
    }
    // Oldest first, so that a blob is attributed to the first commit adding it.
    commits.reverse();
    let mut out = ChangeScan {
        commits: commits.len() as u64,
        ..ChangeScan::default()
    };
    let mut scanned: HashSet<ObjectId> = HashSet::new();
    let mut trees: std::collections::HashMap<ObjectId, ObjectId> = std::collections::HashMap::new();
    for (id, parents) in &commits {
        let commit = match repo.find_object(*id) {
            Ok(c) => c,
            Err(e) => {
                out.problems
                    .push(Problem::new(format!("commit {id}"), e.to_string()));
                continue;
            }
        };
        let Ok(parsed) = gix::objs::CommitRef::from_bytes(&commit.data, gix::hash::Kind::Sha1)
        else {
            out.problems
                .push(Problem::new(format!("commit {id}"), "malformed"));
            continue;
        };
        let tree = parsed.tree();
        trees.insert(*id, tree);
        let info: CommitInfo = commit_info_of(Some(&parsed), *id, true);
        for f in scanner.scan(parsed.message) {
            out.findings.push(HistoryFinding {
                finding: f,
                source: Source::CommitMessage(info.clone()),
            });
        }
        // A blob is introduced when no parent has it at that path.
        let mut added: Option<Vec<(Vec<u8>, ObjectId)>> = None;
        let parent_trees: Vec<Option<ObjectId>> = if parents.is_empty() {
            vec![None]
        } else {
            // Parents in the range were read just before (oldest first); the boundary ones
            // are read here.
            parents
                .iter()
                .map(|p| {
                    trees.get(p).copied().or_else(|| {
                        repo.find_object(*p).ok().and_then(|o| {
                            gix::objs::CommitRef::from_bytes(&o.data, gix::hash::Kind::Sha1)
                                .ok()
                                .map(|c| c.tree())
                        })
                    })
                })
                .collect()
        };
        for parent_tree in parent_trees {
            let mut d = Vec::new();
            if let Err(e) = diff(repo, parent_tree, tree, &[], &mut d) {
                out.problems.push(Problem::new(format!("commit {id}"), e));
            }
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
            if let Some(findings) = scan_blob(repo, scanner, blob, max_size, &mut out.problems) {
                let provenance = Provenance {
                    introduced: Some((info.clone(), lossy(&p))),
                    others: Vec::new(),
                    refs: Vec::new(),
                    at_head: None,
                };
                for f in findings {
                    out.findings.push(HistoryFinding {
                        finding: f,
                        source: Source::Blob {
                            id: blob.to_string(),
                            provenance: provenance.clone(),
                        },
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Tips of the remote-tracking refs (`refs/remotes/*`): what a remote already has.
pub(crate) fn remote_tips(repo: &gix::Repository) -> Vec<ObjectId> {
    let Ok(refs) = repo.references() else {
        return Vec::new();
    };
    let Ok(iter) = refs.prefixed("refs/remotes/") else {
        return Vec::new();
    };
    iter.filter_map(Result::ok)
        .filter_map(|mut r| r.peel_to_id().ok().map(gix::Id::detach))
        .collect()
}

/// One line of git's pre-push input: `<local ref> <local sha> <remote ref> <remote sha>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushedRef {
    /// The local commit being pushed (all zeros when the remote ref is deleted).
    pub local: String,
    /// What the remote has now (all zeros for a new branch).
    pub remote: String,
}

impl PushedRef {
    /// Parses one line of the hook's standard input.
    pub fn parse(line: &str) -> Option<PushedRef> {
        let mut w = line.split_whitespace();
        let (_lref, local, _rref, remote) = (w.next()?, w.next()?, w.next()?, w.next()?);
        Some(PushedRef {
            local: local.to_string(),
            remote: remote.to_string(),
        })
    }
}

/// Scans exactly what a push sends: for each pushed ref, the commits reachable from the
/// local commit and not from what the remote has (for a new branch: not from any
/// remote-tracking ref). Deletions scan nothing.
///
/// # Errors
///
/// When the repository cannot be opened or a pushed id is not a commit here.
pub fn scan_push(
    scanner: &Scanner,
    path: &Path,
    pushed: &[PushedRef],
    max_size: u64,
) -> Result<ChangeScan, Error> {
    let repo = open(path)?;
    let is_null = |s: &str| s.bytes().all(|b| b == b'0');
    let mut tips = Vec::new();
    let mut hidden = Vec::new();
    for p in pushed {
        if is_null(&p.local) {
            continue;
        }
        tips.push(
            ObjectId::from_hex(p.local.as_bytes())
                .map_err(|e| error(path, &format!("bad id {:?}", p.local), e))?,
        );
        if is_null(&p.remote) {
            hidden.extend(remote_tips(&repo));
        } else {
            match ObjectId::from_hex(p.remote.as_bytes()) {
                // A remote commit this clone never fetched says nothing about what is new:
                // fall back to everything the remote-tracking refs have.
                Ok(id) if repo.find_object(id).is_ok() => hidden.push(id),
                _ => hidden.extend(remote_tips(&repo)),
            }
        }
    }
    if tips.is_empty() {
        return Ok(ChangeScan::default());
    }
    scan_commits(scanner, &repo, path, tips, hidden, max_size)
}
