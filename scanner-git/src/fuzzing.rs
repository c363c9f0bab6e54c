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

/// A pack and its index made from `data`, both consistent (every CRC-32, offset and the
/// trailer right), so that the check passes and the resolver meets whatever the entries
/// hold: any delta instructions, chains, and bases by id that form cycles or name nothing.
///
/// `data` is read as entries, each: a byte `t`, then (for a delta by offset) a byte
/// choosing its base among the entries before, or (by id) one naming any entry, then a
/// length byte and that many bytes of payload. `t % 4`: 0 a whole object (kind `t / 4 % 4`),
/// 1 a delta by offset with the payload as its instructions, 2 a delta by id, 3 a delta by
/// offset inserting the payload (on a base of the length in the next byte). Returns `None`
/// for no entry. Entry `k`'s id is `k` as 20 big-endian bytes.
pub fn crafted_pack(mut data: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    use crate::odb::craft::{insert_delta, pack, Crafted};
    let id = |k: usize| {
        let mut b = [0u8; 20];
        b[12..].copy_from_slice(&(k as u64).to_be_bytes());
        gix::ObjectId::from_bytes_or_panic(&b)
    };
    let mut take = |n: usize| -> Option<&[u8]> {
        let (a, b) = data.split_at_checked(n)?;
        data = b;
        Some(a)
    };
    let mut entries = Vec::new();
    while entries.len() < 64 {
        let Some(&[t, choice, len]) = take(3) else {
            break;
        };
        let payload = take(usize::from(len)).unwrap_or_default().to_vec();
        let k = entries.len();
        let kinds = [
            gix::objs::Kind::Commit,
            gix::objs::Kind::Tree,
            gix::objs::Kind::Blob,
            gix::objs::Kind::Tag,
        ];
        entries.push(match t % 4 {
            1 if k > 0 => Crafted::Ofs(usize::from(choice) % k, payload),
            2 => Crafted::Ref(id(usize::from(choice) % 64), payload),
            3 if k > 0 => Crafted::Ofs(
                usize::from(choice) % k,
                insert_delta(usize::from(payload.first().copied().unwrap_or(0)), &payload),
            ),
            _ => Crafted::Whole(kinds[usize::from(t / 4 % 4)], payload),
        });
    }
    if entries.is_empty() {
        return None;
    }
    let ids: Vec<_> = (0..entries.len()).map(id).collect();
    Some(pack(&entries, &ids))
}
