//! Concurrent sets of object ids, sharded by the ids' first byte so that the pack
//! traversal's threads rarely wait on each other.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use gix::ObjectId;

/// Hashes object ids by their first eight bytes. They are already uniformly random, and
/// the object pass hashes tens of millions of them: SipHash would cost more than the rest of
/// the set operation.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        if let Some(first) = bytes.first_chunk::<8>() {
            self.0 ^= u64::from_le_bytes(*first);
        } else {
            for &b in bytes {
                self.0 = self.0.rotate_left(8) ^ u64::from(b);
            }
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = self.0.rotate_left(7) ^ n as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by object id, with [`IdHasher`].
pub(crate) type IdMap<V> = HashMap<ObjectId, V, BuildHasherDefault<IdHasher>>;
/// A set of object ids, with [`IdHasher`].
pub(crate) type IdHashSet = HashSet<ObjectId, BuildHasherDefault<IdHasher>>;

const SHARDS: usize = 64;

/// A set of object ids that many threads insert into.
#[derive(Debug)]
pub(crate) struct IdSet {
    shards: Vec<Mutex<IdHashSet>>,
}

impl Default for IdSet {
    fn default() -> Self {
        IdSet {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(IdHashSet::default()))
                .collect(),
        }
    }
}

impl IdSet {
    fn shard(&self, id: &gix::oid) -> &Mutex<IdHashSet> {
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
