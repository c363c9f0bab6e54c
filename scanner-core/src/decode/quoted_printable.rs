//! Quoted-printable (RFC 2045), as mail writes it: `=` followed by two hex digits stands
//! for a byte (`=3D` for `=` itself, which every `key=value` line holds), and `=` at the end
//! of a line is a soft line break that joins it with the next (lines are cut at 76
//! characters, through a key ID or a secret).
//!
//! Decoded only in the parts of a message that say they are quoted-printable: from each
//! `Content-Transfer-Encoding: quoted-printable` header (the prefilter finds [`SIGNS`]) to
//! the next MIME boundary line or the end of the text. Elsewhere `=2F` may well be the
//! start of a value.

use super::view::View;
use crate::finding::{Encoding, Span};

/// The sign of a quoted-printable part: its header names the encoding.
pub(crate) const SIGNS: [&[u8]; 1] = [b"d-printable"];

/// The quoted-printable stretches of `text`, from the line of each sign at `signs`
/// (ascending) to the next line starting with `--`, merged.
pub(crate) fn regions(text: &[u8], signs: &[usize]) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for &at in signs {
        if out.last().is_some_and(|r| at < r.end) {
            continue;
        }
        let start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |n| n + 1);
        let mut end = text.len();
        let mut line = memchr::memchr(b'\n', &text[at..]).map(|n| at + n + 1);
        while let Some(l) = line.filter(|&l| l < text.len()) {
            if text[l..].starts_with(b"--") {
                end = l;
                break;
            }
            line = memchr::memchr(b'\n', &text[l..]).map(|n| l + n + 1);
        }
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => out.push(Span::new(start, end)),
        }
    }
    out
}

/// `text` with its quoted-printable `regions` decoded.
pub(crate) fn decode(text: &[u8], regions: &[Span]) -> View {
    let mut view = View::with_capacity(text.len());
    let mut copied = 0;
    for r in regions {
        let end = r.end.min(text.len());
        let mut i = r.start.max(copied);
        while let Some(off) = memchr::memchr(b'=', &text[i.min(end)..end]) {
            let at = i + off;
            let rest = &text[at + 1..end];
            let (len, byte) = match rest {
                [b'\n', ..] => (2, None),
                [b'\r', b'\n', ..] => (3, None),
                [h, l, ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    let hex = [*h, *l];
                    let value = std::str::from_utf8(&hex)
                        .ok()
                        .and_then(|s| u8::from_str_radix(s, 16).ok());
                    match value {
                        Some(v) => (3, Some(v)),
                        None => {
                            i = at + 1;
                            continue;
                        }
                    }
                }
                _ => {
                    i = at + 1;
                    continue;
                }
            };
            view.copy(&text[copied..at]);
            let b = byte.map(|b| [b]);
            view.edit(
                len,
                b.as_ref().map_or(&[][..], |b| &b[..]),
                Encoding::QuotedPrintable,
            );
            i = at + len;
            copied = i;
        }
    }
    view.copy(&text[copied..]);
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_decoded_to_their_boundary() {
        let text = b"Subject: x\nContent-Transfer-Encoding: quoted-printable\n\nkey=3Dab=\ncd=2F\n--b\nafter=3D\n";
        let at = memchr::memmem::find(text, b"d-printable").unwrap_or(0);
        let r = regions(text, &[at]);
        assert_eq!(r.len(), 1);
        assert_eq!(&text[r[0].end..r[0].end + 3], b"--b");
        let v = decode(text, &r);
        let s = String::from_utf8_lossy(&v.text);
        assert!(s.contains("\nkey=abcd/\n--b\nafter=3D\n"), "{s}");
        // `=` + `\r\n` is a soft break too; `=` before anything else stays.
        let v = decode(b"a=\r\nb=zz=", &[Span::new(0, 9)]);
        assert_eq!(v.text, b"ab=zz=");
    }
}
