//! Finds the places worth a closer look: one Aho-Corasick pass over 32 literal anchors.
//!
//! # Contract
//!
//! The prefilter may report anchors that lead nowhere; it must never miss one that leads to
//! a finding. Every finding starts from an anchor:
//! - a key ID starts with one of its four prefixes (`AKIA`, `ASIA`, `ABIA`, `ACCA`);
//! - a secret found without a key ID is named by a word containing `secret`, `Secret` or
//!   `SECRET`, or carelessly by `aws_access_key` / `AWS_ACCESS_KEY` (not followed by
//!   `_id`);
//! - UTF-16 text holds the same anchors with NUL bytes between their letters, and so one
//!   of [`decode::UTF16_SIGNS`];
//! - base64 holds a key ID's prefix as one of three fixed strings, one per alignment of
//!   the prefix within base64's 3-byte groups; base64 inside base64 is decoded inside the
//!   tokens decoded for a sign of their own (those strings, a JWT header
//!   ([`decode::JWT_SIGNS`]), a `secret` word's window, a Kubernetes `Secret`);
//! - escaped text is decoded as a whole when it holds one of [`escapes::SIGNS`], and
//!   quoted-printable parts from each of [`quoted_printable::SIGNS`]: those decoders are
//!   defined by their signs, whichever way the signs are found.
//!
//! Secrets next to a key ID need no anchor of their own: they are looked for around the
//! key ID. `tests/rules.rs::prefilter_on_and_off_give_identical_findings` (and its random
//! sibling there) checks the contract by scanning a corpus with the prefilter and with the
//! exhaustive [`Prefilter::Off`](crate::Prefilter::Off) path, [`reference`], which looks at
//! every position and decodes every UTF-16 run and every base64 token, and demands identical
//! findings.
//!
//! # Cost
//!
//! On text without anchors the scan costs this one pass. `aho-corasick` runs it with Teddy
//! (SIMD over the first four bytes of each literal), whose slim form serves at most 32
//! literals, all at least four bytes long: a 33rd literal (fat Teddy) or a shorter one costs
//! 30-70 % of the pass on source code. Teddy puts literal `i` in bucket `7 - i % 8`, and
//! literals that share a bucket match each other's byte combinations, so [`LITERALS`] are
//! listed in the order that, on source code, HTML and JSON, makes the fewest false
//! candidates (found by search over orders; see `DESIGN.md`).

pub(crate) mod reference;

use aho_corasick::{AhoCorasick, Input, MatchKind};

use crate::decode::{self, escapes, quoted_printable};
use crate::rules::{self, ACCESS_KEY_WORDS, KEY_ID_PREFIXES, SECRET_WORDS};

/// What an anchor is a sign of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    KeyId,
    SecretWord,
    Utf16,
    Base64,
    Jwt,
    Escape,
    QuotedPrintable,
    AccessKeyWord,
}

/// Positions of anchors in one haystack, by kind, each list ascending.
#[derive(Debug, Default)]
pub(crate) struct Anchors {
    pub(crate) key_ids: Vec<usize>,
    pub(crate) secret_words: Vec<usize>,
    pub(crate) utf16: Vec<usize>,
    pub(crate) base64: Vec<usize>,
    pub(crate) jwt: Vec<usize>,
    pub(crate) escapes: Vec<usize>,
    pub(crate) quoted_printable: Vec<usize>,
    /// Careless names of a secret (`aws_access_key`), which open windows as `secret` words
    /// do.
    pub(crate) access_key_words: Vec<usize>,
}

impl Anchors {
    pub(crate) fn is_empty(&self) -> bool {
        self.key_ids.is_empty()
            && self.secret_words.is_empty()
            && self.utf16.is_empty()
            && self.base64.is_empty()
            && self.jwt.is_empty()
            && self.escapes.is_empty()
            && self.quoted_printable.is_empty()
            && self.access_key_words.is_empty()
    }

    /// Where values named as secrets are looked for: `secret` words and careless names, in
    /// order.
    pub(crate) fn name_words(&self) -> Vec<usize> {
        let mut words = self.secret_words.clone();
        words.extend_from_slice(&self.access_key_words);
        words.sort_unstable();
        words
    }

    fn list(&mut self, kind: Anchor) -> &mut Vec<usize> {
        match kind {
            Anchor::KeyId => &mut self.key_ids,
            Anchor::SecretWord => &mut self.secret_words,
            Anchor::Utf16 => &mut self.utf16,
            Anchor::Base64 => &mut self.base64,
            Anchor::Jwt => &mut self.jwt,
            Anchor::Escape => &mut self.escapes,
            Anchor::QuotedPrintable => &mut self.quoted_printable,
            Anchor::AccessKeyWord => &mut self.access_key_words,
        }
    }
}

/// The anchor literals, in the order the automaton is built with (see the module's
/// `# Cost`). `literals_are_every_sign_once` checks that they are exactly the signs the
/// rules and decoders define.
const LITERALS: [(&[u8], Anchor); 32] = [
    (b"FDQ0", Anchor::Base64),
    (b"FTSU", Anchor::Base64),
    (b"BQklB", Anchor::Base64),
    (b"BU0lB", Anchor::Base64),
    (escapes::SIGNS[3], Anchor::Escape),
    (SECRET_WORDS[1], Anchor::SecretWord),
    (ACCESS_KEY_WORDS[1], Anchor::AccessKeyWord),
    (decode::UTF16_SIGNS[3], Anchor::Utf16),
    (escapes::SIGNS[1], Anchor::Escape),
    (b"FLSU", Anchor::Base64),
    (b"QUtJQ", Anchor::Base64),
    (b"BS0lB", Anchor::Base64),
    (KEY_ID_PREFIXES[2], Anchor::KeyId),
    (SECRET_WORDS[2], Anchor::SecretWord),
    (b"QVNJQ", Anchor::Base64),
    (KEY_ID_PREFIXES[1], Anchor::KeyId),
    (escapes::SIGNS[2], Anchor::Escape),
    (b"FCSU", Anchor::Base64),
    (escapes::SIGNS[0], Anchor::Escape),
    (decode::UTF16_SIGNS[0], Anchor::Utf16),
    (KEY_ID_PREFIXES[0], Anchor::KeyId),
    (decode::UTF16_SIGNS[2], Anchor::Utf16),
    (b"QUJJQ", Anchor::Base64),
    (KEY_ID_PREFIXES[3], Anchor::KeyId),
    (escapes::SIGNS[4], Anchor::Escape),
    (decode::UTF16_SIGNS[1], Anchor::Utf16),
    (b"BQ0NB", Anchor::Base64),
    (decode::JWT_SIGNS[0], Anchor::Jwt),
    (quoted_printable::SIGNS[0], Anchor::QuotedPrintable),
    (SECRET_WORDS[0], Anchor::SecretWord),
    (ACCESS_KEY_WORDS[0], Anchor::AccessKeyWord),
    (b"QUNDQ", Anchor::Base64),
];

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
    pub(crate) fn find(&self, haystack: &[u8]) -> Anchors {
        let mut anchors = Anchors::default();
        let mut at = 0;
        while let Some(m) = self.ac.find(Input::new(haystack).span(at..haystack.len())) {
            let kind = self.kinds[m.pattern().as_usize()];
            if kind != Anchor::AccessKeyWord || rules::access_key_word_at(haystack, m.start()) {
                anchors.list(kind).push(m.start());
            }
            // Restart just after the match start, not its end: anchors may overlap
            // ("ASIAKIA..."), and the contract is to report every start.
            at = m.start() + 1;
        }
        anchors
    }
}

/// The anchor literals and what each is a sign of, in automaton order.
pub(crate) fn anchor_patterns() -> (Vec<Vec<u8>>, Vec<Anchor>) {
    LITERALS.iter().map(|&(p, k)| (p.to_vec(), k)).unzip()
}

/// Every literal of `kind` (for the exhaustive reference).
pub(crate) fn literals_of(kind: Anchor) -> impl Iterator<Item = &'static [u8]> {
    LITERALS
        .iter()
        .filter(move |&&(_, k)| k == kind)
        .map(|&(p, _)| p)
}

/// The base64 characters fully determined by `p` when `p` starts `offset` bytes into a
/// 3-byte group: the base64 literals of [`LITERALS`].
#[cfg(test)]
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
            decode::BASE64_ALPHABET[v]
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
    fn literals_are_every_sign_once() {
        let mut want: Vec<(Vec<u8>, Anchor)> = Vec::new();
        for p in KEY_ID_PREFIXES {
            want.push((p.to_vec(), Anchor::KeyId));
            for offset in 0..3 {
                want.push((base64_pattern(p, offset), Anchor::Base64));
            }
        }
        want.extend(
            SECRET_WORDS
                .iter()
                .map(|w| (w.to_vec(), Anchor::SecretWord)),
        );
        want.extend(
            decode::UTF16_SIGNS
                .iter()
                .map(|w| (w.to_vec(), Anchor::Utf16)),
        );
        want.extend(decode::JWT_SIGNS.iter().map(|w| (w.to_vec(), Anchor::Jwt)));
        want.extend(escapes::SIGNS.iter().map(|w| (w.to_vec(), Anchor::Escape)));
        want.extend(
            quoted_printable::SIGNS
                .iter()
                .map(|w| (w.to_vec(), Anchor::QuotedPrintable)),
        );
        want.extend(
            ACCESS_KEY_WORDS
                .iter()
                .map(|w| (w.to_vec(), Anchor::AccessKeyWord)),
        );
        let mut got: Vec<(Vec<u8>, Anchor)> =
            LITERALS.iter().map(|&(p, k)| (p.to_vec(), k)).collect();
        let key = |x: &(Vec<u8>, Anchor)| (x.0.clone(), format!("{:?}", x.1));
        want.sort_by_key(key);
        got.sort_by_key(key);
        assert_eq!(got, want);
        // Slim Teddy: at most 32 literals of at least four bytes.
        assert!(LITERALS.len() <= 32 && LITERALS.iter().all(|(p, _)| p.len() >= 4));
    }

    #[test]
    fn every_start_is_reported_even_when_overlapping() {
        let f = AnchorFinder::new();
        let a = f.find(b"xx ACCACCA ASIAKIA secretSecret");
        assert_eq!(a.key_ids, vec![3, 6, 11, 14]);
        assert_eq!(a.secret_words, vec![19, 25]);
    }
}
