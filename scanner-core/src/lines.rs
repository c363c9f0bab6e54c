//! Lines: the line-aligned windows candidates are looked for in, line numbers of candidates,
//! and the lines and columns of findings.
//!
//! Everything here counts newlines (`\n`); a `\r` before one belongs to its line.

use std::collections::HashMap;

use crate::finding::{Location, Span};

/// The line holding `pos`, without its newline.
pub(crate) fn line_around(text: &[u8], pos: usize) -> Span {
    let start = memchr::memrchr(b'\n', &text[..pos]).map_or(0, |n| n + 1);
    let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |n| pos + n);
    Span::new(start, end)
}

/// The line-aligned window from `lines` lines before `span` to `lines` lines after it, at
/// most `max_bytes` on each side (then it starts at the first line start within the limit).
pub(crate) fn line_window(text: &[u8], span: Span, lines: usize, max_bytes: usize) -> Span {
    let floor = span.start.saturating_sub(max_bytes);
    let ceil = (span.end + max_bytes).min(text.len());
    // The newlines within reach are all the window can depend on.
    let from = floor.saturating_sub(1);
    let newlines: Vec<usize> = memchr::memchr_iter(b'\n', &text[from..ceil])
        .map(|i| i + from)
        .collect();
    indexed_line_window(&newlines, text.len(), span, lines, max_bytes)
}

/// [`line_window`] from an index of newlines: all of the text's, or at least all of those
/// within `max_bytes` of `span`.
pub(crate) fn indexed_line_window(
    newlines: &[usize],
    text_len: usize,
    span: Span,
    lines: usize,
    max_bytes: usize,
) -> Span {
    let floor = span.start.saturating_sub(max_bytes);
    let before = newlines.partition_point(|&p| p < span.start);
    let first = before.saturating_sub(lines);
    let mut start = if first == 0 {
        0
    } else {
        newlines[first - 1] + 1
    };
    if start < floor {
        // The line start nearest after the byte limit.
        let k = newlines.partition_point(|&p| p + 1 < floor);
        start = newlines
            .get(k)
            .map_or(span.start, |&p| (p + 1).min(span.start));
    }
    let ceil = (span.end + max_bytes).min(text_len);
    let after = newlines.partition_point(|&p| p < span.end);
    let end = match newlines.get(after + lines) {
        Some(&p) if p < ceil => p + 1,
        _ => ceil,
    };
    Span::new(start.min(span.start), end.max(span.end))
}

/// Line numbers for ascending positions, counting newlines incrementally; falls back to
/// counting from the start for a position behind the last one asked.
pub(crate) struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn advance(&mut self, to: usize) {
        if to < self.pos {
            *self = LineCounter::new(self.text);
        }
        let to = to.min(self.text.len());
        for nl in memchr::memchr_iter(b'\n', &self.text[self.pos..to]) {
            self.line += 1;
            self.line_start = self.pos + nl + 1;
        }
        self.pos = to;
    }

    /// The 1-based line of `pos`.
    pub(crate) fn line(&mut self, pos: usize) -> usize {
        self.advance(pos);
        self.line
    }

    /// Line and column of `pos`.
    fn line_column(&mut self, pos: usize) -> (usize, usize) {
        self.advance(pos);
        (self.line, pos - self.line_start + 1)
    }
}

/// Lines and columns of a known set of positions, computed in one pass over the text.
pub(crate) struct Locator {
    positions: HashMap<usize, (usize, usize)>,
}

impl Locator {
    pub(crate) fn new(text: &[u8], spans: impl Iterator<Item = Span>) -> Locator {
        let mut starts: Vec<usize> = spans.map(|s| s.start).collect();
        starts.sort_unstable();
        starts.dedup();
        let mut counter = LineCounter::new(text);
        let positions = starts
            .into_iter()
            .map(|p| (p, counter.line_column(p)))
            .collect();
        Locator { positions }
    }

    pub(crate) fn locate(&self, span: Span) -> Location {
        let (line, column) = self.positions.get(&span.start).copied().unwrap_or((0, 0));
        Location { span, line, column }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_windows_are_line_windows() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..300 {
            let len = 1 + next(3000);
            let text: Vec<u8> = (0..len)
                .map(|_| if next(12) == 0 { b'\n' } else { b'x' })
                .collect();
            let newlines: Vec<usize> = memchr::memchr_iter(b'\n', &text).collect();
            for _ in 0..20 {
                let start = next(len);
                let span = Span::new(start, (start + next(25)).min(len));
                let (lines, bytes) = (next(8), 1 + next(400));
                assert_eq!(
                    indexed_line_window(&newlines, len, span, lines, bytes),
                    line_window(&text, span, lines, bytes),
                    "{span:?} lines {lines} bytes {bytes}"
                );
            }
        }
    }

    #[test]
    fn lines_and_columns_count_bytes() {
        let text = b"ab\ncd\r\nef";
        let mut c = LineCounter::new(text);
        assert_eq!(c.line(0), 1);
        assert_eq!(c.line(4), 2);
        assert_eq!(c.line(8), 3);
        assert_eq!(c.line(1), 1);
        let loc = Locator::new(text, [Span::new(7, 9)].into_iter()).locate(Span::new(7, 9));
        assert_eq!((loc.line, loc.column), (3, 1));
        assert_eq!(line_around(text, 4), Span::new(3, 6));
        assert_eq!(line_around(text, 0), Span::new(0, 2));
    }
}
