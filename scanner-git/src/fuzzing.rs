//! Entry points for the fuzz targets of `fuzz/` (feature `fuzzing`, not part of the API):
//! the object database's readers on bytes an attacker or a broken disk could leave, without
//! a repository around them.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::odb::Visitor;
use crate::Problem;

/// What the readers handed over.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Whole objects.
    pub objects: u64,
    /// Partial objects.
    pub partial: u64,
    /// Their bytes, added up.
    pub bytes: u64,
    /// The problems reported.
    pub problems: Vec<Problem>,
}

#[derive(Default)]
struct Collect {
    objects: AtomicU64,
    partial: AtomicU64,
    bytes: AtomicU64,
    problems: Mutex<Vec<Problem>>,
    limit: u64,
}

impl Visitor for Collect {
    fn object(&self, _: gix::objs::Kind, data: &[u8], _: &gix::oid) {
        self.objects.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
    }
    fn partial(&self, _: gix::objs::Kind, data: &[u8], _: Option<&gix::oid>, _: &Problem) {
        self.partial.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
    }
    fn blob_limit(&self) -> u64 {
        self.limit
    }
    fn problem(&self, problem: Problem) {
        crate::sync::lock(&self.problems).push(problem);
    }
    fn is_cancelled(&self) -> bool {
        false
    }
}

impl Collect {
    fn finish(self) -> Outcome {
        Outcome {
            objects: self.objects.into_inner(),
            partial: self.partial.into_inner(),
            bytes: self.bytes.into_inner(),
            problems: crate::sync::into_inner(self.problems),
        }
    }
}

fn hash(sha256: bool) -> gix::hash::Kind {
    #[cfg(feature = "sha256")]
    if sha256 {
        return gix::hash::Kind::Sha256;
    }
    // Without the feature, SHA-256 inputs are read as SHA-1 ones (and found damaged).
    let _ = sha256;
    gix::hash::Kind::Sha1
}

/// Reads the pack at `pack` with its index at `idx` (which may be missing) as a history
/// scan does, on one thread, blobs over `blob_limit` not inflated where that is known.
pub fn read_pack(idx: &Path, pack: &Path, sha256: bool, blob_limit: u64) -> Outcome {
    let v = Collect {
        limit: blob_limit,
        ..Collect::default()
    };
    let _whole = crate::odb::read_pack(hash(sha256), idx, pack, Some(1), &v);
    v.finish()
}

/// Reads `file` as the contents of loose object `id` as a history scan does.
pub fn read_loose(file: &[u8], id: &gix::oid, blob_limit: u64) -> Outcome {
    let v = Collect {
        limit: blob_limit,
        ..Collect::default()
    };
    let mut zlib = gix::zlib::Decompress::new();
    crate::loose::read_bytes(file, id, &mut zlib, &mut Vec::new(), &v);
    v.finish()
}
