//! The [`Verifier`]: which findings are sent, once each, how many at a time, and when a
//! request is tried again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use scanner_core::{Finding, Fingerprint, KeyId, Kind, Secret};

use crate::error::{Error, ErrorKind};
use crate::sigv4;
use crate::sts::Sts;
use crate::verification::{Failure, Identity, Status, Verification};

/// Configures a [`Verifier`].
#[derive(Clone, Debug)]
pub struct VerifierBuilder {
    endpoint: String,
    region: String,
    timeout: Duration,
    concurrency: usize,
    attempts: u32,
    backoff: Duration,
    any_endpoint: bool,
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
            any_endpoint: false,
        }
    }
}

impl VerifierBuilder {
    /// The STS endpoint (default `https://sts.amazonaws.com`, signed for `us-east-1`). It
    /// must be an AWS STS host — `sts[-fips].REGION.amazonaws.com`, the global
    /// `sts.amazonaws.com`, the China (`.amazonaws.com.cn`), dual-stack (`.api.aws`),
    /// sovereign and isolated partitions, or a VPC endpoint
    /// (`vpce-….sts.REGION.vpce.amazonaws.com`) — unless [`Self::any_endpoint`] allows
    /// another: whatever answers sees key IDs, signatures and session tokens.
    pub fn endpoint(mut self, url: impl Into<String>, region: impl Into<String>) -> Self {
        self.endpoint = url.into();
        self.region = region.into();
        self
    }

    /// Accepts an endpoint that is not an AWS STS host (a local stand-in, a proxy of your
    /// own). `http://` is still accepted only for loopback addresses. Off by default.
    pub fn any_endpoint(mut self, allow: bool) -> Self {
        self.any_endpoint = allow;
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
    /// When the endpoint is not a URL of an AWS STS host (without [`Self::any_endpoint`]),
    /// holds user information, a path, a query or a fragment, is not `https://`, or is
    /// `http://` to something else than loopback ([`ErrorKind`] says which).
    pub fn build(self) -> Result<Verifier, Error> {
        let fail = |kind| Error::new(kind, &self.endpoint);
        let (scheme, rest) = self
            .endpoint
            .split_once("://")
            .ok_or_else(|| fail(ErrorKind::NotAUrl))?;
        let (host, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
        if host.is_empty() {
            return Err(fail(ErrorKind::NoHost));
        }
        // `https://sts.amazonaws.com@attacker.example/` names attacker.example; a path would
        // be signed and sent somewhere else than where STS listens.
        if host.contains('@') || !(path.is_empty() || path == "/") {
            return Err(fail(ErrorKind::NotAnEndpoint));
        }
        match scheme {
            "https" => {}
            "http" if is_loopback(host) => {}
            "http" => return Err(fail(ErrorKind::PlainHttpBeyondLoopback)),
            _ => return Err(fail(ErrorKind::UnsupportedScheme)),
        }
        if !self.any_endpoint && !is_aws_sts_host(host_name(host)) {
            return Err(fail(ErrorKind::NotAnStsHost));
        }
        let sts = Sts::new(scheme, host, &self.region, self.timeout);
        Ok(Verifier {
            sts,
            concurrency: self.concurrency,
            attempts: self.attempts,
            backoff: self.backoff,
            cache: Mutex::new(HashMap::new()),
            requests: AtomicUsize::new(0),
        })
    }
}

/// The host name of `host[:port]`, brackets of an IPv6 literal removed.
fn host_name(host: &str) -> &str {
    let name = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    name.trim_start_matches('[').trim_end_matches(']')
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback(host: &str) -> bool {
    let name = host_name(host);
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Domains under which AWS serves STS: the commercial, China, dual-stack, European
/// sovereign and isolated partitions.
const AWS_DOMAINS: [&str; 6] = [
    "amazonaws.com",
    "amazonaws.com.cn",
    "api.aws",
    "amazonaws.eu",
    "c2s.ic.gov",
    "sc2s.sgov.gov",
];

/// Whether `name` is an AWS STS host: `sts.amazonaws.com`, `sts[-fips].REGION.DOMAIN`, or
/// a VPC endpoint `vpce-ID[-AZ].sts[-fips].REGION.vpce.DOMAIN`. Case-insensitive, a
/// trailing dot allowed, as in DNS.
fn is_aws_sts_host(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    if name == "sts.amazonaws.com" {
        return true;
    }
    let Some(rest) = AWS_DOMAINS
        .iter()
        .find_map(|d| name.strip_suffix(d)?.strip_suffix('.'))
    else {
        return false;
    };
    let labels: Vec<&str> = rest.split('.').collect();
    let service = |l: &str| l == "sts" || l == "sts-fips";
    match labels.as_slice() {
        [sts, region] => service(sts) && is_region(region),
        [vpce, sts, region, "vpce"] => is_vpce_id(vpce) && service(sts) && is_region(region),
        _ => false,
    }
}

/// `us-east-1`, `us-gov-west-1`, `cn-northwest-1`, `us-iso-east-1`, `eusc-de-east-1`: a
/// lower-case word, one or more words, a number.
fn is_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1]
            .parse::<u8>()
            .is_ok_and(|n| parts[parts.len() - 1].len() <= 2 && n > 0)
}

/// `vpce-0123456789abcdef0-abcdefgh`, optionally with an availability zone
/// (`-us-east-1a`).
fn is_vpce_id(label: &str) -> bool {
    let mut parts = label.splitn(4, '-');
    parts.next() == Some("vpce")
        && parts
            .next()
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()))
        && parts.next().is_some_and(|suffix| {
            !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
        })
        && parts.next().is_none_or(|az| {
            !az.is_empty() && az.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Checks key pairs against STS. `Send + Sync`; answers are cached per credential.
#[derive(Debug)]
pub struct Verifier {
    sts: Sts,
    concurrency: usize,
    attempts: u32,
    backoff: Duration,
    cache: Mutex<HashMap<Fingerprint, Verification>>,
    requests: AtomicUsize,
}

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
        self.verify_all_until(findings, &|| false)
    }

    /// [`Verifier::verify_all`], asking no further key once `stop` says so (a signal, a
    /// cancelled scan): requests under way are answered (within the timeout), and keys not
    /// asked about get [`FailureKind::Interrupted`](crate::FailureKind::Interrupted)
    /// ([`Status::Skipped`](crate::Status::Skipped)), never a verdict.
    pub fn verify_all_until(
        &self,
        findings: &[&Finding],
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Vec<Verification> {
        // First occurrence of each credential goes to the network; the rest read the cache.
        let mut first: HashMap<Fingerprint, usize> = HashMap::new();
        let unique: Vec<usize> = (0..findings.len())
            .filter(|&i| first.insert(findings[i].fingerprint, i).is_none())
            .collect();
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..self.concurrency.min(unique.len().max(1)) {
                s.spawn(|| loop {
                    if stop() {
                        break;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = unique.get(k) else { break };
                    self.verify(findings[i]);
                });
            }
        });
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        findings
            .iter()
            .map(|f| {
                cache
                    .get(&f.fingerprint)
                    .cloned()
                    .unwrap_or_else(|| Verification::failed(Failure::Interrupted))
            })
            .collect()
    }

    fn check(&self, finding: &Finding) -> Verification {
        let skip = if finding.kind != Kind::KeyPair {
            Some(Failure::NotAKeyPair)
        } else if finding.facts.canary {
            Some(Failure::CanaryToken)
        } else if finding.facts.example.is_some() {
            Some(Failure::Example)
        } else {
            None
        };
        if let Some(skip) = skip {
            return Verification::failed(skip);
        }
        let (Some(key), Some(secret)) = (&finding.key_id, &finding.secret) else {
            return Verification::failed(Failure::NoSecret);
        };
        let token = finding.session_token.as_ref();
        // The paired secret first, then the other secrets found near the key: the first
        // one STS accepts wins. Rejections move on; anything inconclusive is remembered, so
        // that a key is never called inactive when one of its answers was no answer.
        let mut verdict = self.with_secret(key, secret, token, 0);
        if verdict.status == Status::Active {
            return verdict;
        }
        for (i, other) in finding.other_secrets.iter().enumerate() {
            let v = self.with_secret(key, other, token, i + 1);
            match v.status {
                Status::Active => return v,
                Status::Inconclusive => verdict = v,
                _ => {}
            }
        }
        verdict
    }

    /// The verdict for `key` signed with `secret`, the `index`-th secret tried.
    fn with_secret(
        &self,
        key: &KeyId,
        secret: &Secret,
        token: Option<&Secret>,
        index: usize,
    ) -> Verification {
        let creds = sigv4::Credentials {
            access_key_id: key.as_str(),
            secret_access_key: secret.expose(),
            session_token: token.map(Secret::expose),
        };
        let mut v = self
            .attempts(&creds)
            .map_or_else(Verification::failed, Verification::active);
        v.secret_index = index;
        v
    }

    /// One credential, tried again (after a growing pause) while the failure is transient.
    fn attempts(&self, creds: &sigv4::Credentials<'_>) -> Result<Identity, Failure> {
        let mut backoff = self.backoff;
        let mut attempt = 1;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            match self.sts.get_caller_identity(creds) {
                Err(failure) if failure.is_transient() && attempt < self.attempts => {
                    std::thread::sleep(backoff);
                    backoff = backoff.saturating_mul(2);
                    attempt += 1;
                }
                answer => return answer,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(url: &str) -> Result<Verifier, Error> {
        Verifier::builder()
            .endpoint(url, "us-east-1")
            .any_endpoint(true)
            .build()
    }

    fn build_aws(url: &str) -> Result<Verifier, Error> {
        Verifier::builder().endpoint(url, "us-east-1").build()
    }

    #[test]
    fn only_aws_sts_hosts_without_the_opt_in() {
        for ok in [
            "https://sts.amazonaws.com",
            "https://sts.amazonaws.com/",
            "https://STS.us-east-1.amazonaws.com:443",
            "https://sts.eu-central-1.amazonaws.com",
            "https://sts-fips.us-east-2.amazonaws.com",
            "https://sts.us-gov-west-1.amazonaws.com",
            "https://sts.cn-northwest-1.amazonaws.com.cn",
            "https://sts.us-east-1.api.aws",
            "https://sts.us-iso-east-1.c2s.ic.gov",
            "https://sts.eusc-de-east-1.amazonaws.eu",
            "https://vpce-0123456789abcdef0-abcdefgh.sts.us-east-1.vpce.amazonaws.com",
            "https://vpce-0123456789abcdef0-abcdefgh-us-east-1a.sts.us-east-1.vpce.amazonaws.com",
            "https://sts.amazonaws.com.",
        ] {
            assert!(build_aws(ok).is_ok(), "{ok} refused");
        }
        for (bad, kind) in [
            ("https://any.host", ErrorKind::NotAnStsHost),
            (
                "https://sts.amazonaws.com.attacker.example",
                ErrorKind::NotAnStsHost,
            ),
            (
                "https://sts.us-east-1.amazonaws.com.evil.io",
                ErrorKind::NotAnStsHost,
            ),
            (
                "https://attacker-sts.us-east-1.amazonaws.co",
                ErrorKind::NotAnStsHost,
            ),
            (
                "https://s3.us-east-1.amazonaws.com",
                ErrorKind::NotAnStsHost,
            ),
            ("https://sts.useast1.amazonaws.com", ErrorKind::NotAnStsHost),
            ("https://evilamazonaws.com", ErrorKind::NotAnStsHost),
            (
                "https://sts.us-east-1.evil.amazonaws.com",
                ErrorKind::NotAnStsHost,
            ),
            ("https://127.0.0.1:9", ErrorKind::NotAnStsHost),
            ("http://127.0.0.1:9", ErrorKind::NotAnStsHost),
            (
                "https://sts.amazonaws.com@attacker.example",
                ErrorKind::NotAnEndpoint,
            ),
            (
                "https://sts.amazonaws.com/collect",
                ErrorKind::NotAnEndpoint,
            ),
            ("https://sts.amazonaws.com?x=1", ErrorKind::NotAnEndpoint),
            (
                "http://sts.amazonaws.com",
                ErrorKind::PlainHttpBeyondLoopback,
            ),
        ] {
            match build_aws(bad) {
                Ok(_) => panic!("{bad} accepted"),
                Err(e) => assert_eq!(e.kind(), kind, "{bad}"),
            }
        }
        // The opt-in admits other hosts, but never plain http beyond loopback.
        assert!(build("https://sts.example.internal").is_ok());
        assert_eq!(
            refusal("http://10.0.0.1").kind(),
            ErrorKind::PlainHttpBeyondLoopback
        );
    }

    fn refusal(url: &str) -> Error {
        match build(url) {
            Ok(_) => panic!("{url} accepted"),
            Err(e) => e,
        }
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(build("http://127.0.0.1:9").is_ok());
        assert!(build("http://[::1]:9").is_ok());
        assert!(build("http://localhost:9").is_ok());
        assert!(Verifier::builder()
            .endpoint("https://sts.us-gov-west-1.amazonaws.com", "us-gov-west-1")
            .build()
            .is_ok());
        let refused = refusal("http://sts.amazonaws.com");
        assert_eq!(refused.kind(), ErrorKind::PlainHttpBeyondLoopback);
        assert_eq!(refused.endpoint(), "http://sts.amazonaws.com");
        assert_eq!(
            refused.to_string(),
            "http://sts.amazonaws.com: plain http is allowed only to loopback addresses; secrets are only ever sent signed, over TLS"
        );
        assert_eq!(
            refusal("http://10.0.0.1").kind(),
            ErrorKind::PlainHttpBeyondLoopback
        );
    }

    #[test]
    fn bad_endpoints_say_what_is_wrong() {
        let cases = [
            (
                "sts.amazonaws.com",
                ErrorKind::NotAUrl,
                "not a URL: sts.amazonaws.com",
            ),
            ("https:///x", ErrorKind::NoHost, "no host in https:///x"),
            (
                "ftp://sts",
                ErrorKind::UnsupportedScheme,
                "unsupported scheme ftp://",
            ),
        ];
        for (url, kind, message) in cases {
            let e = refusal(url);
            assert_eq!((e.kind(), e.to_string().as_str()), (kind, message), "{url}");
        }
    }
}
