//! The walk through one input's archives: what each piece of bytes is (by its magic
//! bytes), which reader opens it, and the text scan of every leaf, with one [`Budget`] for
//! the whole input.
//!
//! Containers and streams nest freely (a zip in a tar in a gzip). Streams are read as
//! streams: a `.tar.gz` is never held decompressed in memory, only each entry is. A zip
//! needs random access, so a zip met inside a stream or a tar is read into memory first,
//! within the budget.

use std::io::Read;

use super::budget::{read_all, Budget, Stop};
use super::sniff::{self, Format, Sniffed};
use super::{stream, tar, zip, ArchivePath, Limits, Scan, Skip, SkipReason};
use crate::finding::Finding;
use crate::scanner::Scanner;

/// Scans an input that may be an archive: `None` when it has no archive signature (the
/// caller scans it as text), else everything found in and around its archives.
pub(crate) fn scan(scanner: &Scanner, limits: Limits, bytes: &[u8]) -> Option<Scan> {
    if limits.max_depth == 0 {
        return None;
    }
    let sniffed = sniff::bytes(bytes)?;
    let budget = Budget::new(limits);
    let mut walker = Walker {
        scanner,
        budget: &budget,
        findings: Vec::new(),
        skipped: Vec::new(),
    };
    walker.open_bytes(sniffed, bytes, &ArchivePath::default(), 0);
    Some(Scan {
        findings: walker.findings,
        skipped: walker.skipped,
    })
}

/// Whether a reader recognised what it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Opened {
    Yes,
    /// Not an archive after all (a weak signature, or nothing decodable): the caller scans
    /// the bytes as they are.
    No,
}

/// The walk's state: the scanner for leaves, the input's budget, what was found.
pub(super) struct Walker<'a> {
    scanner: &'a Scanner,
    pub(super) budget: &'a Budget,
    findings: Vec<Finding>,
    skipped: Vec<Skip>,
}

impl Walker<'_> {
    /// Scans bytes that are not (or no longer) read as an archive.
    pub(super) fn leaf(&mut self, bytes: &[u8], path: &ArchivePath) {
        let mut found = self.scanner.scan_plain(bytes);
        if !path.is_empty() {
            for f in &mut found {
                f.archive_path = path.clone();
            }
        }
        self.findings.extend(found);
    }

    pub(super) fn skip(&mut self, path: &ArchivePath, reason: SkipReason, detail: String) {
        self.skipped.push(Skip {
            archive_path: path.clone(),
            reason,
            detail,
        });
    }

    /// Bytes in memory at `path`, inside `depth` archives.
    pub(super) fn bytes(&mut self, bytes: &[u8], path: &ArchivePath, depth: u32) {
        match sniff::bytes(bytes) {
            None => self.leaf(bytes, path),
            Some(s) => self.open_bytes(s, bytes, path, depth),
        }
    }

    fn open_bytes(&mut self, s: Sniffed, bytes: &[u8], path: &ArchivePath, depth: u32) {
        if depth >= self.budget.limits.max_depth {
            self.too_deep(s.format, path);
            self.leaf(bytes, path);
            return;
        }
        let opened = match s.format {
            Format::Zip => zip::walk(self, bytes, path, depth + 1, s.strong),
            Format::Tar => tar::walk(self, &mut &bytes[..], path, depth + 1, s.strong, None),
            f => stream::walk(self, f, &mut &bytes[..], path, depth + 1, Some(bytes)),
        };
        if opened == Opened::No {
            self.leaf(bytes, path);
        }
    }

    fn too_deep(&mut self, format: Format, path: &ArchivePath) {
        let limit = self.budget.limits.max_depth;
        self.skip(
            path,
            SkipReason::TooDeep,
            format!(
                "a {} nested deeper than {limit} archives, scanned as it is",
                format.name()
            ),
        );
    }

    /// An entry's bytes or a stream's decompressed bytes at `path`, inside `depth`
    /// archives. Read errors are not returned: the [`Stop`] of the stream that failed has
    /// them, and whoever made that stream reports them (`upstream` is that stop, when the
    /// reader's bytes come through one).
    pub(super) fn reader(
        &mut self,
        reader: &mut dyn Read,
        path: &ArchivePath,
        depth: u32,
        upstream: Option<&Stop>,
    ) {
        if self.budget.exhausted() {
            return;
        }
        let (head, failed) = read_all(
            &mut Read::take(&mut *reader, sniff::HEAD as u64),
            Vec::new(),
        );
        let sniffed = sniff::head(&head).filter(|s| s.format != Format::Zip);
        match sniffed {
            Some(s) if failed.is_none() && (is_stream(s) || head.len() == sniff::HEAD) => {
                if depth >= self.budget.limits.max_depth {
                    self.too_deep(s.format, path);
                    let (all, _) = read_all(reader, head);
                    self.leaf(&all, path);
                    return;
                }
                let mut chained = (&head[..]).chain(reader);
                match s.format {
                    Format::Tar => {
                        tar::walk(self, &mut chained, path, depth + 1, true, upstream);
                    }
                    f => {
                        stream::walk(self, f, &mut chained, path, depth + 1, None);
                    }
                }
            }
            _ => {
                let all = if failed.is_some() {
                    head
                } else {
                    read_all(reader, head).0
                };
                self.bytes(&all, path, depth);
            }
        }
    }
}

/// Streams are recognised by their first bytes alone; a tar needs its whole first header.
fn is_stream(s: Sniffed) -> bool {
    !matches!(s.format, Format::Tar | Format::Zip)
}
