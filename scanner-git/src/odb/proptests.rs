//! Property tests: any bytes, read as a loose object or as a pack (with its index mangled,
//! truncated or missing), never panic and never allocate by what they merely declare; an
//! intact pack is read whole, with no problem.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use proptest::prelude::*;

use super::craft::{entry_header, varint, zlib};
use super::idx::{self, IdxEntry};
use crate::fuzzing::{read_loose, read_pack};

/// A small intact pack and its index: two blobs, a tree, an offset delta and a delta by
/// id.
pub(crate) fn sample_pack() -> (Vec<u8>, Vec<u8>) {
    let hash = gix::hash::Kind::Sha1;
    let id = |kind, data: &[u8]| gix::objs::compute_hash(hash, kind, data).unwrap();
    let blob_a =
        b"[default]\naws_access_key_id = AKIAQEXAMPLEEXAMPLE0\nsome more text here\n".to_vec();
    let blob_b = b"hello world, a second blob of some length\n".to_vec();
    let a = id(gix::objs::Kind::Blob, &blob_a);
    let b = id(gix::objs::Kind::Blob, &blob_b);
    let mut tree = b"100644 a\0".to_vec();
    tree.extend_from_slice(a.as_bytes());
    // delta of a: copy its first 20 bytes, insert "xyz".
    let mut delta_a = Vec::new();
    varint(blob_a.len() as u64, &mut delta_a);
    varint(23, &mut delta_a);
    delta_a.extend_from_slice(&[0x90, 20, 3, b'x', b'y', b'z']);
    let mut result_a = blob_a[..20].to_vec();
    result_a.extend_from_slice(b"xyz");
    // delta of b, by id: copy its first 10 bytes, insert "!".
    let mut delta_b = Vec::new();
    varint(blob_b.len() as u64, &mut delta_b);
    varint(11, &mut delta_b);
    delta_b.extend_from_slice(&[0x90, 10, 1, b'!']);
    let mut result_b = blob_b[..10].to_vec();
    result_b.push(b'!');

    let mut pack = b"PACK\0\0\0\x02\0\0\0\x05".to_vec();
    let mut entries = Vec::new();
    let mut push = |pack: &mut Vec<u8>, id: gix::ObjectId, bytes: Vec<u8>| {
        let offset = pack.len() as u64;
        pack.extend_from_slice(&bytes);
        entries.push(IdxEntry {
            id,
            offset,
            crc32: Some(crc32fast::hash(&bytes)),
        });
        offset
    };
    let mut e = entry_header(3, blob_a.len() as u64);
    e.extend(zlib(&blob_a));
    let a_at = push(&mut pack, a, e);
    let mut e = entry_header(3, blob_b.len() as u64);
    e.extend(zlib(&blob_b));
    push(&mut pack, b, e);
    let mut e = entry_header(2, tree.len() as u64);
    e.extend(zlib(&tree));
    push(&mut pack, id(gix::objs::Kind::Tree, &tree), e);
    let here = pack.len() as u64;
    let mut e = entry_header(6, delta_a.len() as u64);
    // Offset deltas encode the distance big-endian, with a bias per extra byte.
    let mut n = here - a_at;
    let mut distance = vec![(n & 0x7f) as u8];
    n >>= 7;
    while n > 0 {
        n -= 1;
        distance.insert(0, 0x80 | (n & 0x7f) as u8);
        n >>= 7;
    }
    e.extend_from_slice(&distance);
    e.extend(zlib(&delta_a));
    push(&mut pack, id(gix::objs::Kind::Blob, &result_a), e);
    let mut e = entry_header(7, delta_b.len() as u64);
    e.extend_from_slice(b.as_bytes());
    e.extend(zlib(&delta_b));
    push(&mut pack, id(gix::objs::Kind::Blob, &result_b), e);
    let trailer = idx::checksum(hash, &pack).unwrap();
    pack.extend_from_slice(trailer.as_bytes());
    let index = idx::encode(&mut entries, &trailer, hash);
    (pack, index)
}

fn read(dir: &Path, pack: &[u8], index: Option<&[u8]>) -> crate::fuzzing::Outcome {
    let p = dir.join("pack-x.pack");
    let i = dir.join("pack-x.idx");
    std::fs::write(&p, pack).unwrap();
    match index {
        Some(index) => std::fs::write(&i, index).unwrap(),
        None => {
            let _ = std::fs::remove_file(&i);
        }
    }
    read_pack(&i, &p, false, 1 << 20)
}

#[test]
fn the_sample_pack_is_read_whole_with_and_without_its_index() {
    let tmp = tempfile::tempdir().unwrap();
    let (pack, index) = sample_pack();
    let with = read(tmp.path(), &pack, Some(&index));
    assert_eq!((with.objects, with.partial), (5, 0), "{:#?}", with.problems);
    assert_eq!(with.problems, []);
    let without = read(tmp.path(), &pack, None);
    assert_eq!((without.objects, without.partial), (5, 0));
    assert_eq!(
        without
            .problems
            .iter()
            .map(|p| p.kind())
            .collect::<Vec<_>>(),
        [crate::ProblemKind::UnusablePackIndex]
    );
}

/// Damage to apply to a pack or an index.
#[derive(Debug, Clone)]
enum Damage {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
}

fn apply(bytes: &mut Vec<u8>, damage: &[Damage]) {
    for d in damage {
        match d {
            Damage::Flip(at, x) if !bytes.is_empty() => {
                let n = bytes.len();
                bytes[at % n] ^= x | 1;
            }
            Damage::Truncate(to) => bytes.truncate(to % (bytes.len() + 1)),
            Damage::Insert(at, b) => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Damage::Flip(..) => {}
        }
    }
}

fn damage() -> impl Strategy<Value = Vec<Damage>> {
    prop::collection::vec(
        prop_oneof![
            4 => (any::<usize>(), any::<u8>()).prop_map(|(a, x)| Damage::Flip(a, x)),
            1 => any::<usize>().prop_map(Damage::Truncate),
            1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
                .prop_map(|(a, b)| Damage::Insert(a, b)),
        ],
        0..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_as_a_loose_object_never_panic(
        raw in prop::collection::vec(any::<u8>(), 0..512),
        kind in prop::sample::select(vec!["blob", "tree", "commit", "tag", "bogus"]),
        size in prop_oneof![Just(0u64), 0..200u64, Just(4_000_000_000u64), Just(u64::MAX)],
        compressed in any::<bool>(),
        cut in any::<usize>(),
    ) {
        let id = gix::ObjectId::empty_blob(gix::hash::Kind::Sha1);
        let file = if compressed {
            let mut contents = format!("{kind} {size}\0").into_bytes();
            contents.extend_from_slice(&raw);
            let mut z = zlib(&contents);
            z.truncate(z.len() - cut % (z.len() + 1) / 4);
            z
        } else {
            raw
        };
        let out = read_loose(&file, &id, 1 << 20);
        prop_assert!(out.bytes <= 1 << 21, "nothing beyond what the bytes hold: {}", out.bytes);
    }

    #[test]
    fn any_damage_to_a_pack_or_its_index_never_panics(
        pack_damage in damage(),
        index_damage in damage(),
        drop_index in prop::bool::weighted(0.2),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let (mut pack, mut index) = sample_pack();
        apply(&mut pack, &pack_damage);
        apply(&mut index, &index_damage);
        let out = read(tmp.path(), &pack, (!drop_index).then_some(&index[..]));
        if pack_damage.is_empty() && index_damage.is_empty() && !drop_index {
            prop_assert_eq!((out.objects, out.problems.len()), (5, 0));
        }
        // What is not read whole is said.
        prop_assert!(out.objects == 5 || !out.problems.is_empty(), "{:?}", out);
    }

    #[test]
    fn any_bytes_as_a_pack_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..600),
        header in any::<bool>(),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let mut pack = if header { b"PACK\0\0\0\x02\0\0\0\x03".to_vec() } else { Vec::new() };
        pack.extend_from_slice(&body);
        let (_, index) = sample_pack();
        read(tmp.path(), &pack, None);
        read(tmp.path(), &pack, Some(&index));
    }
}

/// Found by `any_bytes_as_a_pack_never_panic`: a pack without an index holding no readable
/// object made gix traverse an empty index, whose statistics divide by zero.
#[test]
fn regression_a_pack_of_nothing_readable_is_not_traversed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut pack = b"PACK\0\0\0\x02\0\0\0\x03".to_vec();
    pack.extend_from_slice(&[0; 20]);
    let out = read(tmp.path(), &pack, None);
    assert_eq!(out.objects, 0);
    assert!(!out.problems.is_empty());
}

/// Found by `any_damage_to_a_pack_or_its_index_never_panics`: with the pack's first object
/// damaged, gix's delta-tree traversal read the headers from the file one object off, and
/// panicked on a delta it took for a base.
#[test]
fn regression_a_damaged_first_object_does_not_misalign_the_traversal() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut pack, index) = sample_pack();
    pack[12] ^= 0x71;
    let out = read(tmp.path(), &pack, Some(&index));
    // The other blob, the tree and the delta of the other blob; the delta of the damaged
    // one is lost with it.
    assert_eq!(out.objects, 3, "{:#?}", out.problems);
    let kinds: Vec<_> = out.problems.iter().map(|p| p.kind()).collect();
    assert!(
        kinds.contains(&crate::ProblemKind::DamagedObject),
        "{kinds:?}"
    );
}
