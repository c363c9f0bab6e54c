//! Candidate search in one text: key IDs at their anchors, secrets and session tokens in
//! line-aligned windows around key IDs and after `secret` words, and the encoded texts
//! (UTF-16 regions, base64 tokens) that are decoded and scanned as texts of their own.
//!
//! Every candidate is confirmed by [`Patterns`] (the regular expressions of
//! `rules/patterns.txt`) inside a bounded window; nothing here reads the whole text except
//! the prefilter's reference, for [`Prefilter::Off`].

use crate::confirm::{self, Patterns, Run};
use crate::decode::{self, Utf16Region};
use crate::finding::{Encoding, Span};
use crate::lines::{indexed_line_window, line_window};
use crate::prefilter::{literals_of, reference, Anchor, Anchors};
use crate::rules::{self, LabelClass};
use crate::scanner::Prefilter;

/// A key ID candidate.
#[derive(Clone, Debug)]
pub(crate) struct KeyCand {
    pub(crate) span: Span,
    pub(crate) value: String,
    pub(crate) encoding: Encoding,
    /// The name it is assigned to, as written.
    pub(crate) label: Option<String>,
    /// The shape of a key ID AWS cannot issue: it pairs, to mark its secret as made up,
    /// and is never reported.
    pub(crate) impossible: bool,
}

/// A secret candidate: a plausible secret access key.
#[derive(Clone, Debug)]
pub(crate) struct SecretCand {
    pub(crate) span: Span,
    pub(crate) value: String,
    pub(crate) encoding: Encoding,
    /// The name it is assigned to, as written.
    pub(crate) label: Option<String>,
    /// What that name says it is.
    pub(crate) class: Option<LabelClass>,
}

/// What was found in the windows of one text.
#[derive(Debug, Default)]
pub(crate) struct Secrets {
    pub(crate) secrets: Vec<SecretCand>,
    /// Session tokens (span, value with its padding).
    pub(crate) tokens: Vec<(Span, String)>,
    /// The windows looked in, sorted and merged.
    pub(crate) windows: Vec<Span>,
}

/// Lines of context around key IDs in which their secrets are looked for.
pub(crate) const KEY_WINDOW_LINES: usize = 64;
/// Bytes of context around key IDs, whichever limit comes first.
const KEY_WINDOW_BYTES: usize = 8 * 1024;
/// Lines after the one of a `secret` word in which its value is looked for.
const WORD_WINDOW_LINES: usize = 1;
/// Key IDs in one text from which newlines are indexed for their windows.
const INDEX_NEWLINES_FROM: usize = 16;

/// The key IDs at the anchors of `text`, in anchor order, less those that are part of a
/// longer encoded body (see `confirm/bodies.rs`).
pub(crate) fn keys(text: &[u8], anchors: &Anchors, patterns: &Patterns) -> Vec<KeyCand> {
    let mut bodies = confirm::Bodies::new(text);
    anchors
        .key_ids
        .iter()
        .filter_map(|&p| patterns.key_id_at(text, p))
        .filter(|&(span, _)| !bodies.contains(span))
        .map(|(span, impossible)| KeyCand {
            span,
            value: String::from_utf8_lossy(&text[span.start..span.end]).into_owned(),
            encoding: Encoding::Plain,
            label: label_text(text, span.start, patterns),
            impossible,
        })
        .collect()
}

/// A key ID found alone inside the base64 token `token` of `text`: a key candidate of
/// `text` itself, so that it pairs with a secret in a neighbouring field.
pub(crate) fn base64_key(text: &[u8], token: Span, value: String, patterns: &Patterns) -> KeyCand {
    KeyCand {
        span: token,
        value,
        encoding: Encoding::Base64,
        label: label_text(text, token.start, patterns),
        impossible: false,
    }
}

/// The UTF-16 regions to decode: around the UTF-16 anchors, or every one.
pub(crate) fn utf16_regions(
    haystack: &[u8],
    anchors: &Anchors,
    prefilter: Prefilter,
) -> Vec<Utf16Region> {
    match prefilter {
        Prefilter::On => {
            let mut regions: Vec<Utf16Region> = Vec::new();
            for &at in &anchors.utf16 {
                // Anchors ascend: one inside the last region adds nothing.
                if regions.last().is_some_and(|r| at < r.covers().end) {
                    continue;
                }
                let floor = decode::utf16_floor(&regions, at);
                regions.push(decode::utf16_region_from(haystack, at, floor));
            }
            regions
        }
        Prefilter::Off => reference::utf16_regions(haystack, 4),
    }
}

/// How deep a text sits in base64, and so whether its own tokens are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// The input (or a view of it): its tokens are decoded, those with a sign of nesting
    /// two levels deep.
    Outer,
    /// Decoded from a token of the input: its tokens are decoded once more.
    Nested,
    /// Decoded as far as it goes (or UTF-16 text): no token is decoded.
    Leaf,
}

/// A base64 token to decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Token {
    pub(crate) span: Span,
    /// URL-safe alphabet (`-`, `_`).
    pub(crate) url: bool,
    /// A sign that the token holds base64 of its own: decode the text it decodes to once
    /// more.
    pub(crate) nested: bool,
}

/// Shortest token decoded for the base64 it may hold: a credentials file in base64 twice
/// is well over this.
const MIN_NESTED_TOKEN: usize = 64;

/// How far around a Kubernetes `kind: Secret` its data fields are looked for.
const KUBERNETES_SECRET_REACH: usize = 64 * 1024;

/// The base64 tokens long enough to hold a key ID: around the base64 anchors, or every one.
///
/// In the input (`level` [`Level::Outer`]) tokens with a sign of base64 inside are marked
/// to be decoded two levels deep: those around a base64 anchor, a JWT's segments, and the
/// long tokens of a Kubernetes `Secret` and of an AWS Secrets Manager `SecretString` or
/// `SecretBinary`.
pub(crate) fn base64_tokens(
    text: &[u8],
    anchors: &Anchors,
    prefilter: Prefilter,
    level: Level,
) -> Vec<Token> {
    let outer = level == Level::Outer;
    let containers = if outer {
        containers(text, &anchors.secret_words)
    } else {
        Vec::new()
    };
    let jwt: Vec<Span> = if outer {
        anchors
            .jwt
            .iter()
            .flat_map(|&p| decode::jwt_segments(text, p))
            .collect()
    } else {
        Vec::new()
    };
    let holds_url_chars = |s: Span| text[s.start..s.end].iter().any(|&b| b == b'-' || b == b'_');
    let token = |span: Span, nested: bool| Token {
        span,
        url: holds_url_chars(span),
        nested: nested && outer,
    };
    let in_container = |s: Span| {
        s.len() >= MIN_NESTED_TOKEN
            && containers
                .iter()
                .any(|c| s.start < c.end && c.start < s.end)
    };
    let mut tokens: Vec<Token> = match prefilter {
        Prefilter::On => {
            let mut t: Vec<Token> = Vec::new();
            let mut std: Option<Span> = None;
            let mut url_end = 0;
            for &p in &anchors.base64 {
                // Anchors ascend: one inside the last token is the same token, and finding
                // its bounds again would make a long token cost quadratic time.
                let s = match std {
                    Some(s) if p < s.end => s,
                    _ => {
                        let s = decode::base64_token_around(text, p);
                        t.push(token(s, true));
                        std = Some(s);
                        s
                    }
                };
                // The URL-safe token around `p` differs from the standard one only where
                // the standard one ends at a `-` or `_`.
                let url_edge = |b: Option<&u8>| matches!(b, Some(b'-' | b'_'));
                let edged =
                    url_edge(s.start.checked_sub(1).map(|i| &text[i])) || url_edge(text.get(s.end));
                if edged && p >= url_end {
                    let u = decode::base64url_token_around(text, p);
                    url_end = u.end;
                    if holds_url_chars(u) {
                        t.push(token(u, true));
                    }
                }
            }
            t.extend(jwt.iter().map(|&s| token(s, true)));
            for c in &containers {
                let mut i = c.start;
                while i < c.end {
                    if decode::is_base64_char(text[i]) {
                        let s = decode::base64_token_around(text, i);
                        i = s.end;
                        if s.len() >= MIN_NESTED_TOKEN {
                            t.push(token(s, true));
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            t
        }
        Prefilter::Off => {
            let anchored = |s: Span| {
                literals_of(Anchor::Base64)
                    .any(|l| memchr::memmem::find(&text[s.start..s.end], l).is_some())
            };
            // A JWT's segments are decoded by their sign, whichever way it is found; a
            // segment may be neither a whole standard token (a `/` glued before it) nor
            // hold `-` or `_`.
            reference::base64_tokens(text)
                .into_iter()
                .map(|s| token(s, anchored(s) || jwt.contains(&s) || in_container(s)))
                .chain(
                    reference::base64url_tokens(text)
                        .into_iter()
                        .map(|s| token(s, anchored(s) || jwt.contains(&s))),
                )
                .chain(jwt.iter().map(|&s| token(s, true)))
                .collect()
        }
    };
    tokens.retain(|t| t.span.len() >= decode::MIN_BASE64_KEY_TOKEN);
    tokens.sort();
    // The same token found for several reasons is decoded once, nested if any says so.
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    for t in tokens {
        match out.last_mut() {
            Some(last) if last.span == t.span && last.url == t.url => last.nested |= t.nested,
            _ => out.push(t),
        }
    }
    out
}

/// Where long base64 tokens are containers worth decoding twice, by their `secret` words:
/// around a Kubernetes `kind: Secret` (its data fields), and the line of an AWS Secrets
/// Manager `SecretString` or `SecretBinary` and the next.
fn containers(text: &[u8], words: &[usize]) -> Vec<Span> {
    let mut out = Vec::new();
    for &w in words {
        // A few byte comparisons per word: `secret` words are common, containers rare.
        let rest = &text[w..];
        let manager = match rest.get(6) {
            Some(b'S') if rest[0] == b'S' => rest.starts_with(b"SecretString"),
            Some(b'B') if rest[0] == b'S' => rest.starts_with(b"SecretBinary"),
            Some(b'_') if rest[0] == b's' => {
                rest.starts_with(b"secret_string") || rest.starts_with(b"secret_binary")
            }
            _ => false,
        };
        if manager {
            out.push(word_window(text, w));
        } else if rest.starts_with(b"Secret")
            && !rest.get(6).is_some_and(u8::is_ascii_alphanumeric)
            && is_kind_label(text, w)
        {
            out.push(Span::new(
                w.saturating_sub(KUBERNETES_SECRET_REACH),
                (w + KUBERNETES_SECRET_REACH).min(text.len()),
            ));
        }
    }
    out
}

/// Whether the word at `pos` is the value of a `kind:` key (`kind: Secret`,
/// `"kind": "Secret"`).
fn is_kind_label(text: &[u8], pos: usize) -> bool {
    let mut i = pos;
    let floor = pos.saturating_sub(16);
    let skip = |i: &mut usize, set: &[u8]| {
        while *i > floor && set.contains(&text[*i - 1]) {
            *i -= 1;
        }
    };
    skip(&mut i, b" \t\"'");
    if i == floor || text[i - 1] != b':' {
        return false;
    }
    i -= 1;
    skip(&mut i, b" \t\"'");
    i >= 4 && &text[i - 4..i] == b"kind" && (i == 4 || !text[i - 5].is_ascii_alphanumeric())
}

/// Secret and session-token candidates around key IDs and `secret` words.
pub(crate) fn secrets(
    text: &[u8],
    keys: &[KeyCand],
    words: &[usize],
    patterns: &Patterns,
) -> Secrets {
    let windows = windows(text, keys, words);
    let mut secrets = Vec::new();
    let mut tokens = Vec::new();
    for &window in &windows {
        confirm::runs(text, window, confirm::secret_sized, |run: Run| {
            let classify =
                |label: Option<&str>| label.map(|l| patterns.classify_label(l.as_bytes()));
            if run.value.len() >= rules::MIN_SESSION_TOKEN_LEN {
                let label = label_text(text, run.span.start, patterns);
                if classify(label.as_deref()) == Some(LabelClass::SessionToken) {
                    let value =
                        String::from_utf8_lossy(&run.value).into_owned() + &"=".repeat(run.padding);
                    tokens.push((run.span, value));
                }
                return;
            }
            // The value first: most runs in a window (digests, identifiers) are not random
            // enough to be secrets, and then their labels need not be read.
            let Some((value, encoding)) = patterns.secret_value(&run) else {
                return;
            };
            let label = label_text(text, run.span.start, patterns);
            let class = classify(label.as_deref());
            // Values named as something else can neither pair nor be reported.
            if matches!(
                class,
                Some(LabelClass::NotSecret | LabelClass::KeyId | LabelClass::SessionToken)
            ) {
                return;
            }
            let span = if encoding == Encoding::Base64 {
                Span::new(run.span.start, run.span.end + run.padding)
            } else {
                run.span
            };
            secrets.push(SecretCand {
                span,
                value: String::from_utf8_lossy(&value).into_owned(),
                encoding,
                label,
                class,
            });
        });
    }
    Secrets {
        secrets,
        tokens,
        windows,
    }
}

/// The windows around key IDs and after `secret` words, sorted and merged.
fn windows(text: &[u8], keys: &[KeyCand], words: &[usize]) -> Vec<Span> {
    // Many key IDs in one text (a dump of credentials) would each search ±64 lines for
    // their window; with the newlines indexed once, each window is two binary searches.
    let indexed = keys.len() > INDEX_NEWLINES_FROM;
    let newlines: Vec<usize> = if indexed {
        memchr::memchr_iter(b'\n', text).collect()
    } else {
        Vec::new()
    };
    let key_window = |span: Span| {
        if indexed {
            indexed_line_window(
                &newlines,
                text.len(),
                span,
                KEY_WINDOW_LINES,
                KEY_WINDOW_BYTES,
            )
        } else {
            line_window(text, span, KEY_WINDOW_LINES, KEY_WINDOW_BYTES)
        }
    };
    let mut windows: Vec<Span> = keys
        .iter()
        .map(|k| key_window(k.span))
        .chain(words.iter().map(|&w| word_window(text, w)))
        .collect();
    windows.sort();
    let mut merged: Vec<Span> = Vec::with_capacity(windows.len());
    for w in windows {
        match merged.last_mut() {
            Some(last) if w.start <= last.end => last.end = last.end.max(w.end),
            _ => merged.push(w),
        }
    }
    merged
}

/// Where the value named by a `secret` word at `pos` may be: from the start of the token
/// holding the word to the end of the next line (YAML puts values there), at most 1 KiB.
fn word_window(text: &[u8], pos: usize) -> Span {
    let mut start = pos;
    while start > 0 && pos - start < 256 && rules::is_secret_char(text[start - 1]) {
        start -= 1;
    }
    let ceil = (pos + 1024).min(text.len());
    let mut end = pos;
    for _ in 0..=WORD_WINDOW_LINES {
        match memchr::memchr(b'\n', &text[end..ceil]) {
            Some(n) => end += n + 1,
            None => {
                end = ceil;
                break;
            }
        }
    }
    Span::new(start, end)
}

/// The label text before `pos`, if any. A weak one (the string before a value in an
/// argument list) counts only if the vocabulary knows what it names.
fn label_text(text: &[u8], pos: usize, patterns: &Patterns) -> Option<String> {
    let label = confirm::label_before(text, pos)?;
    let name = String::from_utf8_lossy(&text[label.span.start..label.span.end]).into_owned();
    if label.weak && patterns.classify_label(name.as_bytes()) == LabelClass::Other {
        return None;
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_word_opens_its_token_and_the_next_line() {
        let text = b"x\n  awsSecretAccessKey:\n    VALUE\nnext\n";
        let pos = 7;
        assert_eq!(&text[pos..pos + 6], b"Secret");
        let w = word_window(text, pos);
        assert_eq!(&text[w.start..w.end], b"awsSecretAccessKey:\n    VALUE\n");
    }

    #[test]
    fn windows_are_sorted_and_merged() {
        let text = b"secret\nsecret\n\n\n\nsecret\n";
        // Each word's window ends after the next line: [0, 14) and [7, 15) overlap.
        let w = windows(text, &[], &[0, 7, 17]);
        assert_eq!(w, vec![Span::new(0, 15), Span::new(17, 24)]);
    }
}
