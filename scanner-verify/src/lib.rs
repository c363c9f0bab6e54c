//! Verification of key pairs found by `scanner-core` with AWS STS `GetCallerIdentity`: is
//! the key live, whose is it, and is it the root user's? A crate of its own so that
//! embedders who only scan bytes compile no HTTP or TLS.
//!
//! Safe by construction:
//! - only key pairs are checked; canary-token accounts (decoded offline), documentation
//!   examples and halves of credentials are never sent anywhere ([`Status::Skipped`]);
//! - the secret never leaves the machine: requests carry a SigV4 signature made with it,
//!   over TLS (plain HTTP only to a loopback test endpoint);
//! - one request per credential per verifier (cached by fingerprint), bounded concurrency,
//!   a timeout per request, and retries (with backoff) only on throttling and server errors;
//! - anything but an authenticated answer is never "active": throttling, 5xx, timeouts and
//!   network errors are [`Status::Inconclusive`].

#![deny(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod sigv4;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use scanner_core::{Finding, Fingerprint, Kind};

/// The answer for one credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Status {
    /// STS authenticated the key: it works.
    Active,
    /// STS rejected it (`InvalidClientTokenId`, `SignatureDoesNotMatch`, `ExpiredToken`).
    Inactive,
    /// No answer either way: throttling, server errors, timeouts, TLS or network errors.
    Inconclusive,
    /// Not sent: a canary token, a documentation example, or not a key pair.
    Skipped,
}

impl Status {
    /// Lower-case name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
            Status::Inconclusive => "inconclusive",
            Status::Skipped => "skipped",
        }
    }
}

/// What verification found out about one credential.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Verification {
    /// The verdict.
    pub status: Status,
    /// The caller's ARN (active keys): `arn:aws:iam::<account>:root` for a root user key.
    pub arn: Option<String>,
    /// The caller's account (active keys).
    pub account: Option<String>,
    /// The caller's unique id (active keys).
    pub user_id: Option<String>,
    /// Why, for anything but active: the STS error code, the HTTP status, or the failure.
    pub reason: Option<String>,
    /// Which secret STS accepted: 0 for the finding's `secret`, `n` for its `n`-th
    /// `other_secrets` entry.
    pub secret_index: usize,
}

impl Verification {
    fn of(status: Status, reason: impl Into<String>) -> Verification {
        Verification {
            status,
            arn: None,
            account: None,
            user_id: None,
            reason: Some(reason.into()),
            secret_index: 0,
        }
    }

    /// Whether this is an active key of an account's root user: it cannot be limited by
    /// any IAM policy.
    pub fn is_root(&self) -> bool {
        self.status == Status::Active
            && self
                .arn
                .as_deref()
                .is_some_and(|a| a.starts_with("arn:") && a.ends_with(":root"))
    }
}

/// A verification endpoint could not be configured.
#[derive(Debug)]
pub struct VerifyConfigError(String);

impl std::fmt::Display for VerifyConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VerifyConfigError {}

/// Configures a [`Verifier`].
#[derive(Clone, Debug)]
pub struct VerifierBuilder {
    endpoint: String,
    region: String,
    timeout: Duration,
    concurrency: usize,
    attempts: u32,
    backoff: Duration,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        VerifierBuilder {
            endpoint: "https://sts.amazonaws.com".to_string(),
            region: "us-east-1".to_string(),
            timeout: Duration::from_secs(5),
            concurrency: 8,
            attempts: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

impl VerifierBuilder {
    /// The STS endpoint (default `https://sts.amazonaws.com`, signed for `us-east-1`).
    /// `http://` is accepted only for loopback addresses (tests).
    pub fn endpoint(mut self, url: impl Into<String>, region: impl Into<String>) -> Self {
        self.endpoint = url.into();
        self.region = region.into();
        self
    }

    /// Time allowed for one request (default 5 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Requests in flight at most (default 8).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Attempts per credential when STS throttles or fails (default 3), and the first
    /// backoff (doubled each time; default 500 ms).
    pub fn retries(mut self, attempts: u32, backoff: Duration) -> Self {
        self.attempts = attempts.max(1);
        self.backoff = backoff;
        self
    }

    /// Checks the endpoint and builds the verifier.
    ///
    /// # Errors
    ///
    /// When the endpoint is not `https://`, or `http://` to something else than loopback.
    pub fn build(self) -> Result<Verifier, VerifyConfigError> {
        let (scheme, rest) = self
            .endpoint
            .split_once("://")
            .ok_or_else(|| VerifyConfigError(format!("not a URL: {}", self.endpoint)))?;
        let host = rest.split('/').next().unwrap_or_default().to_string();
        if host.is_empty() {
            return Err(VerifyConfigError(format!("no host in {}", self.endpoint)));
        }
        match scheme {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(VerifyConfigError(format!(
                    "{}: plain http is allowed only to loopback addresses; secrets are only ever sent signed, over TLS",
                    self.endpoint
                )))
            }
            other => return Err(VerifyConfigError(format!("unsupported scheme {other}://"))),
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into();
        let url = format!("{scheme}://{host}/");
        Ok(Verifier {
            agent,
            url,
            host,
            config: self,
            cache: Mutex::new(HashMap::new()),
            requests: AtomicUsize::new(0),
        })
    }
}

fn is_loopback(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Checks key pairs against STS. `Send + Sync`; answers are cached per credential.
#[derive(Debug)]
pub struct Verifier {
    agent: ureq::Agent,
    url: String,
    host: String,
    config: VerifierBuilder,
    cache: Mutex<HashMap<Fingerprint, Verification>>,
    requests: AtomicUsize,
}

/// The body of a GetCallerIdentity call.
const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

impl Verifier {
    /// A builder with the defaults.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// Requests sent so far (tests and statistics).
    pub fn requests_sent(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Verifies one finding (cached by fingerprint).
    pub fn verify(&self, finding: &Finding) -> Verification {
        if let Some(v) = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&finding.fingerprint)
        {
            return v.clone();
        }
        let v = self.check(finding);
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(finding.fingerprint, v.clone());
        v
    }

    /// Verifies many findings, at most the configured number at a time; answers in the
    /// same order. Findings of the same credential cost one request.
    pub fn verify_all(&self, findings: &[&Finding]) -> Vec<Verification> {
        // First occurrence of each credential goes to the network; the rest read the cache.
        let mut first: HashMap<Fingerprint, usize> = HashMap::new();
        let unique: Vec<usize> = (0..findings.len())
            .filter(|&i| first.insert(findings[i].fingerprint, i).is_none())
            .collect();
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..self.config.concurrency.min(unique.len().max(1)) {
                s.spawn(|| loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = unique.get(k) else { break };
                    self.verify(findings[i]);
                });
            }
        });
        findings.iter().map(|f| self.verify(f)).collect()
    }

    fn check(&self, finding: &Finding) -> Verification {
        if finding.kind != Kind::KeyPair {
            return Verification::of(Status::Skipped, "not a key pair");
        }
        if finding.facts.canary {
            return Verification::of(Status::Skipped, "canary-token account: never contacted");
        }
        if finding.facts.example.is_some() {
            return Verification::of(Status::Skipped, "documentation example or placeholder");
        }
        let (Some(key), Some(secret)) = (&finding.key_id, &finding.secret) else {
            return Verification::of(Status::Skipped, "no secret");
        };
        // The paired secret first, then the other secrets found near the key: the first
        // one STS accepts wins. Rejections move on; anything inconclusive is remembered, so
        // that a key is never called inactive when one of its answers was no answer.
        let mut verdict: Option<Verification> = None;
        for (i, candidate) in std::iter::once(secret)
            .chain(&finding.other_secrets)
            .enumerate()
        {
            let creds = sigv4::Credentials {
                access_key_id: key.as_str(),
                secret_access_key: candidate.expose(),
                session_token: finding.session_token.as_ref().map(|t| t.expose()),
            };
            let mut v = self.attempts(&creds);
            v.secret_index = i;
            match v.status {
                Status::Active => return v,
                Status::Inconclusive => verdict = Some(v),
                _ if verdict.is_none() => verdict = Some(v),
                _ => {}
            }
        }
        verdict.unwrap_or_else(|| Verification::of(Status::Inconclusive, "no attempt"))
    }

    /// One credential, retried on throttling and server errors.
    fn attempts(&self, creds: &sigv4::Credentials<'_>) -> Verification {
        let mut backoff = self.config.backoff;
        let mut last = Verification::of(Status::Inconclusive, "no attempt");
        for attempt in 0..self.config.attempts {
            if attempt > 0 {
                std::thread::sleep(backoff);
                backoff *= 2;
            }
            last = self.call(creds);
            let retry = last.status == Status::Inconclusive
                && last
                    .reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("throttled") || r.starts_with("HTTP 5"));
            if !retry {
                break;
            }
        }
        last
    }

    fn call(&self, creds: &sigv4::Credentials<'_>) -> Verification {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let request = sigv4::Request {
            method: "POST",
            host: &self.host,
            path: "/",
            query: "",
            headers: &[("content-type", content_type)],
            payload: BODY.as_bytes(),
        };
        let signed = sigv4::sign(
            &request,
            creds,
            &self.config.region,
            "sts",
            &sigv4::amz_date(now),
        );
        let mut req = self
            .agent
            .post(&self.url)
            .header("content-type", content_type);
        for (name, value) in &signed {
            req = req.header(name.as_str(), value.as_str());
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut response = match req.send(BODY) {
            Ok(r) => r,
            Err(e) => {
                return Verification::of(Status::Inconclusive, format!("request failed: {e}"))
            }
        };
        let status = response.status().as_u16();
        let body = match response.body_mut().read_to_string() {
            Ok(b) => b,
            Err(e) => {
                return Verification::of(
                    Status::Inconclusive,
                    format!("reading the answer failed: {e}"),
                )
            }
        };
        interpret(status, &body)
    }
}

/// Text of the first `<tag>…</tag>` in `xml`.
fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].trim())
}

/// The verdict from an STS answer.
fn interpret(status: u16, body: &str) -> Verification {
    if status == 200 {
        let arn = element(body, "Arn").map(str::to_string);
        if arn.is_none() {
            return Verification::of(Status::Inconclusive, "HTTP 200 without a caller identity");
        }
        return Verification {
            status: Status::Active,
            arn,
            account: element(body, "Account").map(str::to_string),
            user_id: element(body, "UserId").map(str::to_string),
            reason: None,
            secret_index: 0,
        };
    }
    let code = element(body, "Code").unwrap_or_default();
    match code {
        "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "InvalidAccessKeyId" => Verification::of(Status::Inactive, code),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => {
            Verification::of(Status::Inconclusive, format!("throttled ({code})"))
        }
        _ if status >= 500 => Verification::of(Status::Inconclusive, format!("HTTP {status}")),
        "" => Verification::of(Status::Inconclusive, format!("unexpected HTTP {status}")),
        other => Verification::of(Status::Inconclusive, format!("HTTP {status} {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_interpreted_honestly() {
        let ok = "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
        let v = interpret(200, ok);
        assert_eq!(v.status, Status::Active);
        assert!(v.is_root());
        assert_eq!(v.account.as_deref(), Some("123456789012"));
        let user = ok.replace(":root", ":user/ci");
        assert!(!interpret(200, &user).is_root());
        let err = |code: &str| {
            format!("<ErrorResponse><Error><Code>{code}</Code></Error></ErrorResponse>")
        };
        assert_eq!(
            interpret(403, &err("InvalidClientTokenId")).status,
            Status::Inactive
        );
        assert_eq!(
            interpret(403, &err("SignatureDoesNotMatch")).status,
            Status::Inactive
        );
        assert_eq!(
            interpret(400, &err("Throttling")).status,
            Status::Inconclusive
        );
        assert_eq!(interpret(500, "").status, Status::Inconclusive);
        assert_eq!(
            interpret(200, "<html>captive portal</html>").status,
            Status::Inconclusive
        );
        assert_eq!(
            interpret(403, "<html>forbidden by a proxy</html>").status,
            Status::Inconclusive
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Verifier::builder()
            .endpoint("http://127.0.0.1:9", "us-east-1")
            .build()
            .is_ok());
        assert!(Verifier::builder()
            .endpoint("http://[::1]:9", "us-east-1")
            .build()
            .is_ok());
        assert!(Verifier::builder()
            .endpoint("http://localhost:9", "us-east-1")
            .build()
            .is_ok());
        assert!(Verifier::builder()
            .endpoint("http://sts.amazonaws.com", "us-east-1")
            .build()
            .is_err());
        assert!(Verifier::builder()
            .endpoint("http://10.0.0.1", "us-east-1")
            .build()
            .is_err());
        assert!(Verifier::builder()
            .endpoint("https://sts.us-gov-west-1.amazonaws.com", "us-gov-west-1")
            .build()
            .is_ok());
    }
}
