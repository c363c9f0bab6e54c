//! Pack index files (`.idx`), read with every bound checked — a damaged or hostile index
//! must not send the traversal outside its pack — and written, in memory only, for packs
//! read without a usable index of their own.

use gix::ObjectId;

/// One object of an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IdxEntry {
    pub(crate) id: ObjectId,
    pub(crate) offset: u64,
    /// The CRC-32 of the entry's bytes in the pack (version 2 indexes).
    pub(crate) crc32: Option<u32>,
}

/// An index, checked, read in place.
#[derive(Debug)]
pub(crate) struct Idx<'a> {
    data: &'a [u8],
    hl: usize,
    n: usize,
    v2: bool,
    ids: usize,
    crcs: usize,
    offsets: usize,
    large: usize,
    /// The checksum of the pack it was written for.
    pub(crate) pack_checksum: ObjectId,
}

const V2_MAGIC: &[u8; 4] = b"\xfftOc";
const FAN: usize = 256 * 4;

fn be32(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be64(d: &[u8], at: usize) -> Option<u64> {
    let b = d.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_be_bytes(a))
}

/// Hash of `data` with `hash`.
pub(crate) fn checksum(hash: gix::hash::Kind, data: &[u8]) -> Option<ObjectId> {
    let mut h = gix::hash::hasher(hash);
    h.update(data);
    h.try_finalize().ok()
}

impl<'a> Idx<'a> {
    /// Number of objects.
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    /// The id of object `i` (in id order).
    pub(crate) fn id(&self, i: usize) -> &'a gix::oid {
        let at = self.ids + i * (if self.v2 { self.hl } else { self.hl + 4 });
        gix::oid::from_bytes_unchecked(&self.data[at..at + self.hl])
    }

    /// The CRC-32 of object `i`'s bytes in the pack (version 2 indexes).
    pub(crate) fn crc32(&self, i: usize) -> Option<u32> {
        if self.v2 {
            be32(self.data, self.crcs + 4 * i)
        } else {
            None
        }
    }

    /// The offset of object `i` in the pack (bounds were checked by [`read`]).
    pub(crate) fn offset(&self, i: usize) -> u64 {
        if !self.v2 {
            return be32(self.data, self.ids + i * (self.hl + 4) - 4).map_or(u64::MAX, u64::from);
        }
        match be32(self.data, self.offsets + 4 * i) {
            Some(o) if o & 0x8000_0000 != 0 => {
                be64(self.data, self.large + 8 * (o & 0x7fff_ffff) as usize).unwrap_or(u64::MAX)
            }
            Some(o) => u64::from(o),
            None => u64::MAX,
        }
    }

    /// The position of `id`.
    pub(crate) fn lookup(&self, id: &gix::oid) -> Option<usize> {
        let (mut lo, mut hi) = (0usize, self.n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.id(mid).cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Object `i`.
    #[cfg(test)]
    pub(crate) fn entry(&self, i: usize) -> IdxEntry {
        IdxEntry {
            id: self.id(i).to_owned(),
            offset: self.offset(i),
            crc32: self.crc32(i),
        }
    }
}

/// Reads an index, checking its own checksum, its layout and that its ids are sorted;
/// `Err` says why it cannot be used.
pub(crate) fn read(data: &[u8], hash: gix::hash::Kind) -> Result<Idx<'_>, String> {
    let hl = hash.len_in_bytes();
    if data.is_empty() {
        return Err("the index is empty".into());
    }
    if data.len() < FAN + 2 * hl {
        return Err(format!(
            "the index is truncated: {} bytes, less than an empty index takes",
            data.len()
        ));
    }
    let (body, trailer) = data.split_at(data.len() - hl);
    if checksum(hash, body).is_none_or(|c| c.as_slice() != trailer) {
        return Err(
            "the index's checksum does not match its contents (truncated or corrupt)".into(),
        );
    }
    let v2 = data.starts_with(V2_MAGIC);
    let fan_at = if v2 {
        match be32(data, 4) {
            Some(2) => 8,
            Some(v) => return Err(format!("unsupported index version {v}")),
            None => return Err("the index is truncated".into()),
        }
    } else {
        0
    };
    let mut fan = [0u32; 256];
    let mut previous = 0u32;
    for (i, f) in fan.iter_mut().enumerate() {
        let n = be32(data, fan_at + 4 * i).ok_or("the index is truncated")?;
        if n < previous {
            return Err("the index's fan-out table is not sorted".into());
        }
        previous = n;
        *f = n;
    }
    let n = previous as usize;
    let tables = fan_at + FAN;
    let pack_checksum_at = data.len() - 2 * hl;
    let pack_checksum = ObjectId::try_from(&data[pack_checksum_at..data.len() - hl])
        .map_err(|_| "the index has an unsupported hash length".to_string())?;
    let too_small = || {
        format!(
            "the index's size ({} bytes) does not fit the {n} objects it lists",
            data.len()
        )
    };
    let idx = if v2 {
        let ids = tables;
        let crcs = n
            .checked_mul(hl)
            .and_then(|t| t.checked_add(ids))
            .ok_or_else(too_small)?;
        let offsets = n
            .checked_mul(4)
            .and_then(|t| t.checked_add(crcs))
            .ok_or_else(too_small)?;
        let large = n
            .checked_mul(4)
            .and_then(|t| t.checked_add(offsets))
            .ok_or_else(too_small)?;
        if large > pack_checksum_at || !(pack_checksum_at - large).is_multiple_of(8) {
            return Err(too_small());
        }
        let n_large = (pack_checksum_at - large) / 8;
        for i in 0..n {
            let o = be32(data, offsets + 4 * i).ok_or_else(too_small)?;
            if o & 0x8000_0000 != 0 && (o & 0x7fff_ffff) as usize >= n_large {
                return Err(format!(
                    "object {i} of the index has a large offset outside the index's table"
                ));
            }
        }
        Idx {
            data,
            hl,
            n,
            v2,
            ids,
            crcs,
            offsets,
            large,
            pack_checksum,
        }
    } else {
        let expected = n
            .checked_mul(4 + hl)
            .and_then(|t| t.checked_add(tables + 2 * hl));
        if expected != Some(data.len()) {
            return Err(too_small());
        }
        Idx {
            data,
            hl,
            n,
            v2,
            // In version 1, each id follows its offset.
            ids: tables + 4,
            crcs: 0,
            offsets: 0,
            large: 0,
            pack_checksum,
        }
    };
    let mut count = [0u32; 256];
    for i in 0..n {
        if i > 0 && idx.id(i - 1) >= idx.id(i) {
            return Err("the index's object ids are not sorted".into());
        }
        count[usize::from(idx.id(i).as_bytes()[0])] += 1;
    }
    // The fan-out must agree with the ids, or lookups would miss objects.
    let mut total = 0u32;
    for (c, f) in count.iter().zip(fan) {
        total += c;
        if total != f {
            return Err("the index's fan-out table does not match its ids".into());
        }
    }
    Ok(idx)
}

/// A version 2 index of `entries` (any order; sorted here), for a pack whose trailer is
/// `pack_checksum`: what gix's traversal reads, built in memory for a pack whose own
/// index is missing or unusable.
pub(crate) fn encode(
    entries: &mut [IdxEntry],
    pack_checksum: &gix::oid,
    hash: gix::hash::Kind,
) -> Vec<u8> {
    entries.sort_by_key(|e| e.id);
    let hl = hash.len_in_bytes();
    let mut out = Vec::with_capacity(8 + FAN + entries.len() * (hl + 8) + 2 * hl);
    out.extend_from_slice(V2_MAGIC);
    out.extend_from_slice(&2u32.to_be_bytes());
    let mut fan = [0u32; 256];
    for e in entries.iter() {
        fan[usize::from(e.id.as_slice()[0])] += 1;
    }
    let mut total = 0u32;
    for f in fan {
        total += f;
        out.extend_from_slice(&total.to_be_bytes());
    }
    for e in entries.iter() {
        out.extend_from_slice(e.id.as_slice());
    }
    for e in entries.iter() {
        out.extend_from_slice(&e.crc32.unwrap_or(0).to_be_bytes());
    }
    let mut large = Vec::new();
    for e in entries.iter() {
        match u32::try_from(e.offset) {
            Ok(o) if o & 0x8000_0000 == 0 => out.extend_from_slice(&o.to_be_bytes()),
            _ => {
                let k = 0x8000_0000 | large.len() as u32;
                out.extend_from_slice(&k.to_be_bytes());
                large.push(e.offset);
            }
        }
    }
    for o in large {
        out.extend_from_slice(&o.to_be_bytes());
    }
    out.extend_from_slice(pack_checksum.as_bytes());
    let own = checksum(hash, &out).unwrap_or_else(|| hash.null());
    out.extend_from_slice(own.as_slice());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(b: u8) -> ObjectId {
        let mut bytes = [0u8; 20];
        bytes[0] = b;
        bytes[19] = b.wrapping_mul(7);
        ObjectId::from_bytes_or_panic(&bytes)
    }

    #[test]
    fn what_is_encoded_reads_back_and_gix_reads_it_too() {
        let hash = gix::hash::Kind::Sha1;
        let mut entries = vec![
            IdxEntry {
                id: id(9),
                offset: 12,
                crc32: Some(1),
            },
            IdxEntry {
                id: id(1),
                offset: 5 << 32,
                crc32: Some(2),
            },
            IdxEntry {
                id: id(200),
                offset: 300,
                crc32: Some(3),
            },
        ];
        let data = encode(&mut entries, &hash.null(), hash);
        let back = read(&data, hash).expect("a valid index");
        assert_eq!(
            (0..back.len()).map(|i| back.entry(i)).collect::<Vec<_>>(),
            entries
        );
        assert_eq!(back.lookup(&id(200)), Some(2));
        assert_eq!(back.lookup(&id(2)), None);
        let gix_index =
            gix::odb::pack::index::File::from_data(data.clone(), "mem.idx".into(), hash)
                .expect("gix reads it");
        assert_eq!(gix_index.num_objects(), 3);
        let i = gix_index.lookup(id(1)).expect("found");
        assert_eq!(gix_index.pack_offset_at_index(i), 5 << 32);

        assert!(read(&[], hash).is_err_and(|e| e.contains("empty")));
        assert!(read(&data[..data.len() - 1], hash).is_err());
        let mut flipped = data.clone();
        flipped[8 + FAN + 3] ^= 1;
        assert!(read(&flipped, hash).is_err_and(|e| e.contains("checksum")));
    }
}
