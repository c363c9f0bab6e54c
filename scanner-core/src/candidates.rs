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
use crate::prefilter::{reference, Anchors};
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

/// The key IDs at the anchors of `text`, in anchor order.
pub(crate) fn keys(text: &[u8], anchors: &Anchors, patterns: &Patterns) -> Vec<KeyCand> {
    anchors
        .key_ids
        .iter()
        .filter_map(|&p| patterns.key_id_at(text, p))
        .map(|span| KeyCand {
            span,
            value: String::from_utf8_lossy(&text[span.start..span.end]).into_owned(),
            encoding: Encoding::Plain,
            label: label_text(text, span.start),
        })
        .collect()
}

/// A key ID found alone inside the base64 token `token` of `text`: a key candidate of
/// `text` itself, so that it pairs with a secret in a neighbouring field.
pub(crate) fn base64_key(text: &[u8], token: Span, value: String) -> KeyCand {
    KeyCand {
        span: token,
        value,
        encoding: Encoding::Base64,
        label: label_text(text, token.start),
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
                regions.push(decode::utf16_region(haystack, at));
            }
            regions
        }
        Prefilter::Off => reference::utf16_regions(haystack, 4),
    }
}

/// The base64 tokens long enough to hold a key ID: around the base64 anchors, or every one.
pub(crate) fn base64_tokens(text: &[u8], anchors: &Anchors, prefilter: Prefilter) -> Vec<Span> {
    let tokens = match prefilter {
        Prefilter::On => {
            let mut t: Vec<Span> = Vec::new();
            for &p in &anchors.base64 {
                // Anchors ascend: one inside the last token is the same token, and finding
                // its bounds again would make a long token cost quadratic time.
                if t.last().is_some_and(|last| p < last.end) {
                    continue;
                }
                t.push(decode::base64_token_around(text, p));
            }
            t
        }
        Prefilter::Off => reference::base64_tokens(text),
    };
    tokens
        .into_iter()
        .filter(|t| t.len() >= decode::MIN_BASE64_KEY_TOKEN)
        .collect()
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
                let label = label_text(text, run.span.start);
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
            let label = label_text(text, run.span.start);
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

/// The label text before `pos`, if any.
fn label_text(text: &[u8], pos: usize) -> Option<String> {
    confirm::label_before(text, pos)
        .map(|s| String::from_utf8_lossy(&text[s.start..s.end]).into_owned())
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
