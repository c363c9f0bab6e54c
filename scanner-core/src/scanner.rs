//! The [`Scanner`]: configuration frozen at build time, and the entry points that turn
//! bytes, readers and files into findings. Each text goes through the stages in order:
//! anchors (`prefilter`) -> candidates (`candidates`, confirmed by `confirm`) -> pairing
//! and assembly (`assemble`, `pair`) -> facts (`enrich`).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::archive::{Limits, Scan};
use crate::assemble::{self, Raw};
use crate::candidates::{self, Level};
use crate::confirm::{Patterns, UserLabels};
use crate::decode::view::Views;
use crate::decode::{self, escapes, quoted_printable};
use crate::enrich::Accounts;
use crate::error::Error;
use crate::finding::{AccountId, Encoding, Finding, Kind};
use crate::prefilter::{reference, AnchorFinder, Anchors};
use crate::rules::LabelKind;

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

/// Builds a [`Scanner`].
#[derive(Clone, Debug, Default)]
pub struct ScannerBuilder {
    examples: ExamplePolicy,
    accounts: Accounts,
    prefilter: Prefilter,
    allow_comments: AllowComments,
    labels: UserLabels,
    max_read_size: Option<u64>,
    archives: Limits,
}

impl ScannerBuilder {
    /// Whether documentation examples and placeholders are reported (default: suppressed).
    pub fn examples(mut self, policy: ExamplePolicy) -> Self {
        self.examples = policy;
        self
    }

    /// Accounts that are yours: credentials of these accounts are raised in severity.
    pub fn own_accounts(mut self, accounts: impl IntoIterator<Item = AccountId>) -> Self {
        self.accounts.own.extend(accounts);
        self
    }

    /// More canary-token accounts, beyond the built-in list: their keys are flagged as
    /// tripwires and reported at low severity.
    pub fn canary_accounts(mut self, accounts: impl IntoIterator<Item = AccountId>) -> Self {
        self.accounts.canary.extend(accounts);
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

    /// Adds a label pattern: a regular expression (syntax of the `regex` crate) for names
    /// that say a value is of `kind`, beyond the built-in vocabulary of
    /// `rules/patterns.txt`.
    ///
    /// A label is the name a value is assigned to (`corp_vault_key = ...`,
    /// `"CorpVaultKey": ...`, `--corp-vault-key ...`, a YAML key on the line above). Patterns
    /// are matched, ignoring case, against the label's ASCII letters and digits alone
    /// (`CORP_VAULT_KEY` is seen as `corpvaultkey`, `export CORP_VAULT_KEY` as
    /// `exportcorpvaultkey`), and may match anywhere in it unless anchored with `^`/`$`.
    /// Your patterns are consulted before the built-in ones; among yours, as among those,
    /// [`LabelKind`]'s order decides when patterns of several kinds match.
    ///
    /// Labels classify the values the scanner looks at, in the windows around key IDs and
    /// after `secret` words; they do not make it look elsewhere. A value labelled
    /// [`LabelKind::AwsSecret`] pairs with a key ID up to 64 lines away and is reported
    /// alone when it has no key; [`LabelKind::NotSecret`] and [`LabelKind::KeyId`] keep a
    /// value from ever being taken for a secret.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidPattern`](crate::ErrorKind::InvalidPattern) error, naming the
    /// pattern, if it is not a valid regular expression or compiles too large (with the
    /// patterns added before it, more than 1 MiB). Nothing is added then.
    ///
    /// # Examples
    ///
    /// ```
    /// use scanner_core::{LabelKind, Scanner};
    ///
    /// let scanner = Scanner::builder()
    ///     .label_pattern(LabelKind::AwsSecret, "^corp_?vault_?key$")?
    ///     .label_pattern(LabelKind::NotSecret, "buildid")?
    ///     .build();
    /// assert!(Scanner::builder().label_pattern(LabelKind::Secret, "(unclosed").is_err());
    /// # Ok::<(), scanner_core::Error>(())
    /// ```
    pub fn label_pattern(mut self, kind: LabelKind, pattern: &str) -> Result<Self, Error> {
        self.labels.add(kind, pattern)?;
        Ok(self)
    }

    /// The most bytes [`Scanner::scan_reader`] and [`Scanner::scan_file`] accept from one
    /// input (default: no limit). A larger input is not scanned: the scanner reads at most
    /// `bytes + 1` bytes of it (a file's size is checked before anything is read) and
    /// returns an [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge) error that names the
    /// limit. [`Scanner::scan`] takes the bytes it is given and is not limited.
    pub fn max_read_size(mut self, bytes: u64) -> Self {
        self.max_read_size = Some(bytes);
        self
    }

    /// How many archives deep the scanner opens archives nested in archives (default 8;
    /// a jar in a war in an ear in a `.tar.gz` is five). An archive deeper than that is
    /// scanned as the bytes it is and reported as a [`SkipReason::TooDeep`](crate::SkipReason::TooDeep)
    /// skip. 0 opens no archive at all: every input is scanned as the bytes it is, as
    /// without the `archives` feature (which makes this and the other `max_archive_*`
    /// settings moot).
    pub fn max_archive_depth(mut self, depth: u32) -> Self {
        self.archives.max_depth = depth;
        self
    }

    /// The most bytes the archives of one input may decompress to, all entries and
    /// nesting levels together (default 1 GiB). What was decompressed before the limit is
    /// scanned; the rest of the input's archives is not read, and a
    /// [`SkipReason::TooManyBytes`](crate::SkipReason::TooManyBytes) skip says where it
    /// stopped. It also bounds memory: an entry is held in memory to be scanned, never
    /// more of it than this budget, whatever its header declares.
    pub fn max_archive_bytes(mut self, bytes: u64) -> Self {
        self.archives.max_bytes = bytes;
        self
    }

    /// The most a stream or entry may expand, as decompressed bytes per compressed byte
    /// (default 100), checked once it has produced 1 MiB; 0 sets no ratio limit. A
    /// decompression bomb (1000:1 and more) stops there, with a
    /// [`SkipReason::Ratio`](crate::SkipReason::Ratio) skip; what it produced until then is
    /// scanned. Real archives stay well below 100:1: source tarballs compress about 6:1
    /// (at most 21:1 among 53 crates measured), jar entries 2–4:1, the most repetitive data
    /// files (JSON, logs) up to about 40:1.
    pub fn max_archive_ratio(mut self, ratio: u64) -> Self {
        self.archives.max_ratio = ratio;
        self
    }

    /// The most archive entries one input may hold, all archives and nesting levels
    /// together (default 100,000); the entries after it are not read, and a
    /// [`SkipReason::TooManyEntries`](crate::SkipReason::TooManyEntries) skip says so.
    pub fn max_archive_entries(mut self, entries: u64) -> Self {
        self.archives.max_entries = entries;
        self
    }

    /// Freezes the configuration. The confirm stage's regular expressions are compiled
    /// once per process, when the first scanner is built; each scanner then shares them.
    pub fn build(self) -> Scanner {
        Scanner {
            inner: Arc::new(Inner {
                finder: AnchorFinder::new(),
                patterns: Patterns::new(&self.labels),
                examples: self.examples,
                accounts: self.accounts,
                prefilter: self.prefilter,
                allow_comments: self.allow_comments,
                max_read_size: self.max_read_size,
                archives: self.archives,
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
    patterns: Patterns,
    examples: ExamplePolicy,
    accounts: Accounts,
    prefilter: Prefilter,
    allow_comments: AllowComments,
    max_read_size: Option<u64>,
    #[cfg_attr(not(feature = "archives"), allow(dead_code))]
    archives: Limits,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::builder().build()
    }
}

/// Memory-map files from this size on; below it, reading is cheaper than mapping.
const MMAP_THRESHOLD: u64 = 1 << 20;

impl Scanner {
    /// A builder with default settings.
    pub fn builder() -> ScannerBuilder {
        ScannerBuilder::default()
    }

    /// Scans bytes and returns the credentials in them, ordered by position (inside
    /// archives: in archive order, each entry's by position).
    ///
    /// Any bytes are accepted: text in any encoding, binary files, truncated data.
    /// Archives and compressed files are opened, by their content, nested (see
    /// [`ScannerBuilder::max_archive_depth`]); what could not be read of them is left out
    /// silently here: [`Scanner::scan_detailed`] says what it was.
    pub fn scan(&self, haystack: &[u8]) -> Vec<Finding> {
        self.scan_detailed(haystack).findings
    }

    /// Scans bytes like [`Scanner::scan`], and also says what was not scanned: encrypted
    /// archive entries, archive limits reached, damaged archives (each a
    /// [`Skip`](crate::Skip) with its reason). A damaged archive is scanned as far as it
    /// can be read; bytes that only look like an archive are scanned as they are.
    ///
    /// An input without an archive signature costs one look at its first bytes (and its
    /// last 22) more than a text scan.
    ///
    /// # Examples
    ///
    /// ```
    /// use scanner_core::Scanner;
    ///
    /// // A gzip header with nothing after it: reported, and scanned as it is.
    /// let scan = Scanner::default().scan_detailed(b"\x1f\x8b\x08\x00");
    /// assert!(scan.findings.is_empty());
    /// # #[cfg(feature = "archives")]
    /// assert_eq!(scan.skipped[0].reason.as_str(), "truncated");
    /// ```
    pub fn scan_detailed(&self, haystack: &[u8]) -> Scan {
        #[cfg(feature = "archives")]
        if let Some(scan) = crate::archive::scan(self, self.inner.archives, haystack) {
            return scan;
        }
        Scan {
            findings: self.scan_plain(haystack),
            skipped: Vec::new(),
        }
    }

    /// Scans bytes as text (no archive opened): the pipeline every leaf goes through.
    pub(crate) fn scan_plain(&self, haystack: &[u8]) -> Vec<Finding> {
        let inner = &*self.inner;
        let anchors = self.anchors(haystack);
        if inner.prefilter == Prefilter::On && anchors.is_empty() {
            return Vec::new();
        }
        let mut raws = Vec::new();
        self.scan_viewed(haystack, &anchors, &mut raws);
        // A UTF-16 text longer than a region is cut into regions that overlap by
        // `UTF16_OVERLAP_UNITS` (each read back that far into the one before, for context).
        // What both hold is reported once: by the earlier region up to the middle of their
        // overlap, by the later one from there, so that each side sees half the overlap
        // around what it reports.
        let mut regions: Vec<(crate::Span, usize, Vec<Raw>)> = Vec::new();
        for region in candidates::utf16_regions(haystack, &anchors, inner.prefilter) {
            let anchors = self.anchors(&region.narrow);
            let mut sub = Vec::new();
            self.scan_text(&region.narrow, &anchors, Level::Leaf, &mut sub);
            for raw in &mut sub {
                raw.map_spans(|s| region.map(s));
                raw.encoding = region.encoding;
            }
            let covers = region.covers();
            if let Some(before) = regions
                .iter_mut()
                .rev()
                .find(|r| r.1 == region.origin % 2)
                .filter(|r| covers.start < r.0.end)
            {
                let mid = covers.start + (before.0.end - covers.start) / 2;
                before.2.retain(|r| r.primary().start < mid);
                sub.retain(|r| r.primary().start >= mid);
            }
            regions.push((covers, region.origin % 2, sub));
        }
        raws.extend(regions.into_iter().flat_map(|r| r.2));
        assemble::findings(haystack, raws, &inner.accounts, inner.examples)
    }

    /// Reads `reader` to its end and scans what it read. Chunk boundaries never matter: the
    /// findings are those of [`Scanner::scan`] over all the bytes.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Io`](crate::ErrorKind::Io) error if reading fails; an
    /// [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge) error if the reader holds more
    /// than [`ScannerBuilder::max_read_size`] bytes (then at most one byte more was read).
    pub fn scan_reader<R: Read>(&self, reader: R) -> Result<Vec<Finding>, Error> {
        self.scan_reader_detailed(reader).map(|s| s.findings)
    }

    /// [`Scanner::scan_reader`], saying what was not scanned as [`Scanner::scan_detailed`]
    /// does.
    ///
    /// # Errors
    ///
    /// Those of [`Scanner::scan_reader`].
    pub fn scan_reader_detailed<R: Read>(&self, reader: R) -> Result<Scan, Error> {
        let buf = self.read_limited(reader, 0, None)?;
        Ok(self.scan_detailed(&buf))
    }

    /// Scans a file, memory-mapping it when it is large.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Io`](crate::ErrorKind::Io) error, carrying the path, if the file
    /// cannot be opened or read; an [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge)
    /// error, carrying the path, if it is larger than [`ScannerBuilder::max_read_size`].
    pub fn scan_file(&self, path: &Path) -> Result<Vec<Finding>, Error> {
        self.scan_file_detailed(path).map(|s| s.findings)
    }

    /// [`Scanner::scan_file`], saying what was not scanned as [`Scanner::scan_detailed`]
    /// does.
    ///
    /// # Errors
    ///
    /// Those of [`Scanner::scan_file`].
    pub fn scan_file_detailed(&self, path: &Path) -> Result<Scan, Error> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(Some(path), e))?;
        let len = file.metadata().map_err(|e| Error::io(Some(path), e))?.len();
        let limit = self.inner.max_read_size;
        if let Some(limit) = limit.filter(|&l| len > l) {
            return Err(Error::too_large(Some(path), limit));
        }
        if len >= MMAP_THRESHOLD {
            let map = map_file(&file).map_err(|e| Error::io(Some(path), e))?;
            // The file may have grown since its size was read.
            if let Some(limit) = limit.filter(|&l| map.len() as u64 > l) {
                return Err(Error::too_large(Some(path), limit));
            }
            return Ok(self.scan_detailed(&map));
        }
        let buf = self.read_limited(&file, len, Some(path))?;
        Ok(self.scan_detailed(&buf))
    }

    /// Reads `reader` to its end, or to one byte past the size limit.
    fn read_limited<R: Read>(
        &self,
        reader: R,
        size_hint: u64,
        path: Option<&Path>,
    ) -> Result<Vec<u8>, Error> {
        let mut buf = Vec::with_capacity(usize::try_from(size_hint).unwrap_or(0));
        match self.inner.max_read_size {
            None => {
                let mut reader = reader;
                reader.read_to_end(&mut buf)
            }
            Some(limit) => reader.take(limit.saturating_add(1)).read_to_end(&mut buf),
        }
        .map_err(|e| Error::io(path, e))?;
        match self.inner.max_read_size {
            Some(limit) if buf.len() as u64 > limit => Err(Error::too_large(path, limit)),
            _ => Ok(buf),
        }
    }

    /// The anchors of a text: found by the prefilter, or at every position.
    fn anchors(&self, text: &[u8]) -> Anchors {
        match self.inner.prefilter {
            Prefilter::On => self.inner.finder.find(text),
            Prefilter::Off => reference::anchors(text),
        }
    }

    /// Scans the input through the views its signs ask for (quoted-printable parts, then
    /// escapes and character references): the decoded text replaces the input, and findings
    /// are mapped back to the input's bytes.
    fn scan_viewed(&self, haystack: &[u8], anchors: &Anchors, out: &mut Vec<Raw>) {
        let (views, view_anchors) = self.views(haystack, anchors);
        let (Some(text), Some(view_anchors)) = (views.last_text(), view_anchors) else {
            self.scan_text(haystack, anchors, Level::Outer, out);
            return;
        };
        let mut sub = Vec::new();
        self.scan_text(text, &view_anchors, Level::Outer, &mut sub);
        for mut raw in sub {
            // What the views rewrote inside the key or the secret says how it was written,
            // unless a decoder inside the view (base64) already did.
            let rewritten = raw
                .key_span
                .and_then(|s| views.encoding_of(s))
                .or_else(|| raw.secret_span.and_then(|s| views.encoding_of(s)));
            if let Some(e) = rewritten.filter(|_| {
                matches!(
                    raw.encoding,
                    Encoding::Plain | Encoding::JsonEscaped | Encoding::UrlEncoded
                )
            }) {
                raw.encoding = e;
            }
            raw.map_spans(|s| views.source_span(s));
            out.push(raw);
        }
    }

    /// The views of the input its signs ask for, and the anchors of the last one's text.
    fn views(&self, haystack: &[u8], anchors: &Anchors) -> (Views, Option<Anchors>) {
        let mut views = Views::default();
        let mut last_anchors = None;
        if !anchors.quoted_printable.is_empty() {
            let regions = quoted_printable::regions(haystack, &anchors.quoted_printable);
            let view = quoted_printable::decode(haystack, &regions);
            if !view.is_identity() {
                last_anchors = Some(self.anchors(&view.text));
                views.push(view);
            }
        }
        let has_escapes = match &last_anchors {
            Some(a) => !a.escapes.is_empty(),
            None => !anchors.escapes.is_empty(),
        };
        if has_escapes {
            let view = escapes::decode(views.last_text().unwrap_or(haystack));
            if !view.is_identity() {
                last_anchors = Some(self.anchors(&view.text));
                views.push(view);
            }
        }
        (views, last_anchors)
    }

    /// Finds credentials in one text (the input, or a decoded part of it), decoding the
    /// base64 inside it as deep as `level` allows. Spans are in `text`'s coordinates.
    fn scan_text(&self, text: &[u8], anchors: &Anchors, level: Level, out: &mut Vec<Raw>) {
        let patterns = &self.inner.patterns;
        let mut keys = candidates::keys(text, anchors, patterns);
        self.scan_base64_tokens(text, anchors, level, &mut keys, out);
        if keys.is_empty() && anchors.secret_words.is_empty() && anchors.access_key_words.is_empty()
        {
            return;
        }
        keys.sort_by_key(|k| k.span);
        keys.dedup_by(|a, b| a.span == b.span && a.value == b.value);

        let secrets = candidates::secrets(text, &keys, &anchors.name_words(), patterns);
        if keys.is_empty() && secrets.secrets.is_empty() {
            return;
        }
        let honour_allow = self.inner.allow_comments == AllowComments::Honour;
        assemble::raw_findings(text, &keys, &secrets, patterns, honour_allow, out);
    }

    /// Decodes the base64 tokens that may hold a key ID and scans each as a text of its
    /// own. Findings inside a token are complete when the token holds a whole credential
    /// file; a token that holds only a key ID (a Kubernetes `Secret`'s data field) becomes a
    /// key candidate of the outer text, so that it can pair with a secret in a neighbouring
    /// field. Tokens of the input that carry a sign of nesting are decoded one level
    /// further.
    fn scan_base64_tokens(
        &self,
        text: &[u8],
        anchors: &Anchors,
        level: Level,
        keys: &mut Vec<candidates::KeyCand>,
        out: &mut Vec<Raw>,
    ) {
        if level == Level::Leaf {
            return;
        }
        let prefilter = self.inner.prefilter;
        for token in candidates::base64_tokens(text, anchors, prefilter, level) {
            let bytes = &text[token.span.start..token.span.end];
            let decoded = if token.url {
                decode::base64url(bytes)
            } else {
                decode::base64(bytes)
            };
            let Some(decoded) = decoded else {
                continue;
            };
            let inner_anchors = self.anchors(&decoded);
            let deeper = token.nested && level == Level::Outer;
            // Decoded one level further only with a sign of base64 inside, whether the
            // prefilter looks for it or the reference does (the same rule either way).
            let inner_sign = match prefilter {
                Prefilter::On => !inner_anchors.base64.is_empty(),
                Prefilter::Off => reference::has_base64_sign(&decoded),
            };
            let worth = !inner_anchors.key_ids.is_empty() || (deeper && inner_sign);
            if !worth {
                continue;
            }
            let inner_level = if deeper { Level::Nested } else { Level::Leaf };
            let mut inner = Vec::new();
            self.scan_text(&decoded, &inner_anchors, inner_level, &mut inner);
            let token = token.span;
            for mut raw in inner {
                if raw.kind == Kind::KeyId {
                    if let Some(value) = raw.key {
                        keys.push(candidates::base64_key(
                            text,
                            token,
                            value,
                            &self.inner.patterns,
                        ));
                    }
                    continue;
                }
                raw.map_spans(|_| token);
                raw.encoding = Encoding::Base64;
                out.push(raw);
            }
        }
    }
}

#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only and lives only for one scan. If another process truncates
    // the file meanwhile, reads may fault; that is the accepted risk of mapping files, as in
    // ripgrep, and why only large files are mapped.
    unsafe { memmap2::Mmap::map(file) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_over_the_limit_are_typed_errors_read_no_further() {
        /// Counts the bytes handed out.
        struct Counting<'a> {
            data: &'a [u8],
            given: usize,
        }
        impl Read for Counting<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(self.data.len()).min(7);
                buf[..n].copy_from_slice(&self.data[..n]);
                self.data = &self.data[n..];
                self.given += n;
                Ok(n)
            }
        }
        let data = vec![b'x'; 1000];
        let scanner = Scanner::builder().max_read_size(100).build();
        let mut reader = Counting {
            data: &data,
            given: 0,
        };
        let err = scanner
            .scan_reader(&mut reader)
            .expect_err("1000 bytes are over a limit of 100");
        assert_eq!(err.kind(), crate::ErrorKind::TooLarge);
        assert!(err.to_string().contains("100 bytes"), "{err}");
        assert_eq!(reader.given, 101);
        // At the limit, and without one, the input is scanned.
        let ok = Scanner::builder().max_read_size(1000).build();
        assert!(ok.scan_reader(&data[..]).is_ok());
        assert!(Scanner::default().scan_reader(&data[..]).is_ok());
    }

    #[test]
    fn files_over_the_limit_are_not_read() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("big.txt");
        std::fs::write(&path, vec![b'x'; 5000]).expect("a temporary file");
        let err = Scanner::builder()
            .max_read_size(4999)
            .build()
            .scan_file(&path)
            .expect_err("5000 bytes are over a limit of 4999");
        assert_eq!(err.kind(), crate::ErrorKind::TooLarge);
        assert_eq!(err.path(), Some(path.as_path()));
        assert!(Scanner::builder()
            .max_read_size(5000)
            .build()
            .scan_file(&path)
            .is_ok());
    }
}
