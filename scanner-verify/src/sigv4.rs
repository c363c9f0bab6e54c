//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for header-signed requests.
//!
//! The four steps of the specification, each a function that the tests check against AWS's
//! published test suite (`tests/data/sigv4/`, checked by `sigv4_tests.rs`):
//!
//! 1. [`canonical_request`]: method, normalised and encoded path, sorted and encoded query,
//!    canonical headers (lower-case names, sorted, values trimmed with inner runs of spaces
//!    collapsed, repeated names joined with `,`), the signed-headers list and the hex SHA-256
//!    of the payload;
//! 2. [`string_to_sign`]: algorithm, time, [`credential_scope`] and the hash of step 1;
//! 3. [`signature`]: HMAC-SHA256 of step 2 with the key derived from the secret, the date,
//!    the region and the service ([`signing_key`]);
//! 4. [`authorization`]: the `Authorization` header.
//!
//! [`sign`] does all four and returns the headers to add to the request. Only what STS
//! needs is here: no presigned URLs, no S3 rules (single encoding, no path normalisation,
//! `x-amz-content-sha256`), no chunked payloads.
//!
//! Private to the crate: it is a means of verification, not a general-purpose signer. This
//! file depends on nothing but `hmac` and `sha2` and holds no test module (its tests are in
//! `sigv4_tests.rs`), because the integration tests' mock STS compiles it on its own to check
//! the signatures it receives.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The algorithm name that starts the string to sign and the `Authorization` header.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Headers that [`sign`] owns: entries of [`Request::headers`] with these names (any case)
/// are ignored, so that each is signed (and sent) once, with the signer's value.
const OWNED_HEADERS: [&str; 4] = [
    "authorization",
    "host",
    "x-amz-date",
    "x-amz-security-token",
];

/// What to sign. Header names any case; the signer lower-cases and sorts them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request<'a> {
    /// The HTTP method, e.g. `"POST"`.
    pub method: &'a str,
    /// The `Host` header value: `"sts.amazonaws.com"`, or `"127.0.0.1:8080"` with the port
    /// when it is not the scheme's default.
    pub host: &'a str,
    /// The path as sent on the wire (already URI-encoded), e.g. `"/"`. It is normalised
    /// (empty and `.` segments dropped, `..` applied) and each segment is URI-encoded once
    /// more, which is the double encoding SigV4 prescribes for every service but S3.
    pub path: &'a str,
    /// The raw query string without `?`, possibly empty. Each name and value is
    /// percent-decoded (`+` as a space) and re-encoded the SigV4 way, then the pairs are
    /// sorted; a literal `+` must therefore be sent as `%2B`.
    pub query: &'a str,
    /// Headers to sign besides `host`, `x-amz-date` and `x-amz-security-token` (which the
    /// signer adds itself; entries with those names, or `authorization`, are ignored), e.g.
    /// `content-type`. Every one of them must be sent with the request, with the same value.
    pub headers: &'a [(&'a str, &'a str)],
    /// The request body.
    pub payload: &'a [u8],
}

/// The credentials to sign with.
#[derive(Clone, Copy)]
pub(crate) struct Credentials<'a> {
    /// The access key ID (`AKIA...`, `ASIA...`).
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials: sent and signed as
    /// `x-amz-security-token`.
    pub session_token: Option<&'a str>,
}

impl std::fmt::Debug for Credentials<'_> {
    /// The secret and the session token are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// A canonical request (step 1) and its signed-headers list, which the `Authorization`
/// header repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CanonicalRequest {
    /// The canonical request text, whose hash goes into the string to sign.
    pub text: String,
    /// The lower-case names of the signed headers, sorted, joined with `;`.
    pub signed_headers: String,
}

/// The headers to add to the request: `x-amz-date`, `authorization`, and
/// `x-amz-security-token` when there is a session token (signed as well). `amz_date` is
/// `"YYYYMMDDTHHMMSSZ"`.
pub(crate) fn sign(
    req: &Request<'_>,
    creds: &Credentials<'_>,
    region: &str,
    service: &str,
    amz_date: &str,
) -> Vec<(String, String)> {
    let canonical = canonical_request(req, amz_date, creds.session_token);
    let scope = credential_scope(amz_date, region, service);
    let to_sign = string_to_sign(amz_date, &scope, &canonical.text);
    let sig = signature(creds.secret_access_key, amz_date, region, service, &to_sign);
    let mut headers = vec![
        ("x-amz-date".to_owned(), amz_date.to_owned()),
        (
            "authorization".to_owned(),
            authorization(creds.access_key_id, &scope, &canonical.signed_headers, &sig),
        ),
    ];
    if let Some(token) = creds.session_token {
        headers.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }
    headers
}

/// Step 1: the canonical request of `req` sent at `amz_date`, with `session_token` signed
/// as `x-amz-security-token` when there is one.
pub(crate) fn canonical_request(
    req: &Request<'_>,
    amz_date: &str,
    session_token: Option<&str>,
) -> CanonicalRequest {
    // (lower-case name, canonical value), in the order given; the signer's own first.
    let mut headers: Vec<(String, String)> = Vec::with_capacity(req.headers.len() + 3);
    headers.push(("host".to_owned(), canonical_header_value(req.host)));
    headers.push(("x-amz-date".to_owned(), canonical_header_value(amz_date)));
    if let Some(token) = session_token {
        headers.push((
            "x-amz-security-token".to_owned(),
            canonical_header_value(token),
        ));
    }
    for (name, value) in req.headers {
        let name = name.trim().to_ascii_lowercase();
        if OWNED_HEADERS.contains(&name.as_str()) {
            continue;
        }
        headers.push((name, canonical_header_value(value)));
    }
    // Stable: repeated names keep their order of appearance, as the specification wants.
    headers.sort_by(|a, b| a.0.cmp(&b.0));

    let mut canonical_headers = String::new();
    let mut signed_headers = String::new();
    let mut i = 0;
    while i < headers.len() {
        let name = &headers[i].0;
        let mut j = i;
        let mut values = Vec::new();
        while j < headers.len() && headers[j].0 == *name {
            values.push(headers[j].1.as_str());
            j += 1;
        }
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
        if !signed_headers.is_empty() {
            signed_headers.push(';');
        }
        signed_headers.push_str(name);
        i = j;
    }

    let text = [
        req.method,
        &canonical_uri(req.path),
        &canonical_query(req.query),
        // Ends with '\n' already, so the join gives the blank line the format has.
        &canonical_headers,
        &signed_headers,
        &hex_sha256(req.payload),
    ]
    .join("\n");
    CanonicalRequest {
        text,
        signed_headers,
    }
}

/// `YYYYMMDD/region/service/aws4_request` for `amz_date` (`YYYYMMDDTHHMMSSZ`).
pub(crate) fn credential_scope(amz_date: &str, region: &str, service: &str) -> String {
    format!("{}/{region}/{service}/aws4_request", date_part(amz_date))
}

/// Step 2: what the signature is computed over.
pub(crate) fn string_to_sign(
    amz_date: &str,
    credential_scope: &str,
    canonical_request: &str,
) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{credential_scope}\n{}",
        hex_sha256(canonical_request.as_bytes())
    )
}

/// The signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
/// "aws4_request")`.
pub(crate) fn signing_key(
    secret_access_key: &str,
    amz_date: &str,
    region: &str,
    service: &str,
) -> [u8; 32] {
    let k_secret = format!("AWS4{secret_access_key}");
    let k_date = hmac_sha256(k_secret.as_bytes(), date_part(amz_date).as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// Step 3: the lower-case hex signature of `string_to_sign`.
pub(crate) fn signature(
    secret_access_key: &str,
    amz_date: &str,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> String {
    let key = signing_key(secret_access_key, amz_date, region, service);
    hex(&hmac_sha256(&key, string_to_sign.as_bytes()))
}

/// Step 4: the `Authorization` header value.
pub(crate) fn authorization(
    access_key_id: &str,
    credential_scope: &str,
    signed_headers: &str,
    signature: &str,
) -> String {
    format!(
        "{ALGORITHM} Credential={access_key_id}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// `"YYYYMMDDTHHMMSSZ"` for a Unix time in seconds (UTC), without any date crate.
pub(crate) fn amz_date(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let secs = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// (year, month 1–12, day 1–31) of the day `days` after 1970-01-01, in the proleptic
/// Gregorian calendar (Howard Hinnant's `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01, so that a leap day is the last day of its year.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097; // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // [0, 399]
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // [0, 365]
    let mp = (5 * day_of_year + 2) / 153; // [0, 11], March first
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// The `YYYYMMDD` that starts an `amz_date` (all of it if it is shorter).
fn date_part(amz_date: &str) -> &str {
    amz_date.get(..8).unwrap_or(amz_date)
}

/// Trimmed, with each run of spaces and tabs inside collapsed to one space.
fn canonical_header_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value.split([' ', '\t']).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The canonical URI: the path with empty and `.` segments removed and `..` applied (RFC
/// 3986 §5.2.4, plus collapsed slashes), a trailing slash kept, each segment URI-encoded.
pub(crate) fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let last = path.rsplit('/').next().unwrap_or("");
    let trailing_slash = path.ends_with('/') || last == "." || last == "..";
    let mut out = String::with_capacity(path.len() + 1);
    for segment in &segments {
        out.push('/');
        uri_encode_into(segment.as_bytes(), &mut out);
    }
    if segments.is_empty() || trailing_slash {
        out.push('/');
    }
    out
}

/// The canonical query string: `name=value` pairs, each side decoded then URI-encoded,
/// sorted by name then value, joined with `&`. A name without `=` gets an empty value.
pub(crate) fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&query_decode(name)),
                uri_encode(&query_decode(value)),
            )
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(query.len());
    for (name, value) in &pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Percent-decoding of one query component, `+` as a space; a `%` not followed by two hex
/// digits is kept as it is.
fn query_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex_value(bytes.get(i + 1)), hex_value(bytes.get(i + 2))) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn hex_value(b: Option<&u8>) -> Option<u8> {
    match b? {
        b @ b'0'..=b'9' => Some(b - b'0'),
        b @ b'a'..=b'f' => Some(b - b'a' + 10),
        b @ b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// URI-encoding the SigV4 way: `A-Z a-z 0-9 - _ . ~` kept, every other byte `%XY` with
/// upper-case hex (so `/`, `=`, `&`, `+` and space are all encoded).
pub(crate) fn uri_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    uri_encode_into(bytes, &mut out);
    out
}

fn uri_encode_into(bytes: &[u8], out: &mut String) {
    const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
        }
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn hex_sha256(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX_LOWER[usize::from(b >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(b & 0x0f)]));
    }
    out
}
