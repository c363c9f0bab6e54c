//! Escapes, character references and inline HTML tags, decoded in one pass: what source
//! code, JSON, HTML and rich-text exports do to the characters of a credential.
//!
//! - backslash escapes: `\u0041`, `\u{41}`, `\x41`, and JSON's `\/`, `\"`, `\n`, ... — a
//!   run of backslashes counts as one, so that a JSON document inside a JSON string
//!   (`\\\/`, `\\\"`) decodes in one go;
//! - character references: `&#x2F;`, `&#47;`, and the named ones that stand for ASCII
//!   (`&amp;`, `&quot;`, `&sol;`, `&plus;`, ...);
//! - inline tags (`<span ...>`, `</span>`, `<wbr>`, `<b>`, ...) removed, so that a token a
//!   syntax highlighter or an editor split across elements is whole again.
//!
//! Only escapes of ASCII characters are decoded; anything else stays as written. A text
//! is decoded when it holds one of [`SIGNS`] (the prefilter looks for them): credentials are
//! ASCII, so an escaped credential holds an escaped `A` (every key ID starts with one:
//! `\x41`, `\u{41}`, `&#x41;`) or a `\u00` escape, and split tokens come with a closing
//! `</span`. Decimal references alone (`&#65;`) are decoded only in a text with another
//! sign: the prefilter's literals are counted (see `prefilter.rs`). Escaped `/` and `+` alone
//! (`\u002F`, `&#x2F;`) need no decoding of the whole text: the confirm stage reads them
//! inside secrets wherever it looks.

use super::view::View;
use crate::finding::Encoding;

/// Signs of a text worth decoding: `\u00`, escaped `A`s (`\x41`, `\u{41}`, `&#x41;`) and
/// the closing tag that splits highlighted tokens.
pub(crate) const SIGNS: [&[u8]; 5] = [b"\\u00", b"\\x41", b"\\u{4", b"&#x4", b"</span"];

/// Inline elements, whose tags a token may be split by (lower case).
const INLINE_TAGS: [&[u8]; 18] = [
    b"span", b"wbr", b"b", b"i", b"u", b"s", b"em", b"strong", b"mark", b"font", b"small", b"tt",
    b"kbd", b"samp", b"var", b"ins", b"del", b"code",
];

/// Longest tag removed, attributes included.
const MAX_TAG_LEN: usize = 512;

/// Named character references that stand for one ASCII character.
const NAMED: [(&[u8], u8); 46] = [
    (b"amp", b'&'),
    (b"AMP", b'&'),
    (b"quot", b'"'),
    (b"QUOT", b'"'),
    (b"apos", b'\''),
    (b"lt", b'<'),
    (b"LT", b'<'),
    (b"gt", b'>'),
    (b"GT", b'>'),
    (b"sol", b'/'),
    (b"plus", b'+'),
    (b"equals", b'='),
    (b"colon", b':'),
    (b"semi", b';'),
    (b"comma", b','),
    (b"period", b'.'),
    (b"lowbar", b'_'),
    (b"UnderBar", b'_'),
    (b"hyphen", b'-'),
    (b"dash", b'-'),
    (b"num", b'#'),
    (b"excl", b'!'),
    (b"quest", b'?'),
    (b"dollar", b'$'),
    (b"percnt", b'%'),
    (b"ast", b'*'),
    (b"midast", b'*'),
    (b"commat", b'@'),
    (b"lpar", b'('),
    (b"rpar", b')'),
    (b"lsqb", b'['),
    (b"lbrack", b'['),
    (b"rsqb", b']'),
    (b"rbrack", b']'),
    (b"lcub", b'{'),
    (b"lbrace", b'{'),
    (b"rcub", b'}'),
    (b"rbrace", b'}'),
    (b"bsol", b'\\'),
    (b"verbar", b'|'),
    (b"vert", b'|'),
    (b"grave", b'`'),
    (b"Hat", b'^'),
    (b"Tab", b'\t'),
    (b"NewLine", b'\n'),
    // A no-break space is not ASCII, but it separates tokens as a space does.
    (b"nbsp", b' '),
];

/// One decoded sequence: its length in the source, what it stands for (nothing for a
/// removed tag) and how it was written.
type Decoded = (usize, Option<u8>, Encoding);

/// Decodes every escape, character reference and inline tag of `text`.
pub(crate) fn decode(text: &[u8]) -> View {
    let mut view = View::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr3(b'\\', b'&', b'<', &text[i..]) {
        let at = i + off;
        let (found, skip) = match text[at] {
            b'\\' => backslash(text, at),
            b'&' => (reference(text, at), 1),
            _ => (tag(text, at), 1),
        };
        match found {
            Some((len, decoded, encoding)) => {
                view.copy(&text[copied..at]);
                let byte = decoded.map(|b| [b]);
                view.edit(len, byte.as_ref().map_or(&[][..], |b| &b[..]), encoding);
                i = at + len;
                copied = i;
            }
            None => i = at + skip,
        }
    }
    view.copy(&text[copied..]);
    view
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// An ASCII code point as its byte.
fn ascii(cp: u32) -> Option<u8> {
    u8::try_from(cp).ok().filter(u8::is_ascii)
}

/// The escape at `at` (a run of backslashes and what follows), and how far to skip when
/// there is none (the whole run, so that its tail is not read as an escape of its own).
fn backslash(text: &[u8], at: usize) -> (Option<Decoded>, usize) {
    let run = text[at..].iter().take_while(|&&b| b == b'\\').count();
    let j = at + run;
    let Some(&c) = text.get(j) else {
        return (None, run);
    };
    let numeric = |len: usize, cp: Option<u32>| {
        cp.and_then(ascii)
            .map(|b| (run + len, Some(b), Encoding::Escaped))
    };
    let found = match c {
        b'u' if text.get(j + 1) == Some(&b'{') => {
            let digits = text[j + 2..]
                .iter()
                .take(7)
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            if (1..=6).contains(&digits) && text.get(j + 2 + digits) == Some(&b'}') {
                numeric(3 + digits, hex_value(&text[j + 2..j + 2 + digits]))
            } else {
                None
            }
        }
        b'u' => numeric(5, text.get(j + 1..j + 5).and_then(hex_value)),
        b'x' => numeric(3, text.get(j + 1..j + 3).and_then(hex_value)),
        b'n' => Some((run + 1, Some(b'\n'), Encoding::JsonEscaped)),
        b'r' => Some((run + 1, Some(b'\r'), Encoding::JsonEscaped)),
        b't' => Some((run + 1, Some(b'\t'), Encoding::JsonEscaped)),
        b'"' | b'\'' | b'/' => Some((run + 1, Some(c), Encoding::JsonEscaped)),
        _ => None,
    };
    (found, run)
}

/// The character reference at `at` (`&...;`).
fn reference(text: &[u8], at: usize) -> Option<Decoded> {
    let rest = &text[at + 1..];
    let semi = memchr::memchr(b';', &rest[..rest.len().min(12)])?;
    let body = &rest[..semi];
    let cp = match body {
        [b'#', b'x' | b'X', hex @ ..] if hex.len() <= 6 => hex_value(hex)?,
        [b'#', dec @ ..] if !dec.is_empty() && dec.len() <= 7 => {
            if !dec.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(dec).ok()?.parse::<u32>().ok()?
        }
        name => {
            let &(_, b) = NAMED.iter().find(|(n, _)| *n == name)?;
            return Some((semi + 2, Some(b), Encoding::Html));
        }
    };
    ascii(cp).map(|b| (semi + 2, Some(b), Encoding::Html))
}

/// The inline tag at `at` (`<span class="x">`, `</span>`, `<wbr/>`), removed.
fn tag(text: &[u8], at: usize) -> Option<Decoded> {
    let rest = &text[at + 1..text.len().min(at + MAX_TAG_LEN)];
    let name_start = usize::from(rest.first() == Some(&b'/'));
    let name_len = rest[name_start..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let name = &rest[name_start..name_start + name_len];
    if !INLINE_TAGS.iter().any(|t| t.eq_ignore_ascii_case(name)) {
        return None;
    }
    let after = &rest[name_start + name_len..];
    let close = match after.first()? {
        b'>' => 0,
        b'/' if after.get(1) == Some(&b'>') => 1,
        b' ' | b'\t' | b'\n' | b'\r' => {
            let end = memchr::memchr2(b'>', b'<', after)?;
            if after[end] == b'<' {
                return None;
            }
            end
        }
        _ => return None,
    };
    Some((1 + name_start + name_len + close + 1, None, Encoding::Html))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(text: &str) -> String {
        String::from_utf8_lossy(&decode(text.as_bytes()).text).into_owned()
    }

    #[test]
    fn backslash_escapes() {
        assert_eq!(decoded(r"\u0041\u004b\u{49}\x41"), "AKIA");
        assert_eq!(decoded(r#"a\/b \\\/ c\\\"d\n"#), "a/b / c\"d\n");
        assert_eq!(decoded(r"\u00e9 \u20ac \xff"), r"\u00e9 \u20ac \xff");
        assert_eq!(
            decoded(r"C:\\Users \q \u12 \u{} \x4"),
            r"C:\\Users \q \u12 \u{} \x4"
        );
        assert_eq!(decoded("trailing \\"), "trailing \\");
    }

    #[test]
    fn character_references() {
        assert_eq!(decoded("a&#x2F;b&#47;c&#43;d&#X2b;"), "a/b/c+d+");
        assert_eq!(decoded("&quot;k&quot;&amp;&sol;&plus;&nbsp;"), "\"k\"&/+ ");
        assert_eq!(
            decoded("&amp;#x2F; &eacute; &#233; &#xZZ; &bogus;"),
            "&#x2F; &eacute; &#233; &#xZZ; &bogus;"
        );
    }

    #[test]
    fn inline_tags_are_removed_others_kept() {
        assert_eq!(
            decoded("<span class=\"s\">ab</span><span>cd</span>"),
            "abcd"
        );
        assert_eq!(decoded("ab<wbr>cd<wbr/>ef<B>gh</B>"), "abcdefgh");
        assert_eq!(
            decoded("<td>ab</td><div>cd</div>"),
            "<td>ab</td><div>cd</div>"
        );
        assert_eq!(decoded("a < b && <span"), "a < b && <span");
        assert_eq!(decoded("<span x=\"<\">y"), "<span x=\"<\">y");
    }

    #[test]
    fn every_sign_starts_a_decodable_escape_of_an_a_or_a_split() {
        for (text, want) in [
            (r"\u0041", "A"),
            (r"\x41", "A"),
            (r"\u{41}", "A"),
            ("&#x41;", "A"),
            ("x</span>y", "xy"),
        ] {
            assert!(SIGNS
                .iter()
                .any(|s| text.as_bytes().windows(s.len()).any(|w| w == *s)));
            assert_eq!(decoded(text), want);
        }
    }
}
