//! The [`Scanner`]: configuration frozen at build time, and the pipeline that turns bytes
//! into findings: anchors -> candidates -> secrets around them -> pairing -> facts.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::confirm::{self, Run};
use crate::decode;
use crate::enrich;
use crate::error::Error;
use crate::finding::{
    AccountId, Encoding, Facts, Finding, Fingerprint, KeyId, Kind, Location, Secret, Span,
};
use crate::pair::{self, Item, Structure};
use crate::prefilter::{AnchorFinder, Anchors};
use crate::rules::{self, classify_label, label_qualifier, Examples, LabelClass};

/// Whether documentation examples and placeholders are reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExamplePolicy {
    /// Drop findings made of AWS documentation example keys or obvious placeholders.
    #[default]
    Suppress,
    /// Report them, at severity [`Severity::Info`](crate::Severity::Info).
    Report,
}

/// How candidates are found. [`Prefilter::On`] is the product; [`Prefilter::Off`] exists
/// to check it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Prefilter {
    /// Look only where literal anchors are (fast).
    #[default]
    On,
    /// Look everywhere: every position for a key ID, every UTF-16 run and every base64
    /// token decoded. Many times slower; gives the same findings by contract.
    Off,
}

/// Builds a [`Scanner`].
#[derive(Clone, Debug, Default)]
pub struct ScannerBuilder {
    examples: ExamplePolicy,
    own_accounts: HashSet<AccountId>,
    canary_accounts: HashSet<AccountId>,
    prefilter: Prefilter,
    allow_comments: AllowComments,
}

/// Whether a `leakscan:allow` comment on a credential's line suppresses it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AllowComments {
    /// A line holding `leakscan:allow` reports no credential on it (default).
    #[default]
    Honour,
    /// Report every credential (audits of what was allowed).
    Ignore,
}

/// The marker that allows the credentials on its line.
pub const ALLOW_MARKER: &str = "leakscan:allow";

impl ScannerBuilder {
    /// Whether documentation examples and placeholders are reported (default: suppressed).
    pub fn examples(mut self, policy: ExamplePolicy) -> Self {
        self.examples = policy;
        self
    }

    /// Accounts that are yours: credentials of these accounts are raised in severity.
    pub fn own_accounts(mut self, accounts: impl IntoIterator<Item = AccountId>) -> Self {
        self.own_accounts.extend(accounts);
        self
    }

    /// More canary-token accounts, beyond the built-in list: their keys are flagged as
    /// tripwires and reported at low severity.
    pub fn canary_accounts(mut self, accounts: impl IntoIterator<Item = AccountId>) -> Self {
        self.canary_accounts.extend(accounts);
        self
    }

    /// Whether `leakscan:allow` comments suppress credentials (default: they do).
    pub fn allow_comments(mut self, policy: AllowComments) -> Self {
        self.allow_comments = policy;
        self
    }

    /// How candidates are found (default: [`Prefilter::On`]).
    pub fn prefilter(mut self, prefilter: Prefilter) -> Self {
        self.prefilter = prefilter;
        self
    }

    /// Freezes the configuration.
    pub fn build(self) -> Scanner {
        Scanner {
            inner: Arc::new(Inner {
                finder: AnchorFinder::new(),
                examples: self.examples,
                own_accounts: self.own_accounts,
                canary_accounts: self.canary_accounts,
                prefilter: self.prefilter,
                allow_comments: self.allow_comments,
            }),
        }
    }
}

/// Finds AWS credentials in bytes. Immutable, `Send + Sync`, and cheap to clone: build one
/// and share it between threads.
#[derive(Clone, Debug)]
pub struct Scanner {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    finder: AnchorFinder,
    examples: ExamplePolicy,
    own_accounts: HashSet<AccountId>,
    canary_accounts: HashSet<AccountId>,
    prefilter: Prefilter,
    allow_comments: AllowComments,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::builder().build()
    }
}

/// Memory-map files from this size on; below it, reading is cheaper than mapping.
const MMAP_THRESHOLD: u64 = 1 << 20;

/// A finding inside one decoded text, before facts and locations.
#[derive(Clone, Debug)]
struct Raw {
    kind: Kind,
    key: Option<String>,
    key_span: Option<Span>,
    secret: Option<String>,
    secret_span: Option<Span>,
    token: Option<String>,
    encoding: Encoding,
    likely_root: bool,
    /// Other plausible secrets near the key of a pair, nearest first.
    other_secrets: Vec<String>,
}

impl Raw {
    fn primary(&self) -> Span {
        self.key_span
            .or(self.secret_span)
            .expect("a finding has a key or a secret position")
    }

    fn map_spans(&mut self, f: impl Fn(Span) -> Span) {
        self.key_span = self.key_span.map(&f);
        self.secret_span = self.secret_span.map(&f);
    }
}

#[derive(Clone, Debug)]
struct KeyCand {
    span: Span,
    value: String,
    encoding: Encoding,
    label: Option<String>,
}

#[derive(Clone, Debug)]
struct SecretCand {
    span: Span,
    value: String,
    encoding: Encoding,
    label: Option<String>,
    class: Option<LabelClass>,
}

impl Scanner {
    /// A builder with default settings.
    pub fn builder() -> ScannerBuilder {
        ScannerBuilder::default()
    }

    /// Scans bytes and returns the credentials in them, ordered by position.
    ///
    /// Any bytes are accepted: text in any encoding, binary files, truncated data.
    pub fn scan(&self, haystack: &[u8]) -> Vec<Finding> {
        let inner = &*self.inner;
        let anchors = match inner.prefilter {
            Prefilter::On => inner.finder.find(haystack, true),
            Prefilter::Off => exhaustive_anchors(haystack),
        };
        if inner.prefilter == Prefilter::On && anchors.is_empty() {
            return Vec::new();
        }
        let mut raws = Vec::new();
        self.scan_text(haystack, &anchors, true, &mut raws);

        let regions: Vec<decode::Utf16Region> = match inner.prefilter {
            Prefilter::On => {
                let mut regions: Vec<decode::Utf16Region> = Vec::new();
                for &at in &anchors.utf16 {
                    // Anchors ascend: one inside the last region adds nothing.
                    if regions.last().is_some_and(|r| at < r.covers().end) {
                        continue;
                    }
                    regions.push(decode::utf16_region(haystack, at));
                }
                regions
            }
            Prefilter::Off => decode::all_utf16_regions(haystack, 4),
        };
        for region in regions {
            let anchors = self.plain_anchors(&region.narrow);
            let mut sub = Vec::new();
            self.scan_text(&region.narrow, &anchors, false, &mut sub);
            for mut raw in sub {
                raw.map_spans(|s| region.map(s));
                raw.encoding = region.encoding;
                raws.push(raw);
            }
        }
        self.finish(haystack, raws)
    }

    /// Reads `reader` to its end and scans what it read. Chunk boundaries never matter: the
    /// findings are those of [`Scanner::scan`] over all the bytes.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Io`](crate::ErrorKind::Io) error if reading fails.
    pub fn scan_reader<R: Read>(&self, mut reader: R) -> Result<Vec<Finding>, Error> {
        let mut buf = Vec::new();
        reader
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(None, e))?;
        Ok(self.scan(&buf))
    }

    /// Scans a file, memory-mapping it when it is large.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Io`](crate::ErrorKind::Io) error, carrying the path, if the file
    /// cannot be opened or read.
    pub fn scan_file(&self, path: &Path) -> Result<Vec<Finding>, Error> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(Some(path), e))?;
        let len = file.metadata().map_err(|e| Error::io(Some(path), e))?.len();
        if len >= MMAP_THRESHOLD {
            let map = map_file(&file).map_err(|e| Error::io(Some(path), e))?;
            return Ok(self.scan(&map));
        }
        let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        (&file)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(Some(path), e))?;
        Ok(self.scan(&buf))
    }

    /// Anchors of a decoded text: no further decoding inside it.
    fn plain_anchors(&self, text: &[u8]) -> Anchors {
        match self.inner.prefilter {
            Prefilter::On => self.inner.finder.find(text, false),
            Prefilter::Off => {
                let mut a = exhaustive_anchors(text);
                a.utf16.clear();
                a.base64.clear();
                a
            }
        }
    }

    /// Finds credentials in one text (the input, or a decoded part of it). Spans are in
    /// `text`'s coordinates.
    fn scan_text(&self, text: &[u8], anchors: &Anchors, decode_base64: bool, out: &mut Vec<Raw>) {
        let mut keys: Vec<KeyCand> = anchors
            .key_ids
            .iter()
            .filter_map(|&p| confirm::key_id_at(text, p))
            .map(|span| KeyCand {
                span,
                value: String::from_utf8_lossy(&text[span.start..span.end]).into_owned(),
                encoding: Encoding::Plain,
                label: label_text(text, span.start),
            })
            .collect();

        if decode_base64 {
            self.scan_base64_tokens(text, anchors, &mut keys, out);
        }
        if keys.is_empty() && anchors.secret_words.is_empty() {
            return;
        }
        keys.sort_by_key(|k| k.span);
        keys.dedup_by(|a, b| a.span == b.span && a.value == b.value);

        let (secrets, tokens, windows) = find_secrets(text, &keys, &anchors.secret_words);
        if keys.is_empty() && secrets.is_empty() {
            return;
        }
        let honour_allow = self.inner.allow_comments == AllowComments::Honour;
        emit(text, &keys, &secrets, &tokens, &windows, honour_allow, out);
    }

    /// Decodes the base64 tokens that may hold a key ID. Findings inside a token are
    /// complete when the token holds a whole credential file; a token that holds only a key
    /// ID (a Kubernetes `Secret`'s data field) becomes a key candidate of the outer text,
    /// so that it can pair with a secret in a neighbouring field.
    fn scan_base64_tokens(
        &self,
        text: &[u8],
        anchors: &Anchors,
        keys: &mut Vec<KeyCand>,
        out: &mut Vec<Raw>,
    ) {
        let tokens: Vec<Span> = match self.inner.prefilter {
            Prefilter::On => {
                let mut t: Vec<Span> = Vec::new();
                for &p in &anchors.base64 {
                    // Anchors ascend: one inside the last token is the same token, and
                    // finding its bounds again would make a long token cost quadratic time.
                    if t.last().is_some_and(|last| p < last.end) {
                        continue;
                    }
                    t.push(decode::base64_token_around(text, p));
                }
                t
            }
            Prefilter::Off => all_base64_tokens(text),
        };
        for token in tokens {
            if token.len() < decode::MIN_BASE64_KEY_TOKEN {
                continue;
            }
            let Some(decoded) = decode::base64(&text[token.start..token.end]) else {
                continue;
            };
            let inner_anchors = self.plain_anchors(&decoded);
            if inner_anchors.key_ids.is_empty() {
                continue;
            }
            let mut inner = Vec::new();
            self.scan_text(&decoded, &inner_anchors, false, &mut inner);
            for mut raw in inner {
                if raw.kind == Kind::KeyId {
                    if let Some(value) = raw.key {
                        keys.push(KeyCand {
                            span: token,
                            value,
                            encoding: Encoding::Base64,
                            label: label_text(text, token.start),
                        });
                    }
                    continue;
                }
                raw.map_spans(|_| token);
                raw.encoding = Encoding::Base64;
                out.push(raw);
            }
        }
    }

    /// Facts, severity, fingerprint and location for each raw finding.
    fn finish(&self, haystack: &[u8], mut raws: Vec<Raw>) -> Vec<Finding> {
        let examples = Examples::get();
        raws.sort_by_key(Raw::primary);
        let lines = Locator::new(
            haystack,
            raws.iter()
                .flat_map(|r| [r.key_span, r.secret_span])
                .flatten(),
        );
        let mut findings: Vec<Finding> = Vec::with_capacity(raws.len());
        for raw in raws {
            let key_id = raw.key.clone().map(KeyId::new_unchecked);
            let secret = raw.secret.clone().map(Secret::new);
            let mut facts = Facts::default();
            if let Some(k) = &key_id {
                facts.key_type = Some(k.key_type());
                facts.account_id = k.account_id();
                facts.example = examples.key_id(k.as_str());
            }
            if let Some(s) = &secret {
                facts.example = facts.example.or(examples.secret(s.expose()));
            }
            if facts.example.is_some() && self.inner.examples == ExamplePolicy::Suppress {
                continue;
            }
            if let Some(a) = facts.account_id {
                facts.canary =
                    rules::is_canary_account(a) || self.inner.canary_accounts.contains(&a);
                facts.own_account = self.inner.own_accounts.contains(&a);
            }
            facts.likely_root = raw.likely_root;
            let severity = enrich::severity(raw.kind, &facts);
            let fingerprint = Fingerprint::compute(raw.kind, key_id.as_ref(), secret.as_ref());
            let primary = raw.primary();
            let location = lines.locate(primary);
            let secret_location = match raw.secret_span {
                Some(s) if s != primary => Some(lines.locate(s)),
                _ => None,
            };
            findings.push(Finding {
                kind: raw.kind,
                key_id,
                secret,
                session_token: raw.token.map(Secret::new),
                other_secrets: raw.other_secrets.into_iter().map(Secret::new).collect(),
                fingerprint,
                severity,
                facts,
                encoding: raw.encoding,
                location,
                secret_location,
            });
        }
        findings.sort_by(|a, b| {
            (a.location.span, a.kind, a.fingerprint).cmp(&(b.location.span, b.kind, b.fingerprint))
        });
        findings
            .dedup_by(|a, b| a.location.span == b.location.span && a.fingerprint == b.fingerprint);
        findings
    }
}

#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only and lives only for one scan. If another process truncates
    // the file meanwhile, reads may fault; that is the accepted risk of mapping files, as in
    // ripgrep, and why only large files are mapped.
    unsafe { memmap2::Mmap::map(file) }
}

/// The label text before `pos`, if any.
fn label_text(text: &[u8], pos: usize) -> Option<String> {
    confirm::label_before(text, pos)
        .map(|s| String::from_utf8_lossy(&text[s.start..s.end]).into_owned())
}

/// How far from a key an unpaired secret may be to count as an alternative for it:
/// unlabelled, and named as a secret.
const ALTERNATIVE_LINES: usize = 6;
const ALTERNATIVE_LINES_LABELLED: usize = 64;
/// Alternatives kept per pair.
const MAX_ALTERNATIVES: usize = 4;

/// Lines of context around key IDs in which their secrets are looked for.
const KEY_WINDOW_LINES: usize = 64;
/// Bytes of context around key IDs, whichever limit comes first.
const KEY_WINDOW_BYTES: usize = 8 * 1024;
/// Lines after the one of a `secret` word in which its value is looked for.
const WORD_WINDOW_LINES: usize = 1;

/// The line-aligned window from `lines` lines before `span` to `lines` lines after it, at
/// most `max_bytes` on each side (then it starts at the first line start within the limit).
fn line_window(text: &[u8], span: Span, lines: usize, max_bytes: usize) -> Span {
    let floor = span.start.saturating_sub(max_bytes);
    let ceil = (span.end + max_bytes).min(text.len());
    // The newlines within reach are all the window can depend on.
    let from = floor.saturating_sub(1);
    let newlines: Vec<usize> = memchr::memchr_iter(b'\n', &text[from..ceil])
        .map(|i| i + from)
        .collect();
    indexed_line_window(&newlines, text.len(), span, lines, max_bytes)
}

/// Key IDs in one text from which newlines are indexed for their windows.
const INDEX_NEWLINES_FROM: usize = 16;

/// [`line_window`] from an index of newlines: all of the text's, or at least all of those
/// within `max_bytes` of `span`.
fn indexed_line_window(
    newlines: &[usize],
    text_len: usize,
    span: Span,
    lines: usize,
    max_bytes: usize,
) -> Span {
    let floor = span.start.saturating_sub(max_bytes);
    let before = newlines.partition_point(|&p| p < span.start);
    let first = before.saturating_sub(lines);
    let mut start = if first == 0 {
        0
    } else {
        newlines[first - 1] + 1
    };
    if start < floor {
        // The line start nearest after the byte limit.
        let k = newlines.partition_point(|&p| p + 1 < floor);
        start = newlines
            .get(k)
            .map_or(span.start, |&p| (p + 1).min(span.start));
    }
    let ceil = (span.end + max_bytes).min(text_len);
    let after = newlines.partition_point(|&p| p < span.end);
    let end = match newlines.get(after + lines) {
        Some(&p) if p < ceil => p + 1,
        _ => ceil,
    };
    Span::new(start.min(span.start), end.max(span.end))
}

/// Secret and session-token candidates around key IDs and `secret` words.
fn find_secrets(
    text: &[u8],
    keys: &[KeyCand],
    words: &[usize],
) -> (Vec<SecretCand>, Vec<(Span, String)>, Vec<Span>) {
    // Many key IDs in one text (a dump of credentials) would each search ±64 lines for
    // their window; with the newlines indexed once, each window is two binary searches.
    let newlines: Vec<usize> = if keys.len() > INDEX_NEWLINES_FROM {
        memchr::memchr_iter(b'\n', text).collect()
    } else {
        Vec::new()
    };
    let key_window = |span: Span| {
        if keys.len() > INDEX_NEWLINES_FROM {
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
    let mut secrets = Vec::new();
    let mut tokens = Vec::new();
    for &window in &merged {
        confirm::runs(text, window, confirm::secret_sized, |run: Run| {
            let label = label_text(text, run.span.start);
            let class = label
                .as_deref()
                .map(|l| classify_label(&confirm::normalize_label(l.as_bytes())));
            if run.value.len() >= rules::MIN_SESSION_TOKEN_LEN {
                if class == Some(LabelClass::SessionToken) {
                    let value =
                        String::from_utf8_lossy(&run.value).into_owned() + &"=".repeat(run.padding);
                    tokens.push((run.span, value));
                }
                return;
            }
            // Values named as something else can neither pair nor be reported.
            if matches!(
                class,
                Some(LabelClass::NotSecret | LabelClass::KeyId | LabelClass::SessionToken)
            ) {
                return;
            }
            if let Some((value, encoding)) = confirm::secret_value(&run) {
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
            }
        });
    }
    (secrets, tokens, merged)
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

/// Pairs the candidates of one text and emits its raw findings.
fn emit(
    text: &[u8],
    keys: &[KeyCand],
    secrets: &[SecretCand],
    tokens: &[(Span, String)],
    windows: &[Span],
    honour_allow: bool,
    out: &mut Vec<Raw>,
) {
    let allowed =
        |span: Option<Span>| honour_allow && span.is_some_and(|s| line_allows(text, s.start));
    let mut out = AllowFilter {
        out,
        allowed: &allowed,
    };
    let out = &mut out;
    // Items in position order, keys first on ties; remember where each came from.
    #[derive(Clone, Copy)]
    enum Src {
        Key(usize),
        Secret(usize),
    }
    let mut order: Vec<(usize, Src)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.span.start, Src::Key(i)))
        .chain(
            secrets
                .iter()
                .enumerate()
                .map(|(i, s)| (s.span.start, Src::Secret(i))),
        )
        .collect();
    order.sort_by_key(|&(pos, src)| (pos, matches!(src, Src::Secret(_))));
    let mut line_of = LineCounter::new(text);
    let items: Vec<Item> = order
        .iter()
        .map(|&(pos, src)| {
            let (is_key, label, class) = match src {
                Src::Key(i) => (true, keys[i].label.as_deref(), None),
                Src::Secret(i) => (false, secrets[i].label.as_deref(), Some(secrets[i].class)),
            };
            Item {
                pos,
                line: line_of.line(pos),
                is_key,
                label: class.flatten(),
                qualifier: label.map(label_qualifier).unwrap_or_default(),
            }
        })
        .collect();
    // Structure matters only between candidates close enough to pair, which share a
    // window: reading it there keeps sparse candidates in a large text cheap.
    let structure = Structure::of_windows(text, windows);
    let pairs = pair::pair(&items, &structure);

    let key_of = |item: usize| match order[item].1 {
        Src::Key(i) => i,
        Src::Secret(_) => unreachable!("pair() returns (key, secret)"),
    };
    let secret_of = |item: usize| match order[item].1 {
        Src::Secret(i) => i,
        Src::Key(_) => unreachable!("pair() returns (key, secret)"),
    };
    let mut key_paired = vec![None; keys.len()];
    let mut secret_paired = vec![false; secrets.len()];
    // Key value -> its secret value, to give repeated mentions the pair's identity.
    let mut secret_for_key: HashMap<&str, usize> = HashMap::new();
    let mut key_for_secret: HashMap<&str, usize> = HashMap::new();
    for &(ki, si) in &pairs {
        let (k, s) = (key_of(ki), secret_of(si));
        key_paired[k] = Some(s);
        secret_paired[s] = true;
        secret_for_key.entry(&keys[k].value).or_insert(s);
        key_for_secret.entry(&secrets[s].value).or_insert(k);
    }
    let token_for_key = assign_tokens(text, keys, tokens, &structure);
    // Lines of each key and secret, for the alternatives below.
    let mut key_line = vec![0; keys.len()];
    let mut secret_line = vec![0; secrets.len()];
    for (item, &(_, src)) in items.iter().zip(&order) {
        match src {
            Src::Key(i) => key_line[i] = item.line,
            Src::Secret(i) => secret_line[i] = item.line,
        }
    }
    // Secrets near a paired key that no key took: if the chosen one turns out wrong,
    // verification tries these, nearest first.
    // Only unpaired secrets can be alternatives; sorted by line, so that each key looks at
    // its neighbourhood alone (a dump of many pairs stays linear).
    let mut unpaired: Vec<(usize, usize)> = (0..secrets.len())
        .filter(|&j| !secret_paired[j])
        .map(|j| (secret_line[j], j))
        .collect();
    unpaired.sort_unstable();
    let alternatives = |k: usize, chosen: usize| -> Vec<String> {
        let line = key_line[k];
        let from = unpaired.partition_point(|&(l, _)| l + ALTERNATIVE_LINES_LABELLED < line);
        let mut near: Vec<(usize, usize)> = unpaired[from..]
            .iter()
            .take_while(|&&(l, _)| l <= line + ALTERNATIVE_LINES_LABELLED)
            .map(|&(_, j)| j)
            .filter(|&j| secrets[j].value != secrets[chosen].value)
            .filter_map(|j| {
                let d = secret_line[j].abs_diff(line);
                let reach = match secrets[j].class {
                    Some(LabelClass::AwsSecret | LabelClass::Secret) => ALTERNATIVE_LINES_LABELLED,
                    _ => ALTERNATIVE_LINES,
                };
                (d <= reach).then_some((d, j))
            })
            .collect();
        near.sort_unstable();
        near.into_iter()
            .take(MAX_ALTERNATIVES)
            .map(|(_, j)| secrets[j].value.clone())
            .collect()
    };

    let is_root = |k: &KeyCand, s: &SecretCand| {
        k.label
            .as_deref()
            .is_some_and(|l| l.ends_with("AWSAccessKeyId"))
            && s.label
                .as_deref()
                .is_some_and(|l| l.ends_with("AWSSecretKey"))
    };
    for (k, key) in keys.iter().enumerate() {
        let token = token_for_key.get(key.value.as_str()).cloned();
        let secret = key_paired[k].or_else(|| secret_for_key.get(key.value.as_str()).copied());
        let (kind, secret_value, secret_span, encoding, likely_root) = match secret {
            Some(s) => (
                Kind::KeyPair,
                Some(secrets[s].value.clone()),
                Some(secrets[s].span),
                combine(key.encoding, secrets[s].encoding),
                is_root(key, &secrets[s]),
            ),
            None => (Kind::KeyId, None, None, key.encoding, false),
        };
        let other_secrets = match key_paired[k] {
            Some(chosen) => alternatives(k, chosen),
            None => Vec::new(),
        };
        out.push(Raw {
            kind,
            key: Some(key.value.clone()),
            key_span: Some(key.span),
            secret: secret_value,
            secret_span,
            token,
            encoding,
            likely_root,
            other_secrets,
        });
    }
    for (s, secret) in secrets.iter().enumerate() {
        if secret_paired[s] {
            continue;
        }
        if let Some(&k) = key_for_secret.get(secret.value.as_str()) {
            // The same secret again, away from its key: one more place of the same pair.
            out.push(Raw {
                kind: Kind::KeyPair,
                key: Some(keys[k].value.clone()),
                key_span: None,
                secret: Some(secret.value.clone()),
                secret_span: Some(secret.span),
                token: token_for_key.get(keys[k].value.as_str()).cloned(),
                encoding: secret.encoding,
                likely_root: false,
                other_secrets: Vec::new(),
            });
            continue;
        }
        let named = match secret.class {
            Some(LabelClass::AwsSecret) => true,
            Some(LabelClass::Secret) => confirm::has_aws_context(text, secret.span.start, 10),
            _ => false,
        };
        if named {
            out.push(Raw {
                kind: Kind::SecretKey,
                key: None,
                key_span: None,
                secret: Some(secret.value.clone()),
                secret_span: Some(secret.span),
                token: None,
                encoding: secret.encoding,
                likely_root: false,
                other_secrets: Vec::new(),
            });
        }
    }
}

/// Drops findings with a `leakscan:allow` comment on the line of their key ID or secret.
struct AllowFilter<'a, F: Fn(Option<Span>) -> bool> {
    out: &'a mut Vec<Raw>,
    allowed: &'a F,
}

impl<F: Fn(Option<Span>) -> bool> AllowFilter<'_, F> {
    fn push(&mut self, raw: Raw) {
        if !(self.allowed)(raw.key_span) && !(self.allowed)(raw.secret_span) {
            self.out.push(raw);
        }
    }
}

/// Whether the line holding `pos` carries [`ALLOW_MARKER`].
fn line_allows(text: &[u8], pos: usize) -> bool {
    let start = memchr::memrchr(b'\n', &text[..pos]).map_or(0, |n| n + 1);
    let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |n| pos + n);
    memchr::memmem::find(&text[start..end], ALLOW_MARKER.as_bytes()).is_some()
}

/// Attaches each session token to the nearest temporary (`ASIA`) key ID before or after it
/// with no INI section between them.
fn assign_tokens(
    text: &[u8],
    keys: &[KeyCand],
    tokens: &[(Span, String)],
    structure: &Structure,
) -> HashMap<String, String> {
    let mut out: HashMap<String, (usize, String)> = HashMap::new();
    if tokens.is_empty() {
        return HashMap::new();
    }
    let mut lines = LineCounter::new(text);
    let key_lines: Vec<usize> = keys.iter().map(|k| lines.line(k.span.start)).collect();
    for (span, value) in tokens {
        let tline = lines.line(span.start);
        let best = keys
            .iter()
            .zip(&key_lines)
            .filter(|(k, _)| k.value.starts_with("ASIA"))
            .filter(|(k, _)| {
                let (a, b) = if k.span.start < span.start {
                    (k.span.start, span.start)
                } else {
                    (span.start, k.span.start)
                };
                !structure.section_between(a, b)
            })
            .map(|(k, &l)| (l.abs_diff(tline), k))
            .filter(|&(d, _)| d <= KEY_WINDOW_LINES)
            .min_by_key(|&(d, k)| (d, k.span.start));
        if let Some((d, k)) = best {
            let entry = out
                .entry(k.value.clone())
                .or_insert((usize::MAX, String::new()));
            if d < entry.0 {
                *entry = (d, value.clone());
            }
        }
    }
    out.into_iter().map(|(k, (_, v))| (k, v)).collect()
}

/// The notable encoding of a pair: the outer one if any, else the secret's escaping.
fn combine(key: Encoding, secret: Encoding) -> Encoding {
    if key != Encoding::Plain {
        key
    } else {
        secret
    }
}

/// Anchors found by looking at every position: the reference for the prefilter.
fn exhaustive_anchors(text: &[u8]) -> Anchors {
    let mut a = Anchors::default();
    for i in 0..text.len() {
        let rest = &text[i..];
        if rules::KEY_ID_PREFIXES
            .iter()
            .any(|p| rest.starts_with(&p[..]))
        {
            a.key_ids.push(i);
        }
        if rules::SECRET_WORDS.iter().any(|w| rest.starts_with(w)) {
            a.secret_words.push(i);
        }
    }
    a
}

/// Every maximal base64 token: the reference for the base64 anchors.
fn all_base64_tokens(text: &[u8]) -> Vec<Span> {
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

/// Line numbers for ascending positions, counting newlines incrementally; falls back to
/// counting from the start for a position behind the last one asked.
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn advance(&mut self, to: usize) {
        if to < self.pos {
            *self = LineCounter::new(self.text);
        }
        let to = to.min(self.text.len());
        for nl in memchr::memchr_iter(b'\n', &self.text[self.pos..to]) {
            self.line += 1;
            self.line_start = self.pos + nl + 1;
        }
        self.pos = to;
    }

    fn line(&mut self, pos: usize) -> usize {
        self.advance(pos);
        self.line
    }

    /// Line and column of `pos`.
    fn line_column(&mut self, pos: usize) -> (usize, usize) {
        self.advance(pos);
        (self.line, pos - self.line_start + 1)
    }
}

/// Lines and columns of a known set of positions, computed in one pass over the text.
struct Locator {
    positions: HashMap<usize, (usize, usize)>,
}

impl Locator {
    fn new(text: &[u8], spans: impl Iterator<Item = Span>) -> Locator {
        let mut starts: Vec<usize> = spans.map(|s| s.start).collect();
        starts.sort_unstable();
        starts.dedup();
        let mut counter = LineCounter::new(text);
        let positions = starts
            .into_iter()
            .map(|p| (p, counter.line_column(p)))
            .collect();
        Locator { positions }
    }

    fn locate(&self, span: Span) -> Location {
        let (line, column) = self.positions.get(&span.start).copied().unwrap_or((0, 0));
        Location { span, line, column }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_windows_are_line_windows() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..300 {
            let len = 1 + next(3000);
            let text: Vec<u8> = (0..len)
                .map(|_| if next(12) == 0 { b'\n' } else { b'x' })
                .collect();
            let newlines: Vec<usize> = memchr::memchr_iter(b'\n', &text).collect();
            for _ in 0..20 {
                let start = next(len);
                let span = Span::new(start, (start + next(25)).min(len));
                let (lines, bytes) = (next(8), 1 + next(400));
                assert_eq!(
                    indexed_line_window(&newlines, len, span, lines, bytes),
                    line_window(&text, span, lines, bytes),
                    "{span:?} lines {lines} bytes {bytes}"
                );
            }
        }
    }
}
