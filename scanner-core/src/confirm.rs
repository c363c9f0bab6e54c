//! Confirms candidates at and around anchors: whole-token key IDs, secret-shaped runs in
//! their escaped forms, and the labels that name them. All work is bounded by the window
//! it is given.
//!
//! What a key ID, a secret and each kind of label look like is data: the regular
//! expressions of `rules/patterns.txt`, compiled here once into [`Patterns`]. What stays
//! code is what regular expressions cannot say or would say slowly: the token boundary
//! around a key ID (it looks at the bytes before the match, escape-aware), the scan of a
//! window for runs of the secret alphabet with escapes decoded, and the randomness test of
//! a secret (see `DESIGN.md` for the figures).

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::error::Error;
use crate::finding::{Encoding, Span};
use crate::rules::{self, is_secret_char, LabelClass, LabelKind, Role, KEY_ID_LEN, SECRET_LEN};

mod bodies;
mod labels;

pub(crate) use bodies::Bodies;
pub(crate) use labels::{has_aws_context, label_before, normalize_label};

/// Compiled size limit of one pattern set. The built-in patterns need a few KiB; the limit
/// bounds what a user's label patterns may cost.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// The regular expressions of the confirm stage, compiled.
///
/// Cloning shares the compiled expressions; each clone has its own matching caches.
#[derive(Clone, Debug)]
pub(crate) struct Patterns {
    key_id: Regex,
    impossible_key_id: Regex,
    secret: Regex,
    root_label: Regex,
    root_comment: Regex,
    root_header: Regex,
    labels: LabelSet,
    /// Label patterns added by the user, consulted before the built-in ones.
    user_labels: Option<LabelSet>,
}

/// Label patterns as one [`RegexSet`], ordered by the precedence of their kinds so that the
/// first pattern that matches decides.
#[derive(Clone, Debug)]
pub(crate) struct LabelSet {
    set: RegexSet,
    kinds: Vec<LabelKind>,
}

impl LabelSet {
    /// Compiles `patterns`. Label patterns ignore (ASCII) case: labels are lower-cased
    /// before they are matched, and a pattern written in another case should still mean
    /// what it says. Labels are ASCII, so Unicode classes would only cost.
    fn new<'a>(
        patterns: impl IntoIterator<Item = (LabelKind, &'a str)>,
    ) -> Result<LabelSet, regex::Error> {
        let mut patterns: Vec<(LabelKind, &str)> = patterns.into_iter().collect();
        patterns.sort_by_key(|&(kind, _)| kind);
        let set = RegexSetBuilder::new(patterns.iter().map(|&(_, p)| p))
            .unicode(false)
            .case_insensitive(true)
            .size_limit(PATTERN_SIZE_LIMIT)
            .build()?;
        Ok(LabelSet {
            set,
            kinds: patterns.into_iter().map(|(kind, _)| kind).collect(),
        })
    }

    /// The kind of the first pattern (in precedence order) that matches `norm`.
    fn classify(&self, norm: &[u8]) -> Option<LabelKind> {
        // A fixed buffer for the usual handful of patterns spares an allocation per label.
        let mut small = [false; 32];
        let mut large = Vec::new();
        let matched: &mut [bool] = if self.kinds.len() <= small.len() {
            &mut small[..self.kinds.len()]
        } else {
            large.resize(self.kinds.len(), false);
            &mut large
        };
        if !self.set.matches_read_at(matched, norm, 0) {
            return None;
        }
        matched.iter().position(|&m| m).map(|i| self.kinds[i])
    }
}

/// The user's label patterns, compiled as they are added so that a bad one is reported at
/// once, with its text.
#[derive(Clone, Debug, Default)]
pub(crate) struct UserLabels {
    patterns: Vec<(LabelKind, String)>,
    compiled: Option<LabelSet>,
}

impl UserLabels {
    /// Adds a pattern; on error nothing is added.
    pub(crate) fn add(&mut self, kind: LabelKind, pattern: &str) -> Result<(), Error> {
        let all = self
            .patterns
            .iter()
            .map(|(k, p)| (*k, p.as_str()))
            .chain([(kind, pattern)]);
        let compiled = LabelSet::new(all).map_err(|e| Error::invalid_pattern(kind, pattern, &e))?;
        self.patterns.push((kind, pattern.to_string()));
        self.compiled = Some(compiled);
        Ok(())
    }
}

impl Patterns {
    /// The built-in patterns with the user's label patterns.
    pub(crate) fn new(user: &UserLabels) -> Patterns {
        let mut p = Patterns::builtin().clone();
        p.user_labels = user.compiled.clone();
        p
    }

    /// The patterns of `rules/patterns.txt`, compiled the first time they are needed.
    pub(crate) fn builtin() -> &'static Patterns {
        static BUILTIN: OnceLock<Patterns> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Patterns::compile()
                .expect("the built-in patterns compile, because a unit test compiles them")
        })
    }

    fn compile() -> Result<Patterns, String> {
        let specs = rules::pattern_specs();
        let shape = |role: Role| -> Result<Regex, String> {
            let mut it = specs.iter().filter(|s| s.role == role);
            let (Some(spec), None) = (it.next(), it.next()) else {
                return Err(format!("exactly one {role:?} pattern"));
            };
            RegexBuilder::new(spec.regex)
                .unicode(false)
                .build()
                .map_err(|e| format!("{}: {e}", spec.name))
        };
        let labels = LabelSet::new(specs.iter().filter_map(|s| match s.role {
            Role::Label(kind) => Some((kind, s.regex)),
            _ => None,
        }))
        .map_err(|e| e.to_string())?;
        Ok(Patterns {
            key_id: shape(Role::KeyId)?,
            impossible_key_id: shape(Role::ImpossibleKeyId)?,
            secret: shape(Role::Secret)?,
            root_label: shape(Role::RootLabel)?,
            root_comment: shape(Role::RootComment)?,
            root_header: shape(Role::RootHeader)?,
            labels,
            user_labels: None,
        })
    }

    /// Whether `bytes` are a key ID, by the `key-id` pattern alone (no boundary).
    pub(crate) fn is_key_id(&self, bytes: &[u8]) -> bool {
        self.key_id.is_match(bytes)
    }

    /// The key ID starting at `pos`, if it is a whole token: the `key-id` pattern, and no
    /// letter or digit glued on either side. `Some((span, false))` for a key ID,
    /// `Some((span, true))` for the shape of one that AWS cannot issue (the
    /// `impossible-key-id` pattern: a `0`, `1`, `8` or `9` in its base32 body), which only
    /// ever marks the secret it pairs with as made up.
    pub(crate) fn key_id_at(&self, text: &[u8], pos: usize) -> Option<(Span, bool)> {
        let end = pos + KEY_ID_LEN;
        let cand = text.get(pos..end)?;
        // The boundary first: it is a few byte comparisons, and in source code most
        // rejected anchors are glued into longer tokens.
        // A length-prefixed string (Python's marshal format in `.pyc` files, Java class
        // files) ends where its length says, whatever byte follows.
        let length_prefixed = pos > 0 && usize::from(text[pos - 1]) == KEY_ID_LEN;
        if !boundary_before(text, pos)
            || (!length_prefixed && text.get(end).is_some_and(u8::is_ascii_alphanumeric))
        {
            return None;
        }
        let span = Span::new(pos, end);
        if self.key_id.is_match(cand) {
            return Some((span, false));
        }
        // Most rejected candidates are short or glued, not made up: look for the digits
        // base32 lacks before asking the pattern.
        let digit_outside_base32 = cand[4..]
            .iter()
            .any(|b| matches!(b, b'0' | b'1' | b'8' | b'9'));
        (digit_outside_base32 && self.impossible_key_id.is_match(cand)).then_some((span, true))
    }

    /// The secret a run stands for, decoding a base64-wrapped one, if it has the shape of a
    /// secret and looks random.
    pub(crate) fn secret_value(&self, run: &Run) -> Option<(Vec<u8>, Encoding)> {
        let plausible = |s: &[u8]| self.secret.is_match(s) && rules::looks_random(s);
        match run.value.len() {
            SECRET_LEN if plausible(&run.value) => Some((run.value.clone(), run.encoding)),
            BASE64_SECRET_LEN if run.encoding == Encoding::Plain => {
                let decoded = crate::decode::base64(&run.value)?;
                plausible(&decoded).then_some((decoded, Encoding::Base64))
            }
            _ => None,
        }
    }

    /// Whether a key's or secret's label calls it a root user's (`ROOT_AWS_ACCESS_KEY_ID`,
    /// `aws_root_access_key`).
    pub(crate) fn is_root_label(&self, label: &str) -> bool {
        contains_root(label.as_bytes())
            && self
                .root_label
                .is_match(rules::label_words(label).join("_").as_bytes())
    }

    /// Whether a comment calls the keys near it a root user's (`# root account keys`).
    pub(crate) fn is_root_comment(&self, comment: &[u8]) -> bool {
        contains_root(comment) && self.root_comment.is_match(&comment.to_ascii_lowercase())
    }

    /// Whether a header row is the console's root key download's.
    pub(crate) fn is_root_header(&self, header: &[u8]) -> bool {
        self.root_header
            .is_match(&header.trim_ascii().to_ascii_lowercase())
    }

    /// What a label names, from its letters and digits (see [`normalize_label`]): the
    /// user's patterns first, then the built-in vocabulary.
    pub(crate) fn classify_label(&self, label: &[u8]) -> LabelClass {
        let norm = normalize_label(label);
        let kind = self
            .user_labels
            .as_ref()
            .and_then(|u| u.classify(&norm))
            .or_else(|| self.labels.classify(&norm));
        LabelClass::from(kind)
    }
}

/// Whether `text` holds "root" in any case: what every root hint holds, checked before
/// the hint's pattern.
pub(crate) fn contains_root(text: &[u8]) -> bool {
    text.windows(4).any(|w| {
        (w[0] | 0x20) == b'r'
            && (w[1] | 0x20) == b'o'
            && (w[2] | 0x20) == b'o'
            && (w[3] | 0x20) == b't'
    })
}

/// Whether the byte before `pos` ends a token: start of input, a non-alphanumeric byte, or
/// the tail of an escape (`\n`, `%3D`, `\u0022`, `\x22`) that stands for one.
fn boundary_before(text: &[u8], pos: usize) -> bool {
    if pos == 0 {
        return true;
    }
    let prev = text[pos - 1];
    if !prev.is_ascii_alphanumeric() {
        return true;
    }
    let hex_at = |from: usize, to: usize| text[from..to].iter().all(u8::is_ascii_hexdigit);
    let escaped_separator = |from: usize, to: usize| {
        std::str::from_utf8(&text[from..to])
            .ok()
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .is_some_and(|b| !b.is_ascii_alphanumeric())
    };
    // `\nAKIA...` in a JSON string, `%3DAKIA...` in a URL, `\u0022AKIA...` in a string
    // whose quotes are escaped.
    (pos >= 2 && text[pos - 2] == b'\\' && prev.is_ascii_lowercase())
        || (pos >= 3
            && text[pos - 3] == b'%'
            && text[pos - 2].is_ascii_hexdigit()
            && prev.is_ascii_hexdigit())
        || (pos >= 6
            && &text[pos - 6..pos - 4] == b"\\u"
            && hex_at(pos - 4, pos)
            && escaped_separator(pos - 4, pos))
        || (pos >= 4
            && &text[pos - 4..pos - 2] == b"\\x"
            && hex_at(pos - 2, pos)
            && escaped_separator(pos - 2, pos))
}

/// A maximal run of secret-alphabet characters, with escapes decoded.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub(crate) span: Span,
    /// Decoded characters.
    pub(crate) value: Vec<u8>,
    pub(crate) encoding: Encoding,
    /// `=` padding characters directly after the run (not in `span`).
    pub(crate) padding: usize,
}

/// The character at `i` if it belongs to a secret, with the number of bytes it takes:
/// plain, or `/` and `+` as escaping writes them: JSON's `\/` (with more backslashes
/// when a JSON document sits inside a JSON string: `\\\/`), `\u002F`, `\u{2F}`,
/// `\x2F`, URL encoding (`%2F`, twice: `%252F`), and character references (`&#x2F;`,
/// `&#47;`, `&sol;`, `&plus;`).
#[inline]
fn secret_char_at(text: &[u8], i: usize) -> Option<(u8, usize, Encoding)> {
    let b = text[i];
    if is_secret_char(b) {
        return Some((b, 1, Encoding::Plain));
    }
    if !matches!(b, b'\\' | b'%' | b'&') {
        return None;
    }
    escaped_secret_char(text, i)
}

/// [`secret_char_at`] for a byte that starts an escape.
#[inline(never)]
fn escaped_secret_char(text: &[u8], i: usize) -> Option<(u8, usize, Encoding)> {
    let b = text[i];
    let rest = &text[i..];
    match b {
        b'\\' => {
            let run = rest.iter().take_while(|&&c| c == b'\\').count();
            let esc = &rest[run..];
            if esc.first() == Some(&b'/') {
                return Some((b'/', run + 1, Encoding::JsonEscaped));
            }
            let (hex, len) = match esc {
                [b'u', b'0', b'0', h, l, ..] => ([*h, *l], 5),
                [b'x', h, l, ..] => ([*h, *l], 3),
                [b'u', b'{', h, l, b'}', ..] => ([*h, *l], 5),
                _ => return None,
            };
            slash_or_plus(hex).map(|c| (c, run + len, Encoding::Escaped))
        }
        b'%' => {
            let (hex, len) = match rest {
                [_, b'2', b'5', b'2', h, ..] if slash_or_plus([b'2', *h]).is_some() => (*h, 5),
                [_, b'2', h, ..] => (*h, 3),
                _ => return None,
            };
            slash_or_plus([b'2', hex]).map(|c| (c, len, Encoding::UrlEncoded))
        }
        b'&' => {
            let body = rest.get(1..rest.len().min(12))?;
            let semi = memchr::memchr(b';', body)?;
            let c = match &body[..semi] {
                b"sol" => b'/',
                b"plus" => b'+',
                [b'#', b'x' | b'X', h, l] => slash_or_plus([*h, *l])?,
                [b'#', b'0', b'0', d @ ..] | [b'#', b'0', d @ ..] | [b'#', d @ ..] => match d {
                    b"47" => b'/',
                    b"43" => b'+',
                    _ => return None,
                },
                _ => return None,
            };
            Some((c, semi + 2, Encoding::Html))
        }
        _ => None,
    }
}

/// `/` or `+` from the two hex digits of its code.
fn slash_or_plus(hex: [u8; 2]) -> Option<u8> {
    match hex {
        [b'2', b'F' | b'f'] => Some(b'/'),
        [b'2', b'B' | b'b'] => Some(b'+'),
        _ => None,
    }
}

/// Bytes to skip at a non-secret byte: a whole escape sequence, so that its tail (`n` of
/// `\n`, `3D` of `%3D`, `0022` of `\u0022`) is not taken as the start of a run.
fn boundary_len(text: &[u8], i: usize) -> usize {
    let rest = &text[i..];
    let hex = |r: &[u8]| r.iter().all(u8::is_ascii_hexdigit);
    match rest {
        [b'\\', b'u', a, b, c, d, ..] if hex(&[*a, *b, *c, *d]) => 6,
        [b'\\', b'x', a, b, ..] if hex(&[*a, *b]) => 4,
        [b'\\', _, ..] => 2,
        [b'%', a, b, ..] if hex(&[*a, *b]) => 3,
        _ => 1,
    }
}

/// Calls `f` with every run in `text[window]` whose decoded length satisfies `want_len`.
/// `window` must start at a line start, so that no run is cut at its beginning.
pub(crate) fn runs(
    text: &[u8],
    window: Span,
    want_len: impl Fn(usize) -> bool,
    mut f: impl FnMut(Run),
) {
    let end = window.end.min(text.len());
    let mut i = window.start;
    while i < end {
        // Fast path over bytes that neither belong to a run nor start an escape.
        let b = text[i];
        if !is_secret_char(b) && b != b'\\' && b != b'%' && b != b'&' {
            i += 1;
            continue;
        }
        if secret_char_at(text, i).is_none() {
            i += boundary_len(text, i);
            continue;
        }
        let start = i;
        let mut len = 0;
        let mut encoding = Encoding::Plain;
        // Runs may run past the window's end: the window bounds where runs start.
        while i < text.len() {
            // Plain characters, the common case, without the escape checks.
            let plain = text[i..].iter().take_while(|&&b| is_secret_char(b)).count();
            len += plain;
            i += plain;
            match text.get(i).and_then(|_| secret_char_at(text, i)) {
                Some((_, n, e)) => {
                    encoding = e;
                    len += 1;
                    i += n;
                }
                None => break,
            }
        }
        // Python's marshal format (`.pyc`) writes a short string as a type byte, a length
        // byte and the characters, and the next object's type byte may be a letter: a
        // 40-character string there is cut at its length.
        if len > SECRET_LEN && encoding == Encoding::Plain && is_marshal_string(text, start) {
            let end = start + SECRET_LEN;
            f(Run {
                span: Span::new(start, end),
                value: text[start..end].to_vec(),
                encoding,
                padding: 0,
            });
            continue;
        }
        if want_len(len) {
            let mut value = Vec::with_capacity(len);
            let mut j = start;
            while j < i {
                let (c, n, _) = secret_char_at(text, j).expect("decoded once already");
                value.push(c);
                j += n;
            }
            let padding = text[i..].iter().take(2).take_while(|&&b| b == b'=').count();
            f(Run {
                span: Span::new(start, i),
                value,
                encoding,
                padding,
            });
        }
    }
}

/// Whether `start` begins a marshalled short string of secret length: a string type code
/// (`z`, `Z`, `a`, `A`, `u`, `s`, `t`, possibly with the 0x80 reference flag) and the
/// length byte 40.
fn is_marshal_string(text: &[u8], start: usize) -> bool {
    start >= 2
        && usize::from(text[start - 1]) == SECRET_LEN
        && matches!(
            text[start - 2] & 0x7F,
            b'z' | b'Z' | b'a' | b'A' | b'u' | b's' | b't'
        )
}

/// Whether a run has the length of a secret or of a base64-encoded secret.
pub(crate) fn secret_sized(len: usize) -> bool {
    len == SECRET_LEN || len == BASE64_SECRET_LEN || len >= rules::MIN_SESSION_TOKEN_LEN
}

/// A 40-byte secret in base64 is 54 characters, then `==`.
pub(crate) const BASE64_SECRET_LEN: usize = 54;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ExampleClass;

    #[test]
    fn key_ids_must_be_whole_tokens() {
        let key_id_at = |text: &[u8], pos| {
            Patterns::builtin()
                .key_id_at(text, pos)
                .filter(|&(_, impossible)| !impossible)
        };
        let k = "AKIA".to_string() + "QAAAAAAAAAAAAAA2";
        assert!(key_id_at(k.as_bytes(), 0).is_some());
        for glued in [format!("x{k}"), format!("{k}Z"), format!("{k}2")] {
            let pos = glued.find("AKIA").unwrap_or(0);
            assert!(key_id_at(glued.as_bytes(), pos).is_none(), "{glued}");
        }
        for ok in [
            format!("\"{k}\""),
            format!("\\n{k}\\n"),
            format!("%3D{k}%26"),
            format!("_{k}_"),
        ] {
            let pos = ok.find("AKIA").unwrap_or(0);
            assert!(key_id_at(ok.as_bytes(), pos).is_some(), "{ok}");
        }
        let short = "AKIA".to_string() + "QAAAAAAAAAAAAAA";
        assert!(key_id_at(short.as_bytes(), 0).is_none());
        let lower = "AKIA".to_string() + "qAAAAAAAAAAAAAA2";
        assert!(key_id_at(lower.as_bytes(), 0).is_none());
    }

    #[test]
    fn runs_decode_escapes() {
        let text = b"a=abc\\/def%2Bghi\\nxyz%3Dqq";
        let mut got = Vec::new();
        runs(
            text,
            Span::new(0, text.len()),
            |_| true,
            |r| got.push((String::from_utf8(r.value).unwrap_or_default(), r.encoding)),
        );
        let values: Vec<&str> = got.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(values, ["a", "abc/def+ghi", "xyz", "qq"]);
        assert_eq!(got[1].1, Encoding::UrlEncoded);
    }

    #[test]
    fn every_pattern_example_holds() {
        let p = Patterns::compile().unwrap_or_else(|e| panic!("{e}"));
        let mut failures = Vec::new();
        for spec in rules::pattern_specs() {
            for &(class, text) in &spec.examples {
                let matched = match spec.role {
                    Role::KeyId => p.key_id.is_match(text.as_bytes()),
                    Role::ImpossibleKeyId => p.impossible_key_id.is_match(text.as_bytes()),
                    Role::RootLabel => p.is_root_label(text),
                    Role::RootComment => p.is_root_comment(text.as_bytes()),
                    Role::RootHeader => p.is_root_header(text.as_bytes()),
                    Role::Secret => p.secret.is_match(text.as_bytes()),
                    Role::Label(_) => {
                        // The pattern alone, compiled as the set compiles it.
                        let one = LabelSet::new([(LabelKind::Secret, spec.regex)])
                            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
                        one.classify(&normalize_label(text.as_bytes())).is_some()
                    }
                };
                if matched != (class == ExampleClass::Positive) {
                    failures.push(format!("{} {class:?} {text:?}", spec.name));
                }
            }
        }
        assert!(failures.is_empty(), "examples that fail: {failures:#?}");
    }

    #[test]
    fn label_positives_are_classified_as_their_kind() {
        let p = Patterns::builtin();
        for spec in rules::pattern_specs() {
            let Role::Label(kind) = spec.role else {
                continue;
            };
            for &(class, text) in &spec.examples {
                if class == ExampleClass::Positive {
                    assert_eq!(
                        p.classify_label(text.as_bytes()),
                        LabelClass::from(Some(kind)),
                        "{}: {text:?}",
                        spec.name
                    );
                }
            }
        }
        assert_eq!(p.classify_label(b"value"), LabelClass::Other);
    }

    #[test]
    fn the_key_id_pattern_accepts_only_prefilter_prefixes_and_base32() {
        // The prefilter's contract needs every key ID the pattern accepts to start with one
        // of its key ID literals: checked for every prefix of four upper-case letters or
        // digits (what key IDs are made of), and for every byte in each place of a real one.
        let p = Patterns::builtin();
        let accepted = |prefix: &[u8]| {
            let mut cand = *b"AKIAQQQQQQQQQQQQQQQQ";
            cand[..4].copy_from_slice(prefix);
            p.is_key_id(&cand)
        };
        let is_prefix = |prefix: &[u8]| rules::KEY_ID_PREFIXES.iter().any(|k| k[..] == *prefix);
        let chars: Vec<u8> = (b'A'..=b'Z').chain(b'0'..=b'9').collect();
        for &a in &chars {
            for &b in &chars {
                for &c in &chars {
                    for &d in &chars {
                        let prefix = [a, b, c, d];
                        assert_eq!(accepted(&prefix), is_prefix(&prefix), "{prefix:?}");
                    }
                }
            }
        }
        for real in rules::KEY_ID_PREFIXES {
            for at in 0..4 {
                for byte in 0..=255u8 {
                    let mut prefix = *real;
                    prefix[at] = byte;
                    assert_eq!(accepted(&prefix), is_prefix(&prefix), "{prefix:?}");
                }
            }
        }
        // The body is RFC 4648 base32.
        for byte in 0..=255u8 {
            let mut cand = *b"AKIAQQQQQQQQQQQQQQQQ";
            cand[4..].fill(byte);
            let base32 = byte.is_ascii_uppercase() || (b'2'..=b'7').contains(&byte);
            assert_eq!(p.is_key_id(&cand), base32, "{byte}");
        }
    }

    #[test]
    fn the_secret_pattern_is_the_tokenizer_alphabet() {
        // Runs are cut with `is_secret_char`; the pattern must accept exactly those bytes.
        let p = Patterns::builtin();
        for byte in 0..=255u8 {
            assert_eq!(
                p.secret.is_match(&[byte; SECRET_LEN]),
                is_secret_char(byte),
                "{byte}"
            );
        }
    }

    #[test]
    fn user_label_patterns_come_first_and_bad_ones_are_named() {
        let mut user = UserLabels::default();
        user.add(LabelKind::AwsSecret, "^corp_?vault_?key$")
            .unwrap_or_else(|e| panic!("{e}"));
        user.add(LabelKind::NotSecret, "webhooksecret")
            .unwrap_or_else(|e| panic!("{e}"));
        let p = Patterns::new(&user);
        assert_eq!(p.classify_label(b"CORP_VAULT_KEY"), LabelClass::AwsSecret);
        assert_eq!(p.classify_label(b"corpVaultKey"), LabelClass::AwsSecret);
        assert_eq!(
            p.classify_label(b"github_webhook_secret"),
            LabelClass::NotSecret
        );
        assert_eq!(
            Patterns::builtin().classify_label(b"github_webhook_secret"),
            LabelClass::Secret
        );
        let err = user
            .add(LabelKind::Secret, "vault(")
            .expect_err("an open group");
        assert_eq!(err.kind(), crate::ErrorKind::InvalidPattern);
        assert!(err.to_string().contains("vault("), "{err}");
        assert_eq!(user.patterns.len(), 2);
    }
}
