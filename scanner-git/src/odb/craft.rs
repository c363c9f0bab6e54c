//! Packs made to order, for the resolver's tests and fuzz target: entries of any kind and
//! any delta shape, with a correct index (CRC-32s, offsets, trailer) for whatever ids the
//! caller lists, so that the pack checks out and the resolver, not the check, meets what
//! the entries hold.

use super::idx;

const HASH: gix::hash::Kind = gix::hash::Kind::Sha1;

/// An entry of a crafted pack: a whole object, or a delta on an earlier entry (by
/// offset) or on any entry (by id).
pub(crate) enum Crafted {
    Whole(gix::objs::Kind, Vec<u8>),
    Ofs(usize, Vec<u8>),
    Ref(gix::ObjectId, Vec<u8>),
}

/// A pack entry's header: its type (1 commit, 2 tree, 3 blob, 4 tag, 6 offset delta, 7 delta
/// by id) and the size it declares.
pub(crate) fn entry_header(kind: u8, mut size: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut c = (kind << 4) | (size & 0x0f) as u8;
    size >>= 4;
    while size > 0 {
        out.push(c | 0x80);
        c = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(c);
    out
}

/// A size as a delta's header writes it.
pub(crate) fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A delta that replaces a base of `base_len` bytes by `result`, inserted whole.
pub(crate) fn insert_delta(base_len: usize, result: &[u8]) -> Vec<u8> {
    let mut d = Vec::new();
    varint(base_len as u64, &mut d);
    varint(result.len() as u64, &mut d);
    for chunk in result.chunks(127) {
        d.push(chunk.len() as u8);
        d.extend_from_slice(chunk);
    }
    d
}

/// `data`, deflated as git does.
pub(crate) fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut w = gix::zlib::stream::deflate::Write::new(Vec::new(), gix::zlib::Compression::DEFAULT);
    w.write_all(data).expect("writing to memory");
    w.flush().expect("writing to memory");
    w.into_inner()
}

/// A pack of `entries` with its index; `ids` are the entries' ids as the index lists
/// them (whatever they decode to).
pub(crate) fn pack(entries: &[Crafted], ids: &[gix::ObjectId]) -> (Vec<u8>, Vec<u8>) {
    let mut pack = b"PACK\0\0\0\x02".to_vec();
    pack.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    let mut offsets = Vec::new();
    let mut idx_entries = Vec::new();
    for (e, id) in entries.iter().zip(ids) {
        let offset = pack.len() as u64;
        offsets.push(offset);
        let (kind, data, prefix) = match e {
            Crafted::Whole(kind, data) => (
                match kind {
                    gix::objs::Kind::Commit => 1u8,
                    gix::objs::Kind::Tree => 2,
                    gix::objs::Kind::Blob => 3,
                    gix::objs::Kind::Tag => 4,
                },
                data,
                Vec::new(),
            ),
            Crafted::Ofs(base, data) => {
                let mut d = offset - offsets[*base];
                let mut enc = vec![(d & 0x7f) as u8];
                d >>= 7;
                while d > 0 {
                    d -= 1;
                    enc.push(0x80 | (d & 0x7f) as u8);
                    d >>= 7;
                }
                enc.reverse();
                (6, data, enc)
            }
            Crafted::Ref(base, data) => (7, data, base.as_bytes().to_vec()),
        };
        pack.extend_from_slice(&entry_header(kind, data.len() as u64));
        pack.extend_from_slice(&prefix);
        pack.extend_from_slice(&zlib(data));
        idx_entries.push(idx::IdxEntry {
            id: *id,
            offset,
            crc32: Some(crc32fast::hash(&pack[offset as usize..])),
        });
    }
    let trailer = idx::checksum(HASH, &pack).expect("SHA-1 is built in");
    pack.extend_from_slice(trailer.as_bytes());
    let index = idx::encode(&mut idx_entries, &trailer, HASH);
    (pack, index)
}
