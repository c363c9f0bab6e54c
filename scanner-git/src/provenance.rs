//! Where matched blobs come from: every commit and path holding each matched blob, the
//! earliest such commit in topological order, the refs it is reachable from, and whether
//! HEAD still holds it.
//!
//! One walk serves all matched blobs: commits in topological order, each root tree resolved
//! to the (path, matched blob) pairs below it. The tree graph kept by the object pass says
//! which trees lead to a matched blob; only those are read again (for their entry names),
//! each once: a tree id always holds the same things. Only repositories with findings pay
//! for this stage, and only in proportion to the trees that hold their findings.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use gix::hashtable::{HashMap, HashSet};
use gix::ObjectId;

use crate::graph::{Graph, Leads};
use crate::repo::Refs;
use crate::{Problem, ProblemKind};

/// What pass one keeps of each commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommitNode {
    pub(crate) tree: ObjectId,
    pub(crate) parents: Vec<ObjectId>,
    pub(crate) time: i64,
}

type Holdings = Arc<Vec<(Vec<u8>, ObjectId)>>;

/// Deeper trees are not followed (and reported): a guard against hostile repositories.
const MAX_TREE_DEPTH: usize = 512;

/// One commit holding a blob at a path.
#[derive(Debug, Clone)]
pub(crate) struct Holding {
    pub(crate) commit: ObjectId,
    pub(crate) path: Vec<u8>,
}

/// Provenance of one blob, with ids still binary.
#[derive(Debug, Default)]
pub(crate) struct BlobProvenance {
    /// In topological order, oldest first: the first is the introducing commit.
    pub(crate) holdings: Vec<Holding>,
    pub(crate) refs: Vec<String>,
    pub(crate) at_head: Option<bool>,
}

/// The result for all matched blobs of one repository.
#[derive(Debug, Default)]
pub(crate) struct Provenances {
    pub(crate) blobs: HashMap<ObjectId, BlobProvenance>,
    pub(crate) reachable: HashSet<ObjectId>,
    /// Trees that could not be read or followed on the way.
    pub(crate) problems: Vec<Problem>,
}

/// Provenance of every `matched` blob, from the commits and tree graph of the object pass.
/// Trees the pass did not read (packs an earlier scan recorded) lead to a matched blob when
/// `base_leads` lists them. Also returns which trees lead to one, for the next record.
pub(crate) fn compute(
    repo: &gix::Repository,
    graph: &Graph,
    commits: &HashMap<ObjectId, CommitNode>,
    refs: &Refs,
    matched: &HashSet<ObjectId>,
    base_leads: &HashSet<ObjectId>,
) -> (Provenances, Leads) {
    // Independent walks, the one over trees and the one over commits: side by side.
    let (leads, order) = rayon::join(
        || graph.leads_to(matched, base_leads),
        || topological_order(commits),
    );
    let out = compute_with(
        repo, graph, &leads, base_leads, commits, refs, matched, order,
    );
    (out, leads)
}

#[allow(clippy::too_many_arguments)] // the pieces of one computation, split for the join above
fn compute_with(
    repo: &gix::Repository,
    graph: &Graph,
    leads: &Leads,
    base_leads: &HashSet<ObjectId>,
    commits: &HashMap<ObjectId, CommitNode>,
    refs: &Refs,
    matched: &HashSet<ObjectId>,
    order: Vec<ObjectId>,
) -> Provenances {
    let mut trees = Trees {
        repo,
        hash: repo.object_hash(),
        graph,
        leads,
        base_leads,
        matched,
        memo: HashMap::default(),
        empty: Arc::new(Vec::new()),
        buf: Vec::new(),
        too_deep: false,
        unreadable: 0,
    };

    let index_of: HashMap<ObjectId, usize> =
        order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let matched_list: Vec<ObjectId> = {
        let mut v: Vec<ObjectId> = matched.iter().copied().collect();
        v.sort();
        v
    };
    let bit_of: HashMap<ObjectId, usize> = matched_list
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    let words = matched_list.len().div_ceil(64).max(1);
    let mut masks = vec![0u64; order.len() * words];

    let mut out = Provenances::default();
    for (ci, id) in order.iter().enumerate() {
        let node = &commits[id];
        let held = trees.holdings(node.tree, 0);
        for (path, blob) in held.iter() {
            out.blobs.entry(*blob).or_default().holdings.push(Holding {
                commit: *id,
                path: path.clone(),
            });
            if let Some(&b) = bit_of.get(blob) {
                masks[ci * words + b / 64] |= 1 << (b % 64);
            }
        }
        // What a commit reaches is what it holds and what its parents reach. Parents come
        // first in topological order.
        for p in &node.parents {
            if let Some(&pi) = index_of.get(p) {
                for w in 0..words {
                    let v = masks[pi * words + w];
                    masks[ci * words + w] |= v;
                }
            }
        }
    }
    if trees.unreadable > 0 {
        out.problems.push(Problem::new(
            ProblemKind::UnreadableObject,
            "trees",
            format!(
                "{} trees could not be read while locating findings",
                trees.unreadable
            ),
        ));
    }
    if trees.too_deep {
        out.problems.push(Problem::new(
            ProblemKind::TreeTooDeep,
            "trees",
            format!("trees nested deeper than {MAX_TREE_DEPTH} levels were not followed"),
        ));
    }

    for (name, tip) in &refs.all {
        let Some(&ti) = index_of.get(tip) else {
            continue;
        };
        for (b, blob) in matched_list.iter().enumerate() {
            if masks[ti * words + b / 64] & (1 << (b % 64)) != 0 {
                out.blobs.entry(*blob).or_default().refs.push(name.clone());
            }
        }
    }
    let head_holdings = refs
        .head
        .and_then(|h| commits.get(&h))
        .map(|n| trees.holdings(n.tree, 0));
    for blob in matched {
        let p = out.blobs.entry(*blob).or_default();
        p.at_head = head_holdings
            .as_ref()
            .map(|h| h.iter().any(|(_, b)| b == blob));
        p.refs.sort();
        p.refs.dedup();
    }
    out.reachable = reachable(commits, refs.all.iter().map(|(_, id)| *id));
    out
}

/// Trees read on demand, with what each holds memoized.
struct Trees<'a> {
    repo: &'a gix::Repository,
    hash: gix::hash::Kind,
    graph: &'a Graph,
    leads: &'a Leads,
    base_leads: &'a HashSet<ObjectId>,
    matched: &'a HashSet<ObjectId>,
    memo: HashMap<ObjectId, Holdings>,
    empty: Holdings,
    buf: Vec<u8>,
    too_deep: bool,
    unreadable: u64,
}

impl Trees<'_> {
    /// Every (path, matched blob) below `tree`.
    fn holdings(&mut self, tree: ObjectId, depth: usize) -> Holdings {
        if let Some(h) = self.memo.get(&tree) {
            return h.clone();
        }
        if !leads_to_match(self.leads, self.graph, self.base_leads, &tree) {
            return self.empty.clone();
        }
        if depth > MAX_TREE_DEPTH {
            self.too_deep = true;
            return self.empty.clone();
        }
        let mut hits: Vec<(Vec<u8>, ObjectId)> = Vec::new();
        let mut subtrees: Vec<(Vec<u8>, ObjectId)> = Vec::new();
        match gix::objs::Find::try_find(&self.repo.objects, &tree, &mut self.buf) {
            Ok(Some(data)) if data.kind == gix::objs::Kind::Tree => {
                for entry in gix::objs::TreeRefIter::from_bytes(data.data, self.hash) {
                    let Ok(entry) = entry else { break };
                    if entry.mode.is_tree() {
                        if leads_to_match(self.leads, self.graph, self.base_leads, entry.oid) {
                            subtrees.push((entry.filename.to_vec(), entry.oid.to_owned()));
                        }
                    } else if !entry.mode.is_commit() && self.matched.contains(entry.oid) {
                        hits.push((entry.filename.to_vec(), entry.oid.to_owned()));
                    }
                }
            }
            // Missing trees (shallow or partial clones) were reported by the object pass.
            Ok(_) => {}
            Err(_) => self.unreadable += 1,
        }
        for (name, child) in subtrees {
            let below = self.holdings(child, depth + 1);
            for (path, blob) in below.iter() {
                let mut full = Vec::with_capacity(name.len() + 1 + path.len());
                full.extend_from_slice(&name);
                full.push(b'/');
                full.extend_from_slice(path);
                hits.push((full, *blob));
            }
        }
        let h = if hits.is_empty() {
            self.empty.clone()
        } else {
            Arc::new(hits)
        };
        self.memo.insert(tree, h.clone());
        h
    }
}

/// Whether `tree` leads to a matched blob: by the graph of this pass, or by the record of
/// an earlier one.
fn leads_to_match(leads: &Leads, graph: &Graph, base: &HashSet<ObjectId>, tree: &gix::oid) -> bool {
    leads.contains(graph, tree) || base.contains(tree)
}

/// Commits, parents before children; among commits whose parents are all placed, the
/// oldest (then the smallest id) first. Deterministic for a given object database.
fn topological_order(commits: &HashMap<ObjectId, CommitNode>) -> Vec<ObjectId> {
    let mut pending: HashMap<ObjectId, usize> = HashMap::default();
    pending.reserve(commits.len());
    let mut children: HashMap<ObjectId, Vec<ObjectId>> = HashMap::default();
    for (id, node) in commits {
        let mut n = 0;
        for p in &node.parents {
            if commits.contains_key(p) {
                n += 1;
                children.entry(*p).or_default().push(*id);
            }
        }
        pending.insert(*id, n);
    }
    let mut ready: BinaryHeap<Reverse<(i64, ObjectId)>> = pending
        .iter()
        .filter(|(_, &n)| n == 0)
        .map(|(id, _)| Reverse((commits[id].time, *id)))
        .collect();
    let mut order = Vec::with_capacity(commits.len());
    while let Some(Reverse((_, id))) = ready.pop() {
        order.push(id);
        for c in children.get(&id).into_iter().flatten() {
            if let Some(n) = pending.get_mut(c) {
                *n -= 1;
                if *n == 0 {
                    ready.push(Reverse((commits[c].time, *c)));
                }
            }
        }
    }
    order
}

/// Commits reachable from `tips` through parent links.
fn reachable(
    commits: &HashMap<ObjectId, CommitNode>,
    tips: impl Iterator<Item = ObjectId>,
) -> HashSet<ObjectId> {
    let mut seen = HashSet::default();
    let mut stack: Vec<ObjectId> = tips.filter(|t| commits.contains_key(t)).collect();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(node) = commits.get(&id) {
            stack.extend(
                node.parents
                    .iter()
                    .filter(|p| commits.contains_key(*p) && !seen.contains(*p)),
            );
        }
    }
    seen
}
