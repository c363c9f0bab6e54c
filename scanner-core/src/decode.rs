//! Decoders for the encodings credentials hide in: UTF-16 text, base64 (standard and
//! URL-safe, two levels deep), and the in-place rewrites of [`escapes`] and
//! [`quoted_printable`], which give a [`view::View`] of the text. They run only where the
//! prefilter saw a sign of them (or, in the exhaustive mode the tests compare against,
//! everywhere the same definitions apply).

pub(crate) mod escapes;
pub(crate) mod quoted_printable;
pub(crate) mod view;

use crate::finding::{Encoding, Span};

/// The standard base64 alphabet (RFC 4648, section 4), in value order. The one definition:
/// the decoder, the secret alphabet ([`crate::rules`]) and the prefilter's base64 anchors
/// all derive from it.
pub(crate) const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Marks a byte outside the alphabet in [`BASE64_VALUES`].
const NOT_BASE64: u8 = 0xFF;

/// The value of each byte in base64, or [`NOT_BASE64`].
static BASE64_VALUES: [u8; 256] = {
    let mut t = [NOT_BASE64; 256];
    let mut i = 0;
    while i < BASE64_ALPHABET.len() {
        t[BASE64_ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// The value of each byte in URL-safe base64 (`-`, `_` for `+`, `/`), or [`NOT_BASE64`].
static BASE64URL_VALUES: [u8; 256] = {
    let mut t = BASE64_VALUES;
    t[b'+' as usize] = NOT_BASE64;
    t[b'/' as usize] = NOT_BASE64;
    t[b'-' as usize] = 62;
    t[b'_' as usize] = 63;
    t
};

/// Decodes standard base64 (`+`, `/`; padding optional). `None` if a character is outside
/// the alphabet or the length cannot be base64.
pub(crate) fn base64(input: &[u8]) -> Option<Vec<u8>> {
    base64_with(input, &BASE64_VALUES)
}

/// Decodes URL-safe base64 (`-`, `_`; padding optional), as JWTs write it.
pub(crate) fn base64url(input: &[u8]) -> Option<Vec<u8>> {
    base64_with(input, &BASE64URL_VALUES)
}

fn base64_with(input: &[u8], values: &[u8; 256]) -> Option<Vec<u8>> {
    let input = input
        .strip_suffix(b"==")
        .or_else(|| input.strip_suffix(b"="))
        .unwrap_or(input);
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    for chunk in input.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            let v = values[usize::from(c)];
            if v == NOT_BASE64 {
                return None;
            }
            acc = (acc << 6) | u32::from(v);
        }
        let bits = chunk.len() * 6;
        acc <<= 24 - bits;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..1 + bits / 8]);
    }
    Some(out)
}

/// Is `b` a base64 character (padding excluded)?
#[inline]
pub(crate) fn is_base64_char(b: u8) -> bool {
    BASE64_VALUES[usize::from(b)] != NOT_BASE64
}

/// The base64 token around `pos`: the maximal run of base64 characters containing it.
pub(crate) fn base64_token_around(text: &[u8], pos: usize) -> Span {
    let mut start = pos;
    while start > 0 && is_base64_char(text[start - 1]) {
        start -= 1;
    }
    let mut end = pos;
    while end < text.len() && is_base64_char(text[end]) {
        end += 1;
    }
    Span::new(start, end)
}

/// Is `b` a URL-safe base64 character?
#[inline]
pub(crate) fn is_base64url_char(b: u8) -> bool {
    BASE64URL_VALUES[usize::from(b)] != NOT_BASE64
}

/// The URL-safe base64 token around `pos`: the maximal run of its characters.
pub(crate) fn base64url_token_around(text: &[u8], pos: usize) -> Span {
    let mut start = pos;
    while start > 0 && is_base64url_char(text[start - 1]) {
        start -= 1;
    }
    let mut end = pos;
    while end < text.len() && is_base64url_char(text[end]) {
        end += 1;
    }
    Span::new(start, end)
}

/// Shortest base64 token that can hold a key ID (20 bytes: 27 characters unpadded).
pub(crate) const MIN_BASE64_KEY_TOKEN: usize = 27;

/// The header most JWTs start with, `{"alg"` in base64: a sign that the segments after it
/// are base64 worth decoding, two levels deep. (`{"typ"` first is rarer, and the
/// prefilter's literals are counted: see `prefilter.rs`.)
pub(crate) const JWT_SIGNS: [&[u8]; 1] = [b"eyJhbGci"];

/// The segments of the JWT whose header starts at `at`: header, payload (and signature),
/// each a URL-safe base64 token, separated by dots.
pub(crate) fn jwt_segments(text: &[u8], at: usize) -> Vec<Span> {
    let mut out = Vec::new();
    let mut pos = at;
    for _ in 0..2 {
        let seg = base64url_token_around(text, pos);
        out.push(seg);
        if text.get(seg.end) != Some(&b'.') {
            break;
        }
        pos = seg.end + 1;
        if !text.get(pos).copied().is_some_and(is_base64url_char) {
            break;
        }
    }
    out
}

/// Largest UTF-16 region decoded around one anchor, in code units. Bounds the work a
/// hostile file can cause; longer text is cut into regions this large. 256Ki units (a
/// 256 KiB decoded text from 512 KiB of UTF-16) stay in a core's cache while they are
/// scanned: with 2Mi, one line of UTF-16 pairs scanned 1.7 times slower per byte at 6.4 MB
/// than at 64 KiB.
const MAX_UTF16_UNITS: usize = 1 << 18;

/// Signs of UTF-16 text holding a key ID or a `secret` word, in either byte order: `I`,
/// NUL, `A`, NUL is in every `AKIA`, `ASIA` and `ABIA` key ID (its `A` is followed by the
/// NUL of the next unit in big-endian, by its own in little-endian), `C`, NUL, `C`, NUL in
/// every `ACCA` one, and `e`/`E`, NUL, `c`/`C`, NUL, `r`/`R` in `secret`, `Secret` and
/// `SECRET`. Four short literals instead of one per word keep the prefilter's automaton
/// small; the region decoded around a sign does not depend on where in it the sign is.
pub(crate) const UTF16_SIGNS: [&[u8]; 4] = [b"I\0A\0", b"C\0C\0", b"e\0c\0r", b"E\0C\0R"];

/// Consecutive non-ASCII code units that end a UTF-16 region: real text mixes a few of
/// them into ASCII, binary data does not stop producing them.
const MAX_NON_ASCII_RUN: usize = 16;

/// A stretch of UTF-16 text, decoded to one byte per code unit: ASCII as is, anything else
/// as `0xFF` (which no credential contains).
///
/// Code units are addressed by the position of their low (character) byte, so one reading
/// serves both byte orders: in little-endian text the character byte comes first, in
/// big-endian text second, and either way its partner byte is NUL.
#[derive(Debug)]
pub(crate) struct Utf16Region {
    /// Offset of the first code unit's character byte in the original bytes.
    pub(crate) origin: usize,
    pub(crate) encoding: Encoding,
    pub(crate) narrow: Vec<u8>,
}

impl Utf16Region {
    /// The original span of `narrow[span]`: from the first character byte to just after
    /// the last one.
    pub(crate) fn map(&self, span: Span) -> Span {
        if span.is_empty() {
            return Span::new(self.origin + 2 * span.start, self.origin + 2 * span.start);
        }
        Span::new(
            self.origin + 2 * span.start,
            self.origin + 2 * (span.end - 1) + 1,
        )
    }

    /// Original byte range covered.
    pub(crate) fn covers(&self) -> Span {
        self.map(Span::new(0, self.narrow.len()))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Ascii(u8),
    Other,
    Break,
}

fn unit(text: &[u8], at: usize) -> Unit {
    let Some(&c) = text.get(at) else {
        return Unit::Break;
    };
    let nul_partner = (at > 0 && text[at - 1] == 0) || text.get(at + 1) == Some(&0);
    if !nul_partner {
        return Unit::Other;
    }
    match c {
        b'\t' | b'\n' | b'\r' | 0x20..=0x7E => Unit::Ascii(c),
        0x80..=0xFF => Unit::Other,
        _ => Unit::Break,
    }
}

/// Code units of a region before it that the next region of the same long text re-reads:
/// context for what sits at its start, and no more (walking back half a region each time
/// would decode and scan the overlap twice). Each region reports half of the overlap, so
/// what it reports has 8 Ki units of context toward the cut: the reach of a key's secret
/// window (`candidates.rs`, 8 KiB each way).
pub(crate) const UTF16_OVERLAP_UNITS: usize = 16384;

/// Where the next region of text aligned as `at` may start reading back from: the end of
/// the last such region of `regions` (in order), less [`UTF16_OVERLAP_UNITS`]; 0 for none.
pub(crate) fn utf16_floor(regions: &[Utf16Region], at: usize) -> usize {
    regions
        .iter()
        .rev()
        .find(|r| r.origin % 2 == at % 2)
        .map_or(0, |r| {
            r.covers().end.saturating_sub(2 * UTF16_OVERLAP_UNITS)
        })
}

/// The UTF-16 region around the ASCII code unit whose character byte is at `at`.
///
/// A region is the maximal stretch of code units, aligned with `at`, that holds no NUL or
/// control unit and no more than [`MAX_NON_ASCII_RUN`] non-ASCII units in a row, trimmed of
/// non-ASCII units at both ends. The definition does not depend on where inside the region
/// one starts, which is what makes anchor-driven and exhaustive decoding agree — up to
/// [`MAX_UTF16_UNITS`]: a longer text is cut into regions one after another, each read back
/// only to `floor` (where the previous region of the same text ends, less
/// [`UTF16_OVERLAP_UNITS`]; 0 for the first), and what two of them both hold is reported
/// by one of them (`Scanner::scan_plain`).
pub(crate) fn utf16_region_from(text: &[u8], at: usize, floor: usize) -> Utf16Region {
    let step_ok = |pos: usize, other_run: &mut usize| -> bool {
        match unit(text, pos) {
            Unit::Ascii(_) => {
                *other_run = 0;
                true
            }
            Unit::Other => {
                *other_run += 1;
                *other_run <= MAX_NON_ASCII_RUN
            }
            Unit::Break => false,
        }
    };
    let mut start = at;
    let mut run = 0;
    while start >= 2
        && start - 2 >= floor
        && (at - start) / 2 < MAX_UTF16_UNITS / 2
        && step_ok(start - 2, &mut run)
    {
        start -= 2;
    }
    while start < at && unit(text, start) == Unit::Other {
        start += 2;
    }
    let mut end = at;
    run = 0;
    while (end - start) / 2 < MAX_UTF16_UNITS && step_ok(end, &mut run) {
        end += 2;
    }
    while end > at + 2 && unit(text, end - 2) == Unit::Other {
        end -= 2;
    }
    // The bounds came from units read in either byte order; the characters are read in
    // one, the one most of them have (a unit whose NUL partner sits on the other side is
    // no character of this text: `K\0I\xE9A\0` holds no `KIA`).
    let strict = |p: usize, partner_after: bool| match unit(text, p) {
        Unit::Ascii(c) => {
            let partner = if partner_after {
                text.get(p + 1)
            } else {
                p.checked_sub(1).map(|q| &text[q])
            };
            (partner == Some(&0)).then_some(c)
        }
        _ => None,
    };
    let count = |after: bool| {
        (start..end)
            .step_by(2)
            .filter(|&p| strict(p, after).is_some())
            .count()
    };
    let partner_after = count(true) >= count(false);
    let narrow = (start..end)
        .step_by(2)
        .map(|p| strict(p, partner_after).unwrap_or(0xFF))
        .collect();
    // Text that starts at an even offset (a file, a 2-aligned resource) has its character
    // bytes at even offsets when little-endian.
    let encoding = if start.is_multiple_of(2) {
        Encoding::Utf16Le
    } else {
        Encoding::Utf16Be
    };
    Utf16Region {
        origin: start,
        encoding,
        narrow,
    }
}

/// Whether the byte at `at` is the character byte of an ASCII code unit (printable, tab or
/// newline) in UTF-16 of either byte order.
pub(crate) fn is_ascii_unit(text: &[u8], at: usize) -> bool {
    matches!(unit(text, at), Unit::Ascii(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64(b"aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64(b"aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64(b"aGVsbG8h").as_deref(), Some(&b"hello!"[..]));
        assert_eq!(base64(b"a"), None);
        assert_eq!(base64(b"a$bc"), None);
    }

    #[test]
    fn base64url_and_jwts() {
        assert_eq!(base64url(b"-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(base64(b"-_8"), None);
        let text = b"Bearer eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.c2ln-_x rest";
        let at = 7;
        let segs: Vec<&[u8]> = jwt_segments(text, at)
            .iter()
            .map(|s| &text[s.start..s.end])
            .collect();
        assert_eq!(segs, [&b"eyJhbGciOiJub25lIn0"[..], b"eyJ4IjoxfQ"]);
        assert!(JWT_SIGNS.iter().any(|s| text[at..].starts_with(s)));
    }

    #[test]
    fn utf16_signs_are_in_every_anchor_in_both_byte_orders() {
        let words = crate::rules::KEY_ID_PREFIXES
            .iter()
            .map(|p| &p[..])
            .chain(crate::rules::SECRET_WORDS);
        for w in words {
            let text = format!("{}Q", String::from_utf8_lossy(w));
            for bytes in [
                text.encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<u8>>(),
                text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            ] {
                assert!(
                    UTF16_SIGNS
                        .iter()
                        .any(|s| bytes.windows(s.len()).any(|x| x == *s)),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn the_alphabet_is_the_standard_one() {
        let expected: Vec<u8> = (b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .chain(b'0'..=b'9')
            .chain([b'+', b'/'])
            .collect();
        assert_eq!(&BASE64_ALPHABET[..], &expected[..]);
        for b in 0..=255u8 {
            assert_eq!(is_base64_char(b), expected.contains(&b), "{b}");
        }
    }

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn utf16_regions_are_the_same_from_any_start() {
        let mut text = b"\x07\x07binary".to_vec();
        text.extend(utf16le("key = value \u{e9}\u{e9} more"));
        text.extend(b"\x01\x00tail");
        let a = utf16_region_from(&text, 8, 0);
        let b = utf16_region_from(&text, 20, 0);
        assert_eq!(a.covers(), b.covers());
        assert_eq!(a.narrow, b"key = value \xFF\xFF more");
        assert_eq!(a.origin, 8);
    }
}
