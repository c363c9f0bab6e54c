//! Deterministic corpora for leakscan's throughput benchmarks.
//!
//! Every corpus is generated at run time from a seeded PRNG, so that this repository holds
//! nothing a secret scanner would flag and every run measures the same bytes.
//!
//! - [`no_hit`]: source code (Rust, Python, JavaScript, YAML) without a single prefilter
//!   anchor: no key material, no `secret` word, no `AKIA`/`ASIA`/`ABIA`/`ACCA`.
//! - [`near_miss`]: the same kind of source with, on about every 20th line, something that
//!   looks like a credential and is not one (IAM unique IDs, truncated or glued key IDs, git
//!   SHAs, `SECRET_KEY = os.environ[...]`, ...). A correct scanner reports nothing.
//! - [`dense`]: source with a planted credential (an INI profile, a JSON object or a pair of
//!   `export` lines) about every 10 lines; [`Dense::planted`] lists them.

use aho_corasick::{AhoCorasick, MatchKind};

/// Default corpus size: 16 MiB.
pub const DEFAULT_SIZE: usize = 16 << 20;

/// Seeds of the three corpora. Changing them changes the bytes measured.
pub const NO_HIT_SEED: u64 = 0x6c65_616b_7363_616e;
/// See [`NO_HIT_SEED`].
pub const NEAR_MISS_SEED: u64 = 0x6e65_6172_6d69_7373;
/// See [`NO_HIT_SEED`].
pub const DENSE_SEED: u64 = 0x6465_6e73_6563_7265;

/// A small xorshift64* generator: deterministic, fast, good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value, zero included).
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that close seeds give unrelated streams and the state
        // is never zero.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_f491_4f6c_dd1d } else { z })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        // The modulo bias is irrelevant for test data.
        (self.next_u64() >> 11) as usize % n
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `1/n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// A random element of `items` (non-empty).
    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    /// `len` characters drawn from `alphabet`.
    pub fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.below(alphabet.len())]))
            .collect()
    }
}

/// RFC 4648 base32: the 16 characters after a key ID's prefix.
pub const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// The standard base64 alphabet: the characters of a secret access key.
pub const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LOWER_HEX: &[u8] = b"0123456789abcdef";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// Words that identifiers, comments and strings are made of. None of them contains an
/// anchor of the scanner's prefilter.
const WORDS: &[&str] = &[
    "account", "active", "adapter", "address", "agent", "alloc", "apply", "archive", "args",
    "array", "async", "attempt", "auth", "backend", "batch", "before", "binary", "block", "body",
    "bound", "branch", "buffer", "build", "bundle", "bytes", "cache", "callback", "cancel",
    "capacity", "channel", "check", "child", "chunk", "claim", "client", "clone", "close",
    "cluster", "code", "column", "commit", "config", "connect", "context", "count", "cursor",
    "data", "date", "debug", "decode", "default", "delay", "delete", "depth", "device", "digest",
    "display", "domain", "driver", "element", "empty", "encode", "entry", "error", "event",
    "expand", "export", "field", "file", "filter", "finish", "flag", "flush", "format", "frame",
    "handle", "hash", "header", "height", "hook", "host", "index", "inner", "input", "insert",
    "item", "iter", "job", "join", "kind", "label", "layer", "layout", "length", "limit", "line",
    "list", "load", "local", "lock", "logger", "lookup", "manager", "map", "match", "merge",
    "message", "meta", "method", "mode", "model", "module", "mount", "name", "node", "number",
    "offset", "option", "order", "output", "owner", "packet", "page", "panel", "parent", "parse",
    "patch", "path", "peer", "pending", "policy", "pool", "port", "prefix", "queue", "range",
    "reader", "record", "region", "registry", "release", "remote", "render", "replica", "report",
    "request", "reset", "resolve", "response", "result", "retry", "route", "row", "rule", "runner",
    "schema", "scope", "search", "select", "sender", "server", "service", "session", "setting",
    "shape", "signal", "size", "slice", "socket", "source", "span", "stage", "state", "status",
    "stream", "string", "style", "table", "target", "task", "template", "tenant", "text", "thread",
    "timer", "title", "total", "trace", "tree", "update", "upload", "user", "value", "vector",
    "version", "view", "volume", "weight", "widget", "window", "worker", "writer", "zone",
];

const RUST_TYPES: &[&str] = &[
    "String",
    "Vec<u8>",
    "usize",
    "u64",
    "bool",
    "Option<String>",
    "HashMap<String, u64>",
    "PathBuf",
    "Duration",
    "Arc<Mutex<State>>",
    "Box<dyn Error>",
    "&str",
    "i32",
    "f64",
];

fn word(rng: &mut Rng) -> &'static str {
    rng.pick(WORDS)
}

fn snake(rng: &mut Rng) -> String {
    let n = rng.range(1, 3);
    (0..n).map(|_| word(rng)).collect::<Vec<_>>().join("_")
}

fn upper_snake(rng: &mut Rng) -> String {
    snake(rng).to_ascii_uppercase()
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn camel(rng: &mut Rng) -> String {
    let n = rng.range(1, 3);
    let mut s = word(rng).to_string();
    for _ in 1..n {
        s.push_str(&capitalize(word(rng)));
    }
    s
}

fn pascal(rng: &mut Rng) -> String {
    capitalize(&camel(rng))
}

fn words(rng: &mut Rng, lo: usize, hi: usize) -> String {
    let n = rng.range(lo, hi);
    (0..n).map(|_| word(rng)).collect::<Vec<_>>().join(" ")
}

fn sentence(rng: &mut Rng) -> String {
    let mut s = capitalize(&words(rng, 3, 12));
    s.push('.');
    s
}

fn number(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("0x{:x}", rng.next_u64() >> rng.range(24, 56)),
        1 => format!("{}.{}", rng.below(1000), rng.below(100)),
        2 => rng.below(10).to_string(),
        _ => rng.below(100_000).to_string(),
    }
}

/// The languages source lines are written in, one per generated "file".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Rust,
    Python,
    Js,
    Yaml,
}

/// One line of `lang` source at nesting `depth` (which the line may change).
fn source_line(rng: &mut Rng, lang: Lang, depth: &mut usize) -> String {
    let ind = |d: usize, unit: &str| unit.repeat(d);
    match lang {
        Lang::Rust => {
            let i = ind(*depth, "    ");
            match rng.below(18) {
                0 if *depth == 0 => {
                    *depth += 1;
                    format!(
                        "pub fn {}(&self, {}: {}) -> Result<{}, Error> {{",
                        snake(rng),
                        snake(rng),
                        rng.pick(RUST_TYPES),
                        rng.pick(RUST_TYPES)
                    )
                }
                1 if *depth == 0 => format!("use {}::{}::{};", word(rng), word(rng), pascal(rng)),
                2 if *depth == 0 => "#[derive(Debug, Clone, PartialEq)]".to_string(),
                3 if *depth < 3 => {
                    *depth += 1;
                    format!("{i}if {}.len() > {} {{", snake(rng), number(rng))
                }
                4 | 5 if *depth > 0 => {
                    *depth -= 1;
                    format!("{}}}", ind(*depth, "    "))
                }
                6 => format!("{i}// {}", sentence(rng)),
                7 => format!("{i}/// {}", sentence(rng)),
                8 => format!(
                    "{i}return Err(Error::{}(format!(\"{}: {{}}\", {})));",
                    pascal(rng),
                    words(rng, 2, 6),
                    snake(rng)
                ),
                9 => format!("{i}{}.push_str(\"{}\");", snake(rng), words(rng, 1, 5)),
                10 => format!(
                    "{i}const {}: usize = {};",
                    upper_snake(rng),
                    rng.below(65536)
                ),
                11 => String::new(),
                12 => format!(
                    "{i}{}::{} => {}.{}({}),",
                    pascal(rng),
                    pascal(rng),
                    snake(rng),
                    snake(rng),
                    number(rng)
                ),
                _ => format!(
                    "{i}let {} = {}.{}({}, {})?;",
                    snake(rng),
                    snake(rng),
                    snake(rng),
                    snake(rng),
                    number(rng)
                ),
            }
        }
        Lang::Python => {
            let i = ind(*depth, "    ");
            match rng.below(16) {
                0 if *depth == 0 => {
                    format!("from {}.{} import {}", word(rng), word(rng), pascal(rng))
                }
                1 if *depth == 0 => {
                    *depth = 1;
                    format!("class {}({}):", pascal(rng), pascal(rng))
                }
                2 if *depth <= 1 => {
                    *depth = 2;
                    format!(
                        "    def {}(self, {}, {}=None):",
                        snake(rng),
                        snake(rng),
                        snake(rng)
                    )
                }
                3 => format!("{i}\"\"\"{}\"\"\"", sentence(rng)),
                4 if *depth < 4 => {
                    let line = format!("{i}if {} is None:", snake(rng));
                    *depth += 1;
                    line
                }
                5 if *depth > 0 => {
                    *depth -= 1;
                    format!("{}return {}", ind(*depth + 1, "    "), snake(rng))
                }
                6 => format!("{i}# {}", sentence(rng)),
                7 => format!("{i}raise ValueError(\"{}\")", words(rng, 2, 7)),
                8 => format!(
                    "{i}return [{} for {} in {} if {}]",
                    snake(rng),
                    word(rng),
                    snake(rng),
                    word(rng)
                ),
                9 => format!(
                    "{i}logger.info(\"{} %s\", {})",
                    words(rng, 2, 6),
                    snake(rng)
                ),
                10 => String::new(),
                11 if *depth == 0 => format!("{} = {}", upper_snake(rng), number(rng)),
                _ => format!(
                    "{i}{} = self.{}.get(\"{}\", {})",
                    snake(rng),
                    snake(rng),
                    snake(rng),
                    number(rng)
                ),
            }
        }
        Lang::Js => {
            let i = ind(*depth, "  ");
            match rng.below(16) {
                0 if *depth == 0 => format!("const {} = require('{}');", camel(rng), word(rng)),
                1 if *depth == 0 => format!(
                    "import {{ {} }} from './{}/{}';",
                    pascal(rng),
                    word(rng),
                    word(rng)
                ),
                2 if *depth == 0 => {
                    *depth = 1;
                    format!(
                        "export async function {}({}, {}) {{",
                        camel(rng),
                        camel(rng),
                        camel(rng)
                    )
                }
                3 if *depth > 0 => {
                    *depth -= 1;
                    format!("{}}}", ind(*depth, "  "))
                }
                4 => format!("{i}// {}", sentence(rng)),
                5 => format!("{i}if (!{}) return null;", camel(rng)),
                6 => format!(
                    "{i}return {}.map((x) => x.{} * {});",
                    camel(rng),
                    camel(rng),
                    number(rng)
                ),
                7 => format!(
                    "{i}console.log(`{} ${{{}}}`);",
                    words(rng, 2, 6),
                    camel(rng)
                ),
                8 => format!(
                    "{i}\"{}-{}\": \"^{}.{}.{}\",",
                    word(rng),
                    word(rng),
                    rng.below(20),
                    rng.below(30),
                    rng.below(10)
                ),
                9 => format!("{i}\"integrity\": \"sha512-{}==\",", rng.string(BASE64, 86)),
                10 => String::new(),
                11 if *depth < 4 => {
                    let line = format!("{i}for (const {} of {}) {{", camel(rng), camel(rng));
                    *depth += 1;
                    line
                }
                _ => format!(
                    "{i}const {} = await {}.{}({});",
                    camel(rng),
                    camel(rng),
                    camel(rng),
                    number(rng)
                ),
            }
        }
        Lang::Yaml => {
            let i = ind(*depth, "  ");
            match rng.below(12) {
                0 if *depth < 3 => {
                    let line = format!("{i}{}:", snake(rng));
                    *depth += 1;
                    line
                }
                1 if *depth > 0 => {
                    *depth -= 1;
                    format!("{}- name: {}", ind(*depth, "  "), words(rng, 1, 4))
                }
                2 => format!("{i}# {}", sentence(rng)),
                3 => format!(
                    "{i}image: {}/{}:{}.{}",
                    word(rng),
                    word(rng),
                    rng.below(10),
                    rng.below(40)
                ),
                4 => format!("{i}replicas: {}", rng.below(12)),
                5 => format!("{i}{}: \"{}\"", snake(rng), words(rng, 1, 6)),
                6 => format!("{i}port: {}", rng.range(1024, 65535)),
                7 => format!(
                    "{i}enabled: {}",
                    if rng.one_in(2) { "true" } else { "false" }
                ),
                8 => format!("{i}checksum: {}", rng.string(LOWER_HEX, 64)),
                _ => format!("{i}{}: {}", snake(rng), word(rng)),
            }
        }
    }
}

/// Writes source "files" into `out` until it holds `size` bytes, calling `extra` before
/// each line: when it writes a line of its own, that line replaces the source line.
fn generate(
    rng: &mut Rng,
    size: usize,
    mut extra: impl FnMut(&mut Rng, &mut String) -> bool,
) -> Vec<u8> {
    let forbidden = anchor_finder();
    let mut out = String::with_capacity(size + 4096);
    let mut line = String::new();
    while out.len() < size {
        let lang = match rng.below(4) {
            0 => Lang::Rust,
            1 => Lang::Python,
            2 => Lang::Js,
            _ => Lang::Yaml,
        };
        let ext = match lang {
            Lang::Rust => "rs",
            Lang::Python => "py",
            Lang::Js => "js",
            Lang::Yaml => "yaml",
        };
        let comment = if matches!(lang, Lang::Rust | Lang::Js) {
            "//"
        } else {
            "#"
        };
        out.push_str(&format!(
            "{comment} {}/{}/{}.{ext}\n",
            word(rng),
            word(rng),
            snake(rng)
        ));
        let mut depth = 0;
        for _ in 0..rng.range(30, 300) {
            if out.len() >= size {
                break;
            }
            line.clear();
            if !extra(rng, &mut line) {
                // Random strings (integrity hashes, numbers) may spell an anchor by chance;
                // such lines are drawn again, so that filler never holds one.
                loop {
                    line = source_line(rng, lang, &mut depth);
                    if !forbidden.is_match(line.as_bytes()) {
                        break;
                    }
                }
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.into_bytes()
}

/// The Aho-Corasick automaton over the scanner's prefilter literals, as the benchmarks
/// build it for the floor measurement: default settings plus leftmost-first.
pub fn anchor_finder() -> AhoCorasick {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(scanner_core::rules::prefilter_literals())
        .expect("the prefilter literals build an automaton")
}

/// Source code with no prefilter anchor at all. About `size` bytes (it ends with a whole
/// line).
pub fn no_hit(size: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    generate(&mut rng, size, |_, _| false)
}

/// An IAM-unique-ID-shaped string: `prefix` and 16 base32 characters.
fn unique_id(rng: &mut Rng, prefix: &str) -> String {
    format!("{prefix}{}", rng.string(BASE32, 16))
}

/// One line that looks like a credential and is not one.
fn near_miss_line(rng: &mut Rng) -> String {
    // Built from parts so that no credential-shaped literal is in this source.
    let akia = ["AK", "IA"].concat();
    match rng.below(22) {
        0 => format!("    \"UserId\": \"{}\",", unique_id(rng, "AIDA")),
        1 => format!("  role_id: {}", unique_id(rng, "AROA")),
        2 => format!("PolicyId = \"{}\"", unique_id(rng, "ANPA")),
        // Too short: 15 characters after the prefix.
        3 => format!("key_id = \"{akia}{}\"  # truncated", rng.string(BASE32, 15)),
        // Glued into longer tokens, on either side.
        4 => format!("let token = \"X{akia}{}\";", rng.string(BASE32, 16)),
        5 => format!("ref: {akia}{}Z", rng.string(BASE32, 16)),
        6 => format!(
            "    const {}{akia}{} = 1;",
            word(rng),
            rng.string(BASE32, 18)
        ),
        7 => format!(
            "id = \"{}{}\"",
            akia.to_ascii_lowercase(),
            rng.string(LOWER, 16)
        ),
        8 => format!("# Configure the aws region for the {} client", word(rng)),
        9 => format!(
            "aws s3 cp ./{} s3://{}-{}/ --recursive",
            word(rng),
            word(rng),
            word(rng)
        ),
        10 => format!(
            "    let secret = vault.read(\"{}/{}\")?;",
            word(rng),
            word(rng)
        ),
        11 => "SECRET_KEY = os.environ[\"SECRET_KEY\"]".to_string(),
        12 => "aws_secret_access_key = os.environ[\"AWS_SECRET_ACCESS_KEY\"]".to_string(),
        13 => format!("  client_secret: ${{{}_CLIENT_SECRET}}", upper_snake(rng)),
        14 => format!("    {} = Secret::new({})", snake(rng), snake(rng)),
        // Git SHAs and other lower-case hex.
        15 => format!("commit: {}", rng.string(LOWER_HEX, 40)),
        16 => format!("secret_sha = \"{}\"", rng.string(LOWER_HEX, 40)),
        // 40-character tokens of one case.
        17 => format!("secret_token = \"{}\"", rng.string(LOWER_ALNUM, 40)),
        18 => format!("SECRET_ID = \"{}\"", rng.string(UPPER_ALNUM, 40)),
        19 => format!("    \"etag\": \"{}\",", rng.string(BASE64, 40)),
        20 => "    \"SecretAccessKey\": \"<redacted>\",".to_string(),
        // A short key-ID-like value in base64: a base64 anchor with nothing behind it.
        _ => {
            let inner = format!("{akia}{}", rng.string(BASE32, 15));
            format!("data: {}", base64_encode(inner.as_bytes()))
        }
    }
}

/// Source code where about every 20th line is a near miss (see the crate docs).
pub fn near_miss(size: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    generate(&mut rng, size, |rng, line| {
        if rng.one_in(20) {
            line.push_str(&near_miss_line(rng));
            true
        } else {
            false
        }
    })
}

/// A credential planted in the [`dense`] corpus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    /// `AKIA` and 16 base32 characters.
    pub key_id: String,
    /// 40 base64 characters with upper- and lower-case letters and digits.
    pub secret: String,
    /// 1-based line of the key ID.
    pub line: usize,
    /// How it is written: `ini`, `json` or `env`.
    pub form: &'static str,
}

/// The dense corpus and what was planted in it.
#[derive(Clone, Debug)]
pub struct Dense {
    /// The corpus.
    pub bytes: Vec<u8>,
    /// Every credential planted, in order.
    pub planted: Vec<Planted>,
}

/// A random key ID: `AKIA` and 16 base32 characters.
pub fn key_id(rng: &mut Rng) -> String {
    loop {
        let body = rng.string(BASE32, 16);
        // Keep clear of the scanner's placeholder rules (`AKIAYOUR...`).
        if !body.starts_with("YOUR") {
            return format!("{}{body}", ["AK", "IA"].concat());
        }
    }
}

/// A random secret access key: 40 base64 characters with an upper-case letter, a
/// lower-case letter and a digit.
pub fn secret_key(rng: &mut Rng) -> String {
    loop {
        let s = rng.string(BASE64, 40);
        let b = s.as_bytes();
        if b.iter().any(u8::is_ascii_uppercase)
            && b.iter().any(u8::is_ascii_lowercase)
            && b.iter().any(u8::is_ascii_digit)
        {
            return s;
        }
    }
}

/// Source code with a credential about every 10 lines: INI profiles, JSON objects and
/// `export` lines.
pub fn dense(size: usize, seed: u64) -> Dense {
    let mut rng = Rng::new(seed);
    let mut planted: Vec<Planted> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut profile = 0usize;
    let bytes = generate(&mut rng, size, |rng, line| {
        if pending.is_empty() && rng.one_in(7) {
            let key = key_id(rng);
            let secret = secret_key(rng);
            let (lines, form): (Vec<String>, &'static str) = match rng.below(3) {
                0 => {
                    profile += 1;
                    (
                        vec![
                            format!("[p{profile}]"),
                            format!("aws_access_key_id = {key}"),
                            format!("aws_secret_access_key = {secret}"),
                        ],
                        "ini",
                    )
                }
                1 => (
                    vec![
                        "{".to_string(),
                        format!("  \"UserName\": \"{}\",", snake(rng)),
                        format!("  \"AccessKeyId\": \"{key}\","),
                        "  \"Status\": \"Active\",".to_string(),
                        format!("  \"SecretAccessKey\": \"{secret}\""),
                        "}".to_string(),
                    ],
                    "json",
                ),
                _ => (
                    vec![
                        format!("export AWS_ACCESS_KEY_ID={key}"),
                        format!("export AWS_SECRET_ACCESS_KEY={secret}"),
                    ],
                    "env",
                ),
            };
            planted.push(Planted {
                key_id: key,
                secret,
                line: 0,
                form,
            });
            pending = lines;
            pending.reverse();
        }
        match pending.pop() {
            Some(l) => {
                line.push_str(&l);
                true
            }
            None => false,
        }
    });
    let mut dense = Dense { bytes, planted };
    fix_lines(&mut dense);
    dense
}

/// Sets each planted key's line from the bytes, and drops credentials cut off by the size
/// limit.
fn fix_lines(dense: &mut Dense) {
    let mut starts: Vec<usize> = vec![0];
    starts.extend(memchr::memchr_iter(b'\n', &dense.bytes).map(|i| i + 1));
    let mut line_idx = 0usize;
    let mut kept = Vec::with_capacity(dense.planted.len());
    let text = &dense.bytes;
    let mut from = 0usize;
    for p in &dense.planted {
        let Some(rel) = memchr::memmem::find(&text[from..], p.key_id.as_bytes()) else {
            continue;
        };
        let at = from + rel;
        let secret_present = memchr::memmem::find(&text[at..], p.secret.as_bytes()).is_some();
        from = at + p.key_id.len();
        while line_idx + 1 < starts.len() && starts[line_idx + 1] <= at {
            line_idx += 1;
        }
        if secret_present {
            kept.push(Planted {
                line: line_idx + 1,
                ..p.clone()
            });
        }
    }
    dense.planted = kept;
}

/// Hostile input shapes, each built to `size` bytes: what a crafted file under the size
/// limits may hold to make matching slow. Matching must stay linear in the input on each.
pub const ADVERSARIAL: &[&str] = &[
    "pairs-one-line",
    "key-ids-one-line",
    "secrets-one-line",
    "secret-words-one-line",
    "labels-no-values",
    "base64-one-line",
    "nested-escapes",
    "nested-base64",
    "utf16-pairs",
];

/// The hostile shape `shape` (one of [`ADVERSARIAL`]), `size` bytes long.
pub fn adversarial(shape: &str, size: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(size + 256);
    let secret_word = ["sec", "ret"].concat();
    while out.len() < size {
        match shape {
            // One line of `KEYID secret=SECRET ` repeated: every key ID has hundreds of
            // secrets within reach, and every secret hundreds of key IDs.
            "pairs-one-line" => {
                let (k, s) = (key_id(&mut rng), secret_key(&mut rng));
                out.extend_from_slice(format!("{k} {secret_word}={s} ").as_bytes());
            }
            "key-ids-one-line" => {
                out.extend_from_slice(key_id(&mut rng).as_bytes());
                out.push(b' ');
            }
            "secrets-one-line" => {
                out.extend_from_slice(secret_key(&mut rng).as_bytes());
                out.push(b' ');
            }
            // The secret-name words the prefilter anchors on, with nothing to confirm.
            "secret-words-one-line" => {
                out.extend_from_slice(format!("{secret_word} aws_{secret_word} ").as_bytes());
            }
            "labels-no-values" => {
                out.extend_from_slice(
                    format!("aws_{secret_word}_access_key=\"\" aws_access_key_id: ").as_bytes(),
                );
            }
            // One base64 body without a line break, with key-ID-shaped runs inside and the
            // signs of an encoded key ID (so that the body is decoded at every size).
            "base64-one-line" => {
                out.extend_from_slice(rng.string(BASE64, 200).as_bytes());
                out.extend_from_slice(key_id(&mut rng).as_bytes());
                let encoded = base64_encode(key_id(&mut rng).as_bytes());
                out.extend_from_slice(encoded.trim_end_matches('=').as_bytes());
            }
            // Escapes within escapes: JSON in a JSON string, URL encoding of URL encoding.
            "nested-escapes" => {
                let s = secret_key(&mut rng)
                    .replace('/', r"\\\\\\\/")
                    .replace('+', "%25252B");
                out.extend_from_slice(
                    format!(
                        r#"{{\\\"{secret_word}\\\":\\\"{s}\\\",\\\"k\\\":\\\"{}\\\"}}"#,
                        key_id(&mut rng)
                    )
                    .as_bytes(),
                );
            }
            // Base64 of base64 of a pair, in one line.
            "nested-base64" => {
                let pair = format!(
                    "aws_access_key_id={}\naws_{secret_word}_access_key={}\n",
                    key_id(&mut rng),
                    secret_key(&mut rng)
                );
                out.extend_from_slice(
                    base64_encode(base64_encode(pair.as_bytes()).as_bytes()).as_bytes(),
                );
            }
            // UTF-16LE pairs without a line break.
            "utf16-pairs" => {
                let text = format!(
                    "{} {secret_word}={} ",
                    key_id(&mut rng),
                    secret_key(&mut rng)
                );
                for b in text.bytes() {
                    out.extend_from_slice(&[b, 0]);
                }
            }
            _ => panic!("unknown adversarial shape {shape}"),
        }
    }
    out.truncate(size);
    out
}

/// How much longer a scan of 100 times the bytes of a hostile shape may take.
pub const GROWTH_ALLOWED: f64 = 150.0;

/// One hostile shape scanned at two sizes, 100 times apart.
#[derive(Clone, Debug)]
pub struct Growth {
    /// The shape (one of [`ADVERSARIAL`]).
    pub shape: &'static str,
    /// Bytes of the small and the large input.
    pub sizes: (usize, usize),
    /// Best wall-clock time of each.
    pub times: (std::time::Duration, std::time::Duration),
    /// Findings in the large input.
    pub findings: usize,
    /// Best time of the floor, an Aho-Corasick pass over the prefilter's literals, on each
    /// input: it grows past 100 times too once the large input no longer fits a core's
    /// cache, which no scan can help.
    pub floor: (std::time::Duration, std::time::Duration),
}

impl Growth {
    /// How many times longer the large scan took.
    pub fn ratio(&self) -> f64 {
        self.times.1.as_secs_f64() / self.times.0.as_secs_f64().max(1e-9)
    }

    /// How many times longer the floor took on the large input.
    pub fn floor_ratio(&self) -> f64 {
        self.floor.1.as_secs_f64() / self.floor.0.as_secs_f64().max(1e-9)
    }

    /// Whether the growth is within [`GROWTH_ALLOWED`], beyond what the floor itself grows
    /// past 100 times (the cache's share).
    pub fn ok(&self) -> bool {
        self.ratio() <= GROWTH_ALLOWED * (self.floor_ratio() / 100.0).max(1.0)
    }
}

fn best_floor(runs: usize, bytes: &[u8]) -> std::time::Duration {
    let ac = anchor_finder();
    (0..runs)
        .map(|_| {
            let t = std::time::Instant::now();
            std::hint::black_box(ac.find_iter(bytes).count());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn best_scan(
    runs: usize,
    scanner: &scanner_core::Scanner,
    bytes: &[u8],
) -> (std::time::Duration, usize) {
    let mut best = std::time::Duration::MAX;
    let mut found = 0;
    for _ in 0..runs {
        let t = std::time::Instant::now();
        found = std::hint::black_box(scanner.scan(std::hint::black_box(bytes))).len();
        best = best.min(t.elapsed());
    }
    (best, found)
}

/// Scans `shape` at `small` bytes (best of 5) and at 100 times that (best of 2).
pub fn growth(scanner: &scanner_core::Scanner, shape: &'static str, small: usize) -> Growth {
    let a = adversarial(shape, small, 1);
    let b = adversarial(shape, small * 100, 1);
    let (ta, _) = best_scan(5, scanner, &a);
    let (tb, findings) = best_scan(2, scanner, &b);
    Growth {
        shape,
        sizes: (a.len(), b.len()),
        times: (ta, tb),
        findings,
        floor: (best_floor(5, &a), best_floor(2, &b)),
    }
}

/// Prints the table of [`growth`] rows; returns whether every row is within bounds.
pub fn print_growth(rows: &[Growth]) -> bool {
    println!(
        "{:<24} {:>9} {:>10} {:>9} {:>11} {:>8} {:>7} {:>7}",
        "shape", "small", "time", "large", "time", "MiB/s", "ratio", "floor"
    );
    for g in rows {
        println!(
            "{:<24} {:>8}K {:>9.2?} {:>8}K {:>10.2?} {:>8.1} {:>6.0}× {:>6.0}× {} ({} findings)",
            g.shape,
            g.sizes.0 >> 10,
            g.times.0,
            g.sizes.1 >> 10,
            g.times.1,
            g.sizes.1 as f64 / f64::from(1u32 << 20) / g.times.1.as_secs_f64(),
            g.ratio(),
            g.floor_ratio(),
            if g.ok() { "ok" } else { "TOO SLOW" },
            g.findings,
        );
    }
    rows.iter().all(Growth::ok)
}

/// Standard base64 with padding.
pub fn base64_encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: usize = 256 << 10;

    #[test]
    fn corpora_are_deterministic() {
        assert_eq!(no_hit(SMALL, 1), no_hit(SMALL, 1));
        assert_ne!(no_hit(SMALL, 1), no_hit(SMALL, 2));
        assert_eq!(dense(SMALL, 3).planted, dense(SMALL, 3).planted);
    }

    #[test]
    fn no_hit_has_no_anchor() {
        let text = no_hit(SMALL, NO_HIT_SEED);
        assert!(text.len() >= SMALL);
        assert!(!anchor_finder().is_match(&text));
        let s = String::from_utf8_lossy(&text);
        for w in ["secret", "Secret", "SECRET", "AKIA", "ASIA", "ABIA", "ACCA"] {
            assert!(!s.contains(w), "{w}");
        }
    }

    #[test]
    fn near_miss_has_near_misses() {
        let text = near_miss(SMALL, NEAR_MISS_SEED);
        assert!(anchor_finder().find_iter(&text).count() > 50);
    }

    #[test]
    fn dense_plants_well_formed_credentials() {
        let d = dense(SMALL, DENSE_SEED);
        assert!(d.planted.len() > 100);
        let lines: Vec<&[u8]> = d.bytes.split(|&b| b == b'\n').collect();
        for p in &d.planted {
            assert_eq!(p.key_id.len(), 20);
            assert!(p.key_id[4..].bytes().all(|b| BASE32.contains(&b)));
            assert_eq!(p.secret.len(), 40);
            let line = lines[p.line - 1];
            assert!(
                memchr::memmem::find(line, p.key_id.as_bytes()).is_some(),
                "{p:?}"
            );
        }
    }

    #[test]
    fn base64_encodes() {
        assert_eq!(base64_encode(b"xAKIA"), "eEFLSUE=");
        assert_eq!(base64_encode(b"xxAKIA"), "eHhBS0lB");
        assert_eq!(base64_encode(b"ab"), "YWI=");
    }
}
