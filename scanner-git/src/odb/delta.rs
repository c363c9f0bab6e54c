//! git's delta format, for the objects the careful path resolves itself: the exact size a
//! delta's instructions produce is known before anything is allocated for it, and a delta
//! cut short still yields what its complete instructions describe.

/// A delta's header: the size of the base it applies to and of the object it produces,
/// then where its instructions start.
pub(crate) fn header(delta: &[u8]) -> Option<(u64, u64, usize)> {
    let (base, a) = varint(delta)?;
    let (result, b) = varint(delta.get(a..)?)?;
    Some((base, result, a + b))
}

fn varint(d: &[u8]) -> Option<(u64, usize)> {
    let mut size = 0u64;
    for (i, &b) in d.iter().enumerate() {
        let shift = 7 * u32::try_from(i).ok()?;
        if shift >= 64 {
            return None;
        }
        size |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some((size, i + 1));
        }
    }
    None
}

/// One instruction: a copy from the base, or bytes to insert.
enum Op<'a> {
    Copy { offset: usize, len: usize },
    Insert(&'a [u8]),
}

/// Why a delta cannot be applied.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// The instructions end in the middle of one (a delta cut short).
    Truncated,
    /// A copy reaches outside the base, or the reserved instruction 0.
    Corrupt(&'static str),
}

/// The instruction at the start of `d` and its length.
fn op(d: &[u8]) -> Result<(Op<'_>, usize), Invalid> {
    let Some(&cmd) = d.first() else {
        return Err(Invalid::Truncated);
    };
    if cmd & 0x80 != 0 {
        let mut i = 1;
        let mut field = |bits: u8, shifts: &[u32]| -> Result<u32, Invalid> {
            let mut v = 0u32;
            for (k, &shift) in shifts.iter().enumerate() {
                if bits & (1 << k) != 0 {
                    let byte = *d.get(i).ok_or(Invalid::Truncated)?;
                    i += 1;
                    v |= u32::from(byte) << shift;
                }
            }
            Ok(v)
        };
        let offset = field(cmd & 0x0f, &[0, 8, 16, 24])?;
        let mut len = field((cmd >> 4) & 0x07, &[0, 8, 16])?;
        if len == 0 {
            len = 0x10000;
        }
        Ok((
            Op::Copy {
                offset: offset as usize,
                len: len as usize,
            },
            i,
        ))
    } else if cmd == 0 {
        Err(Invalid::Corrupt("the reserved delta instruction 0"))
    } else {
        let n = usize::from(cmd);
        match d.get(1..1 + n) {
            Some(bytes) => Ok((Op::Insert(bytes), 1 + n)),
            None => Err(Invalid::Truncated),
        }
    }
}

/// The number of bytes the instructions produce from a base of `base_len` bytes, checked
/// instruction by instruction; for a delta cut short, what its complete instructions
/// produce, with [`Invalid::Truncated`] beside it.
pub(crate) fn produced_len(instructions: &[u8], base_len: usize) -> (u64, Option<Invalid>) {
    let mut total = 0u64;
    let mut d = instructions;
    while !d.is_empty() {
        match op(d) {
            Ok((Op::Copy { offset, len }, n)) => {
                if offset.checked_add(len).is_none_or(|end| end > base_len) {
                    return (
                        total,
                        Some(Invalid::Corrupt("a copy reaching outside its base")),
                    );
                }
                total += len as u64;
                d = &d[n..];
            }
            Ok((Op::Insert(bytes), n)) => {
                total += bytes.len() as u64;
                d = &d[n..];
            }
            Err(e) => return (total, Some(e)),
        }
    }
    (total, None)
}

/// Applies the instructions to `base`, appending to `out`: every complete instruction
/// (call [`produced_len`] first to know the size, and whether they are all complete).
pub(crate) fn apply(base: &[u8], instructions: &[u8], out: &mut Vec<u8>) {
    let mut d = instructions;
    while let Ok((op, n)) = op(d) {
        match op {
            Op::Copy { offset, len } => match base.get(offset..offset.saturating_add(len)) {
                Some(bytes) => out.extend_from_slice(bytes),
                None => return,
            },
            Op::Insert(bytes) => out.extend_from_slice(bytes),
        }
        d = &d[n..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_are_sized_checked_and_applied() {
        // base 5, result 7: copy 0..3, insert "xyz", copy 4..5.
        let delta = [5, 7, 0x90, 3, 3, b'x', b'y', b'z', 0x91, 4, 1];
        let (base_len, result_len, start) = header(&delta).expect("a header");
        assert_eq!((base_len, result_len, start), (5, 7, 2));
        let base = b"abcde";
        assert_eq!(produced_len(&delta[start..], 5), (7, None));
        let mut out = Vec::new();
        apply(base, &delta[start..], &mut out);
        assert_eq!(out, b"abcxyze");

        // Cut in the middle of the insert: the copy before it still counts.
        let cut = &delta[start..5];
        assert_eq!(produced_len(cut, 5), (3, Some(Invalid::Truncated)));
        out.clear();
        apply(base, cut, &mut out);
        assert_eq!(out, b"abc");

        // A copy outside the base, and the reserved instruction.
        assert!(matches!(
            produced_len(&[0x91, 4, 2], 5),
            (0, Some(Invalid::Corrupt(_)))
        ));
        assert!(matches!(
            produced_len(&[0], 5),
            (0, Some(Invalid::Corrupt(_)))
        ));
        // A size of 0 means 0x10000.
        assert_eq!(produced_len(&[0x80], 0x10000), (0x10000, None));
        assert_eq!(header(&[0x80, 0x80]), None);
        assert_eq!(
            header(&[0xff; 20]),
            None,
            "a size that does not fit 64 bits"
        );
    }
}
