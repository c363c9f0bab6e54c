//! Concurrent sets of object ids, sharded by the ids' first byte so that the pack
//! traversal's threads rarely wait on each other.

use std::collections::HashSet;
use std::sync::Mutex;

use gix::ObjectId;

const SHARDS: usize = 64;

/// A set of object ids that many threads insert into.
#[derive(Debug)]
pub(crate) struct IdSet {
    shards: Vec<Mutex<HashSet<ObjectId>>>,
}

impl Default for IdSet {
    fn default() -> Self {
        IdSet {
            shards: (0..SHARDS).map(|_| Mutex::new(HashSet::new())).collect(),
        }
    }
}

impl IdSet {
    fn shard(&self, id: &gix::oid) -> &Mutex<HashSet<ObjectId>> {
        &self.shards[usize::from(id.as_bytes()[0]) % SHARDS]
    }

    /// Inserts `id`; true if it was not there yet.
    pub(crate) fn insert(&self, id: &gix::oid) -> bool {
        let mut set = self
            .shard(id)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if set.contains(id) {
            return false;
        }
        set.insert(id.to_owned())
    }

    pub(crate) fn contains(&self, id: &gix::oid) -> bool {
        self.shard(id)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(id)
    }
}
