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
    let all: Vec<usize> = (0..odb.packs.len()).collect();
    for_each_packed(odb, &all, threads, visitor);
    let mut problems = Vec::new();
    let loose = list_loose(odb, &mut problems);
    for p in problems {
        visitor.problem(p);
    }
    for_each_loose(odb, &loose, visitor);
}

/// Traverses the packs of `odb` numbered in `which` (see [`for_each_object`]); returns for
/// each of them whether it was read whole (not damaged, not cancelled).
pub(crate) fn for_each_packed(
    odb: &Odb,
    which: &[usize],
    threads: Option<usize>,
    visitor: &impl Visitor,
) -> Vec<bool> {
    let mut whole = vec![false; which.len()];
    for (n, &i) in which.iter().enumerate() {
        let Some((idx, pack_path)) = odb.packs.get(i) else {
            continue;
        };
        if visitor.is_cancelled() {
            break;
        }
        let damaged = |reason: String| {
            Problem::new(
                ProblemKind::DamagedPack,
                pack_path.display().to_string(),
                reason,
            )
        };
        match traverse_pack(odb, idx, pack_path, threads, false, visitor) {
            Ok(()) => whole[n] = !visitor.is_cancelled(),
            Err(e) => {
                if visitor.is_cancelled() {
                    break;
                }
                visitor.problem(damaged(format!(
                    "damaged pack: {e}; salvaging what can be read"
                )));
                if let Err(e) = traverse_pack(odb, idx, pack_path, threads, true, visitor) {
                    if visitor.is_cancelled() {
                        break;
                    }
                    visitor.problem(damaged(format!("unreadable pack: {e}")));
                }
            }
        }
    }
    whole
}

/// The loose objects of every objects directory: (directory number, id), sorted by
/// directory, then id. Directories that cannot be listed are problems.
pub(crate) fn list_loose(odb: &Odb, problems: &mut Vec<Problem>) -> Vec<(usize, gix::ObjectId)> {
    let mut out = Vec::new();
    for (d, dir) in odb.dirs.iter().enumerate() {
        let store = gix::odb::loose::Store::at(dir, odb.hash);
        let mut ids = Vec::new();
        for id in store.iter() {
            match id {
                Ok(id) => ids.push(id),
                Err(e) => problems.push(Problem::new(
                    ProblemKind::UnreadableObjectDirectory,
                    dir.display().to_string(),
                    format!("cannot list loose objects: {e}"),
                )),
            }
        }
        ids.sort();
        out.extend(ids.into_iter().map(|id| (d, id)));
    }
    out
}

/// Hands the loose objects `loose` (from [`list_loose`]) to `visitor`, in parallel.
pub(crate) fn for_each_loose(odb: &Odb, loose: &[(usize, gix::ObjectId)], visitor: &impl Visitor) {
    let stores: Vec<gix::odb::loose::Store> = odb
        .dirs
        .iter()
        .map(|dir| gix::odb::loose::Store::at(dir, odb.hash))
        .collect();
    loose.par_iter().for_each_init(Vec::new, |buf, (d, id)| {
        if visitor.is_cancelled() {
            return;
        }
        let store = &stores[*d];
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

/// The checksum of each pack (from its index), `None` where the index cannot be read.
pub(crate) fn pack_checksums(odb: &Odb) -> Vec<Option<gix::ObjectId>> {
    odb.packs
        .iter()
        .map(|(idx, _)| {
            pack::index::File::at(idx, odb.hash)
                .ok()
                .map(|i| i.pack_checksum())
        })
        .collect()
}

/// Calls `f` with every object id in the index of pack `i`, in index (id) order.
pub(crate) fn for_each_packed_id(odb: &Odb, i: usize, mut f: impl FnMut(&gix::oid)) {
    let Some((idx, _)) = odb.packs.get(i) else {
        return;
    };
    if let Ok(index) = pack::index::File::at(idx, odb.hash) {
        for n in 0..index.num_objects() {
            f(index.oid_at_index(n));
        }
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Mutex;

    use super::{for_each_object, Odb, Visitor};
    use crate::Problem;

    /// Counts objects, and cancels itself after `stop_after` of them.
    struct Counting {
        stop_after: usize,
        seen: AtomicUsize,
        cancelled: AtomicBool,
        problems: Mutex<Vec<Problem>>,
    }

    impl Visitor for Counting {
        fn object(&self, _: gix::objs::Kind, _: &[u8], _: &gix::oid) {
            if self.seen.fetch_add(1, Ordering::SeqCst) + 1 >= self.stop_after {
                self.cancelled.store(true, Ordering::SeqCst);
            }
        }
        fn problem(&self, problem: Problem) {
            crate::sync::lock(&self.problems).push(problem);
        }
        fn is_cancelled(&self) -> bool {
            self.cancelled.load(Ordering::SeqCst)
        }
    }

    fn git(dir: &std::path::Path, args: &[&str]) {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    /// A repository with a pack of 200 files and 100 loose ones.
    fn repository() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        for batch in 0..2 {
            for i in 0..100 {
                std::fs::write(
                    dir.join(format!("f{batch}-{i}")),
                    format!("file {batch} {i}\n"),
                )
                .expect("writable");
            }
            git(dir, &["add", "-A"]);
            git(dir, &["commit", "-q", "-m", "files"]);
            if batch == 0 {
                git(dir, &["gc", "-q"]);
            }
        }
        tmp
    }

    #[test]
    fn cancelling_stops_the_traversal_between_objects() {
        let tmp = repository();
        let repo = crate::repo::open_local(tmp.path()).expect("a repository");
        let mut problems = Vec::new();
        let odb = Odb::of(&repo, &mut problems);
        assert_eq!(odb.packs.len(), 1);
        let count = |stop_after: usize, threads: Option<usize>| {
            let v = Counting {
                stop_after,
                seen: AtomicUsize::new(0),
                cancelled: AtomicBool::new(false),
                problems: Mutex::default(),
            };
            for_each_object(&odb, threads, &v);
            assert_eq!(
                crate::sync::into_inner(v.problems),
                [],
                "cancelling is no damage"
            );
            v.seen.into_inner()
        };
        let all = count(usize::MAX, None);
        assert_eq!(all, 2 * (100 + 2), "every file, tree and commit");
        // In the pack, with one thread: exactly the objects before the cancellation.
        assert_eq!(count(1, Some(1)), 1);
        assert_eq!(count(7, Some(1)), 7);
        // Among the loose objects, read in parallel: at most one more per thread.
        let packed = odb.packed_objects() as usize;
        let n = count(packed + 5, Some(1));
        assert!(
            n >= packed + 5 && n < packed + 5 + rayon::current_num_threads(),
            "{n} of {all}, {packed} packed"
        );
    }
}
