//! Checking a pack against its index before the traversal trusts either, at the cost of one
//! CRC-32 pass over the pack: the traversal's inflate pads a stream that stops early with
//! zeros and allocates whatever an entry declares, so a cut or corrupt pack would otherwise
//! yield objects that look whole.
//!
//! A version 2 index records the CRC-32 of every entry's bytes and the pack's trailing
//! checksum, and its own trailing checksum covers both. So: the index's checksum is
//! verified (it is small), the pack's trailer compared with the one the index records (git's
//! "packfile does not match index"), and every entry's bytes — which together are the whole
//! pack between its header and trailer — compared with their CRC-32s. That finds every
//! damaged entry by name, at about a tenth of the cost of hashing the pack with SHA-1. A
//! version 1 index has no CRC-32s: the pack's trailer is verified by hashing instead.
//!
//! Each entry's header is read too: an entry declaring more bytes than its compressed bytes
//! can hold (more than 1032:1) is damage, found before anything is allocated for it.

use gix::odb::pack;
use gix::ObjectId;

use super::idx::{self, Idx};
use super::inflate::max_inflated_len;

/// The state of one entry of the pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Intact,
    /// Its bytes are damaged, and why.
    Damaged(String),
    /// A delta whose base (or one of its bases) is damaged.
    Orphan,
    /// A delta by id of an object outside the pack (a thin pack).
    External,
    /// The last object of a pack that lacks its trailing checksum: whole, but running into
    /// what the traversal takes for the trailer, so read by itself.
    Tail,
}

/// One object of the pack, as its index lists it.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) id: ObjectId,
    pub(crate) offset: u64,
    /// Where the next entry (or the trailer) starts.
    pub(crate) end: u64,
    pub(crate) crc32: Option<u32>,
    /// Its header, when it could be read.
    pub(crate) header: Option<pack::data::Entry>,
    pub(crate) state: State,
}

/// What checking a pack against its index found.
#[derive(Debug)]
pub(crate) struct Checked {
    /// Damage to the pack as a whole (its header, its trailer), each a sentence.
    pub(crate) pack_damage: Vec<String>,
    /// `(offset, position in the index)` of every object, by offset.
    order: Vec<(u64, u32)>,
    /// The entries (positions in `order`) that are not intact, and why.
    damaged: Vec<(usize, State)>,
    /// The largest size an intact entry declares.
    pub(crate) largest: u64,
    /// For each entry (by offset), where its delta base is in `order`: [`NO_BASE`] for a
    /// whole object, [`BASE_UNKNOWN`] for a delta whose base is no entry of the pack (or
    /// whose header cannot be read). Read with the headers the check reads anyway, so that
    /// the resolver need not touch every page of the pack a second time.
    pub(crate) bases: Vec<u32>,
    /// The pack's own checksum: its trailer.
    pub(crate) trailer: ObjectId,
    body_end: u64,
}

impl Checked {
    /// Whether anything is damaged.
    pub(crate) fn is_damaged(&self) -> bool {
        !self.pack_damage.is_empty() || !self.damaged.is_empty()
    }

    /// How many entries the pack has.
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// Where the bytes of entry `k` (by offset) are: what the resolver needs of an intact
    /// pack.
    pub(crate) fn span(&self, k: usize) -> super::resolve::Span {
        let (offset, position) = self.order[k];
        super::resolve::Span {
            offset,
            end: entry_end(&self.order, k, self.body_end),
            position,
        }
    }

    /// Every object of the index by offset, with its state; deltas of damaged objects
    /// marked.
    pub(crate) fn entries(
        &self,
        idx: &Idx<'_>,
        pack_data: &[u8],
        hash: gix::hash::Kind,
    ) -> Vec<Entry> {
        let mut entries: Vec<Entry> = self
            .order
            .iter()
            .enumerate()
            .map(|(k, &(offset, i))| {
                let end = entry_end(&self.order, k, self.body_end);
                let header = usize::try_from(offset)
                    .ok()
                    .and_then(|o| pack_data.get(o..usize::try_from(end).ok()?))
                    .and_then(|b| pack::data::Entry::from_bytes(b, offset, hash).ok());
                Entry {
                    id: idx.id(i as usize).to_owned(),
                    offset,
                    end,
                    crc32: idx.crc32(i as usize),
                    header,
                    state: State::Intact,
                }
            })
            .collect();
        for (k, state) in &self.damaged {
            entries[*k].state = state.clone();
        }
        mark_orphans(&mut entries, idx);
        entries
    }
}

/// An entry that is no delta.
pub(crate) const NO_BASE: u32 = u32::MAX;
/// A delta whose base is not an entry of the pack.
pub(crate) const BASE_UNKNOWN: u32 = u32::MAX - 1;

/// What the check found in one chunk of entries: the largest size declared, the damaged
/// entries, the base of each entry.
type ChunkChecked = (u64, Vec<(usize, State)>, Vec<u32>);

/// Entries checked per task of the parallel check.
const CHUNK: usize = 4096;
/// Chunks of entries between two calls of `check`'s `release`.
const RELEASE_CHUNKS: usize = 2;

/// Checks `pack_data` (a pack's bytes) against its index `idx`.
/// `release` is called after every few chunks of entries: the check touches every page of
/// the pack once, and the caller may let go of them as it goes (peak memory would
/// otherwise count the whole pack).
pub(crate) fn check(
    pack_data: &[u8],
    idx: &Idx<'_>,
    hash: gix::hash::Kind,
    release: &(dyn Fn() + Sync),
) -> Checked {
    use rayon::prelude::*;
    let hl = hash.len_in_bytes();
    let len = pack_data.len() as u64;
    let mut pack_damage = Vec::new();
    let trailer = pack_data
        .len()
        .checked_sub(hl)
        .and_then(|at| ObjectId::try_from(&pack_data[at..]).ok())
        .unwrap_or_else(|| hash.null());
    match header(pack_data) {
        Ok(count) if count as usize != idx.len() => pack_damage.push(format!(
            "the pack's header lists {count} objects, its index {}",
            idx.len()
        )),
        Ok(_) => {}
        Err(e) => pack_damage.push(e),
    }
    let body_end = len.saturating_sub(hl as u64);
    let mut order: Vec<(u64, u32)> = (0..idx.len()).map(|i| (idx.offset(i), i as u32)).collect();
    order.par_sort_unstable();
    let last = order.len().saturating_sub(1);
    let position = |offset: u64| -> u32 {
        order
            .binary_search_by_key(&offset, |o| o.0)
            .map_or(BASE_UNKNOWN, |k| k as u32)
    };
    let chunks: Vec<ChunkChecked> = order
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, chunk)| {
            if c % RELEASE_CHUNKS == RELEASE_CHUNKS - 1 {
                release();
            }
            let mut largest = 0u64;
            let mut damaged = Vec::new();
            let mut bases = Vec::with_capacity(chunk.len());
            for (j, &(offset, i)) in chunk.iter().enumerate() {
                let k = c * CHUNK + j;
                let end = entry_end(&order, k, body_end);
                let mut base = BASE_UNKNOWN;
                if let Some(state) = check_entry(
                    pack_data,
                    offset,
                    end,
                    idx.crc32(i as usize),
                    k == last,
                    hash,
                    &mut largest,
                    &mut |header| {
                        use pack::data::entry::Header;
                        base = match header {
                            Header::OfsDelta { base_distance } => offset
                                .checked_sub(base_distance)
                                .filter(|_| base_distance > 0)
                                .map_or(BASE_UNKNOWN, position),
                            Header::RefDelta { base_id } => idx
                                .lookup(&base_id)
                                .map_or(BASE_UNKNOWN, |p| position(idx.offset(p))),
                            _ => NO_BASE,
                        };
                    },
                ) {
                    damaged.push((k, state));
                }
                bases.push(base);
            }
            (largest, damaged, bases)
        })
        .collect();
    let mut largest = 0;
    let mut damaged = Vec::new();
    let mut bases = Vec::with_capacity(order.len());
    for (l, d, b) in chunks {
        largest = largest.max(l);
        damaged.extend(d);
        bases.extend(b);
    }
    if trailer != idx.pack_checksum {
        let tail = damaged.last().is_some_and(|d| d.1 == State::Tail);
        pack_damage.push(if tail {
            format!(
                "the pack is truncated: it lacks its trailing checksum {}, which its index records (git: \"packfile does not match index\"); its last object is whole and was read",
                idx.pack_checksum
            )
        } else {
            format!(
                "the pack does not match its index (git: \"packfile does not match index\"): its trailing checksum is {trailer}, the index records {} (the pack is truncated, or either file is corrupt)",
                idx.pack_checksum
            )
        });
    }
    if idx.len() > 0
        && idx.crc32(0).is_none()
        && idx::checksum(hash, &pack_data[..body_end as usize]) != Some(trailer)
    {
        // A version 1 index: no entry can be told damaged from its CRC-32, so none is trusted.
        pack_damage.push(
            "the pack's trailing checksum does not match its contents, and its (version 1) index cannot tell which objects are damaged"
                .into(),
        );
        let already: Vec<usize> = damaged.iter().map(|d| d.0).collect();
        for k in 0..order.len() {
            if already.binary_search(&k).is_err() {
                damaged.push((
                    k,
                    State::Damaged("in a pack whose checksum does not match".into()),
                ));
            }
        }
        damaged.sort_by_key(|d| d.0);
    }
    Checked {
        pack_damage,
        order,
        damaged,
        largest,
        bases,
        trailer,
        body_end,
    }
}

/// Where entry `k` of `order` ends: where the next one starts, or the trailer (a truncated
/// pack's next offset may lie beyond its end).
fn entry_end(order: &[(u64, u32)], k: usize, body_end: u64) -> u64 {
    order.get(k + 1).map_or(body_end, |n| n.0).min(body_end)
}

/// Checks the entry at `offset`, which ends at `end` (the last one, `is_last`, may run
/// into what looks like the trailer); `None` when intact, its declared size then counted
/// into `largest`. Its header, when readable, goes to `header`.
#[allow(clippy::too_many_arguments)]
fn check_entry(
    pack_data: &[u8],
    offset: u64,
    end: u64,
    crc32: Option<u32>,
    is_last: bool,
    hash: gix::hash::Kind,
    largest: &mut u64,
    header: &mut dyn FnMut(pack::data::entry::Header),
) -> Option<State> {
    let body_end = end;
    if offset < pack::data::header::SIZE as u64 || offset >= end {
        let beyond = usize::try_from(offset).map_or(true, |o| o >= pack_data.len());
        return Some(State::Damaged(if beyond {
            format!("its offset {offset} lies beyond the pack's objects (the pack is truncated)")
        } else {
            format!("its offset {offset} is not the start of an object of the pack")
        }));
    }
    // In range: offset < end <= the pack's length.
    let bytes = &pack_data[offset as usize..body_end as usize];
    let crc_ok = crc32.is_none_or(|crc| crc32fast::hash(bytes) == crc);
    // A pack cut by its trailer: the last entry's bytes run to the end of the file.
    let tail = !crc_ok && is_last && crc32 == Some(crc32fast::hash(&pack_data[offset as usize..]));
    match pack::data::Entry::from_bytes(bytes, offset, hash) {
        Ok(h) => {
            header(h.header);
            let compressed = end - h.data_offset.min(end);
            if tail {
                Some(State::Tail)
            } else if !crc_ok {
                Some(State::Damaged(
                    "its bytes in the pack do not match the CRC-32 its index records".into(),
                ))
            } else if h.decompressed_size > max_inflated_len(compressed) {
                Some(State::Damaged(format!(
                    "it declares {} bytes, more than its {compressed} compressed bytes can hold",
                    h.decompressed_size
                )))
            } else {
                *largest = (*largest).max(h.decompressed_size);
                None
            }
        }
        Err(err) => Some(State::Damaged(format!(
            "its entry header cannot be read: {err}"
        ))),
    }
}

/// The object count of a pack's header, or why the header is damaged.
pub(crate) fn header(pack_data: &[u8]) -> Result<u32, String> {
    let Some(h) = pack_data.get(..pack::data::header::SIZE) else {
        return Err(format!(
            "the pack is truncated: {} bytes, less than its header",
            pack_data.len()
        ));
    };
    let mut a = [0u8; pack::data::header::SIZE];
    a.copy_from_slice(h);
    pack::data::header::decode(&a)
        .map(|(_, n)| n)
        .map_err(|e| format!("the pack's header is damaged: {e}"))
}

/// Marks deltas whose base is not intact, and deltas by id of objects outside the pack.
fn mark_orphans(entries: &mut [Entry], idx: &Idx<'_>) {
    use pack::data::entry::Header;
    let position =
        |offset: u64, entries: &[Entry]| entries.binary_search_by_key(&offset, |e| e.offset).ok();
    // Bases by offset come before their deltas; bases by id may come anywhere, so repeat
    // until nothing changes (chains by id are rare and short).
    loop {
        let mut changed = false;
        for i in 0..entries.len() {
            if entries[i].state != State::Intact {
                continue;
            }
            let base = match entries[i].header.as_ref().map(|h| h.header) {
                Some(Header::OfsDelta { base_distance }) => {
                    match entries[i].offset.checked_sub(base_distance) {
                        Some(b) if base_distance > 0 => position(b, entries).ok_or(None),
                        _ => Err(None),
                    }
                }
                Some(Header::RefDelta { base_id }) => match idx.lookup(&base_id) {
                    Some(k) => position(idx.offset(k), entries).ok_or(None),
                    None => Err(Some(State::External)),
                },
                _ => continue,
            };
            let new = match base {
                Ok(b) if entries[b].state == State::Intact => continue,
                Ok(_) => State::Orphan,
                Err(Some(s)) => s,
                Err(None) => State::Damaged(
                    "its delta base is not the start of an object of the pack".into(),
                ),
            };
            entries[i].state = new;
            changed = true;
        }
        if !changed {
            return;
        }
    }
}
