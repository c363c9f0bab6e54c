//! Assembly of findings: the candidates of one text, laid out for pairing and paired
//! ([`crate::pair`] decides which key goes with which secret), become raw findings with
//! their session tokens and alternative secrets, less those a `leakscan:allow` comment
//! allows; raw findings of every text of an input then become [`Finding`]s with facts,
//! severity, fingerprint and location.

mod root;

use std::collections::{HashMap, HashSet};

use crate::candidates::{KeyCand, SecretCand, Secrets, KEY_WINDOW_LINES};
use crate::confirm::{self, Patterns};
use crate::enrich::{self, Accounts};
use crate::finding::{Encoding, ExampleKind, Finding, Fingerprint, KeyId, Kind, Secret, Span};
use crate::lines::{self, LineCounter, Locator};
use crate::pair::{self, Gap, Item, Structure};
use crate::rules::{label_qualifier, LabelClass};
use crate::scanner::{ExamplePolicy, ALLOW_MARKER};

/// A finding inside one decoded text, before facts and locations.
#[derive(Clone, Debug)]
pub(crate) struct Raw {
    pub(crate) kind: Kind,
    pub(crate) key: Option<String>,
    pub(crate) key_span: Option<Span>,
    pub(crate) secret: Option<String>,
    pub(crate) secret_span: Option<Span>,
    pub(crate) token: Option<String>,
    pub(crate) encoding: Encoding,
    pub(crate) likely_root: bool,
    /// A secret paired with a key ID AWS cannot issue: a made-up fixture.
    pub(crate) fixture: bool,
    /// Other plausible secrets near the key of a pair, nearest first.
    pub(crate) other_secrets: Vec<String>,
}

impl Raw {
    pub(crate) fn primary(&self) -> Span {
        self.key_span
            .or(self.secret_span)
            .expect("a finding has a key or a secret position")
    }

    /// Moves the finding's positions, from a decoded text's into its outer text's.
    pub(crate) fn map_spans(&mut self, f: impl Fn(Span) -> Span) {
        self.key_span = self.key_span.map(&f);
        self.secret_span = self.secret_span.map(&f);
    }
}

/// How far from a key an unpaired secret may be to count as an alternative for it:
/// unlabelled, and named as a secret.
const ALTERNATIVE_LINES: usize = 6;
const ALTERNATIVE_LINES_LABELLED: usize = 64;
/// Alternatives kept per pair.
const MAX_ALTERNATIVES: usize = 4;

/// Where a pairing item came from.
#[derive(Clone, Copy)]
enum Src {
    Key(usize),
    Secret(usize),
}

/// The candidates of one text in position order, as pairing sees them.
struct Layout {
    /// Items in position order, keys first on ties.
    items: Vec<Item>,
    /// What separates each item from the next (one fewer than items).
    gaps: Vec<Gap>,
    /// Where each item came from.
    src: Vec<Src>,
    key_line: Vec<usize>,
    secret_line: Vec<usize>,
}

impl Layout {
    fn new(text: &[u8], keys: &[KeyCand], secrets: &[SecretCand]) -> Layout {
        let mut order: Vec<(Span, Src)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.span, Src::Key(i)))
            .chain(
                secrets
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.span, Src::Secret(i))),
            )
            .collect();
        order.sort_by_key(|&(span, src)| (span.start, matches!(src, Src::Secret(_))));
        let mut line_of = LineCounter::new(text);
        let mut key_line = vec![0; keys.len()];
        let mut secret_line = vec![0; secrets.len()];
        let items = order
            .iter()
            .map(|&(span, src)| {
                let line = line_of.line(span.start);
                let (is_key, label, class) = match src {
                    Src::Key(i) => {
                        key_line[i] = line;
                        (true, keys[i].label.as_deref(), None)
                    }
                    Src::Secret(i) => {
                        secret_line[i] = line;
                        (false, secrets[i].label.as_deref(), secrets[i].class)
                    }
                };
                Item {
                    pos: span.start,
                    line,
                    is_key,
                    label: class,
                    qualifier: label.map(label_qualifier).unwrap_or_default(),
                }
            })
            .collect();
        let gaps = order
            .windows(2)
            .map(|w| Gap::between(text, w[0].0.end, w[1].0.start))
            .collect();
        Layout {
            items,
            gaps,
            src: order.into_iter().map(|(_, src)| src).collect(),
            key_line,
            secret_line,
        }
    }
}

/// Who paired with whom, by candidate index.
struct Pairing<'a> {
    key_paired: Vec<Option<usize>>,
    secret_paired: Vec<bool>,
    /// Key value -> the secret of its first pair, to give repeated mentions the pair's
    /// identity; and the other way round.
    secret_for_key: HashMap<&'a str, usize>,
    key_for_secret: HashMap<&'a str, usize>,
}

impl<'a> Pairing<'a> {
    fn new(
        layout: &Layout,
        structure: &Structure,
        keys: &'a [KeyCand],
        secrets: &'a [SecretCand],
    ) -> Pairing<'a> {
        let mut p = Pairing {
            key_paired: vec![None; keys.len()],
            secret_paired: vec![false; secrets.len()],
            secret_for_key: HashMap::new(),
            key_for_secret: HashMap::new(),
        };
        for (ki, si) in pair::pair(&layout.items, &layout.gaps, structure) {
            let (Src::Key(k), Src::Secret(s)) = (layout.src[ki], layout.src[si]) else {
                debug_assert!(false, "pair() returns (key, secret)");
                continue;
            };
            p.key_paired[k] = Some(s);
            p.secret_paired[s] = true;
            // A made-up key ID gives its secret no identity to repeat.
            if !keys[k].impossible {
                p.secret_for_key.entry(&keys[k].value).or_insert(s);
                p.key_for_secret.entry(&secrets[s].value).or_insert(k);
            }
        }
        p
    }
}

/// Secrets near a paired key that no key took: if the chosen one turns out wrong,
/// verification tries these, nearest first.
struct Alternatives<'a> {
    secrets: &'a [SecretCand],
    secret_line: &'a [usize],
    /// Only unpaired secrets can be alternatives, by position, so that each key looks at
    /// its neighbourhood alone (a dump of many pairs, one long line of them, stays linear).
    unpaired: Vec<usize>,
}

/// How far in bytes an alternative may be from its key, as a secret from the key it pairs
/// with.
const ALTERNATIVE_BYTES: usize = 16 * 1024;

impl<'a> Alternatives<'a> {
    fn new(secrets: &'a [SecretCand], layout: &'a Layout, pairing: &Pairing) -> Alternatives<'a> {
        let mut unpaired: Vec<usize> = (0..secrets.len())
            .filter(|&j| !pairing.secret_paired[j])
            .collect();
        unpaired.sort_unstable_by_key(|&j| secrets[j].span.start);
        Alternatives {
            secrets,
            secret_line: &layout.secret_line,
            unpaired,
        }
    }

    /// The alternatives for a key at `pos` on `line` paired with secret `chosen`.
    fn for_key(&self, pos: usize, line: usize, chosen: usize) -> Vec<String> {
        let secrets = self.secrets;
        let from = self
            .unpaired
            .partition_point(|&j| secrets[j].span.start + ALTERNATIVE_BYTES < pos);
        let mut near: Vec<(usize, usize)> = self.unpaired[from..]
            .iter()
            .take_while(|&&j| secrets[j].span.start <= pos + ALTERNATIVE_BYTES)
            .copied()
            .filter(|&j| secrets[j].value != secrets[chosen].value)
            .filter_map(|j| {
                let d = self.secret_line[j].abs_diff(line);
                let reach = match secrets[j].class {
                    Some(LabelClass::AwsSecret | LabelClass::Secret) => ALTERNATIVE_LINES_LABELLED,
                    _ => ALTERNATIVE_LINES,
                };
                (d <= reach).then_some((d, j))
            })
            .collect();
        near.sort_unstable();
        near.into_iter()
            .take(MAX_ALTERNATIVES)
            .map(|(_, j)| secrets[j].value.clone())
            .collect()
    }
}

/// Pairs the candidates of one text and appends its raw findings to `out`.
pub(crate) fn raw_findings(
    text: &[u8],
    keys: &[KeyCand],
    found: &Secrets,
    patterns: &Patterns,
    honour_allow: bool,
    out: &mut Vec<Raw>,
) {
    let secrets = &found.secrets[..];
    let mut out = AllowFilter {
        text,
        honour: honour_allow,
        out,
        last_line: None,
    };
    let layout = Layout::new(text, keys, secrets);
    // Structure matters only between candidates close enough to pair, which share a
    // window: reading it there keeps sparse candidates in a large text cheap.
    let structure = Structure::of_windows(text, &found.windows);
    let pairing = Pairing::new(&layout, &structure, keys, secrets);
    let token_for_key = assign_tokens(text, keys, &found.tokens, &structure);
    let alternatives = Alternatives::new(secrets, &layout, &pairing);
    // Secrets paired with a made-up key ID, wherever else they appear.
    let mut fixtures: HashSet<&str> = HashSet::new();

    for (k, key) in keys.iter().enumerate() {
        if key.impossible {
            // Never reported itself; the secret it pairs with is a fixture.
            if let Some(s) = pairing.key_paired[k] {
                fixtures.insert(&secrets[s].value);
                out.push(Raw {
                    kind: Kind::SecretKey,
                    key: None,
                    key_span: None,
                    secret: Some(secrets[s].value.clone()),
                    secret_span: Some(secrets[s].span),
                    token: None,
                    encoding: secrets[s].encoding,
                    likely_root: false,
                    fixture: true,
                    other_secrets: Vec::new(),
                });
            }
            continue;
        }
        let token = token_for_key.get(key.value.as_str()).cloned();
        let secret = pairing.key_paired[k]
            .or_else(|| pairing.secret_for_key.get(key.value.as_str()).copied());
        let (kind, secret_value, secret_span, encoding, likely_root) = match secret {
            Some(s) => (
                Kind::KeyPair,
                Some(secrets[s].value.clone()),
                Some(secrets[s].span),
                combine(key.encoding, secrets[s].encoding),
                root::is_root(text, key, &secrets[s], patterns),
            ),
            None => (Kind::KeyId, None, None, key.encoding, false),
        };
        let other_secrets = match pairing.key_paired[k] {
            Some(chosen) => alternatives.for_key(key.span.start, layout.key_line[k], chosen),
            None => Vec::new(),
        };
        out.push(Raw {
            kind,
            key: Some(key.value.clone()),
            key_span: Some(key.span),
            secret: secret_value,
            secret_span,
            token,
            encoding,
            likely_root,
            fixture: false,
            other_secrets,
        });
    }
    for (s, secret) in secrets.iter().enumerate() {
        if pairing.secret_paired[s] {
            continue;
        }
        if let Some(&k) = pairing.key_for_secret.get(secret.value.as_str()) {
            // The same secret again, away from its key: one more place of the same pair.
            out.push(Raw {
                kind: Kind::KeyPair,
                key: Some(keys[k].value.clone()),
                key_span: None,
                secret: Some(secret.value.clone()),
                secret_span: Some(secret.span),
                token: token_for_key.get(keys[k].value.as_str()).cloned(),
                encoding: secret.encoding,
                likely_root: false,
                fixture: false,
                other_secrets: Vec::new(),
            });
            continue;
        }
        let fixture = fixtures.contains(secret.value.as_str());
        let named = match secret.class {
            Some(LabelClass::AwsSecret) => true,
            Some(LabelClass::Secret) => confirm::has_aws_context(text, secret.span.start, 10),
            _ => false,
        };
        if named || fixture {
            out.push(Raw {
                kind: Kind::SecretKey,
                key: None,
                key_span: None,
                secret: Some(secret.value.clone()),
                secret_span: Some(secret.span),
                token: None,
                encoding: secret.encoding,
                likely_root: false,
                fixture,
                other_secrets: Vec::new(),
            });
        }
    }
}

/// Drops findings with a `leakscan:allow` comment on the line of their key ID or secret.
struct AllowFilter<'a> {
    text: &'a [u8],
    honour: bool,
    out: &'a mut Vec<Raw>,
    /// The last line looked at and whether it allows: findings come mostly in position
    /// order, and many on one long line must not each read the whole line.
    last_line: Option<(Span, bool)>,
}

impl AllowFilter<'_> {
    fn push(&mut self, raw: Raw) {
        if !self.allowed(raw.key_span) && !self.allowed(raw.secret_span) {
            self.out.push(raw);
        }
    }

    fn allowed(&mut self, span: Option<Span>) -> bool {
        let Some(pos) = span.map(|s| s.start).filter(|_| self.honour) else {
            return false;
        };
        if let Some((line, allows)) = self.last_line {
            if line.start <= pos && pos <= line.end {
                return allows;
            }
        }
        let line = lines::line_around(self.text, pos);
        let allows = line_allows(self.text, line);
        self.last_line = Some((line, allows));
        allows
    }
}

/// Whether `line` carries [`ALLOW_MARKER`].
fn line_allows(text: &[u8], line: Span) -> bool {
    memchr::memmem::find(&text[line.start..line.end], ALLOW_MARKER.as_bytes()).is_some()
}

/// How far in bytes a session token may be from its key.
const TOKEN_BYTES: usize = 16 * 1024;

/// Attaches each session token to the nearest temporary (`ASIA`) key ID before or after it
/// in the same record: no INI section between them, and no boundary between two records of
/// a JSON list (`}, {`: the next CloudTrail record's token is not this one's).
fn assign_tokens(
    text: &[u8],
    keys: &[KeyCand],
    tokens: &[(Span, String)],
    structure: &Structure,
) -> HashMap<String, String> {
    let mut out: HashMap<String, (usize, String)> = HashMap::new();
    if tokens.is_empty() {
        return HashMap::new();
    }
    let mut lines = LineCounter::new(text);
    // Temporary keys by position, with their lines.
    let mut temporary: Vec<&KeyCand> = keys
        .iter()
        .filter(|k| k.value.starts_with("ASIA") && !k.impossible)
        .collect();
    temporary.sort_by_key(|k| k.span.start);
    let temporary: Vec<(usize, &KeyCand)> = temporary
        .into_iter()
        .map(|k| (lines.line(k.span.start), k))
        .collect();
    for (span, value) in tokens {
        let tline = lines.line(span.start);
        let from = temporary.partition_point(|(_, k)| k.span.start + TOKEN_BYTES < span.start);
        let best = temporary[from..]
            .iter()
            .take_while(|(_, k)| k.span.start <= span.start + TOKEN_BYTES)
            .filter(|(_, k)| {
                let (a, b) = if k.span.start < span.start {
                    (k.span.start, span.start)
                } else {
                    (span.start, k.span.start)
                };
                !structure.section_between(a, b) && !structure.record_break_between(a, b)
            })
            .map(|&(l, k)| (l.abs_diff(tline), k))
            .filter(|&(d, _)| d <= KEY_WINDOW_LINES)
            .min_by_key(|&(d, k)| (d, k.span.start));
        if let Some((d, k)) = best {
            let entry = out
                .entry(k.value.clone())
                .or_insert((usize::MAX, String::new()));
            if d < entry.0 {
                *entry = (d, value.clone());
            }
        }
    }
    out.into_iter().map(|(k, (_, v))| (k, v)).collect()
}

/// The notable encoding of a pair: the outer one if any, else the secret's escaping.
fn combine(key: Encoding, secret: Encoding) -> Encoding {
    if key != Encoding::Plain {
        key
    } else {
        secret
    }
}

/// Facts, severity, fingerprint and location for the raw findings of every text of one
/// input, in position order; documentation examples dropped unless asked for.
pub(crate) fn findings(
    haystack: &[u8],
    mut raws: Vec<Raw>,
    accounts: &Accounts,
    examples: ExamplePolicy,
) -> Vec<Finding> {
    raws.sort_by_key(Raw::primary);
    let lines = Locator::new(
        haystack,
        raws.iter()
            .flat_map(|r| [r.key_span, r.secret_span])
            .flatten(),
    );
    let mut findings: Vec<Finding> = Vec::with_capacity(raws.len());
    for raw in raws {
        let key_id = raw.key.clone().map(KeyId::new_unchecked);
        let secret = raw.secret.clone().map(Secret::new);
        let mut facts = enrich::facts(key_id.as_ref(), secret.as_ref(), raw.likely_root, accounts);
        if raw.fixture {
            facts.example = Some(ExampleKind::Fixture);
        }
        if facts.example.is_some() && examples == ExamplePolicy::Suppress {
            continue;
        }
        let severity = enrich::severity(raw.kind, &facts);
        let fingerprint = Fingerprint::compute(raw.kind, key_id.as_ref(), secret.as_ref());
        let primary = raw.primary();
        let location = lines.locate(primary);
        let secret_location = match raw.secret_span {
            Some(s) if s != primary => Some(lines.locate(s)),
            _ => None,
        };
        findings.push(Finding {
            kind: raw.kind,
            key_id,
            secret,
            session_token: raw.token.map(Secret::new),
            other_secrets: raw.other_secrets.into_iter().map(Secret::new).collect(),
            fingerprint,
            severity,
            facts,
            encoding: raw.encoding,
            location,
            secret_location,
            archive_path: Default::default(),
        });
    }
    findings.sort_by(|a, b| {
        (a.location.span, a.kind, a.fingerprint).cmp(&(b.location.span, b.kind, b.fingerprint))
    });
    findings.dedup_by(|a, b| a.location.span == b.location.span && a.fingerprint == b.fingerprint);
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allow_comment_allows_its_own_line_only() {
        let text = b"a = 1\nb = 2 # leakscan:allow\nc = 3";
        let allows = |pos| line_allows(text, lines::line_around(text, pos));
        assert!(!allows(2));
        assert!(allows(6));
        assert!(allows(10));
        assert!(!allows(text.len() - 1));
    }

    #[test]
    fn a_pair_is_as_notable_as_its_outer_encoding() {
        assert_eq!(
            combine(Encoding::Base64, Encoding::JsonEscaped),
            Encoding::Base64
        );
        assert_eq!(
            combine(Encoding::Plain, Encoding::UrlEncoded),
            Encoding::UrlEncoded
        );
    }
}
