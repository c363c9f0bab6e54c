//! `scanner-state` is leakscan's memory of earlier scans, for incremental re-scans of many
//! repositories: which objects were scanned and what they held, what each repository looked
//! like when last scanned (scanner-git's [`RepoRecord`](scanner_git::RepoRecord)), and when
//! each finding was first and last seen — in one SQLite file (`state.sqlite` in leakscan's
//! cache directory).
//!
//! A run opens the state ([`State::open`]), scans each repository through it
//! ([`State::scan_repository`]): a repository whose refs, packs and loose objects are as
//! recorded is not read at all; another has only its new packs and loose objects read, and
//! only the blobs no earlier scan (of any repository) read are scanned. The findings are
//! still complete, with their provenance over the whole history, as a scan of everything
//! gives them.
//!
//! # Safety of the file
//!
//! - Each repository is recorded in one transaction, in SQLite's write-ahead-log mode: a
//!   crash, a kill or Ctrl-C at any point leaves the state of the last repository that
//!   finished, never a half-written one.
//! - The schema has a version (`meta` table): an older one is migrated in one transaction,
//!   a newer or unknown one refused with a message saying what to do, never misread. A row
//!   that does not decode is ignored (its repository is read again).
//! - The file holds findings with their **secrets in clear text**; it is created with mode
//!   0600.
//!
//! # Memory
//!
//! Before a repository's scan, only the objects its plan names are loaded from the file
//! ([`ScanPlan::for_each_lookup`](scanner_git::ScanPlan::for_each_lookup)): memory is bounded
//! by the largest repository, not by the number of repositories or what the state knows.

#![deny(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod error;
mod known;
mod schema;
mod state;

pub use error::{Error, ErrorKind};
pub use state::{Place, RepoOutcome, RunCounts, Seen, State};

/// The version of the schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = schema::VERSION;

const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<State>();
    assert_send::<Error>();
    assert_send::<RepoOutcome>();
};
