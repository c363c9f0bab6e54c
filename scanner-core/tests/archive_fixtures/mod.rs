//! Archives built at test time with the same crates leakscan reads them with (their
//! writers), and the byte surgery real archives sometimes need (an encrypted flag, a
//! duplicate name, a cut). Shared by scanner-core's tests and the binary's.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;

/// How a zip entry is stored.
#[derive(Clone, Copy, Debug)]
pub enum Method {
    Stored,
    Deflated,
    Bzip2,
    Zstd,
    Xz,
}

/// A zip of `entries`, each deflated.
pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let with: Vec<(&str, &[u8], Method)> = entries
        .iter()
        .map(|&(n, d)| (n, d, Method::Deflated))
        .collect();
    zip_with(&with)
}

/// A zip of `entries`, each with its method.
pub fn zip_with(entries: &[(&str, &[u8], Method)]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for &(name, data, method) in entries {
        let method = match method {
            Method::Stored => CompressionMethod::Stored,
            Method::Deflated => CompressionMethod::Deflated,
            Method::Bzip2 => CompressionMethod::Bzip2,
            Method::Zstd => CompressionMethod::Zstd,
            Method::Xz => CompressionMethod::Xz,
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(data.len() >= u32::MAX as usize);
        if name.ends_with('/') {
            w.add_directory(name, options).unwrap();
        } else {
            w.start_file(name, options).unwrap();
            w.write_all(data).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

/// A ustar archive of `entries`.
pub fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for &(name, data) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn xz(data: &[u8]) -> Vec<u8> {
    let mut options = lzma_rust2::XzOptions::with_preset(1);
    options.set_check_sum_type(lzma_rust2::CheckType::Crc32);
    let mut e = lzma_rust2::XzWriter::new(Vec::new(), options).unwrap();
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(data, 1).unwrap()
}

/// Sets the "encrypted" flag of the entry `name` in its local header and its central
/// directory record, as ZipCrypto and AES encryption do: readers must not take its bytes
/// for the entry's content.
pub fn flag_encrypted(zip: &mut [u8], name: &str) {
    let mut done = 0;
    for (sig, name_at, flag_at) in [(b"PK\x03\x04", 30, 6), (b"PK\x01\x02", 46, 8)] {
        let mut i = 0;
        while let Some(p) = find(&zip[i..], sig) {
            let at = i + p;
            if zip[at + name_at..].starts_with(name.as_bytes()) {
                zip[at + flag_at] |= 1;
                done += 1;
            }
            i = at + 4;
        }
    }
    assert_eq!(done, 2, "entry {name} found in both headers");
}

/// A zip holding two entries both named `name` (as `zip` tools can write, and as python's
/// zipfile does when asked twice): the second has the content `second`.
pub fn duplicate_names(name: &str, first: &[u8], second: &[u8]) -> Vec<u8> {
    let other: String = name
        .chars()
        .map(|c| if c == 'x' { 'y' } else { 'x' })
        .collect();
    let mut z = zip_with(&[
        (name, first, Method::Stored),
        (&other, second, Method::Stored),
    ]);
    let mut i = 0;
    while let Some(p) = find(&z[i..], other.as_bytes()) {
        let at = i + p;
        z[at..at + other.len()].copy_from_slice(name.as_bytes());
        i = at + other.len();
    }
    z
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A raw deflate stream (one fixed-Huffman block) that inflates to `prefix` followed by
/// `zeros` zero bytes: the zeros are back-references of 258 bytes, 13 bits each (a ratio
/// of 159:1 per block of zeros, 6.6 MB for a GiB), so that a decompression bomb is made
/// without compressing anything.
pub fn deflate_bomb(prefix: &[u8], zeros: u64) -> Vec<u8> {
    let mut bits = Bits::default();
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = 01, fixed Huffman codes
    let literal = |bits: &mut Bits, b: u8| {
        if b < 144 {
            bits.code(0x30 + u32::from(b), 8);
        } else {
            bits.code(0x190 + u32::from(b) - 144, 9);
        }
    };
    for &b in prefix {
        literal(&mut bits, b);
    }
    if zeros > 0 {
        literal(&mut bits, 0);
        let copies = (zeros - 1) / 258;
        for _ in 0..copies {
            bits.code(0xc5, 8); // length 258 (code 285)
            bits.code(0, 5); // distance 1
        }
        for _ in 0..(zeros - 1) % 258 {
            literal(&mut bits, 0);
        }
    }
    bits.code(0, 7); // end of block
    bits.finish()
}

#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    /// `len` bits of `value`, least significant first (deflate's order for header fields).
    fn put(&mut self, value: u32, len: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = code.reverse_bits() >> (32 - len);
        self.put(reversed, len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// One entry of a hand-made zip: already compressed `data` (method 8) or stored (0), with
/// the sizes and CRC the headers declare.
pub struct RawEntry<'a> {
    pub name: &'a str,
    pub method: u16,
    pub data: &'a [u8],
    pub size: u32,
    pub crc: u32,
}

/// A zip written byte by byte from entries compressed elsewhere (the writer of the `zip`
/// crate only takes uncompressed data).
pub fn raw_zip(entries: &[RawEntry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&e.method.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // time
            v.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
            v.extend_from_slice(&e.crc.to_le_bytes());
            v.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            v.extend_from_slice(&e.size.to_le_bytes());
            v.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra length
        };
        out.extend_from_slice(b"PK\x03\x04");
        common(&mut out);
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(e.data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend_from_slice(&[0; 10]); // comment length, disk, attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(e.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

/// A gzip member around a raw deflate stream (its CRC and size as given).
pub fn raw_gzip(deflate: &[u8], crc: u32, size: u32) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    out.extend_from_slice(deflate);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out
}

/// CRC-32 (IEEE), for the small entries of hand-made archives.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
