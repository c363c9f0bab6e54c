//! Compressed streams: gzip (flate2 on zlib-rs, every member), bzip2 (every stream), xz
//! (lzma-rust2, every stream, its dictionary within a memory limit) and zstd (every frame,
//! skippable frames skipped, its window within a memory limit). A stream has no entries:
//! its decompressed bytes are read at the same [`ArchivePath`] as the stream.
//!
//! A stream that fails part way (cut short, damaged) yields what it decoded before the
//! failure, which is scanned; the failure is a skip. One that yields nothing is not read
//! as a stream at all: when its compressed bytes are in memory they are scanned as they
//! are, and they are scanned too after any failure, for what might sit in them in clear.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};

use super::budget::{Counting, Input, Metered, Stop, Stopped, XZ_MEMORY_KIB, ZSTD_WINDOW_LOG_MAX};
use super::sniff::Format;
use super::walk::{Opened, Walker};
use super::{ArchivePath, SkipReason};

/// Reads the stream of `format` from `input` and walks what it decompresses to. `raw` is
/// the compressed bytes when they are in memory.
pub(super) fn walk(
    w: &mut Walker<'_>,
    format: Format,
    input: &mut dyn Read,
    path: &ArchivePath,
    depth: u32,
    raw: Option<&[u8]>,
) -> Opened {
    let consumed = Cell::new(0u64);
    let counting = Counting {
        inner: input,
        count: &consumed,
    };
    let decoder: Box<dyn Read + '_> = match decoder(format, counting) {
        Ok(d) => d,
        Err(e) => {
            w.skip(
                path,
                SkipReason::Corrupt,
                format!("{} cannot be opened: {e}", format.name()),
            );
            return Opened::No;
        }
    };
    let stop = Stop::default();
    let mut metered = Metered::new(decoder, w.budget, Input::Counted(&consumed), &stop);
    w.reader(&mut metered, path, depth, Some(&stop));
    // A tar ends at its end marker, before the stream does: read the rest (padding, as a
    // rule) so that a cut or damaged stream is told, not taken for a complete one.
    if !stop.is_set() && !w.budget.exhausted() {
        let _ = std::io::copy(&mut metered, &mut std::io::sink());
    }
    let produced = metered.produced();
    let Some(stopped) = stop.get() else {
        return Opened::Yes;
    };
    let failed = matches!(stopped, Stopped::Error(..));
    let (reason, detail) = stopped.skip(format.name());
    w.skip(path, reason, detail);
    if failed && produced == 0 {
        // Nothing decodable: the bytes are scanned as they are by the caller, when it
        // has them.
        return Opened::No;
    }
    if failed {
        if let Some(raw) = raw {
            w.leaf(raw, path);
        }
    }
    Opened::Yes
}

fn decoder<'a, R: Read + 'a>(format: Format, input: R) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match format {
        Format::Gzip => Box::new(GzMembers::new(BufReader::new(input))),
        Format::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
        Format::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            input,
            true,
            XZ_MEMORY_KIB,
        )),
        Format::Zstd => {
            let mut d = zstd::stream::read::Decoder::new(input)?;
            d.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
            Box::new(d)
        }
        Format::Zip | Format::Tar => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a compressed stream",
            ))
        }
    })
}

/// Every member of a gzip file, one after the other, as `gzip -d` reads them. Bytes after
/// the last member that do not start another (zero padding, trailing garbage) end the
/// stream quietly, as they end gzip's (with a warning there).
struct GzMembers<B: BufRead> {
    current: Option<flate2::bufread::GzDecoder<B>>,
}

impl<B: BufRead> GzMembers<B> {
    fn new(input: B) -> Self {
        GzMembers {
            current: Some(flate2::bufread::GzDecoder::new(input)),
        }
    }
}

impl<B: BufRead> Read for GzMembers<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = &mut self.current else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(decoder) = self.current.take() else {
                return Ok(0);
            };
            let mut input = decoder.into_inner();
            if input.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
                self.current = Some(flate2::bufread::GzDecoder::new(input));
            }
        }
    }
}
