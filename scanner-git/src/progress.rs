//! Watching and stopping a scan from another thread: counters a progress display reads,
//! and a token that cancels.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// How far the scans of a [`HistoryScanner`](crate::HistoryScanner) have come, for a
/// progress display on another thread ([`HistoryScanner::progress`](crate::HistoryScanner::progress)).
///
/// Every counter covers the whole life of the scanner (all repositories so far) and only
/// grows. Reads are relaxed: a display may see one counter a little ahead of another.
#[derive(Debug, Default)]
pub struct ScanProgress {
    objects_done: AtomicU64,
    objects_total: AtomicU64,
    blobs_scanned: AtomicU64,
    bytes_scanned: AtomicU64,
    repositories_started: AtomicU64,
    repositories_done: AtomicU64,
}

impl ScanProgress {
    /// Objects visited so far, and objects known so far: the packed objects of the
    /// repositories opened (from their pack indexes) plus the loose objects read. The
    /// total grows as repositories are opened; `done <= total` always holds.
    pub fn objects(&self) -> (u64, u64) {
        let done = self.objects_done.load(Ordering::Relaxed);
        (done, self.objects_total.load(Ordering::Relaxed).max(done))
    }

    /// Blobs given to the scanner so far (each unique blob once), and their bytes.
    pub fn blobs_scanned(&self) -> (u64, u64) {
        (
            self.blobs_scanned.load(Ordering::Relaxed),
            self.bytes_scanned.load(Ordering::Relaxed),
        )
    }

    /// Repository scans (full, staged, range or push) started and finished so far.
    pub fn repositories(&self) -> (u64, u64) {
        (
            self.repositories_started.load(Ordering::Relaxed),
            self.repositories_done.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn add_objects_total(&self, n: u64) {
        self.objects_total.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn object_done(&self) {
        self.objects_done.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn blob_scanned(&self, bytes: u64) {
        self.blobs_scanned.fetch_add(1, Ordering::Relaxed);
        self.bytes_scanned.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn repository_started(&self) {
        self.repositories_started.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn repository_done(&self) {
        self.repositories_done.fetch_add(1, Ordering::Relaxed);
    }
}

/// Cancels the scans of a [`HistoryScanner`](crate::HistoryScanner) from another thread
/// (a signal handler, a UI): [`HistoryScanner::cancel_token`](crate::HistoryScanner::cancel_token)
/// hands out clones that share one flag.
///
/// The scans check it between objects of the object pass, between commits of a range, and
/// before each repository. A cancelled scan returns what it found so far, marked
/// `cancelled`; every later scan of the same scanner returns at once, cancelled. Cancelling
/// cannot be undone.
///
/// ```
/// use scanner_git::{HistoryOptions, HistoryScanner};
///
/// let history = HistoryScanner::new(Default::default(), HistoryOptions::default());
/// let token = history.cancel_token();
/// std::thread::spawn(move || token.cancel()).join().expect("the thread ran");
/// assert!(history.cancel_token().is_cancelled());
/// ```
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks every scan holding this token to stop as soon as it can.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](CancelToken::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
