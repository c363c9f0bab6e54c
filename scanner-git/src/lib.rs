//! `scanner-git` scans the whole history of git repositories for leaked AWS credentials:
//! every object in the object database — packs and loose objects, reachable or not
//! (branches, tags, stash, notes, reflog-only and dangling commits) — each blob once, with
//! `scanner-core` doing the detection. For the blobs that matched, it then tells where they
//! come from: the commit and path that introduced them, every other commit and path
//! holding them, the refs they are reachable from, and whether HEAD still holds them.
//!
//! It also scans what a change adds, for hooks and pull requests: what is staged
//! ([`HistoryScanner::scan_staged`]), a range of commits ([`HistoryScanner::scan_range`]),
//! exactly what a push sends ([`HistoryScanner::scan_push`]).
//!
//! Repositories are opened read-only: nothing is written, locked, refreshed or collected.
//! SHA-1 and SHA-256 repositories are both read (SHA-256 with the default `sha256` feature).
//! A damaged pack, a corrupt loose object or
//! objects missing from a shallow or partial clone are reported as [`Problem`]s; the rest is
//! still scanned. Nothing is trusted before it is checked: a pack against its index (CRC-32
//! of every object, its trailing checksum), a pack without a usable index is read from its
//! start, and no size an object merely declares is allocated. What could be read of an object
//! that is not whole is scanned too, and its findings say so ([`HistoryFinding::damage`]).
//!
//! # Words
//!
//! - A [`Location`](scanner_core::Location) (scanner-core) is where a finding is *inside*
//!   the scanned bytes: line and column.
//! - An [`Origin`] is what those bytes *are*: a blob, a commit or tag message, a staged
//!   file.
//! - A [`Provenance`] is a blob's history: the commit that [introduced](Introduction) it,
//!   the other commits [holding](Holding) it, the refs that reach it, whether HEAD has it.
//!
//! # Example
//!
//! ```no_run
//! use scanner_core::Scanner;
//! use scanner_git::{HistoryOptions, HistoryScanner, Origin};
//!
//! let history = HistoryScanner::new(Scanner::default(), HistoryOptions::default());
//! let scan = history.scan_repository(std::path::Path::new("."))?;
//! for f in &scan.findings {
//!     if let Origin::Blob { id, provenance } = &f.origin {
//!         match &provenance.introduced {
//!             Some(i) => println!("{} in {} at {}:{}", f.finding.kind.as_str(), i.commit.id, i.path, f.finding.location.line),
//!             None => println!("{} in blob {id}, which no commit holds", f.finding.kind.as_str()),
//!         }
//!     }
//! }
//! for p in &scan.problems {
//!     eprintln!("{p}");
//! }
//! # Ok::<(), scanner_git::Error>(())
//! ```
//!
//! `examples/scan_history.rs` is a complete program doing this.
//!
//! # Incremental scans
//!
//! A caller that remembers earlier scans (leakscan keeps them in a state database) scans
//! in two steps: [`HistoryScanner::plan`] compares the repository with the [`RepoRecord`]
//! of its last scan (refs, packs, loose objects) and says which objects the scan may ask
//! about; [`HistoryScanner::scan_planned`] reads only the packs the record does not cover
//! and the loose objects, scans only the blobs the caller's [`KnownObjects`] does not know,
//! and still resolves provenance over the whole history. Its findings equal those of
//! [`HistoryScanner::scan_repository`]; its [`RepoScan::record`] and
//! [`RepoScan::scanned_blobs`] are what to remember for next time.
//!
//! # Progress and cancellation
//!
//! [`HistoryScanner::progress`] hands out counters another thread can read while a scan
//! runs ([`ScanProgress`]); [`HistoryScanner::cancel_token`] a [`CancelToken`] that stops it.
//! A cancelled scan returns what it found so far, flagged [`RepoScan::cancelled`].
//!
//! # Cost and memory
//!
//! Each pack is traversed so that every delta base is inflated once (gix's delta-tree
//! traversal), in parallel; loose objects are read one by one. Memory holds, besides one
//! pack's delta tree at a time and the part of its mapping touched since the last release:
//! the ids of all blobs seen in the run (for deduplication across repositories), the ids
//! referenced by trees (to report missing objects and locate findings), one small record
//! per commit, and the findings. Provenance reads again only the trees that lead to a
//! finding, each once.
//!
//! # Features
//!
//! - `sha256` (default): SHA-256 repositories. Without it, scanning one is an error of kind
//!   [`ErrorKind::Unsupported`], and every object id in memory is 12 bytes smaller (gix
//!   sizes its ids for the largest hash compiled in): about 11% less peak memory on a
//!   full-history scan of SHA-1 repositories.
//! - `serde`: `Serialize` and `Deserialize` for the value types ([`ObjectId`],
//!   [`CommitTime`], [`Origin`] and its parts, [`Problem`], [`HistoryStats`],
//!   [`PushedRef`], [`Change`], and [`HistoryFinding`] — with its finding's secret **in
//!   clear text**: it turns on scanner-core's `serde` feature).

#![deny(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod changes;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod graph;
mod id;
mod incremental;
mod loose;
mod odb;
mod origin;
mod pass;
mod progress;
mod provenance;
mod record;
mod repo;
mod scanner;
mod sync;
mod time;

// The README's Rust snippets, compiled (and run, unless marked `no_run`) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}

pub use bstr::BString;
pub use changes::{ChangeScan, PushedRef};
pub use error::{Error, ErrorKind, Problem, ProblemKind};
pub use id::{HashKind, ObjectId, ParseObjectIdError};
pub use incremental::{Change, KnownObjects, ScanPlan};
pub use origin::{CommitInfo, Holding, Introduction, Origin, Provenance};
pub use progress::{CancelToken, ScanProgress};
pub use record::{RecordError, RepoRecord};
pub use scanner::{HistoryFinding, HistoryOptions, HistoryScanner, HistoryStats, RepoScan};
pub use time::CommitTime;

// Every public type can be shared between threads: checked at compile time, on every build.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<HistoryScanner>();
    assert_send_sync::<HistoryOptions>();
    assert_send_sync::<ScanProgress>();
    assert_send_sync::<CancelToken>();
    assert_send_sync::<RepoScan>();
    assert_send_sync::<ChangeScan>();
    assert_send_sync::<HistoryFinding>();
    assert_send_sync::<HistoryStats>();
    assert_send_sync::<Origin>();
    assert_send_sync::<Provenance>();
    assert_send_sync::<Introduction>();
    assert_send_sync::<Holding>();
    assert_send_sync::<CommitInfo>();
    assert_send_sync::<CommitTime>();
    assert_send_sync::<ObjectId>();
    assert_send_sync::<HashKind>();
    assert_send_sync::<ParseObjectIdError>();
    assert_send_sync::<PushedRef>();
    assert_send_sync::<RepoRecord>();
    assert_send_sync::<RecordError>();
    assert_send_sync::<Change>();
    assert_send_sync::<Problem>();
    assert_send_sync::<ProblemKind>();
    assert_send_sync::<Error>();
    assert_send_sync::<ErrorKind>();
};
