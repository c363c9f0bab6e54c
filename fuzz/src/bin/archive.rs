//! The archive readers, reached through valid containers: the input's first byte chooses a
//! wrapper (gzip, bzip2, zstd, tar, zip stored or deflated, tar.gz) written around the rest,
//! so that mutations land in what the readers decode rather than in the container's own
//! framing (the `scan` target mutates that). Must not panic, must stay within the limits,
//! and must find inside the wrapper every key ID and secret it finds in the bytes alone
//! (unless either scan skipped something, which the report would say).

use std::collections::BTreeSet;
use std::io::Write;

use scanner_core::Scanner;

fn wrap(what: u8, inner: &[u8]) -> Vec<u8> {
    match what % 8 {
        1 => {
            let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            w.write_all(inner).expect("writing to memory");
            w.finish().expect("writing to memory")
        }
        2 => {
            let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            w.write_all(inner).expect("writing to memory");
            w.finish().expect("writing to memory")
        }
        3 => zstd::encode_all(inner, 1).expect("writing to memory"),
        4 | 7 => {
            let mut b = tar::Builder::new(Vec::new());
            let mut h = tar::Header::new_gnu();
            h.set_size(inner.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, "data", inner).expect("writing to memory");
            let tar = b.into_inner().expect("writing to memory");
            if what % 8 == 7 {
                wrap(1, &tar)
            } else {
                tar
            }
        }
        5 | 6 => {
            let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let method = if what % 8 == 5 {
                zip::CompressionMethod::Stored
            } else {
                zip::CompressionMethod::Deflated
            };
            let options = zip::write::SimpleFileOptions::default().compression_method(method);
            z.start_file("data", options).expect("writing to memory");
            z.write_all(inner).expect("writing to memory");
            z.finish().expect("writing to memory").into_inner()
        }
        _ => inner.to_vec(),
    }
}

type Found = BTreeSet<(Option<String>, Option<String>)>;

fn found(scan: &scanner_core::Scan) -> Found {
    scan.findings
        .iter()
        .map(|f| {
            (
                f.key_id.as_ref().map(|k| k.as_str().to_owned()),
                f.secret.as_ref().map(|s| s.expose().to_owned()),
            )
        })
        .collect()
}

fn main() {
    let scanner = |depth| {
        Scanner::builder()
            .max_archive_depth(depth)
            .max_archive_bytes(16 << 20)
            .max_archive_entries(1000)
            .max_archive_ratio(u64::MAX)
            .build()
    };
    // The wrapper is one level more.
    let (bare, wrapped) = (scanner(6), scanner(7));
    afl::fuzz!(|data: &[u8]| {
        let Some((&what, rest)) = data.split_first() else {
            return;
        };
        let outer = wrap(what, rest);
        let inside = wrapped.scan_detailed(&outer);
        if what % 8 == 0 {
            return;
        }
        let alone = bare.scan_detailed(rest);
        if inside.skipped.is_empty() && alone.skipped.is_empty() {
            let (a, b) = (found(&alone), found(&inside));
            assert!(a.is_subset(&b), "lost inside the wrapper: {:?}", a.difference(&b));
        }
    });
}
