//! The exhaustive reference the prefilter's contract is checked against
//! ([`Prefilter::Off`](crate::Prefilter::Off)): anchors at every position where one starts,
//! every UTF-16 region and every base64 token, found without Aho-Corasick. Many times
//! slower than the prefilter; it exists so that tests can demand that both give the same
//! findings.

use super::{literals_of, Anchor, Anchors};
use crate::decode::{self, Utf16Region};
use crate::finding::Span;
use crate::rules::{self, KEY_ID_PREFIXES, SECRET_WORDS};

/// Key ID, `secret` word and careless-name anchors, and the signs of the decoders defined by theirs
/// (JWT headers, escapes, quoted-printable parts), found by looking at every position. The
/// UTF-16 and base64 anchors are not needed: the exhaustive path decodes every region and
/// token instead.
/// Whether `text` holds a sign of base64 inside it (what the prefilter's base64 anchors
/// find), looked for without the prefilter.
pub(crate) fn has_base64_sign(text: &[u8]) -> bool {
    literals_of(Anchor::Base64).any(|l| memchr::memmem::find(text, l).is_some())
}

pub(crate) fn anchors(text: &[u8]) -> Anchors {
    let mut a = Anchors::default();
    let signs = |kind| literals_of(kind).collect::<Vec<_>>();
    let (jwt, escapes, qp) = (
        signs(Anchor::Jwt),
        signs(Anchor::Escape),
        signs(Anchor::QuotedPrintable),
    );
    for i in 0..text.len() {
        let rest = &text[i..];
        if KEY_ID_PREFIXES.iter().any(|p| rest.starts_with(&p[..])) {
            a.key_ids.push(i);
        }
        if SECRET_WORDS.iter().any(|w| rest.starts_with(w)) {
            a.secret_words.push(i);
        }
        if rules::access_key_word_at(text, i) {
            a.access_key_words.push(i);
        }
        for (list, signs) in [
            (&mut a.jwt, &jwt),
            (&mut a.escapes, &escapes),
            (&mut a.quoted_printable, &qp),
        ] {
            if signs.iter().any(|s| rest.starts_with(s)) {
                list.push(i);
            }
        }
    }
    a
}

/// Every maximal URL-safe base64 token that holds `-` or `_` (the others are standard
/// tokens too): the reference for URL-safe decoding.
pub(crate) fn base64url_tokens(text: &[u8]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if decode::is_base64url_char(text[i]) {
            let t = decode::base64url_token_around(text, i);
            i = t.end;
            if text[t.start..t.end].iter().any(|&b| b == b'-' || b == b'_') {
                out.push(t);
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Every maximal base64 token: the reference for the base64 anchors.
pub(crate) fn base64_tokens(text: &[u8]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if decode::is_base64_char(text[i]) {
            let t = decode::base64_token_around(text, i);
            i = t.end;
            out.push(t);
        } else {
            i += 1;
        }
    }
    out
}

/// Every UTF-16 region in `text` with at least `min_ascii` ASCII units in a row, at both
/// alignments: the reference for the UTF-16 anchors.
pub(crate) fn utf16_regions(text: &[u8], min_ascii: usize) -> Vec<Utf16Region> {
    let mut out: Vec<Utf16Region> = Vec::new();
    for align in 0..2 {
        let mut pos = align;
        let mut run = 0;
        while pos < text.len() {
            if decode::is_ascii_unit(text, pos) {
                run += 1;
                if run == min_ascii {
                    let at = pos + 2 - 2 * min_ascii;
                    let region = decode::utf16_region_from(text, at, decode::utf16_floor(&out, at));
                    pos = (region.origin + 2 * region.narrow.len()).max(pos + 2);
                    run = 0;
                    out.push(region);
                    continue;
                }
            } else {
                run = 0;
            }
            pos += 2;
        }
    }
    out
}
