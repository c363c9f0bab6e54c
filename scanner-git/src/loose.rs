//! Loose objects, read within what their bytes can hold. A loose object is a zlib stream of
//! `<kind> <size>\0<contents>`: the declared size is read first and checked against what
//! the compressed bytes can yield (and a blob's against the size limit) before anything is
//! inflated, the contents grow only as the stream yields them, and how the stream ended is
//! checked — cut short, missing its Adler-32 checksum, or followed by garbage — and so is
//! the object's id. Whatever is not whole is a problem; what could be read of it reaches
//! the visitor marked as partial.

use std::path::Path;

use gix::zlib::Decompress;

use crate::odb::{inflate_to_vec, map_file, max_inflated_len, End, Visitor};
use crate::{Problem, ProblemKind};

/// The longest header (`commit 18446744073709551615\0` is 28 bytes).
const HEADER_MAX: u64 = 64;

/// Reads loose object `id` of objects directory `dir` and hands it to `visitor`: whole,
/// partial (with its problem), oversized, or only as a problem.
pub(crate) fn read(
    dir: &Path,
    id: &gix::oid,
    zlib: &mut Decompress,
    buf: &mut Vec<u8>,
    visitor: &impl Visitor,
) {
    let hex = id.to_hex().to_string();
    let path = dir.join(&hex[..2]).join(&hex[2..]);
    let problem =
        |kind: ProblemKind, reason: String| Problem::object(kind, "loose object", id, reason);
    let map = match map_file(&path) {
        Ok(m) => m,
        // Gone since it was listed (a concurrent gc): it is in a pack now.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            visitor.problem(problem(
                ProblemKind::UnreadableObject,
                format!("cannot be read: {e}"),
            ));
            return;
        }
    };
    read_bytes(&map, id, zlib, buf, visitor);
}

/// [`read`] of a loose object file's contents `file`.
pub(crate) fn read_bytes(
    file: &[u8],
    id: &gix::oid,
    zlib: &mut Decompress,
    buf: &mut Vec<u8>,
    visitor: &impl Visitor,
) {
    let problem =
        |kind: ProblemKind, reason: String| Problem::object(kind, "loose object", id, reason);
    if file.is_empty() {
        visitor.problem(problem(
            ProblemKind::CorruptLooseObject,
            "corrupt: the file is empty".into(),
        ));
        return;
    }
    // The header alone, from the first bytes the stream yields.
    let head = inflate_to_vec(zlib, file, HEADER_MAX, buf);
    let (kind, declared, header_len) = match gix::objs::decode::loose_header(buf) {
        Ok(h) => h,
        Err(_) => {
            let why = match head.end {
                End::Corrupt(why) => format!("corrupt: not a zlib stream ({why})"),
                _ => "corrupt: it does not start with an object header".into(),
            };
            visitor.problem(problem(ProblemKind::CorruptLooseObject, why));
            return;
        }
    };
    let header_len = header_len as u64;
    let can_hold = max_inflated_len(file.len() as u64);
    if declared.saturating_add(header_len) > can_hold {
        visitor.problem(problem(
            ProblemKind::CorruptLooseObject,
            format!(
                "corrupt: it declares a {kind} of {declared} bytes, more than its {} compressed bytes can hold; it was not inflated",
                file.len()
            ),
        ));
        return;
    }
    if kind == gix::objs::Kind::Blob && declared > visitor.blob_limit() {
        visitor.oversized(kind, declared, id);
        return;
    }
    let inflated = inflate_to_vec(zlib, file, header_len + declared, buf);
    let start = usize::try_from(header_len)
        .unwrap_or(usize::MAX)
        .min(buf.len());
    let body = &buf[start..];
    let mut damage = crate::odb::Inflated {
        produced: inflated.produced.saturating_sub(header_len),
        ..inflated.clone()
    }
    .damage(declared);
    if damage.is_none() && inflated.consumed < file.len() {
        // Git's fsck: "garbage at end of loose object". The object itself is whole.
        let p = problem(
            ProblemKind::CorruptLooseObject,
            format!(
                "corrupt: {} bytes of garbage follow its zlib stream",
                file.len() - inflated.consumed
            ),
        );
        visitor.problem(p);
    }
    let whole = body.len() as u64 == declared;
    let matches = whole
        && gix::objs::compute_hash(id.kind(), kind, body).is_ok_and(|computed| computed == id);
    if whole && !matches && damage.is_none() {
        damage = Some("its contents do not match its id".into());
    }
    let Some(why) = damage else {
        visitor.object(kind, body, id);
        return;
    };
    let cut_short = inflated.end == End::InputEnded;
    let problem_kind = if cut_short {
        ProblemKind::TruncatedObject
    } else {
        ProblemKind::CorruptLooseObject
    };
    if matches {
        // Only the end of the stream is missing: the contents are the object's.
        visitor.problem(problem(
            problem_kind,
            format!("{why}; its contents match its id, and were read"),
        ));
        visitor.object(kind, body, id);
        return;
    }
    let then = if body.is_empty() {
        "nothing of it could be read".to_string()
    } else if kind == gix::objs::Kind::Blob {
        "what could be read was scanned, and findings in it are marked as from a damaged object"
            .to_string()
    } else {
        format!("the {kind} could not be read")
    };
    let p = match problem_kind {
        ProblemKind::TruncatedObject => problem(problem_kind, format!("{why}; {then}")),
        _ => problem(problem_kind, format!("corrupt: {why}; {then}")),
    };
    visitor.problem(p.clone());
    if !body.is_empty() {
        visitor.partial(kind, body, Some(id), &p);
    }
}
