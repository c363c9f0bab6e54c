//! The history engine's readers on corrupted packs and loose objects: any input, as a pack
//! with or without its index, or as a loose object, must not panic, and must not allocate
//! by what it merely declares.
//!
//! Input: one byte saying what the rest is, then the rest.
//! - `0`: a loose object file.
//! - `1`: a pack, read without an index.
//! - `2`: `[u32 little-endian length][index][pack]`: a pack and its index.
//! - `3`: entries of a pack made consistent with its index (see
//!   `scanner_git::fuzzing::crafted_pack`), so that it checks out and its deltas reach the
//!   resolver, whatever they hold.

use std::io::Write;

fn main() {
    let dir = tempfile::Builder::new()
        .prefix("leakscan-fuzz")
        .tempdir_in(if std::path::Path::new("/dev/shm").is_dir() {
            "/dev/shm"
        } else {
            "/tmp"
        })
        .expect("a temporary directory");
    let pack = dir.path().join("pack-fuzz.pack");
    let idx = dir.path().join("pack-fuzz.idx");
    let id = gix::ObjectId::empty_blob(gix::hash::Kind::Sha1);
    afl::fuzz!(|data: &[u8]| {
        let Some((&what, rest)) = data.split_first() else {
            return;
        };
        match what % 4 {
            0 => {
                scanner_git::fuzzing::read_loose(rest, &id, 1 << 20);
            }
            1 => {
                write(&pack, rest);
                let _ = std::fs::remove_file(&idx);
                scanner_git::fuzzing::read_pack(&idx, &pack, false, 1 << 20);
            }
            3 => {
                if let Some((body, index)) = scanner_git::fuzzing::crafted_pack(rest) {
                    write(&idx, &index);
                    write(&pack, &body);
                    scanner_git::fuzzing::read_pack(&idx, &pack, false, 1 << 20);
                }
            }
            _ => {
                let Some((len, rest)) = rest.split_first_chunk::<4>() else {
                    return;
                };
                let n = (u32::from_le_bytes(*len) as usize).min(rest.len());
                let (index, body) = rest.split_at(n);
                write(&idx, index);
                write(&pack, body);
                scanner_git::fuzzing::read_pack(&idx, &pack, false, 1 << 20);
            }
        }
    });
}

fn write(path: &std::path::Path, bytes: &[u8]) {
    let mut f = std::fs::File::create(path).expect("a writable temporary file");
    f.write_all(bytes).expect("a writable temporary file");
}
