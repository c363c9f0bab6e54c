//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for header-signed requests.
//!
//! The four steps of the specification, each a function that the tests check against AWS's
//! published test suite (`tests/data/sigv4/`):
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
pub struct Request<'a> {
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
pub struct Credentials<'a> {
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
pub fn sign(
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
pub fn amz_date(unix_seconds: u64) -> String {
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
fn canonical_uri(path: &str) -> String {
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
fn canonical_query(query: &str) -> String {
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
fn uri_encode(bytes: &[u8]) -> String {
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

fn hex(bytes: &[u8]) -> String {
    const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX_LOWER[usize::from(b >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test suite's credentials. The secret is a documentation example, but it is put
    // together at run time all the same: this repository must hold no secret-shaped
    // literal, and the vector files hold none either.
    const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
    const DATE: &str = "20150830T123600Z";
    const REGION: &str = "us-east-1";
    const SERVICE: &str = "service";
    /// Stands for the session token in the `post-sts-header-before` vector files.
    const TOKEN_PLACEHOLDER: &str = "{{SESSION_TOKEN}}";

    fn example_secret() -> String {
        ["wJalrXUtnFEMI/K7MDENG", "+bPxRfiCYEXAMPLEKEY"].concat()
    }

    /// The suite's example session token (from its `post-sts-token/readme.txt`).
    fn example_session_token() -> String {
        [
            "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22w",
            "DOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeo",
            "IYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4",
            "IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5V",
            "SXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT",
            "38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yj",
            "c8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
        ]
        .concat()
    }

    /// One vector of AWS's SigV4 test suite: the request, and the expected canonical
    /// request, string to sign and `Authorization` header.
    struct Vector {
        name: &'static str,
        req: &'static str,
        creq: &'static str,
        sts: &'static str,
        authz: &'static str,
    }

    macro_rules! vector {
        ($name:literal) => {
            Vector {
                name: $name,
                req: include_str!(concat!("../tests/data/sigv4/", $name, "/", $name, ".req")),
                creq: include_str!(concat!("../tests/data/sigv4/", $name, "/", $name, ".creq")),
                sts: include_str!(concat!("../tests/data/sigv4/", $name, "/", $name, ".sts")),
                authz: include_str!(concat!("../tests/data/sigv4/", $name, "/", $name, ".authz")),
            }
        };
    }

    fn vectors() -> Vec<Vector> {
        vec![
            vector!("get-vanilla"),
            vector!("get-vanilla-query"),
            vector!("get-vanilla-empty-query-key"),
            vector!("get-vanilla-query-order-key"),
            vector!("get-vanilla-query-order-key-case"),
            vector!("get-vanilla-query-order-value"),
            vector!("get-vanilla-query-unreserved"),
            vector!("get-vanilla-utf8-query"),
            vector!("get-unreserved"),
            vector!("get-utf8"),
            vector!("get-header-key-duplicate"),
            vector!("get-header-value-order"),
            vector!("get-header-value-trim"),
            vector!("post-vanilla"),
            vector!("post-vanilla-query"),
            vector!("post-vanilla-empty-query-value"),
            vector!("post-header-key-case"),
            vector!("post-header-key-sort"),
            vector!("post-header-value-case"),
            vector!("post-x-www-form-urlencoded"),
            vector!("post-sts-header-before"),
            vector!("post-sts-header-after"),
            vector!("get-relative"),
            vector!("get-relative-relative"),
            vector!("get-slash"),
            vector!("get-slash-dot-slash"),
            vector!("get-slash-pointless-dot"),
            vector!("get-slashes"),
            vector!("get-space"),
        ]
    }

    /// A `.req` file taken apart: request line, headers in order, body.
    struct ParsedRequest {
        method: String,
        path: String,
        query: String,
        headers: Vec<(String, String)>,
        body: String,
    }

    fn parse_req(text: &str) -> ParsedRequest {
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let request_line = lines.next().expect("a request line");
        // "METHOD URI HTTP/1.1", where the URI may hold spaces (get-space).
        let (method, rest) = request_line.split_once(' ').expect("a method");
        let (uri, _protocol) = rest.rsplit_once(' ').expect("a protocol");
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let mut headers = Vec::new();
        for line in lines.by_ref() {
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("a header line");
            headers.push((name.to_owned(), value.to_owned()));
        }
        let body = lines.collect::<Vec<_>>().join("\n");
        ParsedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body,
        }
    }

    struct Computed {
        creq: String,
        sts: String,
        authz: String,
        signed: Vec<(String, String)>,
    }

    /// Signs a parsed `.req` the way the rest of the crate calls the signer: `Host`,
    /// `X-Amz-Date` and `X-Amz-Security-Token` become `host`, `amz_date` and the session
    /// token; every other header is an extra signed header.
    fn compute(name: &str, parsed: &ParsedRequest, secret: &str) -> Computed {
        let mut host = None;
        let mut session_token = None;
        let mut extra: Vec<(&str, &str)> = Vec::new();
        for (header, value) in &parsed.headers {
            match header.to_ascii_lowercase().as_str() {
                "host" => host = Some(value.as_str()),
                "x-amz-date" => assert_eq!(value, DATE, "{name}: date"),
                "x-amz-security-token" => session_token = Some(value.as_str()),
                _ => extra.push((header, value)),
            }
        }
        let request = Request {
            method: &parsed.method,
            host: host.expect("a Host header"),
            path: &parsed.path,
            query: &parsed.query,
            headers: &extra,
            payload: parsed.body.as_bytes(),
        };
        let creds = Credentials {
            access_key_id: ACCESS_KEY_ID,
            secret_access_key: secret,
            session_token,
        };

        let canonical = canonical_request(&request, DATE, session_token);
        let scope = credential_scope(DATE, REGION, SERVICE);
        let sts = string_to_sign(DATE, &scope, &canonical.text);
        let sig = signature(secret, DATE, REGION, SERVICE, &sts);
        let authz = authorization(ACCESS_KEY_ID, &scope, &canonical.signed_headers, &sig);
        let signed = sign(&request, &creds, REGION, SERVICE, DATE);
        Computed {
            creq: canonical.text,
            sts,
            authz,
            signed,
        }
    }

    fn compute_vector(vector: &Vector, secret: &str) -> Computed {
        let parsed = parse_req(
            &vector
                .req
                .replace(TOKEN_PLACEHOLDER, &example_session_token()),
        );
        compute(vector.name, &parsed, secret)
    }

    /// The request that a vector's `.sts` and `.authz` were really computed from, where it
    /// is not its `.req`. In `post-x-www-form-urlencoded` of the published suite the
    /// `.creq` signs `content-length`, as the `.req` has it, but the `.sts`, `.authz` and
    /// `.sreq` were made from the request without it. The `.creq` is checked against the
    /// `.req`, the rest against this request. (`post-x-www-form-urlencoded-parameters` is
    /// left out: its `.authz` names `content-length` among the signed headers while its
    /// signature is over a request without it, with `charset=utf8` for `charset=utf-8`.)
    fn as_published_signed(name: &str, mut parsed: ParsedRequest) -> Option<ParsedRequest> {
        match name {
            "post-x-www-form-urlencoded" => {
                parsed
                    .headers
                    .retain(|(h, _)| !h.eq_ignore_ascii_case("content-length"));
                Some(parsed)
            }
            _ => None,
        }
    }

    #[test]
    fn aws_test_suite_vectors() {
        let secret = example_secret();
        let token = example_session_token();
        let vectors = vectors();
        assert!(vectors.len() >= 8);
        let mut adjusted = Vec::new();
        for vector in &vectors {
            let parsed = parse_req(&vector.req.replace(TOKEN_PLACEHOLDER, &token));
            let mut got = compute(vector.name, &parsed, &secret);
            let expected_creq = vector.creq.replace(TOKEN_PLACEHOLDER, &token);
            assert_eq!(
                got.creq, expected_creq,
                "{}: canonical request",
                vector.name
            );

            if let Some(signed_as) = as_published_signed(vector.name, parse_req(vector.req)) {
                // The published .sts is not the hash of the published .creq here.
                assert_ne!(
                    got.sts, vector.sts,
                    "{}: the suite is consistent now?",
                    vector.name
                );
                adjusted.push(vector.name);
                got = compute(vector.name, &signed_as, &secret);
            }
            assert_eq!(got.sts, vector.sts, "{}: string to sign", vector.name);
            assert_eq!(got.authz, vector.authz, "{}: authorization", vector.name);

            // sign() returns the same Authorization, the date, and the token if any.
            let mut want = vec![
                ("x-amz-date".to_owned(), DATE.to_owned()),
                ("authorization".to_owned(), vector.authz.to_owned()),
            ];
            if vector.req.contains(TOKEN_PLACEHOLDER) {
                want.push(("x-amz-security-token".to_owned(), token.clone()));
            }
            assert_eq!(got.signed, want, "{}: sign()", vector.name);
        }
        assert_eq!(adjusted, ["post-x-www-form-urlencoded"]);
    }

    #[test]
    fn vectors_cover_a_query_and_a_session_token() {
        let vectors = vectors();
        let sts = vectors
            .iter()
            .find(|v| v.name == "post-sts-header-before")
            .expect("the STS vector");
        assert!(sts.req.contains(TOKEN_PLACEHOLDER) && sts.creq.contains(TOKEN_PLACEHOLDER));
        assert!(sts
            .authz
            .contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"));
        assert!(vectors
            .iter()
            .any(|v| v.req.starts_with("GET /?Param2=value2&Param1=value1 ")));
    }

    #[test]
    fn vector_files_hold_no_secret() {
        let secret = example_secret();
        let token = example_session_token();
        for v in vectors() {
            for text in [v.req, v.creq, v.sts, v.authz] {
                assert!(
                    !text.contains(&secret) && !text.contains(&token),
                    "{}",
                    v.name
                );
            }
        }
    }

    #[test]
    fn a_wrong_secret_gives_another_signature() {
        let vectors = vectors();
        let vanilla = vectors
            .iter()
            .find(|v| v.name == "get-vanilla")
            .expect("get-vanilla");
        let right = compute_vector(vanilla, &example_secret());
        let mut wrong_secret = example_secret();
        wrong_secret.replace_range(..1, "x");
        let wrong = compute_vector(vanilla, &wrong_secret);
        assert_eq!(right.authz, vanilla.authz);
        assert_eq!(wrong.creq, right.creq);
        assert_eq!(wrong.sts, right.sts);
        assert_ne!(wrong.authz, right.authz);
        assert_ne!(wrong.authz, vanilla.authz);
    }

    #[test]
    fn region_service_and_date_change_the_signature() {
        let secret = example_secret();
        let base = signature(&secret, DATE, REGION, SERVICE, "x");
        assert_ne!(base, signature(&secret, DATE, "eu-west-1", SERVICE, "x"));
        assert_ne!(base, signature(&secret, DATE, REGION, "sts", "x"));
        assert_ne!(
            base,
            signature(&secret, "20150831T123600Z", REGION, SERVICE, "x")
        );
        assert_ne!(base, signature(&secret, DATE, REGION, SERVICE, "y"));
        // Only the day enters the key: the time of day is in the string to sign.
        assert_eq!(
            base,
            signature(&secret, "20150830T000000Z", REGION, SERVICE, "x")
        );
    }

    /// AWS's documented example of the key derivation ("Examples of how to derive a signing
    /// key for Signature Version 4": 20120215, us-east-1, iam).
    #[test]
    fn signing_key_matches_the_documented_example() {
        let key = signing_key(&example_secret(), "20120215T000000Z", "us-east-1", "iam");
        assert_eq!(
            hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn session_token_is_signed_and_returned() {
        let secret = example_secret();
        let request = Request {
            method: "POST",
            host: "127.0.0.1:8080",
            path: "/",
            query: "",
            headers: &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            payload: b"Action=GetCallerIdentity&Version=2011-06-15",
        };
        let with = Credentials {
            access_key_id: "ASIDEXAMPLE",
            secret_access_key: &secret,
            session_token: Some("tok"),
        };
        let without = Credentials {
            session_token: None,
            ..with
        };

        let signed = sign(&request, &with, "us-east-1", "sts", DATE);
        let names: Vec<&str> = signed.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["x-amz-date", "authorization", "x-amz-security-token"]
        );
        assert_eq!(signed[2].1, "tok");
        assert!(signed[1].1.starts_with(
            "AWS4-HMAC-SHA256 Credential=ASIDEXAMPLE/20150830/us-east-1/sts/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="
        ));
        let canonical = canonical_request(&request, DATE, Some("tok"));
        assert!(canonical.text.contains("\nhost:127.0.0.1:8080\n"));
        assert!(canonical.text.contains("\nx-amz-security-token:tok\n"));

        let unsigned = sign(&request, &without, "us-east-1", "sts", DATE);
        assert_eq!(unsigned.len(), 2);
        assert!(unsigned[1]
            .1
            .contains("SignedHeaders=content-type;host;x-amz-date, "));
        assert_ne!(unsigned[1].1, signed[1].1);
    }

    #[test]
    fn headers_the_signer_owns_are_not_taken_from_the_caller() {
        let plain = Request {
            method: "GET",
            host: "example.amazonaws.com",
            path: "/",
            query: "",
            headers: &[],
            payload: b"",
        };
        let owned = Request {
            headers: &[
                ("Host", "evil.example"),
                ("X-Amz-Date", "19700101T000000Z"),
                ("Authorization", "x"),
            ],
            ..plain
        };
        assert_eq!(
            canonical_request(&plain, DATE, None),
            canonical_request(&owned, DATE, None)
        );
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed_and_names_sorted() {
        let request = Request {
            method: "GET",
            host: "  example.amazonaws.com ",
            path: "/",
            query: "",
            headers: &[
                ("ZZ", "\t z  "),
                ("My-Header", " a \t\t b  c "),
                ("my-header", "d"),
                ("A-First", ""),
            ],
            payload: b"",
        };
        let canonical = canonical_request(&request, DATE, None);
        assert_eq!(
            canonical.text,
            "GET\n/\n\na-first:\nhost:example.amazonaws.com\nmy-header:a b c,d\n\
             x-amz-date:20150830T123600Z\nzz:z\n\na-first;host;my-header;x-amz-date;zz\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            canonical.signed_headers,
            "a-first;host;my-header;x-amz-date;zz"
        );
    }

    #[test]
    fn query_is_decoded_encoded_and_sorted() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        // '=' and '&' inside a value, a space, a plus, a slash.
        assert_eq!(canonical_query("k=a%3Db%26c"), "k=a%3Db%26c");
        assert_eq!(canonical_query("k=a b"), "k=a%20b");
        assert_eq!(canonical_query("k=a+b"), "k=a%20b");
        assert_eq!(canonical_query("k=a%2Bb"), "k=a%2Bb");
        assert_eq!(canonical_query("k=a/b"), "k=a%2Fb");
        // Lower-case escapes come out upper-case; unreserved escapes come out plain.
        assert_eq!(canonical_query("k=%2f%7E%41"), "k=%2F~A");
        // A name without a value, empty pairs, a value with '=' left raw.
        assert_eq!(canonical_query("flag&&x=1=2"), "flag=&x=1%3D2");
        // A '%' that starts no escape is itself encoded.
        assert_eq!(
            canonical_query("k=100%&j=%zz&i=%4"),
            "i=%254&j=%25zz&k=100%25"
        );
        // UTF-8.
        assert_eq!(canonical_query("\u{1234}=\u{e9}"), "%E1%88%B4=%C3%A9");
        // STS's own query form.
        assert_eq!(
            canonical_query("Version=2011-06-15&Action=GetCallerIdentity"),
            "Action=GetCallerIdentity&Version=2011-06-15"
        );
    }

    #[test]
    fn path_is_normalised_and_encoded_again() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("//"), "/");
        assert_eq!(canonical_uri("/a/b/.."), "/a/");
        assert_eq!(canonical_uri("/a/./b/."), "/a/b/");
        assert_eq!(canonical_uri("/../a"), "/a");
        assert_eq!(canonical_uri("a/b"), "/a/b");
        assert_eq!(canonical_uri("/a//b//"), "/a/b/");
        // The path is the one on the wire, so escapes are encoded again (double encoding).
        assert_eq!(canonical_uri("/example%20space/"), "/example%2520space/");
        assert_eq!(canonical_uri("/a:b@c=d+e"), "/a%3Ab%40c%3Dd%2Be");
    }

    #[test]
    fn uri_encoding_keeps_only_unreserved() {
        let all: Vec<u8> = (0..=255).collect();
        let encoded = uri_encode(&all);
        let kept: String = encoded
            .split('%')
            .map(|chunk| chunk.get(2..).unwrap_or(""))
            .collect();
        assert_eq!(
            kept,
            "-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~"
        );
        assert_eq!(encoded.matches('%').count(), 256 - 66);
        assert_eq!(uri_encode(b" =&+/\x00\xff"), "%20%3D%26%2B%2F%00%FF");
    }

    #[test]
    fn amz_date_formats_utc() {
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z"); // the test suite's time
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(59), "19700101T000059Z");
        assert_eq!(amz_date(86_399), "19700101T235959Z");
        assert_eq!(amz_date(86_400), "19700102T000000Z");
        // Leap days: every fourth year, the year 2000 (divisible by 400), not 2100.
        assert_eq!(amz_date(68_169_600), "19720229T000000Z");
        assert_eq!(amz_date(951_782_400), "20000229T000000Z");
        assert_eq!(amz_date(1_456_790_399), "20160229T235959Z");
        assert_eq!(amz_date(1_456_790_400), "20160301T000000Z");
        assert_eq!(amz_date(1_735_689_599), "20241231T235959Z");
        assert_eq!(amz_date(4_107_455_999), "21000227T235959Z");
        assert_eq!(amz_date(4_107_542_400), "21000301T000000Z");
        assert_eq!(amz_date(253_402_300_799), "99991231T235959Z");
    }

    #[test]
    fn amz_date_agrees_with_a_day_by_day_count() {
        // Walk 1970..2400 a day at a time with the calendar rules, and compare each day.
        let mut days: u64 = 0;
        for year in 1970..2400u64 {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let lengths = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            for (m, len) in lengths.iter().enumerate() {
                for d in 1..=*len {
                    let want = format!("{year:04}{:02}{d:02}T120000Z", m + 1);
                    assert_eq!(amz_date(days * 86_400 + 43_200), want);
                    days += 1;
                }
            }
        }
    }

    #[test]
    fn credentials_debug_hides_the_secret() {
        let secret = example_secret();
        let creds = Credentials {
            access_key_id: ACCESS_KEY_ID,
            secret_access_key: &secret,
            session_token: Some("T0K3N"),
        };
        let shown = format!("{creds:?}");
        assert!(shown.contains(ACCESS_KEY_ID));
        assert!(!shown.contains(&secret) && !shown.contains("T0K3N"));
    }
}
