//! What verification found out about one credential, and, when it is not a live key, why.
//!
//! Every answer but "active" starts as a [`Failure`]: the verifier decides from it whether to
//! try again, and the status and the human-readable reason are derived from it, never the
//! other way round.

use std::fmt;

use scanner_core::AccountId;

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

/// Why a credential is not known to be live: the kind of [`Verification::failure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// Not sent: the finding is not a key pair (a key ID or a secret alone).
    NotAKeyPair,
    /// Not sent: the key belongs to a canary-token account, whose owner would be alerted.
    CanaryToken,
    /// Not sent: an AWS documentation example or a placeholder.
    Example,
    /// Not sent: the finding has no secret to sign with.
    NoSecret,
    /// Not sent: the run was stopped (a signal, a cancelled scan) before this key's turn.
    Interrupted,
    /// STS rejected the credential ([`Status::Inactive`]);
    /// [`Verification::aws_error_code`] says how.
    Rejected,
    /// STS throttled the requests; retried, then given up.
    Throttled,
    /// STS answered with a server error (HTTP 5xx); retried, then given up.
    ServerError,
    /// No answer in the time allowed.
    Timeout,
    /// No connection, or it broke: name resolution, refused, reset, proxy.
    Network,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// Something answered, but not with a readable STS answer: HTTP 200 without a caller
    /// identity, an HTTP protocol error, a body that could not be read.
    MalformedResponse,
    /// An HTTP error that is no rejection, throttling or server error: an STS error code
    /// this crate does not know, or an answer without one (a proxy's error page).
    UnexpectedAnswer,
}

/// How a request or the reading of its answer went wrong below HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Transport {
    Timeout,
    Network,
    Tls,
    /// Not HTTP, or not HTTP that could be read.
    Protocol,
}

/// Why a credential is not known to be live, with what is needed to say so. Its `Display`
/// is the [`Verification::reason`] that reports print: keep it stable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Failure {
    NotAKeyPair,
    CanaryToken,
    Example,
    NoSecret,
    Interrupted,
    /// STS rejected the credential with one of the codes that mean it is not valid.
    Rejected {
        code: &'static str,
    },
    Throttled {
        code: &'static str,
    },
    ServerError {
        status: u16,
    },
    /// HTTP 200 whose body names no caller.
    NoIdentity,
    /// An HTTP error below 500 without an error code.
    UnexpectedStatus {
        status: u16,
    },
    /// An HTTP error below 500 with an error code that is neither a rejection nor
    /// throttling.
    UnknownError {
        status: u16,
        code: String,
    },
    /// The request could not be sent or answered; `detail` is the HTTP client's account.
    Request {
        transport: Transport,
        detail: String,
    },
    /// The answer's body could not be read.
    Body {
        transport: Transport,
        detail: String,
    },
}

impl Failure {
    /// Whether another attempt may get an answer: only when STS said to slow down or
    /// failed itself. A timeout is not retried (the next attempt would most likely wait
    /// as long), nor is anything that an answer decided.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(
            self,
            Failure::Throttled { .. } | Failure::ServerError { .. }
        )
    }

    pub(crate) fn status(&self) -> Status {
        match self {
            Failure::NotAKeyPair
            | Failure::CanaryToken
            | Failure::Example
            | Failure::NoSecret
            | Failure::Interrupted => Status::Skipped,
            Failure::Rejected { .. } => Status::Inactive,
            Failure::Throttled { .. }
            | Failure::ServerError { .. }
            | Failure::NoIdentity
            | Failure::UnexpectedStatus { .. }
            | Failure::UnknownError { .. }
            | Failure::Request { .. }
            | Failure::Body { .. } => Status::Inconclusive,
        }
    }

    pub(crate) fn kind(&self) -> FailureKind {
        match self {
            Failure::NotAKeyPair => FailureKind::NotAKeyPair,
            Failure::CanaryToken => FailureKind::CanaryToken,
            Failure::Example => FailureKind::Example,
            Failure::NoSecret => FailureKind::NoSecret,
            Failure::Interrupted => FailureKind::Interrupted,
            Failure::Rejected { .. } => FailureKind::Rejected,
            Failure::Throttled { .. } => FailureKind::Throttled,
            Failure::ServerError { .. } => FailureKind::ServerError,
            Failure::NoIdentity => FailureKind::MalformedResponse,
            Failure::UnexpectedStatus { .. } | Failure::UnknownError { .. } => {
                FailureKind::UnexpectedAnswer
            }
            Failure::Request { transport, .. } | Failure::Body { transport, .. } => match transport
            {
                Transport::Timeout => FailureKind::Timeout,
                Transport::Network => FailureKind::Network,
                Transport::Tls => FailureKind::Tls,
                Transport::Protocol => FailureKind::MalformedResponse,
            },
        }
    }

    fn aws_error_code(&self) -> Option<&str> {
        match self {
            Failure::Rejected { code } | Failure::Throttled { code } => Some(code),
            Failure::UnknownError { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NotAKeyPair => f.write_str("not a key pair"),
            Failure::CanaryToken => f.write_str("canary-token account: never contacted"),
            Failure::Example => f.write_str("documentation example or placeholder"),
            Failure::NoSecret => f.write_str("no secret"),
            Failure::Interrupted => f.write_str("not asked: the run was interrupted"),
            Failure::Rejected { code } => f.write_str(code),
            Failure::Throttled { code } => write!(f, "throttled ({code})"),
            Failure::ServerError { status } => write!(f, "HTTP {status}"),
            Failure::NoIdentity => f.write_str("HTTP 200 without a caller identity"),
            Failure::UnexpectedStatus { status } => write!(f, "unexpected HTTP {status}"),
            Failure::UnknownError { status, code } => write!(f, "HTTP {status} {code}"),
            Failure::Request { detail, .. } => write!(f, "request failed: {detail}"),
            Failure::Body { detail, .. } => write!(f, "reading the answer failed: {detail}"),
        }
    }
}

/// Who STS says the caller is, from an authenticated answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) arn: String,
    pub(crate) account: Option<AccountId>,
    pub(crate) user_id: Option<String>,
}

/// What verification found out about one credential.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Verification {
    /// The verdict.
    pub status: Status,
    /// The caller's ARN (active keys): `arn:aws:iam::<account>:root` for a root user key.
    pub arn: Option<String>,
    /// The caller's account (active keys), when STS gave a well-formed 12-digit one.
    pub account: Option<AccountId>,
    /// The caller's unique id (active keys).
    pub user_id: Option<String>,
    /// Why, for anything but active: the STS error code, the HTTP status, or the failure.
    /// Written from [`Verification::failure`]'s details; meant for people, not for matching.
    pub reason: Option<String>,
    /// Which secret STS accepted: 0 for the finding's `secret`, `n` for its `n`-th
    /// `other_secrets` entry.
    pub secret_index: usize,
    failure: Option<Failure>,
}

impl Verification {
    pub(crate) fn active(identity: Identity) -> Verification {
        Verification {
            status: Status::Active,
            arn: Some(identity.arn),
            account: identity.account,
            user_id: identity.user_id,
            reason: None,
            secret_index: 0,
            failure: None,
        }
    }

    pub(crate) fn failed(failure: Failure) -> Verification {
        Verification {
            status: failure.status(),
            arn: None,
            account: None,
            user_id: None,
            reason: Some(failure.to_string()),
            secret_index: 0,
            failure: Some(failure),
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

    /// Why the key is not known to be live; `None` for an active key. Match on this rather
    /// than on [`Verification::reason`].
    pub fn failure(&self) -> Option<FailureKind> {
        self.failure.as_ref().map(Failure::kind)
    }

    /// The error code STS answered with (`InvalidClientTokenId`, `Throttling`, ...), if it
    /// answered with one.
    pub fn aws_error_code(&self) -> Option<&str> {
        self.failure.as_ref().and_then(Failure::aws_error_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_failure() -> Vec<Failure> {
        let detail = || "io: Connection refused".to_owned();
        let mut all = vec![
            Failure::NotAKeyPair,
            Failure::CanaryToken,
            Failure::Example,
            Failure::NoSecret,
            Failure::Interrupted,
            Failure::Rejected {
                code: "InvalidClientTokenId",
            },
            Failure::Throttled { code: "Throttling" },
            Failure::ServerError { status: 503 },
            Failure::NoIdentity,
            Failure::UnexpectedStatus { status: 403 },
            Failure::UnknownError {
                status: 400,
                code: "AccessDenied".to_owned(),
            },
        ];
        for transport in [
            Transport::Timeout,
            Transport::Network,
            Transport::Tls,
            Transport::Protocol,
        ] {
            all.push(Failure::Request {
                transport,
                detail: detail(),
            });
            all.push(Failure::Body {
                transport,
                detail: detail(),
            });
        }
        all
    }

    /// The reasons reports print, written out: changing one changes every report.
    #[test]
    fn reasons_are_stable() {
        let reasons: Vec<String> = every_failure().iter().map(Failure::to_string).collect();
        assert_eq!(
            reasons[..11],
            [
                "not a key pair",
                "canary-token account: never contacted",
                "documentation example or placeholder",
                "no secret",
                "not asked: the run was interrupted",
                "InvalidClientTokenId",
                "throttled (Throttling)",
                "HTTP 503",
                "HTTP 200 without a caller identity",
                "unexpected HTTP 403",
                "HTTP 400 AccessDenied",
            ]
        );
        assert_eq!(reasons[11], "request failed: io: Connection refused");
        assert_eq!(
            reasons[12],
            "reading the answer failed: io: Connection refused"
        );
    }

    #[test]
    fn only_throttling_and_server_errors_are_retried() {
        for failure in every_failure() {
            let retried = failure.is_transient();
            assert_eq!(
                retried,
                matches!(
                    failure.kind(),
                    FailureKind::Throttled | FailureKind::ServerError
                ),
                "{failure:?}"
            );
            // What is retried is never a verdict about the key.
            if retried {
                assert_eq!(failure.status(), Status::Inconclusive);
            }
        }
    }

    #[test]
    fn status_reason_and_kind_come_from_the_failure() {
        for failure in every_failure() {
            let v = Verification::failed(failure.clone());
            assert_eq!(v.status, failure.status());
            assert_eq!(v.reason.as_deref(), Some(failure.to_string().as_str()));
            assert_eq!(v.failure(), Some(failure.kind()));
            assert_ne!(v.status, Status::Active);
            assert!(!v.is_root());
        }
        let rejected = Verification::failed(Failure::Rejected {
            code: "ExpiredToken",
        });
        assert_eq!(
            (rejected.status, rejected.aws_error_code()),
            (Status::Inactive, Some("ExpiredToken"))
        );
        let timeout = Verification::failed(Failure::Request {
            transport: Transport::Timeout,
            detail: "timeout: global".to_owned(),
        });
        assert_eq!(timeout.aws_error_code(), None);
        assert_eq!(timeout.failure(), Some(FailureKind::Timeout));
    }
}
