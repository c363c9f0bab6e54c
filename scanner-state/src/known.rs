//! The objects one repository's scan may ask about, loaded from the `object` table before
//! the scan: only the ids its plan names (the packs it will read, its loose objects, the
//! record's objects with findings), so that memory is bounded by the repository, not by
//! everything the state knows.

use std::collections::HashMap;

use scanner_core::Finding;
use scanner_git::{KnownObjects, ObjectId};

/// The known objects of one repository: ids without findings sorted, those with findings
/// in a map.
#[derive(Debug, Default)]
pub(crate) struct Known {
    clean: Vec<ObjectId>,
    found: HashMap<ObjectId, Vec<Finding>>,
}

impl Known {
    pub(crate) fn insert(&mut self, id: ObjectId, findings: Option<Vec<Finding>>) {
        match findings {
            Some(f) if !f.is_empty() => {
                self.found.insert(id, f);
            }
            _ => self.clean.push(id),
        }
    }

    /// Done inserting: sorts for lookups.
    pub(crate) fn seal(&mut self) {
        self.clean.sort_unstable();
        self.clean.dedup();
    }

    pub(crate) fn len(&self) -> usize {
        self.clean.len() + self.found.len()
    }
}

impl KnownObjects for Known {
    fn findings(&self, id: &ObjectId) -> Option<&[Finding]> {
        if let Some(f) = self.found.get(id) {
            return Some(f);
        }
        self.clean.binary_search(id).ok().map(|_| &[][..])
    }
}
