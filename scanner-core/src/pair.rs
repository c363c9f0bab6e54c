//! Pairs each key ID with *its* secret.
//!
//! Candidates are laid out in file order. Credentials are written as groups (an INI
//! profile, a CSV row, a JSON object, the arguments of one call), so a key and its secret
//! are close and other keys do not sit between them. Pairing picks, by dynamic programming
//! over that sequence, the set of non-overlapping (key, secret) intervals that pairs the
//! most candidates at the least cost; a second round pairs what the first left (nested
//! layouts). The cost is line distance plus penalties for structure between the two (an
//! INI section header, the end of one JSON object and the start of another, another key),
//! for a secret that no label names, and for labels whose qualifiers disagree
//! (`..._PROD` vs `..._DEV`).
//!
//! Lists are the exception, decided first: when `n >= 2` key IDs follow one another as the
//! elements of a list (YAML `- ` items, a JSON or flow array, a comma list) and exactly `n`
//! secrets follow them in the same list or in a sibling list (`ids: [...]`,
//! `secrets: [...]`; `keys = ...` / `secrets = ...`; a transposed CSV), the `i`-th key
//! pairs with the `i`-th secret. Nearest-neighbour pairing would pair the last key with the
//! first secret, and a reviewer trusts a pair.
//!
//! Git SHAs and other hex strings never get here: they are not secret candidates.

use crate::finding::Span;
use crate::rules::LabelClass;

/// A key ID or secret candidate, as pairing sees it.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) pos: usize,
    pub(crate) line: usize,
    pub(crate) is_key: bool,
    pub(crate) label: Option<LabelClass>,
    pub(crate) qualifier: String,
}

/// What separates one candidate from the next, as lists see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gap {
    /// List punctuation alone: the next element of the same list (`, `, a YAML `- ` on the
    /// next line, white space).
    Element,
    /// The end of one list and the start of a sibling (`], "secrets": [`, a YAML key line,
    /// `\nsecrets = `).
    Sibling,
    /// Anything else.
    Other,
}

/// Longest gap read as list punctuation.
const MAX_GAP: usize = 256;

impl Gap {
    /// The gap between a candidate ending at `end` and the next starting at `start`.
    pub(crate) fn between(text: &[u8], end: usize, start: usize) -> Gap {
        if start < end || start - end > MAX_GAP {
            return Gap::Other;
        }
        // Punctuation, less white space, quotes and backslashes (JSON in a string), read
        // as: `]`? `,`? NAME? (`:` | `=` | `,`)? `[`? `-`?
        let mut bytes = text[end..start]
            .iter()
            .copied()
            .filter(|b| {
                !matches!(
                    b,
                    b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'`' | b'\\'
                )
            })
            .peekable();
        let mut take = |want: fn(u8) -> bool| bytes.next_if(|&b| want(b)).is_some();
        let closed = take(|b| b == b']');
        let comma = take(|b| b == b',');
        let mut name = 0;
        while take(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
            name += 1;
        }
        let sep = take(|b| matches!(b, b':' | b'=' | b','));
        let opened = take(|b| b == b'[');
        let item = take(|b| b == b'-');
        let more = take(|b| matches!(b, b';' | b'|'));
        if bytes.next().is_some() {
            return Gap::Other;
        }
        match (closed, comma, name, sep, opened, item, more) {
            // Nothing, or one separator: the next element.
            (false, false, 0, false, false, false, false)
            | (false, true, 0, false, false, false, false)
            | (false, false, 0, false, false, true, false)
            | (false, false, 0, false, false, false, true) => Gap::Element,
            // A YAML item marker read as a name (`-`) is still an element.
            (false, false, 1, false, false, false, false) if text[end..start].contains(&b'-') => {
                Gap::Element
            }
            (_, _, n, true, _, _, false) if n > 0 => Gap::Sibling,
            _ => Gap::Other,
        }
    }
}

/// Structure of the text that separates credential groups, as sorted positions.
#[derive(Debug, Default)]
pub(crate) struct Structure {
    /// Starts of INI section header lines (`[profile]`).
    pub(crate) ini_headers: Vec<usize>,
    pub(crate) open_braces: Vec<usize>,
    pub(crate) close_braces: Vec<usize>,
    /// Opening braces of a record that follows another in a JSON list or JSON Lines
    /// (`}, {`, `}` newline `{`).
    pub(crate) record_breaks: Vec<usize>,
}

impl Structure {
    /// Collects the structure of `text[range]`.
    pub(crate) fn of(text: &[u8], start: usize, end: usize) -> Structure {
        let mut s = Structure::default();
        let mut line_start = start;
        for nl in memchr::memchr_iter(b'\n', &text[start..end])
            .map(|i| start + i)
            .chain(std::iter::once(end))
        {
            let line = text[line_start..nl].trim_ascii();
            if line.len() >= 3
                && line[0] == b'['
                && line[line.len() - 1] == b']'
                && !line.contains(&b'=')
                && !line.contains(&b',')
                && !line.contains(&b'"')
            {
                s.ini_headers.push(line_start);
            }
            line_start = nl + 1;
        }
        for i in memchr::memchr2_iter(b'{', b'}', &text[start..end]) {
            let at = start + i;
            if text[at] == b'{' {
                s.open_braces.push(at);
                if follows_record(text, at) {
                    s.record_breaks.push(at);
                }
            } else {
                s.close_braces.push(at);
            }
        }
        s
    }

    /// The structure of every window (sorted, disjoint) of `text`.
    pub(crate) fn of_windows(text: &[u8], windows: &[Span]) -> Structure {
        let mut all = Structure::default();
        for w in windows {
            // Start at a line start, so that a section header cut by the window is seen.
            let start = memchr::memrchr(b'\n', &text[..w.start]).map_or(0, |n| n + 1);
            let s = Structure::of(text, start.max(all.last_end()), w.end.min(text.len()));
            all.ini_headers.extend(s.ini_headers);
            all.open_braces.extend(s.open_braces);
            all.close_braces.extend(s.close_braces);
            all.record_breaks.extend(s.record_breaks);
        }
        all
    }

    fn last_end(&self) -> usize {
        [
            self.ini_headers.last(),
            self.open_braces.last(),
            self.close_braces.last(),
        ]
        .into_iter()
        .flatten()
        .max()
        .map_or(0, |&p| p + 1)
    }

    /// Whether an INI section header lies between `a` and `b` (`a < b`).
    pub(crate) fn section_between(&self, a: usize, b: usize) -> bool {
        let i = self.ini_headers.partition_point(|&h| h <= a);
        self.ini_headers.get(i).is_some_and(|&h| h < b)
    }

    /// Whether a record of a JSON list ends and the next starts between `a` and `b`.
    pub(crate) fn record_break_between(&self, a: usize, b: usize) -> bool {
        let i = self.record_breaks.partition_point(|&p| p <= a);
        self.record_breaks.get(i).is_some_and(|&p| p < b)
    }

    /// Whether one brace-delimited object ends and another starts between `a` and `b`.
    fn object_boundary_between(&self, a: usize, b: usize) -> bool {
        let c = self.close_braces.partition_point(|&p| p <= a);
        let Some(&close) = self.close_braces.get(c) else {
            return false;
        };
        if close >= b {
            return false;
        }
        let o = self.open_braces.partition_point(|&p| p < b);
        o > 0 && self.open_braces[o - 1] > close
    }
}

/// Whether the `{` at `at` opens a record right after another: `}` then (white space, a
/// comma) this brace.
fn follows_record(text: &[u8], at: usize) -> bool {
    let floor = at.saturating_sub(64);
    let mut i = at;
    let mut comma = false;
    while i > floor {
        match text[i - 1] {
            b' ' | b'\t' | b'\r' | b'\n' => i -= 1,
            b',' if !comma => {
                comma = true;
                i -= 1;
            }
            b'}' => return true,
            _ => return false,
        }
    }
    false
}

/// Lines a labelled secret may be from its key, and an unlabelled one.
const MAX_LINES_LABELLED: usize = 64;
const MAX_LINES_UNLABELLED: usize = 6;
const MAX_BYTES: usize = 16 * 1024;
/// How many candidates back a secret may look for its key (and vice versa).
const LOOKBACK: usize = 32;
/// Worth of one pair; larger than any cost, so that more pairs always win.
const PAIR_VALUE: i64 = 1_000_000;

fn cost(items: &[Item], keys_before: &[usize], s: &Structure, i: usize, j: usize) -> Option<i64> {
    let (a, b) = (&items[i], &items[j]);
    let (key, secret) = if a.is_key { (a, b) } else { (b, a) };
    let lines = a.line.abs_diff(b.line);
    let max_lines = match secret.label {
        Some(LabelClass::AwsSecret | LabelClass::Secret) => MAX_LINES_LABELLED,
        Some(LabelClass::KeyId | LabelClass::SessionToken | LabelClass::NotSecret) => return None,
        Some(LabelClass::Other) | None => MAX_LINES_UNLABELLED,
    };
    let bytes = b.pos - a.pos;
    if lines > max_lines || bytes > MAX_BYTES {
        return None;
    }
    let mut cost = lines as i64 * 100 + (bytes / 64) as i64;
    // On one line (a CSV row, the arguments of a call) position says enough; further
    // apart, a secret is more credible when its label names it.
    if lines > 0 {
        cost += match secret.label {
            Some(LabelClass::AwsSecret) => 0,
            Some(LabelClass::Secret) => 100,
            _ => 400,
        };
    }
    if !a.is_key {
        // Keys usually come first; a slight preference settles ties.
        cost += 20;
    }
    if !key.qualifier.is_empty() && !secret.qualifier.is_empty() {
        if key.qualifier == secret.qualifier {
            cost -= 300;
        } else {
            cost += 20_000;
        }
    }
    if s.section_between(a.pos, b.pos) {
        cost += 100_000;
    }
    if s.object_boundary_between(a.pos, b.pos) {
        cost += 30_000;
    }
    let other_keys = keys_before[j] - keys_before[i + 1];
    cost += other_keys as i64 * 2_000;
    Some(cost)
}

/// Pairs keys with secrets. Returns `(key index, secret index)` into `items`, which must be
/// sorted by position; `gaps[i]` separates `items[i]` from `items[i + 1]`.
pub(crate) fn pair(items: &[Item], gaps: &[Gap], structure: &Structure) -> Vec<(usize, usize)> {
    debug_assert!(items.windows(2).all(|w| w[0].pos <= w[1].pos));
    debug_assert_eq!(gaps.len(), items.len().saturating_sub(1));
    let mut keys_before = Vec::with_capacity(items.len() + 1);
    keys_before.push(0);
    for it in items {
        keys_before.push(keys_before.last().copied().unwrap_or(0) + usize::from(it.is_key));
    }
    let mut pairs = by_position(items, gaps);
    let mut taken = vec![false; items.len()];
    for &(a, b) in &pairs {
        taken[a] = true;
        taken[b] = true;
    }
    let mut open: Vec<usize> = (0..items.len()).filter(|&i| !taken[i]).collect();
    for _round in 0..3 {
        let found = pair_round(items, &keys_before, structure, &open);
        if found.is_empty() {
            break;
        }
        let mut taken = vec![false; items.len()];
        for &(a, b) in &found {
            taken[a] = true;
            taken[b] = true;
        }
        open.retain(|&i| !taken[i]);
        pairs.extend(found);
    }
    pairs
        .into_iter()
        .map(|(a, b)| if items[a].is_key { (a, b) } else { (b, a) })
        .collect()
}

/// The pairs lists decide: a run of `n >= 2` candidates of one kind, each the next
/// element of a list, then a run of exactly `n` of the other kind in the same list or a
/// sibling one. Returns `(first, second)` index pairs in item order.
fn by_position(items: &[Item], gaps: &[Gap]) -> Vec<(usize, usize)> {
    let n = items.len();
    let run_end = |from: usize| {
        let mut j = from;
        while j + 1 < n && items[j + 1].is_key == items[from].is_key && gaps[j] == Gap::Element {
            j += 1;
        }
        j
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let j = run_end(i);
        let len = j + 1 - i;
        if len >= 2
            && j + 1 < n
            && items[j + 1].is_key != items[i].is_key
            && matches!(gaps[j], Gap::Element | Gap::Sibling)
        {
            let m = run_end(j + 1);
            if m - j == len {
                out.extend((0..len).map(|t| (i + t, j + 1 + t)));
                i = m + 1;
                continue;
            }
        }
        i = j + 1;
    }
    out
}

/// One round of the interval dynamic programme over the `open` items.
fn pair_round(
    items: &[Item],
    keys_before: &[usize],
    structure: &Structure,
    open: &[usize],
) -> Vec<(usize, usize)> {
    let n = open.len();
    let mut best = vec![0i64; n + 1];
    let mut choice: Vec<Option<usize>> = vec![None; n + 1];
    for j in 0..n {
        best[j + 1] = best[j];
        for i in (j.saturating_sub(LOOKBACK)..j).rev() {
            let (a, b) = (open[i], open[j]);
            if items[a].is_key == items[b].is_key {
                continue;
            }
            if let Some(c) = cost(items, keys_before, structure, a, b) {
                let v = best[i] + PAIR_VALUE - c;
                if v > best[j + 1] {
                    best[j + 1] = v;
                    choice[j + 1] = Some(i);
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut j = n;
    while j > 0 {
        match choice[j] {
            Some(i) => {
                out.push((open[i], open[j - 1]));
                j = i;
            }
            None => j -= 1,
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pos: usize, line: usize, is_key: bool, label: Option<LabelClass>) -> Item {
        Item {
            pos,
            line,
            is_key,
            label,
            qualifier: String::new(),
        }
    }

    #[test]
    fn interleaved_pairs_in_both_orders() {
        let s = Structure::default();
        // K S K S
        let items = [
            item(0, 1, true, None),
            item(10, 2, false, Some(LabelClass::AwsSecret)),
            item(20, 3, true, None),
            item(30, 4, false, Some(LabelClass::AwsSecret)),
        ];
        assert_eq!(pair(&items, &[Gap::Other; 3], &s), vec![(0, 1), (2, 3)]);
        // S K S K
        let items = [
            item(0, 1, false, Some(LabelClass::AwsSecret)),
            item(10, 2, true, None),
            item(20, 3, false, Some(LabelClass::AwsSecret)),
            item(30, 4, true, None),
        ];
        assert_eq!(pair(&items, &[Gap::Other; 3], &s), vec![(1, 0), (3, 2)]);
    }

    #[test]
    fn nested_layouts_pair_in_a_second_round() {
        let s = Structure::default();
        let items = [
            item(0, 1, true, None),
            item(10, 2, true, None),
            item(20, 2, false, None),
            item(30, 3, false, Some(LabelClass::AwsSecret)),
        ];
        assert_eq!(pair(&items, &[Gap::Other; 3], &s), vec![(1, 2), (0, 3)]);
    }

    #[test]
    fn lists_pair_by_position() {
        let s = Structure::default();
        let items: Vec<Item> = (0..6).map(|i| item(i * 10, i + 1, i < 3, None)).collect();
        let all_elements = [Gap::Element; 5];
        assert_eq!(
            pair(&items, &all_elements, &s),
            vec![(0, 3), (1, 4), (2, 5)]
        );
        let mut sibling = all_elements;
        sibling[2] = Gap::Sibling;
        assert_eq!(pair(&items, &sibling, &s), vec![(0, 3), (1, 4), (2, 5)]);
        // Two lists of keys side by side pair nothing by position.
        let keys: Vec<Item> = (0..4).map(|i| item(i * 10, i + 1, true, None)).collect();
        let gaps = [Gap::Element, Gap::Sibling, Gap::Element];
        assert!(pair(&keys, &gaps, &s).is_empty());
        // Counts that differ leave it to nearest-neighbour pairing.
        let items: Vec<Item> = (0..5).map(|i| item(i * 10, i + 1, i < 3, None)).collect();
        assert_eq!(pair(&items, &[Gap::Element; 4], &s), vec![(2, 3), (1, 4)]);
    }

    #[test]
    fn gaps_read_list_punctuation() {
        let gap = |t: &str| Gap::between(t.as_bytes(), 0, t.len());
        for t in ["\", \"", ",", "\n  - ", "", " ", "\",\n    \""] {
            assert_eq!(gap(t), Gap::Element, "{t:?}");
        }
        for t in [
            "\"], \"secrets\": [\"",
            "\nsecret_keys:\n  - ",
            "\nsecrets = ",
            "\nsecret_access_key,",
        ] {
            assert_eq!(gap(t), Gap::Sibling, "{t:?}");
        }
        for t in [
            "\naws_secret_access_key = \"x\" # note ",
            "} {",
            "\n# a comment\n- ",
        ] {
            assert_eq!(gap(t), Gap::Other, "{t:?}");
        }
    }

    #[test]
    fn records_break_json_lists() {
        let text = br#"[{"a":{"k":1}},{"t":2}] {"x":1}
{"y":2}"#;
        let s = Structure::of(text, 0, text.len());
        assert_eq!(s.record_breaks.len(), 2);
        assert!(s.record_break_between(5, 18));
        assert!(!s.record_break_between(0, 5));
    }

    #[test]
    fn sections_separate_profiles() {
        let text = b"[a]\nk\n[b]\ns\n";
        let s = Structure::of(text, 0, text.len());
        assert_eq!(s.ini_headers, vec![0, 6]);
        assert!(s.section_between(4, 10));
        assert!(!s.section_between(6, 10));
        let json = b"[{k},{s}]";
        let s = Structure::of(json, 0, json.len());
        assert!(s.object_boundary_between(2, 6));
        assert!(!s.object_boundary_between(6, 7));
    }
}
