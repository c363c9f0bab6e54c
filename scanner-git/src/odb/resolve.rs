//! Decoding every object of a pack that checked out against its index: each delta base is
//! inflated once and its deltas are applied to it while it is at hand, the forests of
//! delta chains spread over the threads.
//!
//! gix's delta-tree traversal does the same, but builds its tree on one thread, object by
//! object, with two binary searches over a vector of large items per delta: on rails/rails
//! (1.24M objects) that took 2 of the scan's 10 seconds, with the second core idle. Here the
//! tree comes from what the check already has (every entry by offset, its header bounded),
//! as three arrays of `u32` built in parallel, about 16 bytes per object instead of gix's 130.
//!
//! Anything inconsistent (a delta whose instructions do not produce what it declares, a
//! stream that does not end where its entry does, a base never reached) is an error for the
//! whole pack: the caller then reads it object by object, as it does any pack that cannot
//! be traversed, and that path says which objects are damaged and why.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use gix::odb::pack;
use gix::zlib::{Decompress, FlushDecompress, Status};
use rayon::prelude::*;

use super::idx::Idx;
use super::verify::{Checked, BASE_UNKNOWN, NO_BASE};
use super::{delta, Visitor};

/// Nested parallel splits of one delta tree at most: each is a new stack of work, so their
/// number bounds the depth of recursion whatever the shape of the tree.
const MAX_SPLITS: u32 = 6;

/// The delta forest of a pack: for each entry (by offset) its children, in CSR form.
struct Forest {
    /// Children of entry `k`: `kids[first[k]..first[k + 1]]`, smallest subtree first.
    first: Vec<u32>,
    kids: Vec<u32>,
    /// Entries in the forest's subtree of each entry (itself included).
    size: Vec<u32>,
    roots: Vec<u32>,
}

impl Forest {
    fn kids(&self, k: u32) -> &[u32] {
        let k = k as usize;
        &self.kids[self.first[k] as usize..self.first[k + 1] as usize]
    }
}

/// Where an entry's bytes are, and its index position (for its id).
#[derive(Clone, Copy)]
pub(super) struct Span {
    pub(super) offset: u64,
    pub(super) end: u64,
    pub(super) position: u32,
}

/// The pack being decoded, shared by every thread.
struct Shared<'a, V> {
    map: &'a [u8],
    checked: &'a Checked,
    idx: &'a Idx<'a>,
    hash: gix::hash::Kind,
    forest: Forest,
    /// The largest object a delta may produce (see `alloc_limit` in the parent module).
    alloc_limit: u64,
    visitor: &'a V,
    /// Set by the first inconsistency (or a cancelled visitor): every thread stops.
    stop: AtomicBool,
    error: Mutex<Option<String>>,
    visited: AtomicU64,
    release: &'a (dyn Fn() + Sync),
    /// Objects between two calls of `release`.
    release_every: u64,
    /// Subtrees larger than this are split over the threads.
    split_above: u32,
}

/// Decodes every object of the pack `checked` found intact (the base of each in
/// [`Checked::bases`]) and
/// hands it to `visitor`. `release` is called every `release_every` objects (the caller
/// lets go of the pack's resident pages). The objects are decoded on the threads of the
/// current rayon pool, or in order on this one with `one_thread`.
///
/// # Errors
///
/// The first inconsistency found, or that the visitor was cancelled; objects decoded before
/// it were handed over.
#[allow(clippy::too_many_arguments)]
pub(super) fn run<V: Visitor>(
    map: &[u8],
    checked: &Checked,
    idx: &Idx<'_>,
    hash: gix::hash::Kind,
    alloc_limit: u64,
    visitor: &V,
    release: &(dyn Fn() + Sync),
    release_every: u64,
    one_thread: bool,
) -> Result<(), String> {
    let forest = forest(&checked.bases)?;
    let threads = rayon::current_num_threads().max(1) as u32;
    let shared = Shared {
        map,
        checked,
        idx,
        hash,
        split_above: (checked.len() as u32 / (16 * threads)).max(64),
        forest,
        alloc_limit,
        visitor,
        stop: AtomicBool::new(false),
        error: Mutex::new(None),
        visited: AtomicU64::new(0),
        release,
        release_every: release_every.max(1),
    };
    if one_thread {
        let mut w = Worker::default();
        for &root in &shared.forest.roots {
            w.tree(&shared, root, None, 0);
        }
    } else {
        shared
            .forest
            .roots
            .par_iter()
            .with_max_len(64)
            .for_each_init(Worker::default, |w, &root| {
                w.tree(&shared, root, None, MAX_SPLITS);
            });
    }
    if let Some(e) = crate::sync::into_inner(shared.error) {
        return Err(e);
    }
    if visitor.is_cancelled() {
        return Err("cancelled".into());
    }
    Ok(())
}

/// Each entry's header, bounded by the bytes up to the next entry.
fn entry_header(
    map: &[u8],
    span: Span,
    hash: gix::hash::Kind,
) -> Result<pack::data::Entry, String> {
    let bytes = usize::try_from(span.offset)
        .ok()
        .zip(usize::try_from(span.end).ok())
        .and_then(|(a, b)| map.get(a..b))
        .ok_or_else(|| format!("the entry at {} lies outside the pack", span.offset))?;
    pack::data::Entry::from_bytes(bytes, span.offset, hash)
        .map_err(|e| format!("the entry at {} has no readable header: {e}", span.offset))
}

/// The delta forest of the pack's entries, from the base of each (see
/// [`super::verify::Checked::bases`]).
fn forest(base: &[u32]) -> Result<Forest, String> {
    let n = base.len();
    if u32::try_from(n).map_or(true, |n| n >= BASE_UNKNOWN) {
        return Err("more objects than a pack index can list".into());
    }
    if let Some(k) = base.iter().position(|&b| b == BASE_UNKNOWN) {
        return Err(format!(
            "the delta numbered {k} by offset has no base in the pack"
        ));
    }

    // Children in CSR form.
    let mut first = vec![0u32; n + 1];
    for &b in base {
        if b != NO_BASE {
            first[b as usize + 1] += 1;
        }
    }
    for k in 0..n {
        first[k + 1] += first[k];
    }
    let mut fill = first.clone();
    let mut kids = vec![0u32; first[n] as usize];
    let mut roots = Vec::new();
    for (k, &b) in base.iter().enumerate() {
        if b == NO_BASE {
            roots.push(k as u32);
        } else {
            kids[fill[b as usize] as usize] = k as u32;
            fill[b as usize] += 1;
        }
    }
    drop(fill);

    // Breadth first from the roots: every entry must be reached once (bases by id can form
    // a cycle, which no root reaches), and the reverse order gives subtree sizes.
    let mut order: Vec<u32> = Vec::with_capacity(n);
    order.extend_from_slice(&roots);
    let mut at = 0;
    while at < order.len() {
        let k = order[at] as usize;
        at += 1;
        order.extend_from_slice(&kids[first[k] as usize..first[k + 1] as usize]);
    }
    if order.len() != n {
        return Err(format!(
            "{} of its {n} objects are deltas whose chain of bases never reaches a whole object",
            n - order.len()
        ));
    }
    let mut size = vec![1u32; n];
    for &k in order.iter().rev() {
        let k = k as usize;
        let below: u32 = kids[first[k] as usize..first[k + 1] as usize]
            .iter()
            .map(|&c| size[c as usize])
            .sum();
        size[k] += below;
    }
    // The largest subtree last: a node's buffer is let go of before its last child's
    // subtree is walked, so at most about log2(n) bases are held at once.
    for k in 0..n {
        let range = first[k] as usize..first[k + 1] as usize;
        if range.len() > 1 {
            kids[range].sort_unstable_by_key(|&c| size[c as usize]);
        }
    }
    Ok(Forest {
        first,
        kids,
        size,
        roots,
    })
}

/// One thread's tools: its inflater and spare buffers.
struct Worker {
    zlib: Decompress,
    delta: Vec<u8>,
    spare: Vec<Vec<u8>>,
}

impl Default for Worker {
    fn default() -> Self {
        Worker {
            zlib: Decompress::new(),
            delta: Vec::new(),
            spare: Vec::new(),
        }
    }
}

/// A decoded object whose children are still to be decoded.
struct Frame {
    bytes: Vec<u8>,
    kind: gix::objs::Kind,
    /// Entry whose children these are, and how many of them were taken.
    entry: u32,
    next: usize,
}

impl Worker {
    fn buffer(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_default()
    }

    fn give_back(&mut self, buf: Vec<u8>) {
        // A few spare buffers of moderate size are worth keeping; a huge one is not.
        // Its length stays: bytes within it are overwritten, not zeroed again.
        if self.spare.len() < 8 && buf.capacity() <= 64 << 20 {
            self.spare.push(buf);
        }
    }

    /// Decodes entry `top` (on `base`, for a delta) and its whole subtree.
    fn tree<V: Visitor>(
        &mut self,
        s: &Shared<'_, V>,
        top: u32,
        base: Option<(&[u8], gix::objs::Kind)>,
        splits: u32,
    ) {
        let Some(frame) = self.decode(s, top, base) else {
            return;
        };
        let mut stack = vec![frame];
        while let Some(f) = stack.last_mut() {
            if s.stop.load(Ordering::Relaxed) {
                return;
            }
            let kids = s.forest.kids(f.entry);
            if f.next == 0
                && splits > 0
                && kids.len() > 1
                && s.forest.size[f.entry as usize] > s.split_above
            {
                // A large subtree: its children's subtrees go to other threads, each its own
                // walk over the bytes of this one.
                let f = stack.pop().expect("the frame just looked at");
                let (bytes, kind) = (&f.bytes[..], f.kind);
                kids.par_iter().for_each_init(Worker::default, |w, &c| {
                    w.tree(s, c, Some((bytes, kind)), splits - 1);
                });
                self.give_back(f.bytes);
                continue;
            }
            let Some(&child) = kids.get(f.next) else {
                let f = stack.pop().expect("the frame just looked at");
                self.give_back(f.bytes);
                continue;
            };
            f.next += 1;
            let last = f.next == kids.len();
            let decoded = self.decode(s, child, Some((&f.bytes, f.kind)));
            if last {
                let f = stack.pop().expect("the frame just looked at");
                self.give_back(f.bytes);
            }
            if let Some(c) = decoded {
                if s.forest.kids(child).is_empty() {
                    self.give_back(c.bytes);
                } else {
                    stack.push(c);
                }
            }
        }
    }

    /// Decodes entry `k` and hands it to the visitor; `None` when it has nothing to give
    /// its children (an error, recorded, or a stop).
    fn decode<V: Visitor>(
        &mut self,
        s: &Shared<'_, V>,
        k: u32,
        base: Option<(&[u8], gix::objs::Kind)>,
    ) -> Option<Frame> {
        if s.stop.load(Ordering::Relaxed) {
            return None;
        }
        if s.visitor.is_cancelled() {
            s.stop.store(true, Ordering::Relaxed);
            return None;
        }
        let span = s.checked.span(k as usize);
        let id = s.idx.id(span.position as usize);
        let result = self.object(s, span, base, s.forest.kids(k).is_empty(), id);
        let (bytes, kind) = match result {
            Ok(Some(decoded)) => decoded,
            Ok(None) => return None,
            Err(why) => {
                s.stop.store(true, Ordering::Relaxed);
                let mut error = crate::sync::lock(&s.error);
                if error.is_none() {
                    *error = Some(format!("object {id} at offset {}: {why}", span.offset));
                }
                return None;
            }
        };
        s.visitor.object(kind, &bytes, id);
        let n = s.visited.fetch_add(1, Ordering::Relaxed);
        if n % s.release_every == s.release_every - 1 {
            (s.release)();
        }
        Some(Frame {
            bytes,
            kind,
            entry: k,
            next: 0,
        })
    }

    /// The bytes and kind of one entry; `Ok(None)` for a leaf blob over the visitor's limit,
    /// which is reported as such and not decoded.
    fn object<V: Visitor>(
        &mut self,
        s: &Shared<'_, V>,
        span: Span,
        base: Option<(&[u8], gix::objs::Kind)>,
        leaf: bool,
        id: &gix::oid,
    ) -> Result<Option<(Vec<u8>, gix::objs::Kind)>, String> {
        let entry = entry_header(s.map, span, s.hash)?;
        let compressed = usize::try_from(entry.data_offset)
            .ok()
            .zip(usize::try_from(span.end).ok())
            .and_then(|(a, b)| s.map.get(a..b))
            .ok_or("its data lies outside the pack")?;
        let declared = entry.decompressed_size;
        let kind = match (entry.header.as_kind(), base) {
            (Some(kind), None) => kind,
            (None, Some((_, kind))) => kind,
            _ => return Err("its header and its place in the delta forest disagree".into()),
        };
        let over_limit =
            |size: u64| leaf && kind == gix::objs::Kind::Blob && size > s.visitor.blob_limit();
        if base.is_none() && over_limit(declared) {
            s.visitor.oversized(kind, declared, id);
            return Ok(None);
        }
        let mut out = self.buffer();
        match base {
            None => inflate_exact(&mut self.zlib, compressed, declared, &mut out)?,
            Some((base, _)) => {
                let mut delta = std::mem::take(&mut self.delta);
                let applied = (|| {
                    inflate_exact(&mut self.zlib, compressed, declared, &mut delta)?;
                    let (base_len, result_len, at) =
                        delta::header(&delta).ok_or("its delta header cannot be read")?;
                    if base_len != base.len() as u64 {
                        return Err(format!(
                            "its delta applies to {base_len} bytes, its base has {}",
                            base.len()
                        ));
                    }
                    if result_len > s.alloc_limit.min(s.visitor.blob_limit()) {
                        // Before a size counts, the instructions must produce it: a delta may
                        // declare any size at all.
                        let (produced, invalid) = delta::produced_len(&delta[at..], base.len());
                        if invalid.is_some() || produced != result_len {
                            return Err(format!(
                                "its delta declares {result_len} bytes, its instructions produce {produced}"
                            ));
                        }
                    }
                    if over_limit(result_len) {
                        return Ok(Some(result_len));
                    }
                    if result_len > s.alloc_limit {
                        return Err(format!(
                            "its delta produces {result_len} bytes, more than any object of the pack declares"
                        ));
                    }
                    // `result_len` is bounded above, so reserving it is safe.
                    out.clear();
                    out.reserve(result_len as usize);
                    delta::apply(base, &delta[at..], &mut out);
                    if out.len() as u64 != result_len {
                        return Err(format!(
                            "its delta produces {} of the {result_len} bytes it declares",
                            out.len()
                        ));
                    }
                    Ok(None)
                })();
                self.delta = delta;
                if let Some(size) = applied? {
                    self.give_back(out);
                    s.visitor.oversized(kind, size, id);
                    return Ok(None);
                }
            }
        }
        Ok(Some((out, kind)))
    }
}

/// Inflates the zlib stream `input` into `out`, which then holds exactly `declared` bytes;
/// the stream must end there. `declared` was bounded by the check (no more than the
/// compressed bytes can hold), so sizing `out` by it is safe. Bytes `out` held before are
/// overwritten, not cleared first: most buffers are reused.
fn inflate_exact(
    zlib: &mut Decompress,
    input: &[u8],
    declared: u64,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let n = usize::try_from(declared).map_err(|_| "it declares more bytes than memory holds")?;
    // One byte more than declared: a stream that yields more does not end in the room.
    out.resize(n + 1, 0);
    zlib.reset();
    let status = zlib.decompress(input, out, FlushDecompress::Finish);
    let produced = zlib.total_out();
    match status {
        Ok(Status::StreamEnd) if produced == declared => {
            out.truncate(n);
            Ok(())
        }
        _ => {
            // The careful inflate says exactly how the stream ended.
            let mut sink = 0u64;
            let ended = super::inflate::inflate(zlib, input, declared, |b| sink += b.len() as u64);
            Err(ended
                .damage(declared)
                .unwrap_or_else(|| "its zlib stream does not end where its entry does".into()))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::super::craft::{insert_delta, pack, Crafted};
    use super::super::{idx, verify, Visitor};
    use crate::Problem;

    const HASH: gix::hash::Kind = gix::hash::Kind::Sha1;

    /// Every object handed over, by id: kind, bytes and how many times.
    #[derive(Default)]
    struct Collect {
        seen: Mutex<HashMap<gix::ObjectId, (gix::objs::Kind, Vec<u8>, usize)>>,
        problems: Mutex<Vec<Problem>>,
    }

    impl Visitor for Collect {
        fn object(&self, kind: gix::objs::Kind, data: &[u8], id: &gix::oid) {
            let mut seen = crate::sync::lock(&self.seen);
            let e = seen
                .entry(id.to_owned())
                .or_insert((kind, data.to_vec(), 0));
            e.2 += 1;
        }
        fn problem(&self, problem: Problem) {
            crate::sync::lock(&self.problems).push(problem);
        }
        fn is_cancelled(&self) -> bool {
            false
        }
    }

    fn blob_id(data: &[u8]) -> gix::ObjectId {
        gix::objs::compute_hash(HASH, gix::objs::Kind::Blob, data).unwrap()
    }

    /// Checks the pack, then resolves it on `threads` threads (one: in order).
    fn resolve(pack: &[u8], index: &[u8], threads: usize) -> (Collect, Result<(), String>) {
        let idx = idx::read(index, HASH).unwrap();
        let checked = verify::check(pack, &idx, HASH, &|| {});
        assert!(!checked.is_damaged(), "{:?}", checked.pack_damage);
        let v = Collect::default();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let r = pool.install(|| {
            super::run(
                pack,
                &checked,
                &idx,
                HASH,
                1 << 30,
                &v,
                &|| {},
                7,
                threads == 1,
            )
        });
        (v, r)
    }

    /// A chain of `n` deltas, each on the one before: version `k` is `"version k\n"`.
    fn chain(n: usize) -> (Vec<Crafted>, Vec<gix::ObjectId>, Vec<Vec<u8>>) {
        let versions: Vec<Vec<u8>> = (0..=n)
            .map(|k| format!("version {k}\n").into_bytes())
            .collect();
        let mut entries = vec![Crafted::Whole(gix::objs::Kind::Blob, versions[0].clone())];
        for k in 1..=n {
            entries.push(Crafted::Ofs(
                k - 1,
                insert_delta(versions[k - 1].len(), &versions[k]),
            ));
        }
        let ids = versions.iter().map(|v| blob_id(v)).collect();
        (entries, ids, versions)
    }

    #[test]
    fn a_delta_chain_thousands_deep_is_resolved_without_deep_recursion() {
        let (entries, ids, versions) = chain(20_000);
        let (pack, index) = pack(&entries, &ids);
        for threads in [1, 3] {
            let (v, r) = resolve(&pack, &index, threads);
            r.unwrap();
            let seen = v.seen.into_inner().unwrap();
            assert_eq!(seen.len(), versions.len());
            for (id, version) in ids.iter().zip(&versions) {
                let (kind, bytes, times) = &seen[id];
                assert_eq!(
                    (*kind, &bytes[..], *times),
                    (gix::objs::Kind::Blob, &version[..], 1)
                );
            }
        }
    }

    #[test]
    fn a_wide_delta_tree_is_split_over_threads_and_each_object_read_once() {
        // One base with 3,000 deltas on it, and a chain of 50 below every hundredth.
        let base = b"the base of them all\n".to_vec();
        let mut entries = vec![Crafted::Whole(gix::objs::Kind::Blob, base.clone())];
        let mut contents = vec![base.clone()];
        for k in 0..3000 {
            let child = format!("child {k}\n").into_bytes();
            entries.push(Crafted::Ofs(0, insert_delta(base.len(), &child)));
            contents.push(child.clone());
            if k % 100 == 0 {
                let mut prev = (entries.len() - 1, child);
                for j in 0..50 {
                    let next = format!("child {k}, version {j}\n").into_bytes();
                    entries.push(Crafted::Ofs(prev.0, insert_delta(prev.1.len(), &next)));
                    contents.push(next.clone());
                    prev = (entries.len() - 1, next);
                }
            }
        }
        let ids: Vec<_> = contents.iter().map(|c| blob_id(c)).collect();
        let (pack, index) = pack(&entries, &ids);
        for threads in [1, 2, 4] {
            let (v, r) = resolve(&pack, &index, threads);
            r.unwrap();
            let seen = v.seen.into_inner().unwrap();
            assert_eq!(seen.len(), contents.len(), "{threads} threads");
            for (id, c) in ids.iter().zip(&contents) {
                assert_eq!((&seen[id].1[..], seen[id].2), (&c[..], 1));
            }
        }
    }

    #[test]
    fn deltas_by_id_whose_bases_form_a_cycle_are_an_error_not_a_silent_loss() {
        let whole = b"a whole object\n".to_vec();
        let (a, b) = (blob_id(b"a\n"), blob_id(b"b\n"));
        let entries = [
            Crafted::Whole(gix::objs::Kind::Blob, whole.clone()),
            Crafted::Ref(b, insert_delta(2, b"a\n")),
            Crafted::Ref(a, insert_delta(2, b"b\n")),
        ];
        let (pack, index) = pack(&entries, &[blob_id(&whole), a, b]);
        let (_, r) = resolve(&pack, &index, 2);
        let e = r.unwrap_err();
        assert!(
            e.contains(
                "2 of its 3 objects are deltas whose chain of bases never reaches a whole object"
            ),
            "{e}"
        );
    }

    #[test]
    fn deltas_by_id_on_a_later_entry_are_resolved() {
        // As `git index-pack --fix-thin` leaves them: the bases appended after their deltas.
        let base = b"appended base\n".to_vec();
        let child = b"child of a later base\n".to_vec();
        let entries = [
            Crafted::Ref(blob_id(&base), insert_delta(base.len(), &child)),
            Crafted::Whole(gix::objs::Kind::Blob, base.clone()),
        ];
        let (pack, index) = pack(&entries, &[blob_id(&child), blob_id(&base)]);
        let (v, r) = resolve(&pack, &index, 2);
        r.unwrap();
        let seen = v.seen.into_inner().unwrap();
        assert_eq!(seen[&blob_id(&child)].1, child);
        assert_eq!(seen[&blob_id(&base)].1, base);
    }

    #[test]
    fn a_delta_producing_other_than_it_declares_is_an_error_naming_it() {
        let base = b"base\n".to_vec();
        let mut lying = insert_delta(base.len(), b"twelve bytes");
        lying[1] = 13; // declares 13 bytes, inserts 12
        let short = {
            // applies to a base of 9 bytes: the base has 5
            let mut d = insert_delta(base.len(), b"x");
            d[0] = 9;
            d
        };
        for (delta, why) in [
            (lying, "its delta produces 12 of the 13 bytes it declares"),
            (short, "its delta applies to 9 bytes, its base has 5"),
        ] {
            let lie = blob_id(b"whatever");
            let entries = [
                Crafted::Whole(gix::objs::Kind::Blob, base.clone()),
                Crafted::Ofs(0, delta),
            ];
            let (pack, index) = pack(&entries, &[blob_id(&base), lie]);
            let (v, r) = resolve(&pack, &index, 1);
            let e = r.unwrap_err();
            assert!(e.contains(&lie.to_string()) && e.contains(why), "{e}");
            // The base was read before.
            assert_eq!(v.seen.into_inner().unwrap()[&blob_id(&base)].1, base);
        }
    }

    #[test]
    fn the_resolver_reads_what_the_delta_tree_traversal_of_gix_reads() {
        // A history git packs with deltas of every kind: copies and inserts, trees, commits.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .current_dir(dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        git(&["init", "-q", "-b", "main"]);
        for i in 0..60 {
            let text: String = (0..200)
                .map(|l| {
                    format!(
                        "line {l} of a file changed in commit {}\n",
                        if l % 17 == i % 17 { i } else { 0 }
                    )
                })
                .collect();
            std::fs::write(dir.join(format!("f{}", i % 4)), text).unwrap();
            std::fs::create_dir_all(dir.join(format!("d{}", i % 3))).unwrap();
            std::fs::write(dir.join(format!("d{}/g", i % 3)), format!("{i}\n")).unwrap();
            git(&["add", "-A"]);
            git(&["commit", "-q", "-m", &format!("commit {i}")]);
        }
        git(&["repack", "-adfq", "--depth=20", "--window=20"]);
        let pack_dir = dir.join(".git/objects/pack");
        let idx_path = std::fs::read_dir(&pack_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap();
        let pack = std::fs::read(idx_path.with_extension("pack")).unwrap();
        let index = std::fs::read(&idx_path).unwrap();
        let (ours, r) = resolve(&pack, &index, 2);
        r.unwrap();
        let ours = ours.seen.into_inner().unwrap();

        let gix_index = gix::odb::pack::index::File::at(&idx_path, HASH).unwrap();
        let data = gix::odb::pack::data::File::at(idx_path.with_extension("pack"), HASH).unwrap();
        let theirs = Collect::default();
        gix_index
            .traverse(
                &data,
                &mut gix::progress::Discard,
                &std::sync::atomic::AtomicBool::new(false),
                |kind, bytes, entry, _| {
                    theirs.object(kind, bytes, &entry.oid);
                    Ok(())
                },
                gix::odb::pack::index::traverse::Options {
                    traversal: gix::odb::pack::index::traverse::Algorithm::DeltaTreeLookup,
                    thread_limit: Some(1),
                    check: gix::odb::pack::index::traverse::SafetyCheck::All,
                    alloc_limit_bytes: None,
                    make_pack_lookup_cache: || gix::odb::pack::cache::Never,
                },
            )
            .unwrap();
        let theirs = theirs.seen.into_inner().unwrap();
        assert!(ours.len() > 200, "{} objects", ours.len());
        assert_eq!(ours.len(), theirs.len());
        for (id, (kind, bytes, times)) in &ours {
            assert_eq!(*times, 1);
            assert_eq!(
                theirs.get(id).map(|t| (t.0, &t.1)),
                Some((*kind, bytes)),
                "{id}"
            );
            // And the bytes are the object: their id is their hash.
            assert_eq!(gix::objs::compute_hash(HASH, *kind, bytes).unwrap(), *id);
        }
    }
}
