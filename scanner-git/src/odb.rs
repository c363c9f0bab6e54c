//! The object database of one repository, read-only: where its objects are, and a parallel
//! pass over every object in it (packs and loose objects, reachable or not).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use gix::odb::pack;
use rayon::prelude::*;

use crate::error::error_chain;
use crate::{Problem, ProblemKind};

/// What the traversal hands every object to, from many threads at once.
pub(crate) trait Visitor: Sync {
    /// One object, decoded (delta chains resolved).
    fn object(&self, kind: gix::objs::Kind, data: &[u8], id: &gix::oid);
    /// Something that could not be read.
    fn problem(&self, problem: Problem);
    /// Whether to stop: checked before every object.
    fn is_cancelled(&self) -> bool;
}

/// Objects directories (the repository's and its alternates') and their packs.
#[derive(Debug)]
pub(crate) struct Odb {
    pub(crate) dirs: Vec<PathBuf>,
    /// `(index, pack)` pairs.
    pub(crate) packs: Vec<(PathBuf, PathBuf)>,
    /// The repository's object hash; alternates are read with it too (git requires them
    /// to share it).
    pub(crate) hash: gix::hash::Kind,
}

impl Odb {
    pub(crate) fn of(repo: &gix::Repository, problems: &mut Vec<Problem>) -> Odb {
        let store = repo.objects.store_ref();
        let mut dirs = vec![store.path().to_owned()];
        match store.alternate_db_paths() {
            Ok(alts) => dirs.extend(alts),
            Err(e) => problems.push(Problem::new(
                ProblemKind::UnreadableObjectDirectory,
                "objects/info/alternates",
                e.to_string(),
            )),
        }
        let mut dirs: Vec<PathBuf> = dirs
            .into_iter()
            .map(|d| std::fs::canonicalize(&d).unwrap_or(d))
            .collect();
        dirs.dedup();
        let mut packs = Vec::new();
        for d in &dirs {
            let Ok(entries) = std::fs::read_dir(d.join("pack")) else {
                continue;
            };
            let mut found: Vec<(PathBuf, PathBuf)> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "idx"))
                .filter_map(|idx| {
                    let pack = idx.with_extension("pack");
                    if pack.is_file() {
                        Some((idx, pack))
                    } else {
                        problems.push(Problem::new(
                            ProblemKind::DamagedPack,
                            idx.display().to_string(),
                            "pack index without its pack file".to_string(),
                        ));
                        None
                    }
                })
                .collect();
            found.sort();
            packs.extend(found);
        }
        Odb {
            dirs,
            packs,
            hash: repo.object_hash(),
        }
    }

    /// Number of objects in the packs, from their indexes (for progress; unreadable
    /// indexes count nothing here and are reported by the traversal).
    pub(crate) fn packed_objects(&self) -> u64 {
        self.packs
            .iter()
            .filter_map(|(idx, _)| pack::index::File::at(idx, self.hash).ok())
            .map(|i| u64::from(i.num_objects()))
            .sum()
    }
}

/// Hands every object of the database to `visitor`: each pack traversed so that every
/// delta base is inflated once, in parallel; then the loose objects. An object may be
/// visited more than once (the same object in two packs, or again in a damaged pack's
/// salvage pass): visitors deduplicate.
///
/// A damaged pack or loose object becomes a problem; everything else is still read. Once
/// the visitor is cancelled, no further object is handed to it and nothing more is read.
pub(crate) fn for_each_object(odb: &Odb, threads: Option<usize>, visitor: &impl Visitor) {
    for (idx, pack_path) in &odb.packs {
        if visitor.is_cancelled() {
            return;
        }
        let damaged = |reason: String| {
            Problem::new(
                ProblemKind::DamagedPack,
                pack_path.display().to_string(),
                reason,
            )
        };
        if let Err(e) = traverse_pack(odb, idx, pack_path, threads, false, visitor) {
            if visitor.is_cancelled() {
                return;
            }
            visitor.problem(damaged(format!(
                "damaged pack: {e}; salvaging what can be read"
            )));
            if let Err(e) = traverse_pack(odb, idx, pack_path, threads, true, visitor) {
                if visitor.is_cancelled() {
                    return;
                }
                visitor.problem(damaged(format!("unreadable pack: {e}")));
            }
        }
    }
    for dir in &odb.dirs {
        if visitor.is_cancelled() {
            return;
        }
        let store = gix::odb::loose::Store::at(dir, odb.hash);
        let mut ids = Vec::new();
        for id in store.iter() {
            match id {
                Ok(id) => ids.push(id),
                Err(e) => visitor.problem(Problem::new(
                    ProblemKind::UnreadableObjectDirectory,
                    dir.display().to_string(),
                    format!("cannot list loose objects: {e}"),
                )),
            }
        }
        ids.par_iter().for_each_init(Vec::new, |buf, id| {
            if visitor.is_cancelled() {
                return;
            }
            match store.try_find(id, buf) {
                Ok(Some(obj)) => visitor.object(obj.kind, obj.data, id),
                Ok(None) => {}
                Err(e) => visitor.problem(Problem::object(
                    ProblemKind::CorruptLooseObject,
                    "loose object",
                    id,
                    format!("corrupt: {}", error_chain(&e)),
                )),
            }
        });
    }
}

fn traverse_pack(
    odb: &Odb,
    idx: &Path,
    pack_path: &Path,
    threads: Option<usize>,
    salvage: bool,
    visitor: &impl Visitor,
) -> Result<(), String> {
    use pack::index::traverse::{Algorithm, Options, SafetyCheck};
    let index = pack::index::File::at(idx, odb.hash).map_err(|e| error_chain(&e))?;
    let map = Arc::new(map_pack(pack_path).map_err(|e| e.to_string())?);
    let data =
        pack::data::File::from_data(SharedMap(map.clone()), pack_path.to_path_buf(), odb.hash)
            .map_err(|e| error_chain(&e))?;
    // One flag per pack: a failed checksum sets it, and it must not stop the next pack. A
    // cancelled visitor sets it too, which stops every thread of the traversal.
    let interrupt = AtomicBool::new(false);
    let visited = AtomicU64::new(0);
    let processor = |kind: gix::objs::Kind,
                     bytes: &[u8],
                     entry: &pack::index::Entry,
                     _: &dyn gix::Progress|
     -> gix::Result<()> {
        if visitor.is_cancelled() {
            interrupt.store(true, Ordering::Relaxed);
            return Ok(());
        }
        visitor.object(kind, bytes, &entry.oid);
        let n = visited.fetch_add(1, Ordering::Relaxed);
        if n % RELEASE_EVERY == RELEASE_EVERY - 1 {
            release_pages(&map);
        }
        Ok(())
    };
    let (traversal, check) = if salvage {
        // Looks objects up one by one and skips the undecodable ones.
        (
            Algorithm::Lookup,
            SafetyCheck::SkipFileAndObjectChecksumVerificationAndNoAbortOnDecodeError,
        )
    } else {
        (
            Algorithm::DeltaTreeLookup,
            SafetyCheck::SkipFileAndObjectChecksumVerification,
        )
    };
    index
        .traverse(
            &data,
            &mut gix::progress::Discard,
            &interrupt,
            processor,
            Options {
                traversal,
                thread_limit: threads,
                check,
                alloc_limit_bytes: None,
                make_pack_lookup_cache: || pack::cache::Never,
            },
        )
        .map(|_| ())
        .map_err(|e| error_chain(&e))
}

/// Objects between two releases of a pack's mapped pages.
const RELEASE_EVERY: u64 = 32 * 1024;

/// A pack mapping that the traversal reads and this module can advise.
struct SharedMap(std::sync::Arc<memmap2::Mmap>);

impl std::ops::Deref for SharedMap {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

#[allow(unsafe_code)]
fn map_pack(path: &Path) -> std::io::Result<memmap2::Mmap> {
    let file = std::fs::File::open(path)?;
    // SAFETY: a read-only mapping of a pack file, which git never rewrites in place (new
    // packs get new names). A concurrent truncation could fault reads: the risk every
    // mmap-based git reader takes, gix's own `data::File::at` included.
    unsafe { memmap2::Mmap::map(&file) }
}

/// Drops the mapped pages of a pack from this process's memory. The traversal touches the
/// whole pack once; without this, a large pack stays resident and counts towards peak
/// memory for no benefit. Pages read again come back from the page cache.
#[cfg(unix)]
#[allow(unsafe_code)]
fn release_pages(map: &memmap2::Mmap) {
    // SAFETY: memmap2 maps read-only files MAP_SHARED; after MADV_DONTNEED such pages are
    // repopulated from the file on the next access, so slices other threads hold keep
    // reading the same bytes. Nothing is written through this mapping.
    let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
}

/// Elsewhere there is no `madvise`: the pages stay mapped until the pack is done (peak
/// memory then includes the pack's size).
#[cfg(not(unix))]
fn release_pages(_map: &memmap2::Mmap) {}
