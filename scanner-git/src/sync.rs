//! Shared state of the object pass: poison-tolerant locking, and the run-wide set of blob
//! ids many threads insert into.

use std::sync::{Mutex, MutexGuard};

use gix::hashtable::HashSet;
use gix::ObjectId;

/// Locks `m`, also after another thread panicked while holding it: every value kept under
/// these locks is valid after each single update (a set, a list, counters), so a panic in
/// one worker must not stop the others from reporting what they found.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The value inside `m`, also after a panic (see [`lock`]).
pub(crate) fn into_inner<T>(m: Mutex<T>) -> T {
    m.into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Shards of [`IdSet`]: object ids are uniformly random, so their first byte spreads the
/// pack traversal's threads evenly and they rarely wait on each other.
const SHARDS: usize = 64;

/// A set of object ids that many threads insert into: gix's id-keyed hash sets (which hash
/// an id by its leading bytes, no SipHash), sharded by the ids' first byte.
#[derive(Debug)]
pub(crate) struct IdSet {
    shards: Vec<Mutex<HashSet<ObjectId>>>,
}

impl Default for IdSet {
    fn default() -> Self {
        IdSet {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl IdSet {
    fn shard(&self, id: &gix::oid) -> &Mutex<HashSet<ObjectId>> {
        &self.shards[usize::from(id.as_bytes()[0]) % SHARDS]
    }

    /// Inserts `id`; true if it was not there yet.
    pub(crate) fn insert(&self, id: &gix::oid) -> bool {
        lock(self.shard(id)).insert(id.to_owned())
    }

    pub(crate) fn contains(&self, id: &gix::oid) -> bool {
        lock(self.shard(id)).contains(id)
    }

    /// Removes `id`, so that it counts as not met yet.
    pub(crate) fn remove(&self, id: &gix::oid) {
        lock(self.shard(id)).remove(id);
    }
}
