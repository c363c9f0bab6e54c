//! `Scanner` on any bytes: it must not panic, must not allocate by what an archive merely
//! declares, and must find the same with and without its prefilter (the prefilter may only
//! skip work, never findings) and through a reader as on a slice.
//!
//! Input: one byte choosing the check, then the bytes scanned.
//! - even: `scan_detailed` (archives opened, within small limits), and `scan_reader` in
//!   odd-sized chunks must equal `scan`;
//! - odd: `scan` with the prefilter on must equal `scan` with it off (inputs up to 4 KiB:
//!   the exhaustive reference is slow by design).

use std::io::Read;

use scanner_core::{Prefilter, Scanner};

/// A reader handing out its bytes in pieces of 1 to 7 bytes.
struct Chunked<'a>(&'a [u8], usize);

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.1 = self.1 % 7 + 1;
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn main() {
    let on = Scanner::builder()
        .max_archive_bytes(8 << 20)
        .max_archive_entries(1000)
        .build();
    let off = Scanner::builder().prefilter(Prefilter::Off).build();
    afl::fuzz!(|data: &[u8]| {
        let Some((&what, rest)) = data.split_first() else {
            return;
        };
        if what % 2 == 0 {
            let _ = on.scan_detailed(rest);
            let whole = on.scan(rest);
            let read = on.scan_reader(Chunked(rest, 0)).expect("reading a slice cannot fail");
            assert_eq!(whole, read, "a chunked read found something else");
        } else if rest.len() <= 4096 {
            let plain = Scanner::builder().build();
            assert_eq!(plain.scan(rest), off.scan(rest), "the prefilter lost a finding");
        }
    });
}
