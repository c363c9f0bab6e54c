//! Key-ID-shaped runs that are part of a longer encoded body: a JWT's signature, an
//! `ssh-rsa` key, a PEM certificate, a `data:` URI, gzip+base64 user data, a source map's
//! `mappings`. Base64 is random, so any long body holds a word-bounded
//! `AKIA[A-Z2-7]{16}` now and then (between a `/` and a `+`, at the start of a wrapped
//! line); it is not a key ID.
//!
//! A run is in a body when the base64 around it — on its line, or over the lines of a
//! wrapped block — is long and looks like base64 (both cases, digits, few separators), or
//! when a container says so: a JWT (`eyJ...` with two dots), a `data:...;base64,` URI, the
//! `mappings` string of a source map. A key ID bounded by anything else (quotes, spaces,
//! `=`, `:`) is never in a body, however long the values on the lines around it.

use crate::finding::Span;
use crate::rules::KEY_ID_LEN;

/// A run this long around a key ID, on one line, is a body (if it looks like base64).
const MIN_BODY_RUN: usize = 64;
/// A wrapped line of a body is at least this long (PEM wraps at 64, MIME at 76).
const MIN_WRAPPED_LINE: usize = 40;
/// How far the run around a key ID is followed, each way.
const MAX_RUN_SCAN: usize = 64 * 1024;

/// Characters of base64 and URL-safe base64 bodies.
fn is_body_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Characters of a source map's `mappings` (base64 VLQ segments).
fn is_mappings_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b',' | b';')
}

/// Finds the bodies key IDs sit in, remembering the last container found: a long source
/// map line with many key-ID-shaped segments is read once, not once per segment.
#[derive(Debug)]
pub(crate) struct Bodies<'a> {
    text: &'a [u8],
    /// A `mappings` string found before, whole.
    mappings: Option<Span>,
    /// The last run found to be a base64 body: key IDs inside it are in it too, without
    /// reading up to [`MAX_RUN_SCAN`] bytes around each (many key-ID-shaped runs in one
    /// long body would make that quadratic).
    body: Option<Span>,
}

impl<'a> Bodies<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Bodies<'a> {
        Bodies {
            text,
            mappings: None,
            body: None,
        }
    }

    /// Whether the key ID at `key` is part of an encoded body.
    pub(crate) fn contains(&mut self, key: Span) -> bool {
        let text = self.text;
        let before = key.start.checked_sub(1).map(|i| text[i]);
        let after = text.get(key.end).copied();
        let glue_before = matches!(
            before,
            Some(b'+' | b'/' | b'-' | b'_' | b'.' | b'\n' | b'\r' | b',' | b';' | b' ' | b'\t')
        );
        let glue_after = matches!(
            after,
            Some(b'+' | b'/' | b'-' | b'_' | b'=' | b'.' | b'\n' | b'\r' | b',' | b';')
        );
        // Most key IDs are quoted or assigned: nothing to look at.
        if !glue_before && !glue_after {
            return false;
        }
        if self
            .body
            .is_some_and(|b| b.start <= key.start && key.end <= b.end)
        {
            return true;
        }
        if self.in_mappings(key) {
            return true;
        }
        let run = run_around(text, key, is_body_char);
        if run.len() >= MIN_BODY_RUN && looks_like_base64(text, run, key) {
            self.body = Some(run);
            return true;
        }
        if in_jwt(text, key) || after_data_uri(text, run) {
            return true;
        }
        in_wrapped_block(text, key, run)
    }

    /// Whether `key` is inside the `mappings` string of a source map.
    fn in_mappings(&mut self, key: Span) -> bool {
        if let Some(m) = self.mappings {
            if m.start <= key.start && key.end <= m.end {
                return true;
            }
        }
        let text = self.text;
        let run = run_around(text, key, is_mappings_char);
        let segments = text[run.start..run.end]
            .iter()
            .filter(|&&b| b == b',' || b == b';')
            .count();
        if segments < 2 || run.start == 0 || text[run.start - 1] != b'"' {
            return false;
        }
        let quote = run.start - 1;
        let mut i = quote;
        while i > 0 && matches!(text[i - 1], b' ' | b'\t') {
            i -= 1;
        }
        if i == 0 || text[i - 1] != b':' {
            return false;
        }
        i -= 1;
        while i > 0 && matches!(text[i - 1], b' ' | b'\t') {
            i -= 1;
        }
        let named = text[..i].ends_with(b"\"mappings\"");
        if named {
            self.mappings = Some(run);
        }
        named
    }
}

/// The maximal run of `is_char` bytes around `key` (at most [`MAX_RUN_SCAN`] each way).
fn run_around(text: &[u8], key: Span, is_char: fn(u8) -> bool) -> Span {
    let floor = key.start.saturating_sub(MAX_RUN_SCAN);
    let ceil = (key.end + MAX_RUN_SCAN).min(text.len());
    let mut start = key.start;
    while start > floor && is_char(text[start - 1]) {
        start -= 1;
    }
    let mut end = key.end;
    while end < ceil && is_char(text[end]) {
        end += 1;
    }
    Span::new(start, end)
}

/// Whether what surrounds `key` in `run` looks like base64: upper- and lower-case letters
/// and digits, few separators (a URL path has many, a SigV4 credential scope no capitals)
/// and as many distinct characters as random base64 has (words repeat theirs).
fn looks_like_base64(text: &[u8], run: Span, key: Span) -> bool {
    let around = text[run.start..key.start]
        .iter()
        .chain(&text[key.end..run.end]);
    let (mut upper, mut lower, mut digit, mut seps, mut len) = (0, 0, 0, 0, 0usize);
    let mut seen = [false; 128];
    for &b in around {
        len += 1;
        seen[usize::from(b & 0x7F)] = true;
        match b {
            b'A'..=b'Z' => upper += 1,
            b'a'..=b'z' => lower += 1,
            b'0'..=b'9' => digit += 1,
            _ => seps += 1,
        }
    }
    if len < 16 || upper < 2 || lower < 2 || digit < 1 || seps * 8 > len {
        return false;
    }
    // Random base64 of `len` characters shows 64 (1 - (63/64)^len) distinct ones on
    // average; ask for 70 % of that.
    let expected = 64.0 * (1.0 - (63.0f64 / 64.0).powi(i32::try_from(len).unwrap_or(i32::MAX)));
    let distinct = seen.iter().filter(|&&s| s).count();
    distinct as f64 >= 0.7 * expected
}

/// Whether `key` is inside a JWT: `eyJ...` then two dots, over base64url characters.
fn in_jwt(text: &[u8], key: Span) -> bool {
    let is_jwt_char = |b: u8| is_body_char(b) || b == b'.' || b == b'=';
    let run = run_around(text, key, is_jwt_char);
    let token = &text[run.start..run.end];
    let dots = token.iter().filter(|&&b| b == b'.').count();
    // The JWT starts at the last `eyJ` before the key that begins a segment.
    dots >= 2
        && memchr::memmem::rfind(&text[run.start..key.start], b"eyJ")
            .is_some_and(|at| at == 0 || matches!(token[at - 1], b'.'))
}

/// Whether the run holding a key ID is the payload of a `data:...;base64,` URI.
fn after_data_uri(text: &[u8], run: Span) -> bool {
    text[..run.start].ends_with(b";base64,")
}

/// Longest line of a wrapped block read.
const MAX_WRAPPED_LINE: usize = 1024;

/// The line holding `pos`, trimmed of its indentation and line break, and its indentation;
/// a line longer than [`MAX_WRAPPED_LINE`] around `pos` is cut there (it is no wrapped
/// line).
fn trimmed_line(text: &[u8], pos: usize) -> (Span, usize) {
    let floor = pos.saturating_sub(MAX_WRAPPED_LINE);
    let ceil = (pos + MAX_WRAPPED_LINE).min(text.len());
    let start = memchr::memrchr(b'\n', &text[floor..pos]).map_or(floor, |n| floor + n + 1);
    let end = memchr::memchr(b'\n', &text[pos..ceil]).map_or(ceil, |n| pos + n);
    let mut s = start;
    while s < end && matches!(text[s], b' ' | b'\t') {
        s += 1;
    }
    let mut e = end;
    while e > s && matches!(text[e - 1], b'\r' | b' ' | b'\t') {
        e -= 1;
    }
    (Span::new(s, e), s - start)
}

/// Whether a trimmed line is a line of a wrapped body: base64 characters (and padding at
/// its end) alone, at least [`MIN_WRAPPED_LINE`] of them.
fn is_wrapped_line(text: &[u8], line: Span) -> bool {
    let body = &text[line.start..line.end];
    let unpadded = body.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    unpadded >= MIN_WRAPPED_LINE && body[..unpadded].iter().all(|&b| is_body_char(b))
}

/// Whether `key` sits on a line of a wrapped block (PEM, MIME base64): its own line is
/// base64 alone and holds more than the key ID, and a neighbouring line at the same
/// indentation is a full line of the block.
fn in_wrapped_block(text: &[u8], key: Span, run: Span) -> bool {
    // The run must fill its line (indentation and padding aside): looked at around the run
    // first, so that a long line is never read once per key on it.
    let mut s = run.start;
    while s > 0 && run.start - s < 64 && matches!(text[s - 1], b' ' | b'\t') {
        s -= 1;
    }
    let mut e = run.end;
    while e < text.len() && e - run.end < 2 && text[e] == b'=' {
        e += 1;
    }
    let starts_line = s == 0 || text[s - 1] == b'\n';
    let ends_line = matches!(text.get(e), None | Some(b'\n' | b'\r'));
    if !starts_line || !ends_line {
        return false;
    }
    let (line, indent) = trimmed_line(text, key.start);
    let body = &text[line.start..line.end];
    let unpadded = body.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    // The run must be the whole line, and more than the key ID.
    if run.start != line.start || run.end != line.start + unpadded || unpadded <= KEY_ID_LEN {
        return false;
    }
    let neighbour = |line_start: usize, up: bool| -> bool {
        let pos = if up {
            match line_start.checked_sub(1) {
                Some(nl) if nl > 0 => nl - 1,
                _ => return false,
            }
        } else {
            let end = memchr::memchr(b'\n', &text[line_start..]).map(|n| line_start + n + 1);
            match end.filter(|&e| e < text.len()) {
                Some(e) => e,
                None => return false,
            }
        };
        let (l, ind) = trimmed_line(text, pos);
        ind == indent
            && is_wrapped_line(text, l)
            && looks_like_base64(text, l, Span::new(l.start, l.start))
    };
    let start_of_line = line.start - indent;
    neighbour(start_of_line, true) || neighbour(start_of_line, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key-ID-shaped run with a fixed body: only its position matters here.
    const K: &str = concat!("AKIA", "QQQQRRRRSSSSTTTT");
    /// Base64-looking filler.
    const B64: &str = "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ";

    /// `len` pseudo-random base64 characters.
    fn filler(seed: u64, len: usize) -> String {
        let alphabet = crate::decode::BASE64_ALPHABET;
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(alphabet[(x % 64) as usize])
            })
            .collect()
    }

    fn in_body(text: &str) -> bool {
        let at = text.find(K).expect("the run is in the text");
        Bodies::new(text.as_bytes()).contains(Span::new(at, at + K.len()))
    }

    #[test]
    fn runs_inside_bodies() {
        let (a, b) = (filler(1, 150), filler(2, 200));
        assert!(in_body(&format!(
            "ssh-rsa AAAAB3NzaC1yc2E{a}/{K}+{b} me@host"
        )));
        assert!(in_body(&format!("H4sIAAAAAAAA/{a}/{K}/{b}")));
        assert!(in_body(&format!(
            "-----BEGIN CERTIFICATE-----\n{B64}\n{K}+{}\n{B64}\n",
            &B64[..43]
        )));
        assert!(in_body(&format!(
            "<img src=\"data:image/png;base64,iVBORw0KGgo/{K}+AAA\">"
        )));
        assert!(in_body(&format!(
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.abc_{K}-xyz"
        )));
        assert!(in_body(&format!(
            "{{\"version\":3,\"mappings\":\"AAAA,SAASA;{K},IAAI;AAAA\"}}"
        )));
    }

    #[test]
    fn key_ids_in_ordinary_places() {
        for text in [
            format!("aws_access_key_id = {K}\nca: {B64}{B64}\n"),
            format!("\"{K}\""),
            format!("Credential={K}/20240101/ap-southeast-2/execute-api/aws4_request"),
            format!("https://example.com/Api/V2/Credentials/{K}/RotateAccessKeyForUser/Confirm"),
            format!("{B64}\n{K}\n{B64}\n"),
            format!("alice,,{K},x,y"),
            format!("s3://{K}:x@bucket/path"),
        ] {
            assert!(!in_body(&text), "{text}");
        }
    }
}
