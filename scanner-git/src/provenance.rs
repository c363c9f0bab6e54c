//! Where matched blobs come from: one more pass over the object database collecting the
//! tree graph (subtrees, and entries naming a matched blob), then, in memory, every commit
//! and path holding each matched blob, the earliest such commit in topological order, the
//! refs it is reachable from, and whether HEAD still holds it.
//!
//! Only repositories with findings pay for this stage.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use gix::ObjectId;

use crate::odb::{self, Odb};
use crate::Problem;

/// What pass one keeps of each commit.
#[derive(Debug, Clone)]
pub(crate) struct CommitNode {
    pub(crate) tree: ObjectId,
    pub(crate) parents: Vec<ObjectId>,
    pub(crate) time: i64,
}

#[derive(Debug, Default)]
struct TreeNode {
    subtrees: Vec<(Box<[u8]>, ObjectId)>,
    hits: Vec<(Box<[u8]>, ObjectId)>,
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
}

pub(crate) fn compute(
    odb: &Odb,
    threads: Option<usize>,
    commits: &HashMap<ObjectId, CommitNode>,
    matched: &HashSet<ObjectId>,
    refs: &[(String, ObjectId)],
    head: Option<ObjectId>,
    problems: &Mutex<Vec<Problem>>,
) -> Provenances {
    let trees = collect_trees(odb, threads, matched, problems);
    let mut memo: HashMap<ObjectId, Holdings> = HashMap::new();
    let empty: Holdings = Arc::new(Vec::new());
    let mut too_deep = false;

    let order = topological_order(commits);
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
        let held = holdings_of(&trees, node.tree, &mut memo, &empty, 0, &mut too_deep);
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
    if too_deep {
        problems
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Problem::new(
                "trees",
                format!("trees nested deeper than {MAX_TREE_DEPTH} levels were not followed"),
            ));
    }

    for (name, tip) in refs {
        let Some(&ti) = index_of.get(tip) else {
            continue;
        };
        for (b, blob) in matched_list.iter().enumerate() {
            if masks[ti * words + b / 64] & (1 << (b % 64)) != 0 {
                out.blobs.entry(*blob).or_default().refs.push(name.clone());
            }
        }
    }
    let head_holdings = head
        .and_then(|h| commits.get(&h))
        .map(|n| holdings_of(&trees, n.tree, &mut memo, &empty, 0, &mut too_deep));
    for blob in matched {
        let p = out.blobs.entry(*blob).or_default();
        p.at_head = head_holdings
            .as_ref()
            .map(|h| h.iter().any(|(_, b)| b == blob));
        p.refs.sort();
        p.refs.dedup();
    }
    out.reachable = reachable(commits, refs.iter().map(|(_, id)| *id));
    out
}

/// Subtrees of every tree, and its entries that name a matched blob.
fn collect_trees(
    odb: &Odb,
    threads: Option<usize>,
    matched: &HashSet<ObjectId>,
    problems: &Mutex<Vec<Problem>>,
) -> HashMap<ObjectId, TreeNode> {
    const SHARDS: usize = 64;
    let shards: Vec<Mutex<HashMap<ObjectId, TreeNode>>> =
        (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect();
    let visit = |kind: gix::objs::Kind, data: &[u8], id: &gix::oid| {
        if kind != gix::objs::Kind::Tree {
            return;
        }
        let mut node = TreeNode::default();
        for entry in gix::objs::TreeRefIter::from_bytes(data, gix::hash::Kind::Sha1) {
            let Ok(entry) = entry else { break };
            if entry.mode.is_tree() {
                node.subtrees.push((
                    entry.filename.to_vec().into_boxed_slice(),
                    entry.oid.to_owned(),
                ));
            } else if !entry.mode.is_commit() && matched.contains(entry.oid) {
                node.hits.push((
                    entry.filename.to_vec().into_boxed_slice(),
                    entry.oid.to_owned(),
                ));
            }
        }
        if node.subtrees.is_empty() && node.hits.is_empty() {
            return;
        }
        node.subtrees.shrink_to_fit();
        shards[usize::from(id.as_bytes()[0]) % SHARDS]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.to_owned(), node);
    };
    odb::for_each_object(odb, threads, problems, &visit);
    shards
        .into_iter()
        .flat_map(|s| {
            s.into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        })
        .collect()
}

/// Every (path, matched blob) below `tree`, memoized per tree: a tree id always holds the
/// same things, and most commits share most of their trees.
fn holdings_of(
    trees: &HashMap<ObjectId, TreeNode>,
    tree: ObjectId,
    memo: &mut HashMap<ObjectId, Holdings>,
    empty: &Holdings,
    depth: usize,
    too_deep: &mut bool,
) -> Holdings {
    if let Some(h) = memo.get(&tree) {
        return h.clone();
    }
    let Some(node) = trees.get(&tree) else {
        return empty.clone();
    };
    if depth > MAX_TREE_DEPTH {
        *too_deep = true;
        return empty.clone();
    }
    let mut held: Vec<(Vec<u8>, ObjectId)> =
        node.hits.iter().map(|(n, b)| (n.to_vec(), *b)).collect();
    for (name, child) in &node.subtrees {
        let below = holdings_of(trees, *child, memo, empty, depth + 1, too_deep);
        for (path, blob) in below.iter() {
            let mut full = Vec::with_capacity(name.len() + 1 + path.len());
            full.extend_from_slice(name);
            full.push(b'/');
            full.extend_from_slice(path);
            held.push((full, *blob));
        }
    }
    let h = if held.is_empty() {
        empty.clone()
    } else {
        Arc::new(held)
    };
    memo.insert(tree, h.clone());
    h
}

/// Commits, parents before children; among commits whose parents are all placed, the
/// oldest (then the smallest id) first. Deterministic for a given object database.
fn topological_order(commits: &HashMap<ObjectId, CommitNode>) -> Vec<ObjectId> {
    let mut pending: HashMap<ObjectId, usize> = HashMap::with_capacity(commits.len());
    let mut children: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
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
    let mut seen = HashSet::new();
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
