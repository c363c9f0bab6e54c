//! Expands the rule examples of `rules/aws.toml` into real bytes and compares a scanner's
//! findings with what each example expects.
//!
//! Examples never hold a real-looking credential: they name slots (`{{K1}}`, `{{S1}}`) that
//! are filled at run time with generated values, so the repository itself scans clean.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;

use scanner_core::{Finding, Kind};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct File {
    pub example: Vec<Example>,
}

#[derive(Debug, Deserialize)]
pub struct Example {
    pub name: String,
    /// positive | negative | near-miss
    pub class: String,
    pub text: String,
    #[serde(default)]
    pub expect: Vec<String>,
    /// plain (default) | utf16le | utf16be | base64: applied to the whole expanded text.
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub include_examples: bool,
    #[serde(default)]
    pub own_accounts: Vec<String>,
}

pub fn load() -> Vec<Example> {
    let text = include_str!("../../rules/aws.toml");
    let file: File = toml::from_str(text).expect("rules/aws.toml parses");
    file.example
}

/// One example of a pattern of `rules/patterns.txt`.
#[derive(Debug)]
pub struct PatternExample {
    /// The pattern's name.
    pub pattern: String,
    /// `key-id`, `secret` or `label:<kind>`.
    pub role: String,
    /// positive | negative | near-miss
    pub class: String,
    pub text: String,
}

/// The examples of `rules/patterns.txt` (its format is described at its top).
pub fn pattern_examples() -> Vec<PatternExample> {
    let mut out = Vec::new();
    let (mut pattern, mut role) = (String::new(), String::new());
    for line in include_str!("../../rules/patterns.txt").lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (word, rest) = line.split_once(' ').expect("an entry and its value");
        if word == "pattern" {
            let mut parts = rest.splitn(3, ' ');
            pattern = parts.next().unwrap().to_string();
            role = parts.next().unwrap().to_string();
            continue;
        }
        out.push(PatternExample {
            pattern: pattern.clone(),
            role: role.clone(),
            class: word.to_string(),
            text: rest.to_string(),
        });
    }
    out
}

/// Deterministic generator (xorshift64*), seeded per slot name.
struct Rng(u64);

impl Rng {
    fn new(seed: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A key ID with the given prefix whose body encodes `account` (or a random one).
pub fn key_id(prefix: &str, seed: &str, account: Option<u64>) -> String {
    let mut rng = Rng::new(seed);
    let account = account.unwrap_or_else(|| 100_000_000_000 + rng.next() % 800_000_000_000);
    let z: u128 = (1u128 << 47) | (u128::from(account) << 7) | u128::from(rng.next() & 0x7F);
    let bits: u128 = (z << 32) | u128::from(rng.next() as u32);
    let body: String = (0..16)
        .map(|i| char::from(B32[((bits >> (75 - 5 * i)) & 31) as usize]))
        .collect();
    format!("{prefix}{body}")
}

pub fn secret(seed: &str) -> String {
    let mut rng = Rng::new(seed);
    loop {
        let mut s: Vec<u8> = (0..40).map(|_| B64[rng.below(64)]).collect();
        s[7] = b'/';
        s[23] = b'+';
        let upper = s.iter().any(u8::is_ascii_uppercase);
        let lower = s.iter().any(u8::is_ascii_lowercase);
        if upper && lower {
            return String::from_utf8(s).unwrap();
        }
    }
}

/// AWS's documented example secret (a test fixture, not a credential).
pub const DOC_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A random secret that starts like the documentation example: 22 shared characters, too
/// few for a near-copy.
pub fn doc_prefixed_secret(seed: &str) -> String {
    format!("{}{}", &DOC_SECRET[..22], &secret(seed)[22..])
}

/// The documentation example with five characters changed: a near-copy (35 of 40 shared).
pub fn near_doc_secret(seed: &str) -> String {
    let mut rng = Rng::new(seed);
    let mut s: Vec<u8> = DOC_SECRET.bytes().collect();
    for at in [3, 11, 19, 27, 35] {
        let c = loop {
            let c = B64[rng.below(62)];
            if c != s[at] {
                break c;
            }
        };
        s[at] = c;
    }
    String::from_utf8(s).unwrap()
}

pub fn session_token(seed: &str) -> String {
    let mut rng = Rng::new(seed);
    let body: String = (0..320).map(|_| char::from(B64[rng.below(64)])).collect();
    format!("IQoJb3JpZ2luX2Vj{body}==")
}

pub fn base64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let mut v = [0u8; 3];
        v[..chunk.len()].copy_from_slice(chunk);
        let n = (u32::from(v[0]) << 16) | (u32::from(v[1]) << 8) | u32::from(v[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The values of an example's slots, by name, and back.
#[derive(Default)]
pub struct Slots {
    pub by_name: HashMap<String, String>,
}

impl Slots {
    fn value(&mut self, name: &str) -> String {
        if let Some(v) = self.by_name.get(name) {
            return v.clone();
        }
        let (base, account) = match name.split_once('@') {
            Some((b, a)) => (b, Some(a.parse::<u64>().expect("account digits"))),
            None => (name, None),
        };
        let v = match &base[..1] {
            "K" => key_id("AKIA", base, account),
            "A" => key_id("ASIA", base, account),
            "B" => key_id("ABIA", base, account),
            "C" => key_id("ACCA", base, account),
            "S" => secret(base),
            "T" => session_token(base),
            "D" => doc_prefixed_secret(base),
            "E" => near_doc_secret(base),
            _ => panic!("unknown slot {name}"),
        };
        self.by_name.insert(name.to_string(), v.clone());
        if account.is_some() {
            self.by_name.insert(base.to_string(), v.clone());
        }
        v
    }

    pub fn name_of(&self, value: &str) -> String {
        let mut names: Vec<&String> = self
            .by_name
            .iter()
            .filter(|(_, v)| v.as_str() == value)
            .map(|(k, _)| k)
            .filter(|k| !k.contains('@'))
            .collect();
        names.sort();
        names
            .first()
            .map_or_else(|| value.to_string(), |s| (*s).clone())
    }
}

/// Expands `{{...}}` placeholders in an example's text. `{{begin:b64}}...{{end:b64}}`
/// (also `b64url`, unpadded) is the base64 of what it encloses, expanded; blocks nest.
pub fn expand(text: &str, slots: &mut Slots) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        let j = rest[i..].find("}}").expect("closing }}") + i;
        let inner = &rest[i + 2..j];
        if let Some(enc) = inner.strip_prefix("begin:") {
            let (open, close) = (format!("{{{{begin:{enc}}}}}"), format!("{{{{end:{enc}}}}}"));
            let body_start = j + 2;
            let mut depth = 1;
            let mut at = body_start;
            let body_end = loop {
                let next_open = rest[at..].find(&open).map(|n| at + n);
                let next_close = rest[at..]
                    .find(&close)
                    .map(|n| at + n)
                    .expect("a closing end:");
                match next_open {
                    Some(o) if o < next_close => {
                        depth += 1;
                        at = o + open.len();
                    }
                    _ => {
                        depth -= 1;
                        at = next_close + close.len();
                        if depth == 0 {
                            break next_close;
                        }
                    }
                }
            };
            let body = expand(&rest[body_start..body_end], slots);
            let encoded = match enc {
                "b64" => base64(&body),
                "b64url" => base64(&body)
                    .trim_end_matches('=')
                    .replace('+', "-")
                    .replace('/', "_"),
                e => panic!("unknown block encoding {e}"),
            };
            out.extend_from_slice(encoded.as_bytes());
            rest = &rest[body_end + close.len()..];
            continue;
        }
        let (name, modifier) = match inner.split_once('|') {
            Some((n, m)) => (n, Some(m)),
            None => (inner, None),
        };
        if name == "NUL" {
            out.push(0);
        } else if let Some(hex) = name.strip_prefix("0x") {
            out.push(u8::from_str_radix(hex, 16).expect("{{0xNN}} is one byte in hex"));
        } else if let Some((seed, len)) = name.strip_prefix('R').and_then(|r| r.split_once(':')) {
            // `{{R1:64}}` 64 random base64 characters, `{{RU1:43}}` URL-safe ones.
            let len: usize = len.parse().expect("{{R<seed>:<len>}}");
            let url = seed.starts_with('U');
            out.extend_from_slice(random_base64(&format!("R{seed}"), len, url).as_bytes());
        } else {
            let v = slots.value(name);
            let v = match modifier {
                None => v,
                Some(m) => transform(&v, m),
            };
            out.extend_from_slice(v.as_bytes());
        }
        rest = &rest[j + 2..];
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

/// A slot's value as an encoder writes it (`{{S1|html}}`):
///
/// | modifier | what it does |
/// |---|---|
/// | `b64`, `b64b64` | base64, once or twice |
/// | `url`, `url2` | `/` and `+` URL-encoded (`%2F`), twice (`%252F`) |
/// | `json`, `json2` | `/` as `\/`, and as a JSON string inside a JSON string writes it (`\\\/`) |
/// | `u2f`, `x2f`, `html`, `sol` | `/` and `+` as `\u002F`, `\x2F`, `&#x2F;` / `&#43;`, `&sol;` / `&plus;` |
/// | `u`, `ub`, `x`, `dec` | every character as `\u0041`, `\u{41}`, `\x41`, `&#65;` |
/// | `qp` | a quoted-printable soft line break (`=` newline) in the middle |
/// | `spans` | split in the middle by `</span><span class="x">` |
/// | `impossible` | a key ID with a `0` and an `8` in its body (AWS cannot issue it) |
pub fn transform(v: &str, modifier: &str) -> String {
    let each = |f: &dyn Fn(char) -> String| v.chars().map(f).collect::<String>();
    let slash_plus = |slash: &str, plus: &str| v.replace('/', slash).replace('+', plus);
    let middle = v.len() / 2;
    match modifier {
        "b64" => base64(v.as_bytes()),
        "b64b64" => base64(base64(v.as_bytes()).as_bytes()),
        "url" => slash_plus("%2F", "%2B"),
        "url2" => slash_plus("%252F", "%252B"),
        "json" => v.replace('/', "\\/"),
        "json2" => v.replace('/', "\\\\\\/"),
        "u2f" => slash_plus("\\u002F", "\\u002B"),
        "x2f" => slash_plus("\\x2f", "\\x2b"),
        "html" => slash_plus("&#x2F;", "&#43;"),
        "sol" => slash_plus("&sol;", "&plus;"),
        "u" => each(&|c| format!("\\u{:04X}", u32::from(c))),
        "ub" => each(&|c| format!("\\u{{{:x}}}", u32::from(c))),
        "x" => each(&|c| format!("\\x{:02x}", u32::from(c))),
        "dec" => each(&|c| format!("&#{};", u32::from(c))),
        "hexref" => each(&|c| format!("&#x{:X};", u32::from(c))),
        "qp" => format!("{}=\n{}", &v[..middle], &v[middle..]),
        "spans" => format!("{}</span><span class=\"x\">{}", &v[..middle], &v[middle..]),
        // A key ID AWS cannot issue: digits outside base32 in its body.
        "impossible" => format!("{}0{}8{}", &v[..6], &v[7..13], &v[14..]),
        m => panic!("unknown modifier {m}"),
    }
}

/// `len` random base64 characters (URL-safe ones if `url`), from a seed.
pub fn random_base64(seed: &str, len: usize, url: bool) -> String {
    let mut rng = Rng::new(seed);
    let alphabet: Vec<u8> = if url {
        B64[..62].iter().copied().chain(*b"-_").collect()
    } else {
        B64.to_vec()
    };
    (0..len)
        .map(|_| char::from(alphabet[rng.below(64)]))
        .collect()
}

/// Quoted-printable of a text (RFC 2045): `=` as `=3D`, lines cut at 76 characters with
/// soft line breaks.
pub fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let mut width = 0;
        for c in body.chars() {
            let piece = match c {
                '=' => "=3D".to_string(),
                c => c.to_string(),
            };
            if width + piece.len() > 75 {
                out.push_str("=\n");
                width = 0;
            }
            width += piece.len();
            out.push_str(&piece);
        }
        out.push_str(nl);
    }
    out
}

pub fn encode(bytes: Vec<u8>, encoding: Option<&str>) -> Vec<u8> {
    let text = || String::from_utf8(bytes.clone()).expect("UTF-8 example text");
    match encoding {
        None | Some("plain") => bytes,
        Some("utf16le") => text().encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Some("utf16be") => text().encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Some("base64") => base64(&bytes).into_bytes(),
        Some("base64base64") => base64(base64(&bytes).as_bytes()).into_bytes(),
        // The mail body (after the first blank line) in quoted-printable.
        Some("qp") => {
            let t = text();
            let (head, body) = t.split_once("\n\n").unwrap_or(("", &t));
            format!("{head}\n\n{}", quoted_printable(body)).into_bytes()
        }
        Some(e) => panic!("unknown encoding {e}"),
    }
}

/// A finding in the examples' notation:
/// `<kind> key=<slot> secret=<slot> token=<slot> line=<n> <severity> enc=<encoding> flags=<...>`.
pub fn describe(f: &Finding, slots: &Slots) -> String {
    let kind = match f.kind {
        Kind::KeyPair => "pair",
        Kind::KeyId => "id",
        Kind::SecretKey => "secret",
        _ => "other",
    };
    let key = f
        .key_id
        .as_ref()
        .map_or("-".to_string(), |k| slots.name_of(k.as_str()));
    let secret = f
        .secret
        .as_ref()
        .map_or("-".to_string(), |s| slots.name_of(s.expose()));
    let token = f
        .session_token
        .as_ref()
        .map_or("-".to_string(), |s| slots.name_of(s.expose()));
    let mut flags = Vec::new();
    if f.facts.likely_root {
        flags.push("root");
    }
    if f.facts.canary {
        flags.push("canary");
    }
    if f.facts.own_account {
        flags.push("own");
    }
    if f.facts.example.is_some() {
        flags.push("example");
    }
    let flags = if flags.is_empty() {
        "-".to_string()
    } else {
        flags.join(",")
    };
    format!(
        "{kind} key={key} secret={secret} token={token} line={} {} enc={} flags={flags}",
        f.location.line,
        f.severity,
        f.encoding.as_str()
    )
}

/// An expectation in the examples' short notation, in the same form as [`describe`]:
/// `pair K1 S1 line=2 high`, `id A1 T1 line=4 low enc=base64 canary`.
pub fn normalize_expectation(e: &str) -> String {
    let mut words = e.split_whitespace();
    let kind = words.next().expect("kind");
    let (mut key, mut secret, mut token) = ("-".to_string(), "-".to_string(), "-".to_string());
    let (mut line, mut severity, mut enc) = (String::new(), String::new(), "plain".to_string());
    let mut flags: Vec<&str> = Vec::new();
    for w in words {
        let slot =
            |p: char| w.starts_with(p) && w[1..].chars().all(|c| c.is_ascii_digit()) && w.len() > 1;
        if slot('K') || slot('A') || slot('B') || slot('C') || (w.len() == 20 && w.starts_with('A'))
        {
            key = w.to_string();
        } else if slot('S') || slot('D') || slot('E') || w.len() == 40 {
            secret = w.to_string();
        } else if slot('T') {
            token = w.to_string();
        } else if let Some(l) = w.strip_prefix("line=") {
            line = l.to_string();
        } else if let Some(x) = w.strip_prefix("enc=") {
            enc = x.to_string();
        } else if ["info", "low", "medium", "high", "critical"].contains(&w) {
            severity = w.to_string();
        } else if ["root", "canary", "own", "example"].contains(&w) {
            flags.push(w);
        } else {
            panic!("cannot read {w:?} in expectation {e:?}");
        }
    }
    assert!(
        !line.is_empty() && !severity.is_empty(),
        "expectation {e:?} needs line= and a severity"
    );
    let order = ["root", "canary", "own", "example"];
    flags.sort_by_key(|f| order.iter().position(|o| o == f));
    let flags = if flags.is_empty() {
        "-".to_string()
    } else {
        flags.join(",")
    };
    format!("{kind} key={key} secret={secret} token={token} line={line} {severity} enc={enc} flags={flags}")
}
