//! Archives and compressed files, recognised by their content (magic bytes), not their
//! names: zip and its family (jar, whl, apk, docx, xlsx, odt, ...), tar, gzip, bzip2, xz
//! and zstd, nested. Each entry's bytes go through the same text pipeline as any input;
//! its findings carry the [`ArchivePath`] of the entry.
//!
//! The public types here exist whatever the features; the readers (feature `archives`)
//! live in one file per format family (`zip.rs`, `tar.rs`, `stream.rs` for the compressed
//! streams), with the magic bytes in `sniff.rs` and every limit in `budget.rs`. Without the
//! feature, archives are scanned as the bytes they are, and [`Scan::skipped`] is empty.
//!
//! What cannot be read (an encrypted entry, a limit reached, a damaged archive) is never
//! fatal and never silent: it becomes a [`Skip`] with its reason, and everything readable
//! around it is still scanned.

use std::fmt;

use crate::finding::Finding;

#[cfg(feature = "archives")]
mod budget;
#[cfg(feature = "archives")]
mod sniff;
#[cfg(feature = "archives")]
mod stream;
#[cfg(feature = "archives")]
mod tar;
#[cfg(feature = "archives")]
mod walk;
#[cfg(feature = "archives")]
mod zip;

#[cfg(feature = "archives")]
pub(crate) use walk::scan;

/// Where a finding sits inside nested archives: the entry names, outermost first. Empty
/// when the finding is not inside an archive.
///
/// `release.tar.gz` holding `lib/app.jar` holding `config/prod.env` gives
/// `["lib/app.jar", "config/prod.env"]`: one name per container entry (zip, tar). A
/// compressed stream (gzip, bzip2, xz, zstd) has no entries and adds no name: a finding in
/// `notes.txt.gz` is on a line of its decompressed text with an empty path, as `zgrep`
/// shows it, and `app.tar.gz` reads as the tar it holds. `Display` joins the names with
/// `!`, the way reports write a place: `release.tar.gz!lib/app.jar!config/prod.env:3`.
///
/// Names are the archive's own (zip names decoded as UTF-8 or CP437, tar names lossily
/// UTF-8) and may hold anything, control characters included: escape them before printing
/// them to a terminal.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct ArchivePath(Vec<String>);

impl ArchivePath {
    /// The entry names, outermost first.
    pub fn components(&self) -> &[String] {
        &self.0
    }

    /// Whether the place is outside any archive.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many archives deep the place is.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// This path with one more entry name inside it.
    #[cfg_attr(not(feature = "archives"), allow(dead_code))]
    pub(crate) fn child(&self, name: String) -> ArchivePath {
        let mut v = Vec::with_capacity(self.0.len() + 1);
        v.extend_from_slice(&self.0);
        v.push(name);
        ArchivePath(v)
    }
}

impl<S: Into<String>> FromIterator<S> for ArchivePath {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        ArchivePath(iter.into_iter().map(Into::into).collect())
    }
}

impl fmt::Display for ArchivePath {
    /// The names joined with `!` (empty outside archives).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("!")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

/// Why part of an input was not scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum SkipReason {
    /// An encrypted entry (ZipCrypto or AES): nothing to decrypt it with.
    Encrypted,
    /// A compression method or entry type this build does not read (a sparse tar file, an
    /// exotic zip method).
    Unsupported,
    /// Archives nested deeper than [`ScannerBuilder::max_archive_depth`](crate::ScannerBuilder::max_archive_depth):
    /// the innermost one was scanned as the bytes it is.
    TooDeep,
    /// The decompressed-bytes budget of the input
    /// ([`ScannerBuilder::max_archive_bytes`](crate::ScannerBuilder::max_archive_bytes))
    /// ran out here; what was decompressed until then was scanned, the rest of the input's
    /// archives was not read.
    TooManyBytes,
    /// The stream decompressed to more than
    /// [`ScannerBuilder::max_archive_ratio`](crate::ScannerBuilder::max_archive_ratio) times
    /// its compressed size (a decompression bomb); what came before was scanned.
    Ratio,
    /// The input holds more entries than
    /// [`ScannerBuilder::max_archive_entries`](crate::ScannerBuilder::max_archive_entries);
    /// the first ones were scanned.
    TooManyEntries,
    /// An xz or zstd stream that needs more memory (its window) than the scanner allows.
    MemoryLimit,
    /// The archive ends early: what could be read of it was scanned.
    Truncated,
    /// The archive or entry is damaged (bad checksum, invalid data): what could be read of
    /// it was scanned.
    Corrupt,
}

impl SkipReason {
    /// Stable name used in reports: `encrypted`, `unsupported`, `too-deep`,
    /// `too-many-bytes`, `ratio`, `too-many-entries`, `memory-limit`, `truncated`,
    /// `corrupt`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SkipReason::Encrypted => "encrypted",
            SkipReason::Unsupported => "unsupported",
            SkipReason::TooDeep => "too-deep",
            SkipReason::TooManyBytes => "too-many-bytes",
            SkipReason::Ratio => "ratio",
            SkipReason::TooManyEntries => "too-many-entries",
            SkipReason::MemoryLimit => "memory-limit",
            SkipReason::Truncated => "truncated",
            SkipReason::Corrupt => "corrupt",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A part of an input that was not scanned (or not completely), and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Skip {
    /// The entry concerned, outermost first; empty for the input itself (a truncated
    /// `.gz`, say).
    pub archive_path: ArchivePath,
    /// Why.
    pub reason: SkipReason,
    /// What happened, for people: the limit, the error of the decoder.
    pub detail: String,
}

/// What [`Scanner::scan_detailed`](crate::Scanner::scan_detailed) returns: the findings,
/// and what was not scanned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scan {
    /// The findings, in the order of the input: its own bytes by position, then each
    /// archive entry in archive order, each by position.
    pub findings: Vec<Finding>,
    /// What was skipped, in the order met. Always empty without the `archives` feature.
    pub skipped: Vec<Skip>,
}

/// The archive limits of a scanner (see the `max_archive_*` methods of
/// [`ScannerBuilder`](crate::ScannerBuilder)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_depth: u32,
    pub(crate) max_bytes: u64,
    pub(crate) max_ratio: u64,
    pub(crate) max_entries: u64,
}

/// Default nesting depth: a jar in a war in an ear in a tar.gz is 5 layers; 8 leaves room.
pub(crate) const DEFAULT_MAX_DEPTH: u32 = 8;
/// Default decompressed bytes per input: 1 GiB, four times the CLI's default file-size
/// limit, which is what text compressed 4:1 (gzip on source code) expands to.
pub(crate) const DEFAULT_MAX_BYTES: u64 = 1 << 30;
/// Default compression-ratio limit, applied once a stream has produced
/// [`RATIO_FLOOR`] bytes: real archives stay well below it, bombs are far above (deflate
/// reaches 1032:1 on zeros). Measured on the 152 streams and entries over 1 MiB among
/// 2,466 archives of a development machine (crates, pip and gcloud jars, .gz data files):
/// crates 6:1 median and 21:1 at most, `.gz` files 8:1 median and 43:1 at most (a JSON
/// file), jar entries 4:1 at most.
pub(crate) const DEFAULT_MAX_RATIO: u64 = 100;
/// Default number of entries per input, all archives and nesting levels together.
pub(crate) const DEFAULT_MAX_ENTRIES: u64 = 100_000;
/// The ratio limit applies only past this much output: small, very repetitive files
/// (a 100 KiB file of spaces) are not bombs.
#[cfg_attr(not(feature = "archives"), allow(dead_code))]
pub(crate) const RATIO_FLOOR: u64 = 1 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: DEFAULT_MAX_DEPTH,
            max_bytes: DEFAULT_MAX_BYTES,
            max_ratio: DEFAULT_MAX_RATIO,
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths_print_joined_by_bangs() {
        let p: ArchivePath = ["lib/app.jar", "config/prod.env"].into_iter().collect();
        assert_eq!(p.to_string(), "lib/app.jar!config/prod.env");
        assert_eq!(p.len(), 2);
        assert_eq!(p.child("x".into()).components().len(), 3);
        assert!(ArchivePath::default().is_empty());
        assert_eq!(ArchivePath::default().to_string(), "");
    }
}
