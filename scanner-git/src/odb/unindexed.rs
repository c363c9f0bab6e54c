//! Reading a pack without its index (missing, empty, truncated or corrupt): git's pack
//! format can be walked from its start, each entry's end found by inflating it. Each entry
//! is checked as it is walked (its zlib stream must end, at the size it declares); after a
//! damaged one, the walk looks for the next entry that checks out, so damage loses only
//! what it covers. gix then resolves the deltas of the intact entries into an index, in
//! memory (nothing is written, least of all into the repository), and the pack is traversed
//! with it as if it had its own.

use gix::odb::pack;

use super::inflate::{inflate, max_inflated_len};
use super::verify::State;
use super::{idx, Pack, SharedMap, Visitor};
use crate::error::error_chain;
use crate::ProblemKind;

/// One entry found by the walk.
#[derive(Debug)]
struct Walked {
    offset: u64,
    header: Option<pack::data::Entry>,
    /// Compressed bytes (after the header) of an intact entry.
    compressed: u64,
    crc32: u32,
    state: State,
    /// Where the bytes that may hold a damaged entry end.
    input_end: u64,
}

/// Reads `pack` without an index and hands its objects to `visitor`.
pub(super) fn read(pack: &Pack<'_>, visitor: &impl Visitor) {
    let map: &[u8] = &pack.map;
    let hl = pack.hash.len_in_bytes() as u64;
    let len = map.len() as u64;
    let count = match super::verify::header(map) {
        Ok(n) => Some(n),
        Err(e) => {
            visitor.problem(pack.problem(ProblemKind::DamagedPack, e));
            None
        }
    };
    let mut zlib = gix::zlib::Decompress::new();
    let mut entries: Vec<Walked> = Vec::new();
    let mut lost: Vec<(u64, u64)> = Vec::new();
    let mut pos = pack::data::header::SIZE as u64;
    while pos < len && count.is_none_or(|n| (entries.len() as u64) < u64::from(n)) {
        if visitor.is_cancelled() {
            return;
        }
        if count.is_none() && pos + hl == len {
            break;
        }
        match entry_at(map, pos, pack.hash, &mut zlib) {
            Ok((header, consumed)) => {
                let end = header.data_offset + consumed;
                entries.push(Walked {
                    offset: pos,
                    crc32: crc32fast::hash(&map[pos as usize..end as usize]),
                    compressed: consumed,
                    header: Some(header),
                    state: State::Intact,
                    input_end: end,
                });
                pos = end;
            }
            Err((header, why, known_end)) => {
                let next = known_end.or_else(|| next_entry(map, pos + 1, pack.hash, &mut zlib));
                let end = next.unwrap_or(len);
                entries.push(Walked {
                    offset: pos,
                    header,
                    compressed: 0,
                    crc32: 0,
                    state: State::Damaged(why),
                    input_end: end,
                });
                if known_end.is_none() && end > pos + 1 {
                    lost.push((pos, end));
                }
                match next {
                    Some(n) => pos = n,
                    None => break,
                }
            }
        }
    }
    // Deltas by offset whose base is not an intact entry of the walk. Bases come first.
    for i in 0..entries.len() {
        if entries[i].state != State::Intact {
            continue;
        }
        if let Some(pack::data::entry::Header::OfsDelta { base_distance }) =
            entries[i].header.as_ref().map(|h| h.header)
        {
            let base = entries[i].offset.checked_sub(base_distance);
            let ok = base.is_some_and(|b| {
                entries[..i]
                    .binary_search_by_key(&b, |e| e.offset)
                    .is_ok_and(|k| entries[k].state == State::Intact)
            });
            if !ok {
                entries[i].state = State::Orphan;
            }
        }
    }
    let found = entries.len() as u64;
    let trailer_at = entries
        .last()
        .map_or(pack::data::header::SIZE as u64, |e| e.input_end);
    if let Some(n) = count {
        if found < u64::from(n) {
            visitor.problem(pack.problem(
                ProblemKind::DamagedPack,
                format!(
                    "the pack's header lists {n} objects, {found} were found (the pack is truncated or damaged)"
                ),
            ));
        }
    }
    if trailer_at + hl == len && lost.is_empty() {
        let trailer = &map[trailer_at as usize..];
        if idx::checksum(pack.hash, &map[..trailer_at as usize])
            .is_none_or(|c| c.as_bytes() != trailer)
        {
            visitor.problem(pack.problem(
                ProblemKind::ChecksumMismatch,
                "the pack's trailing checksum does not match its contents",
            ));
        }
    } else if lost.is_empty() && entries.iter().all(|e| e.state == State::Intact) {
        visitor.problem(pack.problem(
            ProblemKind::DamagedPack,
            format!(
                "the pack's objects end at byte {trailer_at} of {len}: {}",
                if trailer_at + hl > len {
                    "its trailing checksum is missing (the pack is truncated)"
                } else {
                    "bytes that are no object follow them"
                }
            ),
        ));
    }
    for (from, to) in &lost {
        visitor.problem(pack.problem(
            ProblemKind::DamagedPack,
            format!("bytes {from} to {to} are no readable object: what they held is lost"),
        ));
    }

    let trailer = map
        .get(trailer_at as usize..(trailer_at + hl) as usize)
        .and_then(|t| gix::ObjectId::try_from(t).ok())
        .unwrap_or_else(|| pack.hash.null());
    let (index, dropped) = match build_index(pack, &entries, &trailer, visitor) {
        Ok(built) => built,
        Err(e) => {
            if !visitor.is_cancelled() {
                visitor.problem(pack.problem(
                    ProblemKind::DamagedPack,
                    format!("its objects could not be resolved without an index: {e}"),
                ));
            }
            return;
        }
    };
    if dropped > 0 {
        visitor.problem(pack.problem(
            ProblemKind::DamagedPack,
            format!("{dropped} objects are deltas of objects named by id that are not in the pack, and were not read"),
        ));
    }
    let data = match pack.data_file() {
        Ok(d) => d,
        Err(e) => {
            visitor
                .problem(pack.problem(ProblemKind::DamagedPack, format!("unreadable pack: {e}")));
            return;
        }
    };
    let checked: Vec<super::verify::Entry> = index
        .iter()
        .map(|e| super::verify::Entry {
            id: e.oid,
            offset: e.pack_offset,
            end: 0,
            crc32: e.crc32,
            header: None,
            state: State::Intact,
        })
        .collect();
    let limit = super::alloc_limit(
        entries
            .iter()
            .filter(|e| e.state == State::Intact)
            .filter_map(|e| e.header.as_ref().map(|h| h.decompressed_size))
            .max()
            .unwrap_or(0),
        visitor.blob_limit(),
    );
    if super::traverse(pack, &index, &data, Some(limit), None, visitor).is_err()
        && !visitor.is_cancelled()
    {
        let mut sorted = checked;
        sorted.sort_by_key(|e| e.offset);
        super::salvage(pack, &index, &data, limit, &sorted, visitor);
    }
    read_damaged(pack, &entries, &index, &data, visitor);
}

/// Reports each damaged entry, and hands what can be read of it to the visitor.
fn read_damaged(
    pack: &Pack<'_>,
    entries: &[Walked],
    index: &pack::index::File<Vec<u8>>,
    data: &pack::data::File<SharedMap>,
    visitor: &impl Visitor,
) {
    let mut indexed: Vec<u64> = index.iter().map(|e| e.pack_offset).collect();
    indexed.sort_unstable();
    let intact = |offset: u64| indexed.binary_search(&offset).is_ok();
    let mut zlib = gix::zlib::Decompress::new();
    let (mut listed, mut unlisted, mut orphans) = (0usize, 0u64, 0u64);
    for e in entries {
        let why = match &e.state {
            State::Damaged(why) => why,
            State::Orphan => {
                orphans += 1;
                continue;
            }
            _ => continue,
        };
        if visitor.is_cancelled() {
            return;
        }
        let read = e.header.as_ref().and_then(|h| {
            super::read_partial(pack, Some(index), &intact, data, h, e.input_end, &mut zlib)
        });
        let problem =
            super::damaged_object(pack, e.offset, None, e.header.as_ref(), why, read.as_ref());
        let shown = problem.clone();
        super::report(visitor, &mut listed, &mut unlisted, problem);
        if let Some(p) = read {
            if !p.data.is_empty() {
                visitor.partial(p.kind, &p.data, None, &shown);
            }
        }
    }
    super::summarize(pack, visitor, unlisted, orphans, 0);
}

/// An in-memory index of the intact entries, their deltas resolved by gix; and how many
/// deltas by id had to be left out because their bases are not in the pack.
fn build_index(
    pack: &Pack<'_>,
    entries: &[Walked],
    trailer: &gix::ObjectId,
    visitor: &impl Visitor,
) -> Result<(pack::index::File<Vec<u8>>, u64), String> {
    let mut without_ref_deltas = false;
    loop {
        let mut keep: Vec<&Walked> = Vec::new();
        let mut dropped = 0u64;
        let mut kept_offsets: Vec<u64> = Vec::new();
        for e in entries.iter().filter(|e| e.state == State::Intact) {
            let Some(h) = &e.header else { continue };
            let ok = match h.header {
                pack::data::entry::Header::RefDelta { .. } => !without_ref_deltas,
                pack::data::entry::Header::OfsDelta { base_distance } => e
                    .offset
                    .checked_sub(base_distance)
                    .is_some_and(|b| kept_offsets.binary_search(&b).is_ok()),
                _ => true,
            };
            if ok {
                kept_offsets.push(e.offset);
                keep.push(e);
            } else {
                dropped += 1;
            }
        }
        let n = keep.len();
        let mut items = keep.iter().enumerate().filter_map(|(i, e)| {
            let h = e.header.as_ref()?;
            Some(Ok(pack::data::input::Entry {
                header: h.header,
                header_size: u16::try_from(h.header_size()).ok()?,
                pack_offset: e.offset,
                compressed: None,
                compressed_size: e.compressed,
                crc32: Some(e.crc32),
                decompressed_size: h.decompressed_size,
                trailer: (i + 1 == n).then_some(*trailer),
            }))
        });
        let map = pack.map.clone();
        let interrupt = std::sync::atomic::AtomicBool::new(visitor.is_cancelled());
        let mut out = Vec::new();
        let written = pack::index::write_data_iter_to_stream(
            pack::index::Version::V2,
            move || Ok((entry_bytes, SharedMap(map))),
            &mut items,
            pack.threads,
            &mut gix::progress::Discard,
            &mut out,
            &interrupt,
            pack.hash,
            Some(super::alloc_limit(
                entries
                    .iter()
                    .filter_map(|e| e.header.as_ref().map(|h| h.decompressed_size))
                    .max()
                    .unwrap_or(0),
                visitor.blob_limit(),
            )),
            pack::data::Version::V2,
        );
        match written {
            Ok(_) => {
                let index =
                    pack::index::File::from_data(out, pack.path.with_extension("idx"), pack.hash)
                        .map_err(|e| error_chain(&e))?;
                return Ok((index, dropped));
            }
            // A delta by id whose base is elsewhere (a thin pack): read the rest without
            // such deltas.
            Err(_) if !without_ref_deltas && !visitor.is_cancelled() => without_ref_deltas = true,
            Err(e) => return Err(error_chain(&e)),
        }
    }
}

/// The bytes of one entry, for gix's delta resolution.
fn entry_bytes(range: pack::data::EntryRange, map: &SharedMap) -> Option<&[u8]> {
    map.get(usize::try_from(range.start).ok()?..usize::try_from(range.end).ok()?)
}

/// The entry at `pos`, checked: its header and how many compressed bytes it takes; or its
/// header if readable, why it is damaged, and where it ends when that is known.
#[allow(clippy::type_complexity)]
fn entry_at(
    map: &[u8],
    pos: u64,
    hash: gix::hash::Kind,
    zlib: &mut gix::zlib::Decompress,
) -> Result<(pack::data::Entry, u64), (Option<pack::data::Entry>, String, Option<u64>)> {
    let at = usize::try_from(pos).map_err(|_| (None, "beyond memory".to_string(), None))?;
    let bytes = map.get(at..).unwrap_or_default();
    let header = pack::data::Entry::from_bytes(bytes, pos, hash)
        .map_err(|e| (None, format!("its entry header cannot be read: {e}"), None))?;
    let data_at = usize::try_from(header.data_offset).unwrap_or(usize::MAX);
    let input = map.get(data_at..).unwrap_or_default();
    let declared = header.decompressed_size;
    if declared > max_inflated_len(input.len() as u64) {
        return Err((
            Some(header.clone()),
            format!(
                "it declares {declared} bytes, more than the rest of the pack ({} bytes) can hold",
                input.len()
            ),
            None,
        ));
    }
    let inflated = inflate(zlib, input, declared, |_| {});
    let end = header.data_offset + inflated.consumed as u64;
    match inflated.damage(declared) {
        None => Ok((header, inflated.consumed as u64)),
        Some(why) => {
            let known_end = (inflated.end == super::End::Complete).then_some(end);
            Err((Some(header), why, known_end))
        }
    }
}

/// The first offset at or after `from` where an entry that checks out starts.
fn next_entry(
    map: &[u8],
    from: u64,
    hash: gix::hash::Kind,
    zlib: &mut gix::zlib::Decompress,
) -> Option<u64> {
    let start = usize::try_from(from).ok()?;
    (start..map.len())
        .filter(|&p| plausible_start(map, p, hash))
        .find(|&p| entry_at(map, p as u64, hash, zlib).is_ok())
        .map(|p| p as u64)
}

/// A cheap test before inflating: an entry header of a known type, followed by a zlib
/// header.
fn plausible_start(map: &[u8], p: usize, hash: gix::hash::Kind) -> bool {
    let Some(&first) = map.get(p) else {
        return false;
    };
    if !matches!((first >> 4) & 7, 1 | 2 | 3 | 4 | 6 | 7) {
        return false;
    }
    let Ok(h) = pack::data::Entry::from_bytes(&map[p..], p as u64, hash) else {
        return false;
    };
    let at = usize::try_from(h.data_offset).unwrap_or(usize::MAX);
    match map.get(at..at.saturating_add(2)) {
        Some(&[cmf, flg]) => {
            cmf & 0x0f == 8
                && cmf >> 4 <= 7
                && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
                && flg & 0x20 == 0
        }
        _ => false,
    }
}
