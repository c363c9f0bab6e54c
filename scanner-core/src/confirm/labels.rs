//! Where the name of a value is, looking back from the value: the syntaxes credentials are
//! assigned in, and the AWS context of the lines around.
//!
//! What a name *says* is data (`rules/patterns.txt`); this module only finds it.

use crate::finding::Span;

/// How far back from a value its name may start.
const REACH: usize = 160;

/// A name found before a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Label {
    pub(crate) span: Span,
    /// Read from a weak shape (the string before a value in an argument list, the name of a
    /// `name`/`value` pair): it counts only if the vocabulary knows it.
    pub(crate) weak: bool,
}

/// A quote, or a quote as escaping writes it (`&quot;`, `\u0022`), ending at `i`: its
/// length.
fn quote_before(text: &[u8], i: usize, floor: usize) -> usize {
    const QUOTES: [&[u8]; 10] = [
        b"&quot;", b"&#34;", b"&#x22;", b"&apos;", b"&#39;", b"&#x27;", b"\\u0022", b"\\u0027",
        b"\\x22", b"\\x27",
    ];
    match text[i - 1] {
        b'"' | b'\'' | b'`' | b'\\' => 1,
        b';' | b'2' | b'7' => QUOTES
            .iter()
            .find(|q| i - floor >= q.len() && text[..i].ends_with(q))
            .map_or(0, |q| q.len()),
        _ => 0,
    }
}

/// Steps back over quotes, spaces and (up to two, if allowed) line breaks.
fn skip_quotes_and_space(text: &[u8], mut i: usize, floor: usize, allow_newline: bool) -> usize {
    let mut newlines = 0;
    while i > floor {
        match text[i - 1] {
            b' ' | b'\t' => i -= 1,
            b'\n' | b'\r' if allow_newline && newlines < 2 => {
                newlines += u32::from(text[i - 1] == b'\n');
                i -= 1;
            }
            _ => match quote_before(text, i, floor) {
                0 => break,
                n => i -= n,
            },
        }
    }
    i
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// The name a value is assigned to, looking back from the value's first byte:
/// `aws_secret_access_key = "...`, `"SecretAccessKey": "...`, `<AWSSecretKey>...` (also
/// with the value on the next line), `--aws-secret-access-key ...`, a YAML key on the line
/// above, Makefile assignments (`::=`, `?=`, `!=`, `+=`), subscripts
/// (`os.environ["NAME"] = ...`, `ENV['NAME'] = ...`), the name argument before a value
/// (`setProperty("NAME", "...")`, weak), and the name of a `name`/`value` pair
/// (`- name: NAME` / `value: ...`, `<add key="NAME" value="..."/>`, weak).
pub(crate) fn label_before(text: &[u8], pos: usize) -> Option<Label> {
    let floor = pos.saturating_sub(REACH);
    let after_space = skip_quotes_and_space(text, pos, floor, true);
    let crossed_line = text[after_space..pos].contains(&b'\n');
    let mut i = after_space;
    let mut weak = false;
    // The separator.
    let sep_end = i;
    if i >= floor + 3
        && text[i - 3] == b'%'
        && matches!(&text[i - 2..i], b"3D" | b"3d" | b"3A" | b"3a")
    {
        i -= 3;
    } else if i > floor && matches!(text[i - 1], b'=' | b':' | b'>') {
        i -= 1;
        // `=>`, `:=`, `==`, and Makefile's `::=`, `:::=`, `?=`, `!=`, `+=`.
        let mut extra = 0;
        while extra < 3 && i > floor && matches!(text[i - 1], b'=' | b':' | b'?' | b'!' | b'+') {
            i -= 1;
            extra += 1;
        }
    } else if !crossed_line && i > floor && text[i - 1] == b',' {
        // `("NAME", "VALUE")`: the string before the value names it, if it is a name.
        i -= 1;
        weak = true;
        let mut j = i;
        while j > floor && matches!(text[j - 1], b' ' | b'\t') {
            j -= 1;
        }
        if j == floor || quote_before(text, j, floor) == 0 {
            return None;
        }
    } else if !crossed_line && i < pos && i > floor && text[i - 1].is_ascii_alphanumeric() {
        // `--aws-secret-access-key VALUE`: a flag followed by a space.
    } else {
        return None;
    }
    if crossed_line && !matches!(text[sep_end - 1], b':' | b'=' | b'>') {
        return None;
    }
    i = skip_quotes_and_space(text, i, floor, false);
    // A subscript: `environ["NAME"] = `, `$ENV{'NAME'} = `.
    if !weak && i > floor && matches!(text[i - 1], b']' | b'}') {
        i = skip_quotes_and_space(text, i - 1, floor, false);
    }
    let name_end = i;
    let multi_word = !weak;
    while i > floor && (is_name_char(text[i - 1]) || (multi_word && text[i - 1] == b' ')) {
        i -= 1;
    }
    // An escape's tail is not part of the name: `\nNAME`, `\u0022NAME`.
    if i > 0 && text[i - 1] == b'\\' {
        let hex = |n: usize| {
            text[i + 1..(i + 1 + n).min(name_end)]
                .iter()
                .all(u8::is_ascii_hexdigit)
        };
        i += match text[i] {
            b'u' if name_end - i > 5 && hex(4) => 5,
            b'x' if name_end - i > 3 && hex(2) => 3,
            b'n' | b'r' | b't' => 1,
            _ => 0,
        };
    }
    // Trim spaces, keep multi-word labels ("Secret access key").
    while i < name_end && text[i] == b' ' {
        i += 1;
    }
    if i >= name_end {
        return None;
    }
    if text[sep_end - 1] == b'>' && i > 0 && text[i - 1] == b'/' {
        // `</AccessKeyId>VALUE`: a closing tag names nothing after it.
        return None;
    }
    if weak && (i == floor || quote_before(text, i, floor) == 0) {
        return None;
    }
    let label = Label {
        span: Span::new(i, name_end),
        weak,
    };
    Some(pair_name(text, label).unwrap_or(label))
}

/// Names of the value half of a `name`/`value` pair.
const VALUE_WORDS: [&[u8]; 4] = [b"value", b"parametervalue", b"optionvalue", b"defaultvalue"];
/// Names of the name half.
const NAME_WORDS: [&[u8]; 7] = [
    b"name",
    b"key",
    b"parameterkey",
    b"parametername",
    b"optionname",
    b"variable",
    b"envname",
];

/// For a value named `value` (`Value`, `ParameterValue`, ...): the name given in the pair
/// before it (`"Name": "NAME", "Value": ...`, `- name: NAME` on the line above,
/// `key="NAME" value=...`).
fn pair_name(text: &[u8], label: Label) -> Option<Label> {
    let name = &text[label.span.start..label.span.end];
    // Every value word ends in "value" and is short: most labels are neither.
    if name.len() > 16 || name.len() < 5 || !name[name.len() - 5..].eq_ignore_ascii_case(b"value") {
        return None;
    }
    let word = normalize_label(name);
    if !VALUE_WORDS.contains(&&word[..]) {
        return None;
    }
    let floor = label.span.start.saturating_sub(REACH);
    let mut i = label.span.start;
    // Back over the separators between the two halves (and YAML's line break).
    let mut newlines = 0;
    while i > floor {
        match text[i - 1] {
            b' ' | b'\t' | b',' | b';' | b'{' | b'\r' => i -= 1,
            b'\n' if newlines == 0 => {
                newlines += 1;
                i -= 1;
            }
            _ => match quote_before(text, i, floor) {
                0 => break,
                n => i -= n,
            },
        }
    }
    let name_end = i;
    while i > floor && (is_name_char(text[i - 1]) || text[i - 1] == b'/') {
        i -= 1;
    }
    let name_start = i;
    if name_start == name_end {
        return None;
    }
    i = skip_quotes_and_space(text, i, floor, false);
    if i == floor || !matches!(text[i - 1], b':' | b'=') {
        return None;
    }
    i = skip_quotes_and_space(text, i - 1, floor, false);
    let kw_end = i;
    while i > floor && text[i - 1].is_ascii_alphanumeric() {
        i -= 1;
    }
    let kw = normalize_label(&text[i..kw_end]);
    NAME_WORDS.contains(&&kw[..]).then_some(Label {
        span: Span::new(name_start, name_end),
        weak: true,
    })
}

/// Letters and digits of a label, lower-cased: `aws_secret_access_key` -> `awssecretaccesskey`.
pub(crate) fn normalize_label(label: &[u8]) -> Vec<u8> {
    label
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect()
}

/// Whether "aws" or "amazon" appears, as a word part, in the lines before `pos` (at most
/// `lines` of them, at most 2 KiB back) or on the same line (at most 2 KiB on): `secret_key`
/// is an AWS secret in an `aws:` block or a `[aws]` section.
pub(crate) fn has_aws_context(text: &[u8], pos: usize, lines: usize) -> bool {
    let floor = pos.saturating_sub(2048);
    let mut start = pos;
    let mut seen = 0;
    while start > floor {
        if text[start - 1] == b'\n' {
            seen += 1;
            if seen > lines {
                break;
            }
        }
        start -= 1;
    }
    let ceil = (pos + 2048).min(text.len());
    let end = memchr::memchr(b'\n', &text[pos..ceil]).map_or(ceil, |n| pos + n);
    let window = &text[start..end];
    window.windows(3).enumerate().any(|(i, w)| {
        w.eq_ignore_ascii_case(b"aws") && (i == 0 || !window[i - 1].is_ascii_lowercase())
    }) || window.windows(6).any(|w| w.eq_ignore_ascii_case(b"amazon"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str, value_at: &str) -> Option<String> {
        let pos = text.rfind(value_at).expect("value in text");
        label_before(text.as_bytes(), pos).map(|l| text[l.span.start..l.span.end].to_string())
    }

    #[test]
    fn labels_in_common_syntaxes() {
        for (text, want) in [
            ("aws_secret_access_key = VALUE", "aws_secret_access_key"),
            ("  \"SecretAccessKey\": \"VALUE\"", "SecretAccessKey"),
            ("<AWSSecretKey>VALUE</AWSSecretKey>", "AWSSecretKey"),
            (
                "export AWS_SECRET_ACCESS_KEY='VALUE'",
                "export AWS_SECRET_ACCESS_KEY",
            ),
            (
                "aws --aws-secret-access-key VALUE",
                "aws --aws-secret-access-key",
            ),
            ("secret_key:\n    VALUE", "secret_key"),
            ("x=1&aws_secret_access_key%3DVALUE", "aws_secret_access_key"),
            ("{\\\"secretAccessKey\\\":\\\"VALUE", "secretAccessKey"),
            ("Secret access key: VALUE", "Secret access key"),
            ("<AWSSecretKey>\n    VALUE\n</AWSSecretKey>", "AWSSecretKey"),
            ("AWS_SECRET ::= VALUE", "AWS_SECRET"),
            ("AWS_SECRET :::= VALUE", "AWS_SECRET"),
            ("AWS_SECRET ?= VALUE", "AWS_SECRET"),
            ("AWS_SECRET != VALUE", "AWS_SECRET"),
            ("AWS_SECRET += VALUE", "AWS_SECRET"),
            ("os.environ[\"AWS_SECRET\"] = \"VALUE\"", "AWS_SECRET"),
            ("ENV['AWS_SECRET'] = 'VALUE'", "AWS_SECRET"),
            ("$ENV{'AWS_SECRET'} = 'VALUE'", "AWS_SECRET"),
            (
                "System.setProperty(\"AWS_SECRET\", \"VALUE\")",
                "AWS_SECRET",
            ),
            ("os.environ.setdefault('AWS_SECRET', 'VALUE')", "AWS_SECRET"),
            (
                "&quot;SecretAccessKey&quot;: &quot;VALUE&quot;",
                "SecretAccessKey",
            ),
            (
                "\\u0022SecretAccessKey\\u0022:\\u0022VALUE",
                "SecretAccessKey",
            ),
            ("- name: AWS_SECRET\n  value: VALUE", "AWS_SECRET"),
            (
                "{\"Name\": \"AWS_SECRET\", \"Value\": \"VALUE\"}",
                "AWS_SECRET",
            ),
            ("<add key=\"AWS_SECRET\" value=\"VALUE\" />", "AWS_SECRET"),
        ] {
            assert_eq!(label(text, "VALUE").as_deref(), Some(want), "{text:?}");
        }
        for text in [
            "call(KEY, \"VALUE\")",
            "done.\nVALUE",
            "</AccessKeyId>VALUE",
            "<x>\n\n\nVALUE",
            "f(x, VALUE)",
        ] {
            assert_eq!(label(text, "VALUE"), None, "{text:?}");
        }
        let weak = |t: &str| {
            let pos = t.rfind("VALUE").unwrap_or(0);
            label_before(t.as_bytes(), pos).map(|l| l.weak)
        };
        assert_eq!(weak("setenv(\"AWS_SECRET\", \"VALUE\")"), Some(true));
        assert_eq!(weak("AWS_SECRET=VALUE"), Some(false));
    }
}
