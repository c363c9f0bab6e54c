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
    /// `http://` is accepted only for loopback addresses (a local stand-in for tests).
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
    /// When the endpoint is not `https://`, or `http://` to something else than loopback
    /// ([`ErrorKind`] says which).
    pub fn build(self) -> Result<Verifier, Error> {
        let fail = |kind| Error::new(kind, &self.endpoint);
        let (scheme, rest) = self
            .endpoint
            .split_once("://")
            .ok_or_else(|| fail(ErrorKind::NotAUrl))?;
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() {
            return Err(fail(ErrorKind::NoHost));
        }
        match scheme {
            "https" => {}
            "http" if is_loopback(host) => {}
            "http" => return Err(fail(ErrorKind::PlainHttpBeyondLoopback)),
            _ => return Err(fail(ErrorKind::UnsupportedScheme)),
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

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
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
        // First occurrence of each credential goes to the network; the rest read the cache.
        let mut first: HashMap<Fingerprint, usize> = HashMap::new();
        let unique: Vec<usize> = (0..findings.len())
            .filter(|&i| first.insert(findings[i].fingerprint, i).is_none())
            .collect();
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..self.concurrency.min(unique.len().max(1)) {
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
        Verifier::builder().endpoint(url, "us-east-1").build()
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
