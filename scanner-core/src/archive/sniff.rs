//! Magic bytes: what an input is, from its first bytes (and, for a zip appended to other
//! data, its last 22). A blob without a signature pays one look at its first byte, and a
//! few compares when that byte may start one.
//!
//! A *strong* signature is one that text practically never has by accident (`PK\x03\x04`,
//! gzip's header with its reserved bits clear, `BZh9` followed by bzip2's block magic):
//! when such an input then fails to open, the failure is reported. A *weak* one (a zip's
//! end record at the very end of another file, a v7 tar header recognised by its checksum)
//! may be a coincidence: when the input does not open, it is scanned as plain bytes and
//! nothing is said.

/// The formats read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Format {
    /// The name skips use.
    pub(super) fn name(self) -> &'static str {
        match self {
            Format::Zip => "zip archive",
            Format::Tar => "tar archive",
            Format::Gzip => "gzip stream",
            Format::Bzip2 => "bzip2 stream",
            Format::Xz => "xz stream",
            Format::Zstd => "zstd stream",
        }
    }
}

/// A recognised signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Sniffed {
    pub(super) format: Format,
    pub(super) strong: bool,
}

const fn strong(format: Format) -> Option<Sniffed> {
    Some(Sniffed {
        format,
        strong: true,
    })
}

/// How many first bytes [`head`] looks at.
pub(super) const HEAD: usize = 512;

/// What the first bytes of a stream say (nothing from its length or its end).
pub(super) fn head(h: &[u8]) -> Option<Sniffed> {
    // One lookup for the common case: the first byte of text or of most binaries starts
    // no signature.
    match h.first()? {
        0x1f | b'B' | 0xfd | 0x28 | 0x50..=0x5f => {}
        _ => return ustar(h),
    }
    match h {
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] | [b'P', b'K', 7, 8, ..] => {
            strong(Format::Zip)
        }
        // CM = 8 (deflate), reserved flag bits clear.
        [0x1f, 0x8b, 8, flg, ..] if flg & 0xe0 == 0 => strong(Format::Gzip),
        // A block (pi) or, for an empty stream, the end-of-stream magic (sqrt pi).
        [b'B', b'Z', b'h', b'1'..=b'9', rest @ ..]
            if rest.starts_with(b"1AY&SY") || rest.starts_with(b"\x17rE8P\x90") =>
        {
            strong(Format::Bzip2)
        }
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => strong(Format::Xz),
        // A frame, or a skippable frame (magic 0x184D2A5?).
        [0x28, 0xb5, 0x2f, 0xfd, ..] | [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..] => strong(Format::Zstd),
        _ => ustar(h),
    }
}

/// POSIX (`ustar\0` `00`) and GNU (`ustar  \0`) tar headers.
fn ustar(h: &[u8]) -> Option<Sniffed> {
    (h.get(257..262) == Some(b"ustar")).then_some(Sniffed {
        format: Format::Tar,
        strong: true,
    })
}

/// What a whole input in memory is: its first bytes, then the weak signatures that need
/// its length or its end.
pub(super) fn bytes(b: &[u8]) -> Option<Sniffed> {
    if let Some(s) = head(&b[..b.len().min(HEAD)]) {
        return Some(s);
    }
    let n = b.len();
    // A zip after other data (a shell stub, a self-extractor, a `.jmod`): its end record,
    // without comment, is the last 22 bytes.
    if n >= 22 && b[n - 22..n - 18] == *b"PK\x05\x06" {
        return Some(Sniffed {
            format: Format::Zip,
            strong: false,
        });
    }
    // `tar --format=v7` has no magic: a whole number of blocks and a valid header checksum.
    if n >= 1024 && n.is_multiple_of(512) && v7_checksum_ok(&b[..512]) {
        return Some(Sniffed {
            format: Format::Tar,
            strong: false,
        });
    }
    None
}

/// Whether a 512-byte block is a tar header by its checksum: the octal field at 148..156
/// equals the sum of the block's bytes with that field counted as spaces.
fn v7_checksum_ok(h: &[u8]) -> bool {
    if h[0] == 0 {
        return false;
    }
    let field = &h[148..156];
    let digits = field
        .iter()
        .skip_while(|&&c| c == b' ')
        .take_while(|&&c| (b'0'..=b'7').contains(&c));
    let mut want: u32 = 0;
    let mut count = 0;
    for &d in digits {
        want = want * 8 + u32::from(d - b'0');
        count += 1;
    }
    if count == 0 || count > 7 {
        return false;
    }
    let sum: u32 = h[..148]
        .iter()
        .chain(&h[156..])
        .map(|&b| u32::from(b))
        .sum();
    sum + 8 * u32::from(b' ') == want
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_starts_like_a_signature_is_text() {
        for text in [
            &b"BZh9 is not bzip2"[..],
            b"PK is a name",
            b"Pure text",
            b"[section]\nkey = value\n",
            b"\x1f\x8b\x09 wrong method",
            b"\x1f\x8b\x08\xff reserved flags",
            b"",
        ] {
            assert_eq!(bytes(text), None, "{text:?}");
        }
    }

    #[test]
    fn signatures() {
        let f = |b: &[u8]| bytes(b).map(|s| (s.format, s.strong));
        assert_eq!(f(b"PK\x03\x04rest"), Some((Format::Zip, true)));
        assert_eq!(f(b"\x1f\x8b\x08\x00rest"), Some((Format::Gzip, true)));
        assert_eq!(f(b"BZh91AY&SYrest"), Some((Format::Bzip2, true)));
        assert_eq!(f(b"\xfd7zXZ\x00rest"), Some((Format::Xz, true)));
        assert_eq!(f(b"\x28\xb5\x2f\xfdrest"), Some((Format::Zstd, true)));
        let mut sfx = b"#!/bin/sh\nexit 0\n".to_vec();
        sfx.extend_from_slice(b"PK\x05\x06");
        sfx.extend_from_slice(&[0; 18]);
        assert_eq!(f(&sfx), Some((Format::Zip, false)));
        let mut tar = vec![0u8; 1024];
        tar[..5].copy_from_slice(b"a.txt");
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(f(&tar), Some((Format::Tar, true)));
    }

    #[test]
    fn v7_headers_are_recognised_by_their_checksum() {
        let mut h = vec![0u8; 1024];
        h[..5].copy_from_slice(b"a.txt");
        h[100..107].copy_from_slice(b"0000644");
        let sum: u32 = h[..512].iter().map(|&b| u32::from(b)).sum::<u32>() + 8 * 32;
        let field = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(field.as_bytes());
        assert_eq!(
            bytes(&h).map(|s| (s.format, s.strong)),
            Some((Format::Tar, false))
        );
        h[0] = b'b';
        assert_eq!(bytes(&h), None);
    }
}
