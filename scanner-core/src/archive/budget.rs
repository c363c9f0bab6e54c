//! Every limit of archive reading, in one place: the decompressed-bytes budget and the entry
//! count shared by a whole input, the compression ratio of each stream, and the memory of
//! the xz and zstd windows.
//!
//! Limits are enforced on bytes as they come out of a decoder, never on sizes an archive
//! declares: a header can lie, the decoder's output cannot. Nothing is allocated for a
//! declared size; buffers grow with the bytes that actually arrived, and those are bounded
//! by the budget. "Limit reached" and "stream ended" are told apart by asking for one byte
//! more than the budget allows: only when it arrives is the limit reached.

use std::cell::Cell;
use std::io::{self, Read};

use super::{Limits, SkipReason, RATIO_FLOOR};

/// Memory an xz block's dictionary may need, in KiB: 128 MiB, twice what `xz -9` uses.
pub(super) const XZ_MEMORY_KIB: u32 = 128 << 10;
/// Largest zstd window, as a power of two: 128 MiB, zstd's own default for decoders
/// (`zstd --long=31` archives need `--memory` on the command line too).
pub(super) const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// The shared limits of one input: decompressed bytes and entries left.
#[derive(Debug)]
pub(super) struct Budget {
    pub(super) limits: Limits,
    bytes_left: Cell<u64>,
    entries_left: Cell<u64>,
    /// Set once the bytes or entries ran out: nothing more is read from this input.
    exhausted: Cell<bool>,
}

impl Budget {
    pub(super) fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            bytes_left: Cell::new(limits.max_bytes),
            entries_left: Cell::new(limits.max_entries),
            exhausted: Cell::new(false),
        }
    }

    /// Whether a limit of the whole input was reached (and reported where it was).
    pub(super) fn exhausted(&self) -> bool {
        self.exhausted.get()
    }

    /// Counts one entry; false (and exhausted from now on) when there is none left.
    pub(super) fn take_entry(&self) -> bool {
        match self.entries_left.get() {
            0 => {
                self.exhausted.set(true);
                false
            }
            n => {
                self.entries_left.set(n - 1);
                true
            }
        }
    }
}

/// Why a metered stream stopped early.
#[derive(Debug, Clone)]
pub(super) enum Stopped {
    /// A limit: reported with this reason and detail.
    Limit(SkipReason, String),
    /// The decoder failed: truncated or corrupt input.
    Error(io::ErrorKind, String),
}

impl Stopped {
    /// The reason and detail a skip reports.
    pub(super) fn skip(&self, format: &str) -> (SkipReason, String) {
        match self {
            Stopped::Limit(reason, detail) => (*reason, detail.clone()),
            Stopped::Error(kind, message) => {
                let reason = if *kind == io::ErrorKind::OutOfMemory || message.contains("memory") {
                    SkipReason::MemoryLimit
                } else if *kind == io::ErrorKind::Unsupported
                    || message.contains("not supported")
                    || message.contains("unsupported")
                {
                    SkipReason::Unsupported
                } else if *kind == io::ErrorKind::UnexpectedEof
                    || message.contains("unexpected EOF")
                    || message.contains("premature")
                {
                    SkipReason::Truncated
                } else {
                    SkipReason::Corrupt
                };
                let what = match reason {
                    SkipReason::MemoryLimit => "needs more memory than allowed",
                    SkipReason::Truncated => "ends early",
                    SkipReason::Unsupported => "is not supported",
                    _ => "is damaged",
                };
                (reason, format!("{format} {what}: {message}"))
            }
        }
    }
}

/// Where a stop is recorded: set by the first failure of a stream, read by the walker that
/// made the stream once its consumer gave up.
#[derive(Default)]
pub(super) struct Stop(Cell<Option<Stopped>>);

impl Stop {
    pub(super) fn is_set(&self) -> bool {
        let v = self.0.take();
        let set = v.is_some();
        self.0.set(v);
        set
    }

    fn set_once(&self, s: Stopped) {
        let v = self.0.take();
        self.0.set(v.or(Some(s)));
    }

    pub(super) fn get(&self) -> Option<Stopped> {
        let v = self.0.take();
        self.0.set(v.clone());
        v
    }
}

/// How much compressed input a stream has consumed, for its ratio.
#[derive(Debug, Clone, Copy)]
pub(super) enum Input<'a> {
    /// Counted as the decoder reads it.
    Counted(&'a Cell<u64>),
    /// Counted by a reader shared with other streams (a zip archive's): the bytes read
    /// since the stream started.
    Since(&'a Cell<u64>, u64),
    /// Known in advance.
    #[cfg_attr(not(test), allow(dead_code))]
    Known(u64),
}

impl Input<'_> {
    fn get(self) -> u64 {
        match self {
            Input::Counted(c) => c.get(),
            Input::Since(c, start) => c.get().saturating_sub(start),
            Input::Known(n) => n,
        }
    }
}

/// Counts the bytes read through it (the compressed side of a stream).
pub(super) struct Counting<'a, R> {
    pub(super) inner: R,
    pub(super) count: &'a Cell<u64>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// The decompressed side of a stream: charges its bytes to the budget, checks the ratio,
/// and records the first failure (a limit, or the decoder's error) in `stop`. Once stopped
/// it only returns errors, so that whoever drains it (tar skipping to the next entry)
/// stops at once.
pub(super) struct Metered<'a, R> {
    inner: R,
    budget: &'a Budget,
    input: Input<'a>,
    out: u64,
    stop: &'a Stop,
}

impl<'a, R: Read> Metered<'a, R> {
    pub(super) fn new(inner: R, budget: &'a Budget, input: Input<'a>, stop: &'a Stop) -> Self {
        Metered {
            inner,
            budget,
            input,
            out: 0,
            stop,
        }
    }

    /// The bytes handed out so far.
    pub(super) fn produced(&self) -> u64 {
        self.out
    }

    fn fail(&self, s: Stopped) -> io::Error {
        self.stop.set_once(s);
        stopped()
    }
}

/// The error a stopped stream returns; its reason is in the [`Stop`].
fn stopped() -> io::Error {
    io::Error::other("archive reading stopped")
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stop.is_set() || self.budget.exhausted() {
            return Err(stopped());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let left = self.budget.bytes_left.get();
        // One byte more than allowed: if it arrives, the budget is spent.
        let want = buf
            .len()
            .min(usize::try_from(left.saturating_add(1)).unwrap_or(usize::MAX));
        let n = loop {
            match self.inner.read(&mut buf[..want]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let message = e.to_string();
                    return Err(self.fail(Stopped::Error(e.kind(), message)));
                }
            }
        };
        let n64 = n as u64;
        if n64 > left {
            self.budget.bytes_left.set(0);
            self.budget.exhausted.set(true);
            self.out += left;
            self.stop.set_once(Stopped::Limit(
                SkipReason::TooManyBytes,
                format!(
                    "stopped after {} decompressed bytes, the limit for one input",
                    self.budget.limits.max_bytes
                ),
            ));
            // The bytes up to the limit are scanned; the next read fails.
            return Ok(usize::try_from(left).unwrap_or(0));
        }
        self.budget.bytes_left.set(left - n64);
        self.out += n64;
        let ratio = self.budget.limits.max_ratio;
        let input = self.input.get().max(1);
        if ratio > 0 && self.out > RATIO_FLOOR && self.out > ratio.saturating_mul(input) {
            self.stop.set_once(Stopped::Limit(
                SkipReason::Ratio,
                format!(
                    "stopped after {} bytes decompressed from {} compressed bytes, over the \
                     ratio limit of {ratio}:1",
                    self.out,
                    self.input.get()
                ),
            ));
        }
        Ok(n)
    }
}

/// Reads `reader` to its end, or to its first error, into a buffer that grows with what
/// arrives (never with what a header declares). The error, if any, is in the stream's
/// [`Stop`] when the reader is [`Metered`]; plain readers' errors are returned.
pub(super) fn read_all(reader: &mut dyn Read, first: Vec<u8>) -> (Vec<u8>, Option<io::Error>) {
    let mut buf = first;
    let mut chunk = [0u8; 64 << 10];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => return (buf, None),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (buf, Some(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_bytes: u64, max_ratio: u64) -> Limits {
        Limits {
            max_bytes,
            max_ratio,
            ..Limits::default()
        }
    }

    #[test]
    fn the_budget_is_reached_only_when_a_byte_past_it_arrives() {
        let data = vec![7u8; 1000];
        let budget = Budget::new(limits(1000, 0));
        let stop = Stop::default();
        let mut m = Metered::new(&data[..], &budget, Input::Known(1000), &stop);
        let (buf, err) = read_all(&mut m, Vec::new());
        assert_eq!(
            (buf.len(), err.is_none(), stop.is_set()),
            (1000, true, false)
        );

        let budget = Budget::new(limits(999, 0));
        let stop = Stop::default();
        let mut m = Metered::new(&data[..], &budget, Input::Known(1000), &stop);
        let (buf, err) = read_all(&mut m, Vec::new());
        assert_eq!(buf.len(), 999);
        assert!(err.is_some());
        assert!(budget.exhausted());
        assert!(matches!(
            stop.get(),
            Some(Stopped::Limit(SkipReason::TooManyBytes, _))
        ));
    }

    #[test]
    fn the_ratio_applies_past_the_floor_only() {
        let data = vec![0u8; (RATIO_FLOOR as usize) * 3];
        let budget = Budget::new(limits(u64::MAX, 100));
        let stop = Stop::default();
        let small = vec![0u8; 1000];
        let mut m = Metered::new(&small[..], &budget, Input::Known(1), &stop);
        assert_eq!(read_all(&mut m, Vec::new()).0.len(), 1000);
        assert!(!stop.is_set(), "under the floor, any ratio is fine");
        let mut m = Metered::new(&data[..], &budget, Input::Known(1000), &stop);
        let (buf, err) = read_all(&mut m, Vec::new());
        assert!(err.is_some());
        assert!(buf.len() as u64 <= RATIO_FLOOR + (64 << 10));
        assert!(matches!(
            stop.get(),
            Some(Stopped::Limit(SkipReason::Ratio, _))
        ));
    }

    #[test]
    fn entries_run_out() {
        let budget = Budget::new(Limits {
            max_entries: 2,
            ..Limits::default()
        });
        assert!(budget.take_entry() && budget.take_entry());
        assert!(!budget.take_entry());
        assert!(budget.exhausted());
    }
}
