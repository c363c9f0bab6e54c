//! `scanner-verify` asks AWS STS whether the key pairs that [`scanner_core`] found are live,
//! whose they are, and whether they belong to an account's root user.
//!
//! It is the network half of `leakscan`, kept out of `scanner-core` so that embedders who
//! only scan bytes compile no HTTP or TLS. A [`Verifier`] takes [`scanner_core::Finding`]s
//! and returns one [`Verification`] each, by calling STS `GetCallerIdentity`, which any
//! valid credential may call and which changes nothing.
//!
//! Safe by construction:
//! - only key pairs are checked; canary-token accounts (decoded offline), documentation
//!   examples and halves of credentials are never sent anywhere ([`Status::Skipped`]);
//! - the secret never leaves the machine: requests carry a SigV4 signature made with it,
//!   over TLS (plain HTTP only to a loopback address, for a local stand-in);
//! - one request per credential per verifier (cached by fingerprint), bounded concurrency,
//!   a timeout per request, and retries (with backoff) only on throttling and server errors;
//! - anything but an authenticated answer is never "active": throttling, 5xx, timeouts and
//!   network errors are [`Status::Inconclusive`], and [`Verification::failure`] says which.
//!
//! # Example
//!
//! What is not sent, and what a failed request looks like (this runs without a network):
//!
//! ```
//! use scanner_core::{ExamplePolicy, Scanner};
//! use scanner_verify::{FailureKind, Status, Verifier};
//!
//! // Built at run time so that this crate's own source holds no real-looking key. The first
//! // pair is AWS's documentation example; the second one looks real.
//! let example_key = format!("AKIA{}", "IOSFODNN7EXAMPLE");
//! let example_secret = ["wJalrXUtnFEMI/K7MDENG", "/bPxRfiCYEXAMPLEKEY"].concat();
//! let key = format!("AKIA{}", "Y2ZCQOUDA3HG7RJT");
//! let secret = format!("{}{}", "k1Hq9nT0bVz4+Lm7Pw2X", "Rj8Ys3Fd6Ga/Uc0Ni4Ko");
//! let text = format!(
//!     "[docs]\naws_access_key_id = {example_key}\naws_secret_access_key = {example_secret}\n\
//!      [prod]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
//! );
//! let scanner = Scanner::builder().examples(ExamplePolicy::Report).build();
//! let findings = scanner.scan(text.as_bytes());
//! assert_eq!(findings.len(), 2);
//!
//! // A loopback port where nothing listens stands in for an unreachable STS.
//! let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
//! let verifier = Verifier::builder()
//!     .endpoint(format!("http://127.0.0.1:{port}"), "us-east-1")
//!     .any_endpoint(true) // a stand-in is not an AWS STS host
//!     .build()?;
//!
//! let docs = verifier.verify(&findings[0]);
//! assert_eq!(docs.status, Status::Skipped);
//! assert_eq!(docs.failure(), Some(FailureKind::Example));
//! assert_eq!(verifier.requests_sent(), 0, "a documentation example is never sent");
//!
//! let prod = verifier.verify(&findings[1]);
//! assert_eq!(prod.status, Status::Inconclusive, "no answer is never a verdict");
//! assert_eq!(prod.failure(), Some(FailureKind::Network));
//! assert!(prod.reason.as_deref().is_some_and(|r| r.starts_with("request failed: ")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Against AWS (this one needs the network and a real key, so it is only compiled):
//!
//! ```no_run
//! use scanner_core::Scanner;
//! use scanner_verify::{Status, Verifier};
//!
//! let bytes = std::fs::read("leaked.env")?;
//! let findings = Scanner::builder().build().scan(&bytes);
//! let verifier = Verifier::builder().build()?; // https://sts.amazonaws.com, us-east-1
//! let refs: Vec<_> = findings.iter().collect();
//! for (finding, v) in findings.iter().zip(verifier.verify_all(&refs)) {
//!     let key = finding.key_id.as_ref().map_or("?", |k| k.as_str());
//!     match v.status {
//!         Status::Active if v.is_root() => println!("{key}: live ROOT key of {:?}", v.account),
//!         Status::Active => println!("{key}: live, {}", v.arn.unwrap_or_default()),
//!         status => println!("{key}: {} ({})", status.as_str(), v.reason.unwrap_or_default()),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `examples/verify.rs` is the same as a program: it scans a file and verifies what it finds,
//! against AWS or, with `--endpoint`, a local stand-in.
//!
//! # Statuses
//!
//! | [`Status`] | when | [`FailureKind`] |
//! |---|---|---|
//! | `Active` | STS answered 200 with the caller's ARN | none |
//! | `Inactive` | `InvalidClientTokenId`, `SignatureDoesNotMatch`, `ExpiredToken`, `InvalidAccessKeyId` | `Rejected` |
//! | `Inconclusive` | throttling, 5xx, timeouts, network or TLS errors, answers that are not STS's | `Throttled`, `ServerError`, `Timeout`, `Network`, `Tls`, `MalformedResponse`, `UnexpectedAnswer` |
//! | `Skipped` | never sent | `NotAKeyPair`, `CanaryToken`, `Example`, `NoSecret`, `Interrupted` |

#![deny(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod error;
mod sigv4;
#[cfg(test)]
mod sigv4_tests;
mod sts;
mod verification;
mod verifier;

pub use error::{Error, ErrorKind};
pub use verification::{FailureKind, Status, Verification};
pub use verifier::{Verifier, VerifierBuilder};

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<crate::Verifier>();
        assert_send_sync::<crate::VerifierBuilder>();
        assert_send_sync::<crate::Verification>();
        assert_send_sync::<crate::Status>();
        assert_send_sync::<crate::FailureKind>();
        assert_send_sync::<crate::Error>();
        assert_send_sync::<crate::ErrorKind>();
    }
}
