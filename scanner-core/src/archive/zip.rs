//! zip and its family (jar, war, ear, whl, apk, nupkg, docx, xlsx, pptx, odt, ...): the
//! central directory first, as every zip reader does, then, when it cannot be found (a cut
//! download), the local headers one after the other. Data before the zip (a shell stub, a
//! self-extractor) is scanned as text of the outer file. Encrypted entries are reported,
//! not read.
//!
//! Entries with the same name: the `zip` crate keeps the last of them only, yet unzip
//! extracts the first. When the central directory has duplicates, the local headers that
//! no kept entry starts at are read too, so that every copy is scanned.

use std::cell::Cell;
use std::io::{self, Cursor, Read, Seek, SeekFrom};

use ::zip::read::read_zipfile_from_stream;
use ::zip::result::{ZipError, ZipResult};
use ::zip::ZipArchive;

use super::budget::{Counting, Input, Metered, Stop};
use super::walk::{Opened, Walker};
use super::{ArchivePath, SkipReason};

/// Walks the zip in `bytes`; `strong` when the bytes start like a zip.
pub(super) fn walk(
    w: &mut Walker<'_>,
    bytes: &[u8],
    path: &ArchivePath,
    depth: u32,
    strong: bool,
) -> Opened {
    let read = Cell::new(0);
    let tracked = Tracked {
        cursor: Cursor::new(bytes),
        read: &read,
    };
    match ZipArchive::new(tracked) {
        Ok(archive) => central(w, archive, bytes, path, depth, strong, &read),
        Err(e) => local(w, bytes, path, depth, strong, &e),
    }
}

/// The archive's bytes, counting what is read of them: an entry's ratio is its output
/// over the compressed bytes read so far (not its declared size, which is all of it).
struct Tracked<'a> {
    cursor: Cursor<&'a [u8]>,
    read: &'a Cell<u64>,
}

impl Read for Tracked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.cursor.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

impl Seek for Tracked<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.cursor.seek(pos)
    }
}

fn central(
    w: &mut Walker<'_>,
    mut archive: ZipArchive<Tracked<'_>>,
    bytes: &[u8],
    path: &ArchivePath,
    depth: u32,
    strong: bool,
    read: &Cell<u64>,
) -> Opened {
    if archive.is_empty() && !strong {
        return Opened::No;
    }
    let offset = usize::try_from(archive.offset())
        .unwrap_or(bytes.len())
        .min(bytes.len());
    if offset > 0 {
        w.leaf(&bytes[..offset], path);
    }
    let mut starts = Vec::with_capacity(archive.len().min(1 << 16));
    let mut names = Vec::new();
    for i in 0..archive.len() {
        if w.budget.exhausted() {
            return Opened::Yes;
        }
        if !take_entry(w, path) {
            return Opened::Yes;
        }
        let (name, is_dir, encrypted) = match archive.by_index_data(i) {
            Ok(e) => {
                starts.push(e.header_start());
                (
                    entry_name(e.name(), e.name_raw()),
                    e.is_dir(),
                    e.encrypted(),
                )
            }
            Err(e) => {
                w.skip(path, SkipReason::Corrupt, format!("zip entry {i}: {e}"));
                continue;
            }
        };
        if is_dir {
            continue;
        }
        let child = path.child(name.clone());
        names.push(name);
        if encrypted {
            encrypted_entry(w, &child);
            continue;
        }
        let start = read.get();
        entry(
            w,
            archive.by_index(i),
            Input::Since(read, start),
            &child,
            depth,
        );
    }
    if archive.has_duplicate_names() {
        shadowed(w, bytes, offset, &starts, &names, path, depth);
    }
    Opened::Yes
}

/// The entries of a zip whose central directory cannot be read, by their local headers.
fn local(
    w: &mut Walker<'_>,
    bytes: &[u8],
    path: &ArchivePath,
    depth: u32,
    strong: bool,
    why: &ZipError,
) -> Opened {
    let consumed = Cell::new(0);
    let mut rest = Counting {
        inner: bytes,
        count: &consumed,
    };
    let mut read = 0u64;
    let end = loop {
        if w.budget.exhausted() {
            return Opened::Yes;
        }
        let start = consumed.get();
        match read_zipfile_from_stream(&mut rest) {
            Ok(Some(file)) => {
                read += 1;
                if !take_entry(w, path) {
                    return Opened::Yes;
                }
                if file.is_dir() {
                    continue;
                }
                let child = path.child(entry_name(file.name(), file.name_raw()));
                if file.encrypted() {
                    encrypted_entry(w, &child);
                    continue;
                }
                entry(w, Ok(file), Input::Since(&consumed, start), &child, depth);
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    if read == 0 {
        if strong {
            w.skip(
                path,
                SkipReason::Corrupt,
                format!("not a readable zip archive: {why}"),
            );
        }
        return Opened::No;
    }
    let then = end.map_or_else(String::new, |e| format!(", then: {e}"));
    w.skip(
        path,
        SkipReason::Truncated,
        format!(
            "zip archive without a readable central directory ({why}): {read} entries read \
             by their local headers{then}"
        ),
    );
    Opened::Yes
}

/// The copies of duplicate names that the central directory hides: local headers no kept
/// entry starts at, holding one of the archive's names.
fn shadowed(
    w: &mut Walker<'_>,
    bytes: &[u8],
    offset: usize,
    starts: &[u64],
    names: &[String],
    path: &ArchivePath,
    depth: u32,
) {
    for at in memchr::memmem::find_iter(&bytes[offset..], b"PK\x03\x04") {
        let at = offset + at;
        if starts.contains(&(at as u64)) || w.budget.exhausted() {
            continue;
        }
        let consumed = Cell::new(0);
        let mut rest = Counting {
            inner: &bytes[at..],
            count: &consumed,
        };
        let Ok(Some(file)) = read_zipfile_from_stream(&mut rest) else {
            continue;
        };
        let name = entry_name(file.name(), file.name_raw());
        if file.is_dir() || !names.contains(&name) {
            continue;
        }
        if !take_entry(w, path) {
            return;
        }
        let child = path.child(name);
        if file.encrypted() {
            encrypted_entry(w, &child);
            continue;
        }
        let start = consumed.get();
        entry(w, Ok(file), Input::Since(&consumed, start), &child, depth);
    }
}

fn take_entry(w: &mut Walker<'_>, path: &ArchivePath) -> bool {
    if w.budget.take_entry() {
        return true;
    }
    let limit = w.budget.limits.max_entries;
    w.skip(
        path,
        SkipReason::TooManyEntries,
        format!("stopped after {limit} entries, the limit for one input"),
    );
    false
}

fn encrypted_entry(w: &mut Walker<'_>, child: &ArchivePath) {
    w.skip(
        child,
        SkipReason::Encrypted,
        "encrypted zip entry: not read (no password)".to_string(),
    );
}

/// Reads one entry through the budget and walks its bytes.
fn entry<R: Read>(
    w: &mut Walker<'_>,
    file: ZipResult<::zip::read::ZipFile<'_, R>>,
    input: Input<'_>,
    child: &ArchivePath,
    depth: u32,
) {
    let mut file = match file {
        Ok(f) => f,
        Err(e) => {
            let reason = match e {
                ZipError::UnsupportedArchive(_) => SkipReason::Unsupported,
                _ => SkipReason::Corrupt,
            };
            w.skip(child, reason, format!("zip entry cannot be read: {e}"));
            return;
        }
    };
    let stop = Stop::default();
    let mut metered = Metered::new(&mut file, w.budget, input, &stop);
    w.reader(&mut metered, child, depth, Some(&stop));
    if let Some(stopped) = stop.get() {
        let (reason, detail) = stopped.skip("zip entry");
        w.skip(child, reason, detail);
    }
}

/// An entry's name: as the archive says (UTF-8 or CP437), else its bytes lossily.
fn entry_name(name: ZipResult<std::borrow::Cow<'_, str>>, raw: &[u8]) -> String {
    match name {
        Ok(n) => n.into_owned(),
        Err(_) => String::from_utf8_lossy(raw).into_owned(),
    }
}
