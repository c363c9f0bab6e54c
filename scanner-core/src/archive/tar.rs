//! tar (POSIX, GNU, v7; long names and PAX headers through the `tar` crate), read as a
//! stream: entry after entry, each entry's bytes walked on their own. Regular files are
//! read; directories, links and devices have no bytes; sparse files are skipped (their
//! holes would be bytes that no input paid for).

use std::io::Read;

use super::budget::Stop;
use super::walk::{Opened, Walker};
use super::{ArchivePath, SkipReason};

/// Walks the entries of the tar read from `input`. `upstream` is the stop of the stream
/// the tar comes out of, whose failure its walker reports (so the tar does not report it
/// twice).
pub(super) fn walk(
    w: &mut Walker<'_>,
    input: &mut dyn Read,
    path: &ArchivePath,
    depth: u32,
    strong: bool,
    upstream: Option<&Stop>,
) -> Opened {
    let mut archive = ::tar::Archive::new(input);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            w.skip(
                path,
                SkipReason::Corrupt,
                format!("tar archive cannot be read: {e}"),
            );
            return Opened::Yes;
        }
    };
    for (read, entry) in entries.enumerate() {
        if w.budget.exhausted() {
            break;
        }
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                if upstream.is_some_and(Stop::is_set) {
                    break;
                }
                if read == 0 && !strong {
                    return Opened::No;
                }
                let message = e.to_string();
                let reason = if message.contains("EOF") {
                    SkipReason::Truncated
                } else {
                    SkipReason::Corrupt
                };
                w.skip(
                    path,
                    reason,
                    format!("tar archive ends early or is damaged after {read} entries: {message}"),
                );
                break;
            }
        };
        if !w.budget.take_entry() {
            let limit = w.budget.limits.max_entries;
            w.skip(
                path,
                SkipReason::TooManyEntries,
                format!("stopped after {limit} entries, the limit for one input"),
            );
            break;
        }
        let kind = entry.header().entry_type();
        if kind.is_gnu_sparse() {
            let child = path.child(name(&entry.path_bytes()));
            w.skip(
                &child,
                SkipReason::Unsupported,
                "sparse file in a tar archive: not read".to_string(),
            );
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            continue;
        }
        let child = path.child(name(&entry.path_bytes()));
        w.reader(&mut entry, &child, depth, upstream);
    }
    Opened::Yes
}

fn name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}
