//! Inflating one zlib stream of untrusted bytes: output grows only as the stream yields it,
//! never by a size the data merely declares, and how the stream ended is always known (the
//! traversal's own inflate pads a stream that stops early with zeros and calls it whole).

use gix::zlib::{Decompress, FlushDecompress, Status};

/// Deflate cannot expand data by more than 1032:1 (a run of 258 bytes per 2 bits, in
/// blocks of at least a few bytes); zlib adds 6 bytes of framing. Anything declaring more
/// than this of its compressed bytes declares what they cannot hold.
pub(crate) fn max_inflated_len(compressed: u64) -> u64 {
    compressed.saturating_mul(1032).saturating_add(1024)
}

/// How a stream ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The stream ended, its Adler-32 checksum checked by zlib.
    Complete,
    /// The input ended first: the stream is cut short (or lacks its checksum).
    InputEnded,
    /// The stream is corrupt here (zlib's reason, e.g. `incorrect data check`).
    Corrupt(String),
    /// The stream yields more than `limit` bytes: it was not inflated further.
    OverLimit,
}

/// What [`inflate`] did.
#[derive(Clone, Debug)]
pub(crate) struct Inflated {
    /// Bytes the stream yielded (at most `limit`).
    pub(crate) produced: u64,
    /// Compressed bytes read.
    pub(crate) consumed: usize,
    pub(crate) end: End,
}

impl Inflated {
    /// Why a stream that should have yielded `declared` bytes is not a whole object, or
    /// `None` when it is one.
    pub(crate) fn damage(&self, declared: u64) -> Option<String> {
        match &self.end {
            End::Complete if self.produced == declared => None,
            End::Complete => Some(format!(
                "its zlib stream ends after {} of the {declared} bytes it declares",
                self.produced
            )),
            End::InputEnded if self.produced == declared => Some(format!(
                "cut short: all {declared} bytes are there, but the end of its zlib stream (the Adler-32 checksum) is missing"
            )),
            End::InputEnded => Some(format!(
                "cut short: {} of its {declared} bytes could be read",
                self.produced
            )),
            End::Corrupt(why) => Some(format!(
                "corrupt zlib stream ({why}) after {} of its {declared} bytes",
                self.produced
            )),
            End::OverLimit => Some(format!(
                "its zlib stream yields more than the {declared} bytes it declares"
            )),
        }
    }

    /// Whether the object was cut short (rather than corrupt): its input ended early.
    pub(crate) fn is_cut_short(&self) -> bool {
        self.end == End::InputEnded
    }
}

/// Size of the chunks output is inflated in.
const CHUNK: usize = 64 * 1024;

/// Inflates the zlib stream at the start of `input`, handing what it yields to `sink` in
/// chunks, and stops after `limit` bytes (reporting [`End::OverLimit`] if it would yield
/// more). Never fails: every way a stream can end is an [`End`].
pub(crate) fn inflate(
    zlib: &mut Decompress,
    input: &[u8],
    limit: u64,
    mut sink: impl FnMut(&[u8]),
) -> Inflated {
    zlib.reset();
    let mut buf = [0u8; 4096];
    let mut big: Vec<u8> = Vec::new();
    let mut produced = 0u64;
    let mut consumed = 0usize;
    loop {
        // Small streams (most objects) need no heap buffer; a stream that fills the first
        // 4 KiB gets a larger one.
        let out: &mut [u8] = if produced < buf.len() as u64 {
            &mut buf
        } else {
            if big.is_empty() {
                big = vec![0; CHUNK];
            }
            &mut big
        };
        let rest = input.get(consumed..).unwrap_or_default();
        let (in0, out0) = (zlib.total_in(), zlib.total_out());
        let status = zlib.decompress(rest, out, FlushDecompress::None);
        let read = usize::try_from(zlib.total_in() - in0).unwrap_or(usize::MAX);
        let written = usize::try_from(zlib.total_out() - out0).unwrap_or(usize::MAX);
        consumed = consumed.saturating_add(read).min(input.len());
        let written = written.min(out.len());
        let room = limit.saturating_sub(produced);
        if written as u64 > room {
            // `room` < `written` <= out.len(), so it fits a usize.
            sink(&out[..room as usize]);
            return Inflated {
                produced: limit,
                consumed,
                end: End::OverLimit,
            };
        }
        sink(&out[..written]);
        produced += written as u64;
        let end = match status {
            Ok(Status::StreamEnd) => End::Complete,
            Ok(_) if read == 0 && written == 0 => End::InputEnded,
            Ok(_) => continue,
            Err(_) => End::Corrupt(
                zlib.error_message()
                    .unwrap_or("invalid deflate data")
                    .to_string(),
            ),
        };
        return Inflated {
            produced,
            consumed,
            end,
        };
    }
}

/// [`inflate`] into a vector, growing it as the stream yields bytes.
pub(crate) fn inflate_to_vec(
    zlib: &mut Decompress,
    input: &[u8],
    limit: u64,
    out: &mut Vec<u8>,
) -> Inflated {
    out.clear();
    inflate(zlib, input, limit, |chunk| out.extend_from_slice(chunk))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deflate(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut w =
            gix::zlib::stream::deflate::Write::new(Vec::new(), gix::zlib::Compression::DEFAULT);
        w.write_all(data).expect("writes to memory");
        w.flush().expect("flushes to memory");
        w.into_inner()
    }

    #[test]
    fn every_ending_of_a_stream_is_told_apart() {
        let data: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let z = deflate(&data);
        let mut zlib = Decompress::new();
        let mut out = Vec::new();

        let whole = inflate_to_vec(&mut zlib, &z, data.len() as u64, &mut out);
        assert_eq!(
            (whole.end.clone(), whole.consumed),
            (End::Complete, z.len())
        );
        assert_eq!(out, data);
        assert_eq!(whole.damage(data.len() as u64), None);

        // Trailing bytes are not read.
        let mut longer = z.clone();
        longer.extend_from_slice(b"next entry");
        assert_eq!(
            inflate_to_vec(&mut zlib, &longer, u64::MAX, &mut out).consumed,
            z.len()
        );

        let cut = inflate_to_vec(&mut zlib, &z[..z.len() / 2], u64::MAX, &mut out);
        assert_eq!(cut.end, End::InputEnded);
        assert!(cut.produced > 0 && cut.produced < data.len() as u64);
        assert_eq!(out, data[..out.len()], "what was read is what was written");

        let no_adler = inflate_to_vec(&mut zlib, &z[..z.len() - 4], u64::MAX, &mut out);
        assert_eq!(no_adler.end, End::InputEnded);
        assert_eq!(no_adler.produced, data.len() as u64);
        assert!(no_adler
            .damage(data.len() as u64)
            .is_some_and(|d| d.contains("Adler-32")));

        let mut bad = z.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        let corrupt = inflate_to_vec(&mut zlib, &bad, u64::MAX, &mut out);
        assert!(matches!(corrupt.end, End::Corrupt(_)), "{corrupt:?}");

        let capped = inflate_to_vec(&mut zlib, &z, 1000, &mut out);
        assert_eq!(
            (capped.end, capped.produced, out.len()),
            (End::OverLimit, 1000, 1000)
        );

        let none = inflate_to_vec(&mut zlib, b"", u64::MAX, &mut out);
        assert_eq!((none.end, none.produced), (End::InputEnded, 0));
    }
}
