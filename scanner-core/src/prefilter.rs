//! Finds the places worth a closer look: one Aho-Corasick pass over a few literal anchors.
//!
//! # Contract
//!
//! The prefilter may report anchors that lead nowhere; it must never miss one that leads to
//! a finding. Every finding starts from an anchor:
//! - a key ID starts with one of its four prefixes (`AKIA`, `ASIA`, `ABIA`, `ACCA`);
//! - a secret found without a key ID is named by a word containing `secret`, `Secret` or
//!   `SECRET`;
//! - UTF-16 text holds the same anchors with NUL bytes between their letters;
//! - base64 holds a key ID's prefix as one of three fixed strings, one per alignment of
//!   the prefix within base64's 3-byte groups.
//!
//! Secrets next to a key ID need no anchor of their own: they are looked for around the
//! key ID. `tests/rules.rs::prefilter_on_and_off_give_identical_findings` (and its random
//! sibling there) checks the contract by scanning a corpus with the prefilter and with the
//! exhaustive [`Prefilter::Off`](crate::Prefilter::Off) path, [`reference`], which looks at
//! every position and decodes every UTF-16 run and every base64 token, and demands identical
//! findings.

pub(crate) mod reference;

use aho_corasick::{AhoCorasick, Input, MatchKind};

use crate::decode::BASE64_ALPHABET;
use crate::rules::{KEY_ID_PREFIXES, SECRET_WORDS};

/// What an anchor is a sign of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    KeyId,
    SecretWord,
    Utf16,
    Base64,
}

/// Positions of anchors in one haystack, by kind, each list ascending.
#[derive(Debug, Default)]
pub(crate) struct Anchors {
    pub(crate) key_ids: Vec<usize>,
    pub(crate) secret_words: Vec<usize>,
    pub(crate) utf16: Vec<usize>,
    pub(crate) base64: Vec<usize>,
}

impl Anchors {
    pub(crate) fn is_empty(&self) -> bool {
        self.key_ids.is_empty()
            && self.secret_words.is_empty()
            && self.utf16.is_empty()
            && self.base64.is_empty()
    }
}

#[derive(Clone, Debug)]
pub(crate) struct AnchorFinder {
    ac: AhoCorasick,
    kinds: Vec<Anchor>,
}

impl AnchorFinder {
    pub(crate) fn new() -> AnchorFinder {
        let (patterns, kinds) = anchor_patterns();
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&patterns)
            .expect("a few dozen short literals always build");
        AnchorFinder { ac, kinds }
    }

    /// Every position where an anchor starts, by kind.
    pub(crate) fn find(&self, haystack: &[u8], want_encoded: bool) -> Anchors {
        let mut anchors = Anchors::default();
        let mut at = 0;
        while let Some(m) = self.ac.find(Input::new(haystack).span(at..haystack.len())) {
            let list = match self.kinds[m.pattern().as_usize()] {
                Anchor::KeyId => &mut anchors.key_ids,
                Anchor::SecretWord => &mut anchors.secret_words,
                Anchor::Utf16 if want_encoded => &mut anchors.utf16,
                Anchor::Base64 if want_encoded => &mut anchors.base64,
                Anchor::Utf16 | Anchor::Base64 => {
                    at = m.start() + 1;
                    continue;
                }
            };
            list.push(m.start());
            // Restart just after the match start, not its end: anchors may overlap
            // ("ASIAKIA..."), and the contract is to report every start.
            at = m.start() + 1;
        }
        anchors
    }
}

/// The anchor literals and what each is a sign of.
pub(crate) fn anchor_patterns() -> (Vec<Vec<u8>>, Vec<Anchor>) {
    let mut patterns: Vec<Vec<u8>> = Vec::new();
    let mut kinds = Vec::new();
    let mut add = |p: Vec<u8>, k: Anchor| {
        patterns.push(p);
        kinds.push(k);
    };
    for p in KEY_ID_PREFIXES {
        add(p.to_vec(), Anchor::KeyId);
    }
    for w in SECRET_WORDS {
        add(w.to_vec(), Anchor::SecretWord);
    }
    // UTF-16: "A\0K\0I\0A" occurs in both byte orders, so one pattern serves both.
    for p in KEY_ID_PREFIXES.iter().map(|p| &p[..]).chain(SECRET_WORDS) {
        add(utf16_pattern(p), Anchor::Utf16);
    }
    for p in KEY_ID_PREFIXES {
        for offset in 0..3 {
            add(base64_pattern(p, offset), Anchor::Base64);
        }
    }
    (patterns, kinds)
}

/// The pattern's letters with a NUL byte between each: what it looks like in UTF-16 of
/// either byte order.
fn utf16_pattern(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.len() * 2 - 1);
    for (i, &b) in p.iter().enumerate() {
        if i > 0 {
            out.push(0);
        }
        out.push(b);
    }
    out
}

/// The base64 characters fully determined by `p` when `p` starts `offset` bytes into a
/// 3-byte group.
pub(crate) fn base64_pattern(p: &[u8], offset: usize) -> Vec<u8> {
    let first_bit = offset * 8;
    let end_bit = first_bit + p.len() * 8;
    // Bit stream of `offset` zero bytes followed by `p`.
    let bit = |i: usize| -> u8 {
        if i < first_bit {
            0
        } else {
            let j = i - first_bit;
            (p[j / 8] >> (7 - j % 8)) & 1
        }
    };
    (0..)
        .map(|c| c * 6)
        .skip_while(|&start| start < first_bit)
        .take_while(|&start| start + 6 <= end_bit)
        .map(|start| {
            let v = (0..6).fold(0usize, |acc, k| (acc << 1) | usize::from(bit(start + k)));
            BASE64_ALPHABET[v]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_patterns_match_real_encodings() {
        // base64("AKIA") = "QUtJQQ==": the first five characters depend on "AKIA" alone.
        assert_eq!(base64_pattern(b"AKIA", 0), b"QUtJQ");
        assert_eq!(base64_pattern(b"AKIA", 1).len(), 4);
        assert_eq!(base64_pattern(b"AKIA", 2).len(), 5);
        // base64("xAKIA") = "eEFLSUE=", base64("xxAKIA") = "eHhBS0lB".
        assert!(b"eEFLSUE="
            .windows(4)
            .any(|w| w == base64_pattern(b"AKIA", 1)));
        assert!(b"eHhBS0lB"
            .windows(5)
            .any(|w| w == base64_pattern(b"AKIA", 2)));
    }

    #[test]
    fn every_start_is_reported_even_when_overlapping() {
        let f = AnchorFinder::new();
        let a = f.find(b"xx ACCACCA ASIAKIA secretSecret", true);
        assert_eq!(a.key_ids, vec![3, 6, 11, 14]);
        assert_eq!(a.secret_words, vec![19, 25]);
    }
}
