//! The object database of one repository, read-only: where its objects are, and a parallel
//! pass over every object in it (packs and loose objects, reachable or not).
//!
//! Nothing read here is trusted before it is checked: a pack is checked against its index
//! (`verify.rs`) before gix's traversal reads it, a pack whose index is missing or unusable
//! is read from its start (`unindexed.rs`), objects of a damaged pack are read around the
//! damage, and loose objects are inflated by `loose.rs` within what their bytes can hold.
//! Whatever is not whole is a problem, and what could be read of it reaches the visitor
//! marked as partial — never as a whole object.

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod craft;
#[cfg(test)]
mod damage_tests;
mod delta;
mod idx;
mod inflate;
#[cfg(test)]
mod proptests;
mod resolve;
mod unindexed;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use gix::odb::pack;
use rayon::prelude::*;

use crate::error::error_chain;
use crate::{Problem, ProblemKind};

pub(crate) use inflate::{inflate_to_vec, max_inflated_len, End, Inflated};

/// What the traversal hands every object to, from many threads at once.
pub(crate) trait Visitor: Sync {
    /// One object, decoded (delta chains resolved).
    fn object(&self, kind: gix::objs::Kind, data: &[u8], id: &gix::oid);
    /// What could be read of an object that is not whole (cut short or corrupt); `damage`
    /// says so and was reported through [`Visitor::problem`] already. `id` is `None` when
    /// it cannot be known (a damaged object of a pack read without its index).
    fn partial(
        &self,
        _kind: gix::objs::Kind,
        _data: &[u8],
        _id: Option<&gix::oid>,
        _damage: &Problem,
    ) {
    }
    /// A blob not inflated because the size it declares is over [`Visitor::blob_limit`].
    fn oversized(&self, _kind: gix::objs::Kind, _size: u64, _id: &gix::oid) {}
    /// Blobs declaring more than this are not inflated where their size is known first
    /// (loose objects).
    fn blob_limit(&self) -> u64 {
        u64::MAX
    }
    /// Something that could not be read.
    fn problem(&self, problem: Problem);
    /// Whether to stop: checked before every object.
    fn is_cancelled(&self) -> bool;
}

/// Objects directories (the repository's and its alternates') and their packs.
#[derive(Debug)]
pub(crate) struct Odb {
    pub(crate) dirs: Vec<PathBuf>,
    /// `(index, pack)` pairs. The index may be missing: the pack is then read without it.
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
            let files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            let has = |p: &PathBuf, ext: &str| p.extension().is_some_and(|e| e == ext);
            let mut found: Vec<(PathBuf, PathBuf)> = files
                .iter()
                .filter(|p| has(p, "pack"))
                .map(|pack| (pack.with_extension("idx"), pack.clone()))
                .collect();
            for idx in files.iter().filter(|p| has(p, "idx")) {
                if !idx.with_extension("pack").is_file() {
                    problems.push(Problem::new(
                        ProblemKind::DamagedPack,
                        idx.display().to_string(),
                        "pack index without its pack file".to_string(),
                    ));
                }
            }
            found.sort();
            packs.extend(found);
        }
        Odb {
            dirs,
            packs,
            hash: repo.object_hash(),
        }
    }

    /// Number of objects in the packs, from their indexes or, without one, their headers
    /// (for progress; what cannot be read counts nothing here and is reported by the
    /// traversal).
    pub(crate) fn packed_objects(&self) -> u64 {
        self.packs
            .iter()
            .filter_map(|(idx, pack)| match pack::index::File::at(idx, self.hash) {
                Ok(i) => Some(u64::from(i.num_objects())),
                Err(_) => {
                    let mut header = [0u8; pack::data::header::SIZE];
                    let mut f = std::fs::File::open(pack).ok()?;
                    std::io::Read::read_exact(&mut f, &mut header).ok()?;
                    verify::header(&header).ok().map(u64::from)
                }
            })
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
        whole[n] = read_pack(odb.hash, idx, pack_path, threads, visitor) && !visitor.is_cancelled();
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
    loose.par_iter().for_each_init(
        || (Vec::new(), gix::zlib::Decompress::new()),
        |(buf, zlib), (d, id)| {
            if visitor.is_cancelled() {
                return;
            }
            crate::loose::read(&odb.dirs[*d], id, zlib, buf, visitor);
        },
    );
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

/// One pack being read: its path, bytes and hash.
struct Pack<'a> {
    path: &'a Path,
    hash: gix::hash::Kind,
    map: Arc<memmap2::Mmap>,
    threads: Option<usize>,
}

impl Pack<'_> {
    fn problem(&self, kind: ProblemKind, reason: impl Into<String>) -> Problem {
        Problem::new(kind, self.path.display().to_string(), reason)
    }

    /// gix's view of the pack's bytes, with their allocation limit.
    fn data_file(&self) -> Result<pack::data::File<SharedMap>, String> {
        pack::data::File::from_data(
            SharedMap(self.map.clone()),
            self.path.to_path_buf(),
            self.hash,
        )
        .map_err(|e| error_chain(&e))
    }
}

/// At most this many damaged objects of one pack are listed one by one; the rest are
/// counted.
const MAX_LISTED_DAMAGED: usize = 20;

/// Reads one pack: checked against its index, then traversed; damaged, or without a
/// usable index, read around the damage. Returns whether it was read whole (checked and
/// traversed without a problem), so that a state may record it as scanned.
pub(crate) fn read_pack(
    hash: gix::hash::Kind,
    idx_path: &Path,
    pack_path: &Path,
    threads: Option<usize>,
    visitor: &impl Visitor,
) -> bool {
    let map = match map_file(pack_path) {
        Ok(m) => Arc::new(m),
        Err(e) => {
            visitor.problem(Problem::new(
                ProblemKind::DamagedPack,
                pack_path.display().to_string(),
                format!("unreadable pack: {e}"),
            ));
            return false;
        }
    };
    let pack = Pack {
        path: pack_path,
        hash,
        map,
        threads,
    };
    let idx_map = map_file(idx_path);
    let parsed = match &idx_map {
        Ok(m) => idx::read(m, hash),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err("the index is missing".into()),
        Err(e) => Err(format!("the index cannot be read: {e}")),
    };
    let idx = match parsed {
        Ok(idx) => idx,
        Err(why) => {
            visitor.problem(Problem::new(
                ProblemKind::UnusablePackIndex,
                idx_path.display().to_string(),
                format!(
                    "{why}; its pack {} was read from its start without it",
                    file_name(pack_path)
                ),
            ));
            unindexed::read(&pack, visitor);
            return false;
        }
    };
    let checked = verify::check(&pack.map, &idx, hash, &|| release_pages(&pack.map));
    // The check touched every page of the pack: let go of them before the traversal
    // touches them again (from the page cache), or peak memory would count the pack twice.
    release_pages(&pack.map);
    if !checked.is_damaged() {
        let limit = alloc_limit(checked.largest, visitor.blob_limit());
        let resolved = resolve::run(
            &pack.map,
            &checked,
            &idx,
            hash,
            limit as u64,
            visitor,
            &|| release_pages(&pack.map),
            RELEASE_EVERY,
            pack.threads == Some(1),
        );
        let failure = match resolved {
            Ok(()) => return true,
            Err(_) if visitor.is_cancelled() => return false,
            Err(e) => e,
        };
        let opened = match (&idx_map, pack.data_file()) {
            (Ok(m), Ok(data)) => pack::index::File::from_data(&m[..], idx_path.to_path_buf(), hash)
                .map(|index| (index, data))
                .map_err(|e| error_chain(&e)),
            (_, Err(e)) => Err(e),
            (Err(e), _) => Err(e.to_string()),
        };
        let (index, data) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                visitor.problem(
                    pack.problem(ProblemKind::DamagedPack, format!("unreadable pack: {e}")),
                );
                return false;
            }
        };
        // Everything checked out, so this is an object larger than the allocation limit, or
        // damage the checks cannot see (a lying delta). Reading object by object finds the
        // rest, and says which objects are damaged.
        visitor.problem(pack.problem(
            ProblemKind::DamagedPack,
            format!(
                "the pack could not be traversed ({failure}); its objects were read one by one"
            ),
        ));
        let entries = checked.entries(&idx, &pack.map, hash);
        salvage(&pack, &index, &data, limit, &entries, visitor);
        return false;
    }
    for d in &checked.pack_damage {
        let kind = if d.contains("checksum") {
            ProblemKind::ChecksumMismatch
        } else {
            ProblemKind::DamagedPack
        };
        visitor.problem(pack.problem(kind, d.clone()));
    }
    let entries = checked.entries(&idx, &pack.map, hash);
    read_around_damage(&pack, &checked, &entries, visitor);
    false
}

/// The largest allocation the traversal may make for one object: enough for the largest
/// object the pack declares (twice that for a delta that grows it) and for the visitor's
/// blob limit, and never what a lying delta declares. An object over it fails the
/// traversal, and the pack is then read object by object.
fn alloc_limit(largest: u64, blob_limit: u64) -> usize {
    let limit = largest
        .saturating_mul(2)
        .max(blob_limit.min(u64::from(u32::MAX)))
        .max(16 << 20);
    usize::try_from(limit).unwrap_or(usize::MAX)
}

/// Reads a pack whose index checked out but whose bytes did not: the intact objects with
/// the traversal, over an index of only them; then what can be read of each damaged one.
fn read_around_damage(
    pack: &Pack<'_>,
    checked: &verify::Checked,
    entries: &[verify::Entry],
    visitor: &impl Visitor,
) {
    let mut intact: Vec<idx::IdxEntry> = entries
        .iter()
        .filter(|e| e.state == verify::State::Intact)
        .map(|e| idx::IdxEntry {
            id: e.id,
            offset: e.offset,
            crc32: e.crc32,
        })
        .collect();
    let index_bytes = idx::encode(&mut intact, &checked.trailer, pack.hash);
    let limit = alloc_limit(checked.largest, visitor.blob_limit());
    let index =
        pack::index::File::from_data(index_bytes, pack.path.with_extension("idx"), pack.hash);
    let traversed = match (index, pack.data_file()) {
        (Ok(index), Ok(data)) => {
            let r = traverse(pack, &index, &data, Some(limit), None, visitor);
            if r.is_err() && !visitor.is_cancelled() {
                // The traversal reads entry headers from the file itself, so a damaged pack
                // header stops it (as would a lie the checks cannot see): look objects up
                // one by one instead.
                salvage(pack, &index, &data, limit, entries, visitor);
            }
            Some((index, data))
        }
        (_, Err(e)) => {
            visitor
                .problem(pack.problem(ProblemKind::DamagedPack, format!("unreadable pack: {e}")));
            None
        }
        (Err(e), _) => {
            visitor.problem(pack.problem(ProblemKind::DamagedPack, error_chain(&e)));
            None
        }
    };
    if visitor.is_cancelled() {
        return;
    }
    let mut listed = 0usize;
    let (mut unlisted, mut orphans, mut external) = (0u64, 0u64, 0u64);
    let mut zlib = gix::zlib::Decompress::new();
    let last = entries.last().map(|e| e.offset);
    for e in entries {
        let why = match &e.state {
            verify::State::Intact => continue,
            verify::State::Orphan => {
                orphans += 1;
                continue;
            }
            verify::State::External => {
                external += 1;
                continue;
            }
            verify::State::Tail => "it runs to the end of a pack that lacks its trailing checksum",
            verify::State::Damaged(why) => why,
        };
        if visitor.is_cancelled() {
            return;
        }
        // A truncated pack's last object may run to the end of the file: what looks like
        // the trailer is its data.
        let input_end = if Some(e.offset) == last {
            pack.map.len() as u64
        } else {
            e.end
        };
        let intact = |offset: u64| {
            entries
                .binary_search_by_key(&offset, |e| e.offset)
                .is_ok_and(|i| entries[i].state == verify::State::Intact)
        };
        let read = e.header.as_ref().and_then(|h| {
            let (index, data) = traversed.as_ref()?;
            read_partial(pack, Some(index), &intact, data, h, input_end, &mut zlib)
        });
        let problem = damaged_object(
            pack,
            e.offset,
            Some(&e.id),
            e.header.as_ref(),
            why,
            read.as_ref(),
        );
        match &read {
            Some(p) if p.whole && p.id.as_deref() == Some(&e.id) => {
                if e.state != verify::State::Tail {
                    report(visitor, &mut listed, &mut unlisted, problem);
                }
                visitor.object(p.kind, &p.data, &e.id);
            }
            Some(p) => {
                let shown = problem.clone();
                report(visitor, &mut listed, &mut unlisted, problem);
                if !p.data.is_empty() {
                    visitor.partial(p.kind, &p.data, Some(&e.id), &shown);
                }
            }
            None => report(visitor, &mut listed, &mut unlisted, problem),
        }
    }
    summarize(pack, visitor, unlisted, orphans, external);
}

/// Reports `problem`, or counts it once [`MAX_LISTED_DAMAGED`] were listed.
fn report(visitor: &impl Visitor, listed: &mut usize, unlisted: &mut u64, problem: Problem) {
    if *listed < MAX_LISTED_DAMAGED {
        *listed += 1;
        visitor.problem(problem);
    } else {
        *unlisted += 1;
    }
}

/// The problems counting what was not listed one by one.
fn summarize(pack: &Pack<'_>, visitor: &impl Visitor, unlisted: u64, orphans: u64, external: u64) {
    if unlisted > 0 {
        visitor.problem(pack.problem(
            ProblemKind::DamagedObject,
            format!("{unlisted} more damaged objects (what could be read of them was scanned)"),
        ));
    }
    if orphans > 0 {
        visitor.problem(pack.problem(
            ProblemKind::DamagedObject,
            format!("{orphans} objects are deltas of damaged objects and could not be read"),
        ));
    }
    if external > 0 {
        visitor.problem(pack.problem(
            ProblemKind::DamagedPack,
            format!("{external} objects are deltas of objects outside the pack (a thin pack) and were not read"),
        ));
    }
}

/// The problem of one damaged object of a pack: what it is, where, why, and what became
/// of what could be read of it.
fn damaged_object(
    pack: &Pack<'_>,
    offset: u64,
    id: Option<&gix::oid>,
    header: Option<&pack::data::Entry>,
    why: &str,
    read: Option<&Partial>,
) -> Problem {
    let noun = match (read, header.and_then(|h| h.header.as_kind())) {
        (Some(p), _) => p.kind.to_string(),
        (None, Some(kind)) => kind.to_string(),
        (None, None) => "object".to_string(),
    };
    let pack_name = pack.path.display();
    let what = match id {
        Some(id) => format!("{noun} {id} in {pack_name}"),
        None => format!("{noun} at offset {offset} of {pack_name}"),
    };
    let (kind, then) = match read {
        Some(p) if p.whole && p.id.is_some() && p.id.as_deref() == id => (
            ProblemKind::DamagedObject,
            "; yet it inflates whole and matches its id, and was read".to_string(),
        ),
        Some(p) => {
            let kind = if p.cut_short {
                ProblemKind::TruncatedObject
            } else {
                ProblemKind::DamagedObject
            };
            let then = match (&p.damage, p.data.is_empty()) {
                (Some(d), false) => format!(
                    "; {d}; {}",
                    if p.kind == gix::objs::Kind::Blob {
                        "what could be read was scanned, and findings in it are marked as from a damaged object"
                    } else {
                        "it was not read"
                    }
                ),
                (Some(d), true) => format!("; {d}; nothing of it could be read"),
                (None, _) => "; its contents do not match its id".to_string(),
            };
            (kind, then)
        }
        None => (
            ProblemKind::DamagedObject,
            "; it could not be read".to_string(),
        ),
    };
    let p = Problem::new(kind, what, format!("at offset {offset}: {why}{then}"));
    match id {
        Some(id) => p.with_object(id),
        None => p,
    }
}

/// What could be read of a damaged pack entry.
struct Partial {
    kind: gix::objs::Kind,
    data: Vec<u8>,
    /// Whether it inflated (and, for a delta, applied) whole.
    whole: bool,
    /// Its id, computed from `data` when whole.
    id: Option<gix::ObjectId>,
    /// Whether the input ended first.
    cut_short: bool,
    /// Why it is not whole.
    damage: Option<String>,
}

/// Reads what can be read of the entry with `header`, from its compressed bytes up to
/// `input_end`: inflated within what they can yield; a delta applied to its base (read
/// through `index`) as far as its complete instructions go. `None` when nothing can be
/// known of it (a delta whose base cannot be read).
fn read_partial<T: pack::FileData>(
    pack: &Pack<'_>,
    index: Option<&pack::index::File<T>>,
    intact: &dyn Fn(u64) -> bool,
    data: &pack::data::File<SharedMap>,
    header: &pack::data::Entry,
    input_end: u64,
    zlib: &mut gix::zlib::Decompress,
) -> Option<Partial> {
    use pack::data::entry::Header;
    let input = pack
        .map
        .get(usize::try_from(header.data_offset).ok()?..usize::try_from(input_end).ok()?)
        .unwrap_or_default();
    let declared = header.decompressed_size;
    let limit = declared.min(max_inflated_len(input.len() as u64));
    let mut raw = Vec::new();
    let inflated = inflate_to_vec(zlib, input, limit, &mut raw);
    let mut damage = inflated.damage(declared);
    let cut_short = inflated.is_cut_short();
    let (kind, bytes, whole) = match header.header {
        Header::Blob | Header::Tree | Header::Commit | Header::Tag => {
            let kind = header.header.as_kind()?;
            (kind, raw, damage.is_none())
        }
        Header::OfsDelta { .. } | Header::RefDelta { .. } => {
            let (base_kind, base) = read_base(index, intact, data, header)?;
            let Some((base_len, result_len, start)) = delta::header(&raw) else {
                return Some(Partial {
                    kind: base_kind,
                    data: Vec::new(),
                    whole: false,
                    id: None,
                    cut_short,
                    damage: Some(
                        damage.unwrap_or_else(|| "its delta header cannot be read".into()),
                    ),
                });
            };
            if base_len != base.len() as u64 {
                return Some(Partial {
                    kind: base_kind,
                    data: Vec::new(),
                    whole: false,
                    id: None,
                    cut_short,
                    damage: Some("its delta does not fit its base".into()),
                });
            }
            let instructions = &raw[start..];
            let (produced, invalid) = delta::produced_len(instructions, base.len());
            let mut out = Vec::with_capacity(usize::try_from(produced.min(result_len)).ok()?);
            delta::apply(&base, instructions, &mut out);
            out.truncate(usize::try_from(result_len).unwrap_or(usize::MAX));
            let applied_whole = invalid.is_none() && produced == result_len;
            if damage.is_none() && !applied_whole {
                damage = Some(format!(
                    "its delta instructions produce {produced} of the {result_len} bytes it declares"
                ));
            } else if let Some(d) = &mut damage {
                d.push_str(&format!(
                    " (a delta: {} of the {result_len} bytes of the object could be rebuilt)",
                    out.len()
                ));
            }
            (base_kind, out, damage.is_none())
        }
    };
    let id = if whole {
        gix::objs::compute_hash(pack.hash, kind, &bytes).ok()
    } else {
        None
    };
    Some(Partial {
        kind,
        data: bytes,
        whole,
        id,
        cut_short,
        damage,
    })
}

/// The base of the delta with `header`, decoded through `index` (deltas of its own
/// resolved), with its kind.
fn read_base<T: pack::FileData>(
    index: Option<&pack::index::File<T>>,
    intact: &dyn Fn(u64) -> bool,
    data: &pack::data::File<SharedMap>,
    header: &pack::data::Entry,
) -> Option<(gix::objs::Kind, Vec<u8>)> {
    use pack::data::entry::Header;
    let index = index?;
    let base_offset = match header.header {
        Header::OfsDelta { base_distance } => header.checked_base_pack_offset(base_distance)?,
        Header::RefDelta { base_id } => index.pack_offset_at_index(index.lookup(base_id)?),
        _ => return None,
    };
    if !intact(base_offset) {
        return None;
    }
    let entry = data.entry(base_offset).ok()?;
    let mut out = Vec::new();
    let mut inflate = gix::zlib::Inflate::default();
    let resolve = |id: &gix::oid,
                   _: &mut Vec<u8>|
     -> gix::Result<Option<pack::data::decode::entry::ResolvedBase>> {
        Ok(index
            .lookup(id)
            .and_then(|i| data.entry(index.pack_offset_at_index(i)).ok())
            .map(pack::data::decode::entry::ResolvedBase::InPack))
    };
    let outcome = data
        .decode_entry(
            entry,
            &mut out,
            &mut inflate,
            &resolve,
            &mut pack::cache::Never,
        )
        .ok()?;
    Some((outcome.kind, out))
}

/// The last resort for a pack whose objects checked out but could not be traversed: gix's
/// lookup of each object by itself, which skips those it cannot decode. Each object it
/// skipped is reported.
fn salvage<T: pack::FileData + Sync>(
    pack: &Pack<'_>,
    index: &pack::index::File<T>,
    data: &pack::data::File<SharedMap>,
    limit: usize,
    expected: &[verify::Entry],
    visitor: &impl Visitor,
) {
    let visited = std::sync::Mutex::new(Vec::new());
    if let Err(e) = traverse(pack, index, data, Some(limit), Some(&visited), visitor) {
        if !visitor.is_cancelled() {
            visitor
                .problem(pack.problem(ProblemKind::DamagedPack, format!("unreadable pack: {e}")));
        }
        return;
    }
    if visitor.is_cancelled() {
        return;
    }
    let mut visited = crate::sync::into_inner(visited);
    visited.sort_unstable();
    let (mut listed, mut unlisted) = (0, 0);
    for e in expected {
        if e.state == verify::State::Intact && visited.binary_search(&e.offset).is_err() {
            let p = Problem::new(
                ProblemKind::DamagedObject,
                format!("object {} in {}", e.id, pack.path.display()),
                format!("at offset {}: it could not be decoded", e.offset),
            )
            .with_object(&e.id);
            report(visitor, &mut listed, &mut unlisted, p);
        }
    }
    summarize(pack, visitor, unlisted, 0, 0);
}

/// gix's traversal of `data` through `index`, every object handed to the visitor: the
/// delta-tree traversal (each base inflated once, in parallel), or, when `visited_offsets`
/// is given to collect the offsets of the objects visited, each object looked up by
/// itself, skipping those that cannot be decoded.
fn traverse<T: pack::FileData + Sync>(
    pack: &Pack<'_>,
    index: &pack::index::File<T>,
    data: &pack::data::File<SharedMap>,
    alloc_limit: Option<usize>,
    visited_offsets: Option<&std::sync::Mutex<Vec<u64>>>,
    visitor: &impl Visitor,
) -> Result<(), String> {
    use pack::index::traverse::{Algorithm, Options, SafetyCheck};
    if index.num_objects() == 0 {
        // Nothing to read (and gix's statistics of an empty traversal divide by zero).
        return Ok(());
    }
    if visited_offsets.is_none()
        && index.iter().map(|e| e.pack_offset).min() != Some(pack::data::header::SIZE as u64)
    {
        // The delta-tree traversal reads entry headers from the file in order, from the
        // first one after the pack's header, taking it for the index's first object: with
        // that object damaged (or an index that skips bytes), it would misread every header.
        return Err("its first object is not the first entry of the pack".into());
    }
    // One flag per pack: a failed checksum sets it, and it must not stop the next pack. A
    // cancelled visitor sets it too, which stops every thread of the traversal.
    let interrupt = AtomicBool::new(false);
    let visited = AtomicU64::new(0);
    let map = &pack.map;
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
        if let Some(v) = visited_offsets {
            crate::sync::lock(v).push(entry.pack_offset);
        }
        let n = visited.fetch_add(1, Ordering::Relaxed);
        if n % RELEASE_EVERY == RELEASE_EVERY - 1 {
            release_pages(map);
        }
        Ok(())
    };
    let (traversal, check) = if visited_offsets.is_some() {
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
    let data_limited;
    let data = if visited_offsets.is_some() {
        // The lookup decodes each object by what its entry declares: bounded here.
        data_limited = pack::data::File::from_data(
            SharedMap(pack.map.clone()),
            pack.path.to_path_buf(),
            pack.hash,
        )
        .map_err(|e| error_chain(&e))?
        .with_alloc_limit_bytes(alloc_limit);
        &data_limited
    } else {
        data
    };
    // The checks before keep inconsistent data away from gix; should some still make its
    // traversal panic, that is this pack's problem, not the end of the scan.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        index.traverse(
            data,
            &mut gix::progress::Discard,
            &interrupt,
            processor,
            Options {
                traversal,
                thread_limit: pack.threads,
                check,
                alloc_limit_bytes: alloc_limit,
                make_pack_lookup_cache: || pack::cache::Never,
            },
        )
    }))
    .map_err(|panic| {
        // The fuzz targets and property tests want to see these.
        if cfg!(any(test, feature = "fuzzing")) {
            std::panic::resume_unwind(panic);
        }
        "the pack reader failed on its damaged data".to_string()
    })?
    .map(|_| ())
    .map_err(|e| error_chain(&e))
}

/// The name of a file, for messages.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Objects between two releases of a pack's mapped pages.
const RELEASE_EVERY: u64 = 512;

/// A pack mapping that the traversal reads and this module can advise.
struct SharedMap(std::sync::Arc<memmap2::Mmap>);

impl std::ops::Deref for SharedMap {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

#[allow(unsafe_code)]
pub(crate) fn map_file(path: &Path) -> std::io::Result<memmap2::Mmap> {
    let file = std::fs::File::open(path)?;
    // SAFETY: a read-only mapping of a pack or index file, which git never rewrites in
    // place (new packs get new names). A concurrent truncation could fault reads: the risk
    // every mmap-based git reader takes, gix's own `data::File::at` included.
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
