//! The tree graph, kept compactly while the object pass reads every tree anyway: each
//! object id a tree or commit refers to gets a small index, and each tree the indices of
//! its entries. It answers, without reading any object again, which trees lead to a
//! matched blob, and which referenced objects the database lacks.
//!
//! Memory: about 35 bytes per distinct referenced id of a SHA-1 repository (its 20 bytes and
//! its index, inline in a hash table: not a map of gix's `ObjectId`s, 33 bytes each with
//! SHA-256 support, which took about 60) and 4 bytes per tree entry.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

use gix::hashtable::hash_table::HashTable;
use gix::ObjectId;

use gix::hashtable::HashSet;

use crate::sync::lock;

const SHARDS: usize = 64;
/// Marks an entry that is a subtree (the rest are blobs and symlinks).
const SUBTREE: u32 = 1 << 31;

/// Entries live in fixed-size chunks: one growing vector would, while doubling, briefly
/// need three times its final size (tens of millions of entries in large histories).
const CHUNK: usize = 1 << 20;

/// The ids of one shard, each with its index, kept inline in a hash table keyed by their
/// bytes (SHA-1 ids take 20 bytes, not the 33 of gix's `ObjectId`, which holds either hash).
/// Ids are uniformly random: a few of their bytes are a good hash.
#[derive(Debug)]
enum IdShard {
    Sha1(HashTable<([u8; 20], u32)>),
    Sha256(HashTable<([u8; 32], u32)>),
}

fn get_in<const N: usize>(table: &HashTable<([u8; N], u32)>, id: &[u8]) -> Option<u32> {
    // Compared as arrays of their fixed length: inline, not a call to `memcmp`.
    let id: &[u8; N] = id.try_into().ok()?;
    table.find(id_hash(id), |(k, _)| k == id).map(|&(_, i)| i)
}

fn insert_in<const N: usize>(table: &mut HashTable<([u8; N], u32)>, id: &[u8], i: u32) {
    // Every id of a repository has its hash's length.
    if let Ok(key) = <[u8; N]>::try_from(id) {
        table.insert_unique(id_hash(id), (key, i), |(k, _)| id_hash(k));
    }
}

impl IdShard {
    fn new(hash: gix::hash::Kind) -> IdShard {
        if hash.len_in_bytes() == 20 {
            IdShard::Sha1(HashTable::new())
        } else {
            IdShard::Sha256(HashTable::new())
        }
    }

    fn get(&self, id: &[u8]) -> Option<u32> {
        match self {
            IdShard::Sha1(t) => get_in(t, id),
            IdShard::Sha256(t) => get_in(t, id),
        }
    }

    fn insert(&mut self, id: &[u8], i: u32) {
        match self {
            IdShard::Sha1(t) => insert_in(t, id, i),
            IdShard::Sha256(t) => insert_in(t, id, i),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], u32)> + '_> {
        match self {
            IdShard::Sha1(t) => Box::new(t.iter().map(|(k, i)| (&k[..], *i))),
            IdShard::Sha256(t) => Box::new(t.iter().map(|(k, i)| (&k[..], *i))),
        }
    }
}

/// An id's hash: eight of its bytes past the one that picks its shard.
fn id_hash(id: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = id.len().saturating_sub(1).min(8);
    b[..n].copy_from_slice(&id[1..1 + n]);
    u64::from_le_bytes(b)
}

/// The shard of an id.
fn shard_of(id: &[u8]) -> usize {
    usize::from(id.first().copied().unwrap_or(0)) % SHARDS
}

#[derive(Debug, Default)]
struct Store {
    /// (tree index, chunk, first entry in it, number of entries)
    nodes: Vec<(u32, u32, u32, u32)>,
    chunks: Vec<Vec<u32>>,
}

/// Slots of a thread's recently interned ids, 36 bytes each: 144 KiB stays in a core's
/// cache. On rails/rails (18.9M tree entries, 1.08M distinct ids) 86 % of entries are found
/// in them; 32 times as many slots find 88 %, a quarter as many 82 %.
const RECENT_SLOTS: usize = 1 << 12;

/// The ids a thread interned last, by their hash, each with its index: the versions of one
/// tree reach a thread one after another (a delta and its base) and share most entries, so
/// most entries of a tree are found here without the shared table's lock and its cache
/// misses (it holds every id of the history). Indices never change, so a slot is never
/// stale, only overwritten.
struct Recent {
    serial: u64,
    slots: Vec<([u8; 32], u32)>,
}

/// Whether the slot's id is `id`, compared at a fixed length (inline, no `memcmp` call).
/// A graph's ids all have its hash's length, so a SHA-1 id is its slot's first 20 bytes.
fn same_id(slot: &[u8; 32], id: &[u8]) -> bool {
    match <&[u8; 20]>::try_from(id) {
        Ok(id) => slot[..20] == id[..],
        Err(_) => slot[..] == *id,
    }
}

impl Recent {
    fn clear_unless_for(&mut self, serial: u64) {
        if self.serial != serial || self.slots.is_empty() {
            self.serial = serial;
            self.slots = vec![([0u8; 32], u32::MAX); RECENT_SLOTS];
        }
    }
}

thread_local! {
    static RECENT: std::cell::RefCell<Recent> = const {
        std::cell::RefCell::new(Recent { serial: u64::MAX, slots: Vec::new() })
    };
}

/// Built concurrently by the object pass.
#[derive(Debug)]
pub(crate) struct GraphBuilder {
    /// Tells this graph's entries in a thread's [`RECENT`] ids from another graph's.
    serial: u64,
    hash: gix::hash::Kind,
    ids: Vec<Mutex<IdShard>>,
    next: AtomicU32,
    store: Mutex<Store>,
}

impl GraphBuilder {
    /// A graph of a repository whose objects use `hash`.
    pub(crate) fn new(hash: gix::hash::Kind) -> Self {
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        GraphBuilder {
            serial: SERIAL.fetch_add(1, Ordering::Relaxed),
            hash,
            ids: (0..SHARDS)
                .map(|_| Mutex::new(IdShard::new(hash)))
                .collect(),
            next: AtomicU32::new(0),
            store: Mutex::new(Store::default()),
        }
    }

    pub(crate) fn intern(&self, id: &gix::oid) -> u32 {
        let bytes = id.as_bytes();
        RECENT.with(|recent| {
            let mut recent = recent.borrow_mut();
            recent.clear_unless_for(self.serial);
            let slot = &mut recent.slots[(id_hash(bytes) as usize) % RECENT_SLOTS];
            if slot.1 != u32::MAX && same_id(&slot.0, bytes) {
                return slot.1;
            }
            let i = self.intern_shared(bytes);
            slot.0[..bytes.len()].copy_from_slice(bytes);
            slot.1 = i;
            i
        })
    }

    fn intern_shared(&self, bytes: &[u8]) -> u32 {
        let mut shard = lock(&self.ids[shard_of(bytes)]);
        if let Some(i) = shard.get(bytes) {
            return i;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        shard.insert(bytes, i);
        i
    }

    /// Records a tree and its entries. Submodule entries (commits of other repositories)
    /// are not followed.
    pub(crate) fn add_tree(&self, id: &gix::oid, data: &[u8]) -> Result<(), String> {
        let mut children = Vec::new();
        for entry in gix::objs::TreeRefIter::from_bytes(data, self.hash) {
            let entry = entry.map_err(|e| e.to_string())?;
            if entry.mode.is_commit() {
                continue;
            }
            let i = self.intern(entry.oid);
            children.push(if entry.mode.is_tree() { i | SUBTREE } else { i });
        }
        let me = self.intern(id);
        let mut store = lock(&self.store);
        let fits = store
            .chunks
            .last()
            .is_some_and(|c| c.len() + children.len() <= c.capacity());
        if !fits {
            store
                .chunks
                .push(Vec::with_capacity(CHUNK.max(children.len())));
        }
        let chunk = store.chunks.len() - 1;
        let start = store.chunks[chunk].len() as u32;
        store.chunks[chunk].extend_from_slice(&children);
        store
            .nodes
            .push((me, chunk as u32, start, children.len() as u32));
        Ok(())
    }

    pub(crate) fn finish(self) -> Graph {
        let count = self.next.load(Ordering::Relaxed) as usize;
        let store = crate::sync::into_inner(self.store);
        let mut ranges = vec![(0u32, 0u32, u32::MAX); count];
        for (me, chunk, start, len) in store.nodes {
            ranges[me as usize] = (chunk, start, len);
        }
        Graph {
            ids: self.ids.into_iter().map(crate::sync::into_inner).collect(),
            ranges,
            chunks: store.chunks,
        }
    }
}

/// The finished graph.
#[derive(Debug)]
pub(crate) struct Graph {
    ids: Vec<IdShard>,
    /// Per index: where its entries are (chunk, start, length), or length `u32::MAX` if it
    /// is no tree in the database.
    ranges: Vec<(u32, u32, u32)>,
    chunks: Vec<Vec<u32>>,
}

impl Graph {
    pub(crate) fn index(&self, id: &gix::oid) -> Option<u32> {
        let bytes = id.as_bytes();
        self.ids[shard_of(bytes)].get(bytes)
    }

    /// Every id with its index.
    fn ids(&self) -> impl Iterator<Item = (ObjectId, u32)> + '_ {
        self.ids.iter().flat_map(|s| {
            s.iter()
                .map(|(id, i)| (ObjectId::from_bytes_or_panic(id), i))
        })
    }

    fn is_tree(&self, i: u32) -> bool {
        self.ranges[i as usize].2 != u32::MAX
    }

    fn entries(&self, i: u32) -> &[u32] {
        let (chunk, start, len) = self.ranges[i as usize];
        &self.chunks[chunk as usize][start as usize..(start + len) as usize]
    }

    /// Referenced ids that are neither a tree of the database nor satisfy `present`.
    pub(crate) fn missing(&self, present: impl Fn(&gix::oid) -> bool) -> Vec<ObjectId> {
        let mut out: Vec<ObjectId> = self
            .ids()
            .filter(|(id, i)| !self.is_tree(*i) && !present(id))
            .map(|(id, _)| id)
            .collect();
        out.sort();
        out
    }

    /// For each index, whether the tree there holds a matched blob at any depth. Trees
    /// outside the graph (not read by this pass) lead to one when `base` lists them.
    pub(crate) fn leads_to(&self, matched: &HashSet<ObjectId>, base: &HashSet<ObjectId>) -> Leads {
        // One flag per index: this is asked for every blob entry of every tree (tens of
        // millions), where a hashed set cost most of the walk.
        let mut targets = vec![false; self.ranges.len()];
        for i in matched.iter().filter_map(|id| self.index(id)) {
            targets[i as usize] = true;
        }
        // 0 unknown, 1 no, 2 yes. Iterative post-order: trees may be deep.
        let mut state = vec![0u8; self.ranges.len()];
        for i in base.iter().filter_map(|id| self.index(id)) {
            if !self.is_tree(i) {
                state[i as usize] = 2;
            }
        }
        let mut stack: Vec<(u32, bool)> = Vec::new();
        for root in 0..self.ranges.len() as u32 {
            if state[root as usize] != 0 || !self.is_tree(root) {
                continue;
            }
            stack.push((root, false));
            while let Some((t, expanded)) = stack.pop() {
                if state[t as usize] != 0 {
                    continue;
                }
                let entries = self.entries(t);
                if !expanded {
                    stack.push((t, true));
                    for &e in entries {
                        let c = e & !SUBTREE;
                        if e & SUBTREE != 0 && state[c as usize] == 0 && self.is_tree(c) {
                            stack.push((c, false));
                        }
                    }
                    continue;
                }
                let yes = entries.iter().any(|&e| {
                    let c = e & !SUBTREE;
                    if e & SUBTREE != 0 {
                        state[c as usize] == 2
                    } else {
                        targets[c as usize]
                    }
                });
                state[t as usize] = if yes { 2 } else { 1 };
            }
        }
        Leads { state }
    }
}

/// Which trees lead to a matched blob.
#[derive(Debug)]
pub(crate) struct Leads {
    state: Vec<u8>,
}

impl Leads {
    pub(crate) fn contains(&self, graph: &Graph, id: &gix::oid) -> bool {
        graph.index(id).is_some_and(|i| self.state[i as usize] == 2)
    }

    /// The trees of the graph that lead to a matched blob.
    pub(crate) fn trees<'a>(&'a self, graph: &'a Graph) -> impl Iterator<Item = ObjectId> + 'a {
        graph
            .ids()
            .filter(|(_, i)| graph.is_tree(*i) && self.state[*i as usize] == 2)
            .map(|(id, _)| id)
    }
}
