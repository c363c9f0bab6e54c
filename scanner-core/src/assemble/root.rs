//! Whether a pair's context says it is a root user's key: the console's root key downloads
//! (the older `rootkey.csv` with `AWSAccessKeyId=` / `AWSSecretKey=`, the newer one with an
//! `Access key ID,Secret access key` header row), a name calling it one
//! (`ROOT_AWS_ACCESS_KEY_ID`), or a comment just above it (`# root account keys`). What
//! counts is data, `rules/patterns.txt` (the `root-*` roles); this finds where to look.
//!
//! Every look is bounded: a comment counts on the three lines above the key, within 1 KiB
//! of it, or after the key on its own line within 256 bytes.

use crate::candidates::{KeyCand, SecretCand};
use crate::confirm::Patterns;
use crate::finding::Span;

/// Lines above a key whose comments are read.
const COMMENT_LINES: usize = 3;
/// How far back those lines may start.
const COMMENT_REACH: usize = 1024;
/// How far after a key a trailing comment may be.
const TRAILING_REACH: usize = 256;

/// Whether the key and secret of a pair are likely a root user's.
pub(crate) fn is_root(text: &[u8], k: &KeyCand, s: &SecretCand, patterns: &Patterns) -> bool {
    rootkey_labels(k, s)
        || k.label
            .as_deref()
            .is_some_and(|l| patterns.is_root_label(l))
        || s.label
            .as_deref()
            .is_some_and(|l| patterns.is_root_label(l))
        || rootkey_header(text, k.span, s.span, patterns)
        || comment_above(text, k.span, patterns)
}

/// The older `rootkey.csv`: `AWSAccessKeyId=...` and `AWSSecretKey=...`.
fn rootkey_labels(k: &KeyCand, s: &SecretCand) -> bool {
    k.label
        .as_deref()
        .is_some_and(|l| l.ends_with("AWSAccessKeyId"))
        && s.label
            .as_deref()
            .is_some_and(|l| l.ends_with("AWSSecretKey"))
}

/// The start of the line holding `pos`, if it is within `reach` bytes.
fn line_start(text: &[u8], pos: usize, reach: usize) -> Option<usize> {
    let floor = pos.saturating_sub(reach);
    match memchr::memrchr(b'\n', &text[floor..pos]) {
        Some(n) => Some(floor + n + 1),
        None if floor == 0 => Some(0),
        None => None,
    }
}

/// The newer `rootkey.csv`: a header row `Access key ID,Secret access key`, then the key
/// and its secret as the two fields of the next row.
fn rootkey_header(text: &[u8], key: Span, secret: Span, patterns: &Patterns) -> bool {
    let row = match line_start(text, key.start, 2) {
        Some(start) if text[start..key.start].iter().all(|&b| b == b'"') => start,
        _ => return false,
    };
    let between = &text[key.end..secret.start.max(key.end)];
    if secret.start < key.end || between.len() > 4 || !between.contains(&b',') {
        return false;
    }
    let Some(header) = row.checked_sub(1).and_then(|nl| line_start(text, nl, 256)) else {
        return false;
    };
    patterns.is_root_header(&text[header..row - 1])
}

/// The text of a comment line (`#`, `//`, `;`, `--`, `/*`, `*`, `<!--`, `REM`), if it is one.
fn comment_text(line: &[u8]) -> Option<&[u8]> {
    let t = line.trim_ascii();
    ["#", "//", ";", "--", "/*", "*", "<!--", "REM ", "rem "]
        .iter()
        .find_map(|m| t.strip_prefix(m.as_bytes()))
}

/// An INI section named for the root user (`[root]`, `[profile root-account]`).
fn root_section(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.len() > 2
        && t[0] == b'['
        && t[t.len() - 1] == b']'
        && crate::rules::label_words(&String::from_utf8_lossy(&t[1..t.len() - 1]))
            .iter()
            .any(|w| w == "root")
}

/// A comment calling the keys a root user's: on one of the lines just above the key (up to
/// a blank line), or after the key on its line.
fn comment_above(text: &[u8], key: Span, patterns: &Patterns) -> bool {
    let floor = key.start.saturating_sub(COMMENT_REACH);
    let ceil = (key.end + TRAILING_REACH).min(text.len());
    let rest = &text[key.end..ceil];
    let line_end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let trailing = &rest[..line_end];
    // Nearly always there is no "root" around at all: look for it in the lines that count
    // before reading them as comments.
    let mut above = key.start;
    for _ in 0..=COMMENT_LINES {
        match memchr::memrchr(b'\n', &text[floor..above.saturating_sub(1).max(floor)]) {
            Some(n) => above = floor + n + 1,
            None => {
                above = floor;
                break;
            }
        }
    }
    let root = |t: &[u8]| {
        memchr::memmem::find(t, b"oot").is_some() || memchr::memmem::find(t, b"OOT").is_some()
    };
    if !root(&text[above..key.end + line_end]) {
        return false;
    }
    for marker in [&b" #"[..], b"//", b"<!--"] {
        if let Some(at) = memchr::memmem::find(trailing, marker) {
            if patterns.is_root_comment(&trailing[at + marker.len()..]) {
                return true;
            }
        }
    }
    let Some(mut end) = line_start(text, key.start, COMMENT_REACH) else {
        return false;
    };
    for _ in 0..COMMENT_LINES {
        if end == 0 || end - 1 < floor {
            return false;
        }
        let Some(start) = line_start(text, end - 1, end - 1 - floor) else {
            return false;
        };
        let line = &text[start..end - 1];
        if line.trim_ascii().is_empty() {
            return false;
        }
        if comment_text(line).is_some_and(|c| patterns.is_root_comment(c)) || root_section(line) {
            return true;
        }
        end = start;
    }
    false
}
