//! A decoded text and the way back to the bytes it was decoded from.
//!
//! Decoders that rewrite a text in place (escapes, character references, quoted-printable)
//! produce a [`View`]: the decoded bytes, and the list of edits that made them. Everything
//! between edits was copied as is, so a position maps back with one binary search.

use crate::finding::{Encoding, Span};

/// One rewritten stretch: `src_len` source bytes at `src` became `out_len` bytes at `out`
/// (zero for what was removed: an HTML tag, a soft line break).
#[derive(Clone, Copy, Debug)]
struct Edit {
    out: usize,
    out_len: usize,
    src: usize,
    src_len: usize,
    encoding: Encoding,
}

impl Edit {
    fn out_end(&self) -> usize {
        self.out + self.out_len
    }
    fn src_end(&self) -> usize {
        self.src + self.src_len
    }
}

/// A decoded text with its edits, in order.
#[derive(Debug, Default)]
pub(crate) struct View {
    pub(crate) text: Vec<u8>,
    edits: Vec<Edit>,
    /// Source bytes consumed so far (while building).
    src: usize,
}

impl View {
    pub(crate) fn with_capacity(n: usize) -> View {
        View {
            text: Vec::with_capacity(n),
            edits: Vec::new(),
            src: 0,
        }
    }

    /// Copies `bytes`, the next source bytes, unchanged.
    pub(crate) fn copy(&mut self, bytes: &[u8]) {
        self.text.extend_from_slice(bytes);
        self.src += bytes.len();
    }

    /// Replaces the next `src_len` source bytes with `decoded`.
    pub(crate) fn edit(&mut self, src_len: usize, decoded: &[u8], encoding: Encoding) {
        self.edits.push(Edit {
            out: self.text.len(),
            out_len: decoded.len(),
            src: self.src,
            src_len,
            encoding,
        });
        self.text.extend_from_slice(decoded);
        self.src += src_len;
    }

    /// Whether anything was rewritten.
    pub(crate) fn is_identity(&self) -> bool {
        self.edits.is_empty()
    }

    /// Where the output byte at `p` came from: `(start, end)` of its source.
    fn source_of(&self, p: usize) -> (usize, usize) {
        let i = self.edits.partition_point(|e| e.out_end() <= p);
        if let Some(e) = self.edits.get(i).filter(|e| e.out <= p) {
            return (e.src, e.src_end());
        }
        let src = match i.checked_sub(1).map(|j| &self.edits[j]) {
            Some(e) => e.src_end() + (p - e.out_end()),
            None => p,
        };
        (src, src + 1)
    }

    /// The source bytes of `span` of the output.
    pub(crate) fn source_span(&self, span: Span) -> Span {
        if span.is_empty() {
            let start = if span.start < self.text.len() {
                self.source_of(span.start).0
            } else {
                self.src
            };
            return Span::new(start, start);
        }
        let (start, _) = self.source_of(span.start);
        let (_, end) = self.source_of(span.end - 1);
        Span::new(start, end)
    }

    /// How the output `span` was written: the encoding of the first edit inside it (a
    /// removal counts when it lies strictly inside), if any.
    pub(crate) fn encoding_of(&self, span: Span) -> Option<Encoding> {
        let i = self.edits.partition_point(|e| e.out_end() <= span.start);
        self.edits[i..]
            .iter()
            .take_while(|e| e.out < span.end)
            .find(|e| e.out_len > 0 || e.out > span.start)
            .map(|e| e.encoding)
    }
}

/// Views applied one after another to the input: the last one's text is what is scanned.
#[derive(Debug, Default)]
pub(crate) struct Views {
    stages: Vec<View>,
}

impl Views {
    pub(crate) fn push(&mut self, view: View) {
        self.stages.push(view);
    }

    pub(crate) fn last_text(&self) -> Option<&[u8]> {
        self.stages.last().map(|v| &v.text[..])
    }

    /// The input bytes of a span of the last text.
    pub(crate) fn source_span(&self, span: Span) -> Span {
        self.stages
            .iter()
            .rev()
            .fold(span, |s, view| view.source_span(s))
    }

    /// How a span of the last text was written, looking through every stage.
    pub(crate) fn encoding_of(&self, span: Span) -> Option<Encoding> {
        let mut s = span;
        for view in self.stages.iter().rev() {
            if let Some(e) = view.encoding_of(s) {
                return Some(e);
            }
            s = view.source_span(s);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_map_back_through_edits_and_removals() {
        // "ab&#47;cd<b>ef" -> "ab/cdef"
        let mut v = View::default();
        v.copy(b"ab");
        v.edit(5, b"/", Encoding::Html);
        v.copy(b"cd");
        v.edit(3, b"", Encoding::Html);
        v.copy(b"ef");
        assert_eq!(v.text, b"ab/cdef");
        assert_eq!(v.source_span(Span::new(0, 2)), Span::new(0, 2));
        assert_eq!(v.source_span(Span::new(2, 3)), Span::new(2, 7));
        assert_eq!(v.source_span(Span::new(1, 5)), Span::new(1, 9));
        assert_eq!(v.source_span(Span::new(5, 7)), Span::new(12, 14));
        assert_eq!(v.source_span(Span::new(0, 7)), Span::new(0, 14));
        assert_eq!(v.encoding_of(Span::new(0, 2)), None);
        assert_eq!(v.encoding_of(Span::new(1, 3)), Some(Encoding::Html));
        // The removal sits between "d" (4) and "e" (5).
        assert_eq!(v.encoding_of(Span::new(3, 5)), None);
        assert_eq!(v.encoding_of(Span::new(4, 6)), Some(Encoding::Html));
        assert_eq!(v.encoding_of(Span::new(5, 7)), None);
    }

    #[test]
    fn views_compose() {
        let mut first = View::default();
        first.copy(b"x");
        first.edit(3, b"y", Encoding::QuotedPrintable);
        first.copy(b"z");
        let mut second = View::default();
        second.copy(b"xy");
        second.edit(1, b"", Encoding::Html);
        let mut views = Views::default();
        views.push(first);
        views.push(second);
        assert_eq!(views.last_text(), Some(&b"xy"[..]));
        assert_eq!(views.source_span(Span::new(1, 2)), Span::new(1, 4));
        assert_eq!(
            views.encoding_of(Span::new(0, 2)),
            Some(Encoding::QuotedPrintable)
        );
    }
}
