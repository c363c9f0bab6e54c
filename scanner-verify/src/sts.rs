//! The STS side: one signed `GetCallerIdentity` request, and what its answer means.
//!
//! The one place that knows HTTP and AWS's error codes; it turns everything into an
//! [`Identity`] or a typed [`Failure`].

use std::time::Duration;

use scanner_core::AccountId;

use crate::sigv4;
use crate::verification::{Failure, Identity, Transport};

/// The body of a `GetCallerIdentity` call.
pub(crate) const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// STS at one checked endpoint.
#[derive(Debug)]
pub(crate) struct Sts {
    agent: ureq::Agent,
    /// `scheme://host[:port]/`.
    url: String,
    /// `host[:port]`, as signed in the `Host` header.
    host: String,
    region: String,
}

impl Sts {
    /// `scheme` and `host` are checked by the caller (TLS, or loopback).
    pub(crate) fn new(scheme: &str, host: &str, region: &str, timeout: Duration) -> Sts {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // Error statuses are answers to interpret, not transport errors.
            .http_status_as_error(false)
            // The environment's proxy would see the request; only a direct one is made.
            .proxy(None)
            .build()
            .into();
        Sts {
            agent,
            url: format!("{scheme}://{host}/"),
            host: host.to_owned(),
            region: region.to_owned(),
        }
    }

    /// Asks who `creds` belong to: one request, signed now.
    pub(crate) fn get_caller_identity(
        &self,
        creds: &sigv4::Credentials<'_>,
    ) -> Result<Identity, Failure> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let request = sigv4::Request {
            method: "POST",
            host: &self.host,
            path: "/",
            query: "",
            headers: &[("content-type", CONTENT_TYPE)],
            payload: BODY.as_bytes(),
        };
        let signed = sigv4::sign(&request, creds, &self.region, "sts", &sigv4::amz_date(now));
        let mut req = self
            .agent
            .post(&self.url)
            .header("content-type", CONTENT_TYPE);
        for (name, value) in &signed {
            req = req.header(name.as_str(), value.as_str());
        }
        let mut response = req.send(BODY).map_err(|e| Failure::Request {
            transport: transport(&e),
            detail: e.to_string(),
        })?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| Failure::Body {
                transport: transport(&e),
                detail: e.to_string(),
            })?;
        interpret(status, &body)
    }
}

/// Which kind of transport failure an HTTP client error is.
fn transport(e: &ureq::Error) -> Transport {
    match e {
        ureq::Error::Timeout(_) => Transport::Timeout,
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Transport::Timeout,
        ureq::Error::Io(_)
        | ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_) => Transport::Network,
        ureq::Error::Tls(_)
        | ureq::Error::Pem(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::TlsRequired => Transport::Tls,
        ureq::Error::Protocol(_)
        | ureq::Error::LargeResponseHeader(..)
        | ureq::Error::BodyExceedsLimit(_)
        | ureq::Error::StatusCode(_)
        | ureq::Error::TooManyRedirects
        | ureq::Error::RedirectFailed => Transport::Protocol,
        // Configuration and anything newer: the request did not get through.
        _ => Transport::Network,
    }
}

/// Text of the first `<tag>…</tag>` in `xml`.
fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].trim())
}

/// The verdict from an STS answer. Only an authenticated 200 naming a caller is an
/// identity; the error code decides before the status does, except that any 5xx without
/// a known code is STS failing.
pub(crate) fn interpret(status: u16, body: &str) -> Result<Identity, Failure> {
    if status == 200 {
        let arn = element(body, "Arn").ok_or(Failure::NoIdentity)?;
        return Ok(Identity {
            arn: arn.to_owned(),
            account: element(body, "Account").and_then(|a| a.parse::<AccountId>().ok()),
            user_id: element(body, "UserId").map(str::to_owned),
        });
    }
    let code = element(body, "Code").unwrap_or_default();
    Err(match code {
        "InvalidClientTokenId" => Failure::Rejected {
            code: "InvalidClientTokenId",
        },
        "SignatureDoesNotMatch" => Failure::Rejected {
            code: "SignatureDoesNotMatch",
        },
        "ExpiredToken" => Failure::Rejected {
            code: "ExpiredToken",
        },
        "InvalidAccessKeyId" => Failure::Rejected {
            code: "InvalidAccessKeyId",
        },
        "Throttling" => Failure::Throttled { code: "Throttling" },
        "ThrottlingException" => Failure::Throttled {
            code: "ThrottlingException",
        },
        "RequestLimitExceeded" => Failure::Throttled {
            code: "RequestLimitExceeded",
        },
        _ if status >= 500 => Failure::ServerError { status },
        "" => Failure::UnexpectedStatus { status },
        other => Failure::UnknownError {
            status,
            code: other.to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verification::{FailureKind, Status, Verification};

    fn verdict(status: u16, body: &str) -> Verification {
        interpret(status, body).map_or_else(Verification::failed, Verification::active)
    }

    fn error(code: &str) -> String {
        format!("<ErrorResponse><Error><Code>{code}</Code></Error></ErrorResponse>")
    }

    #[test]
    fn answers_are_interpreted_honestly() {
        let ok = "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
        let v = verdict(200, ok);
        assert_eq!(v.status, Status::Active);
        assert!(v.is_root());
        assert_eq!(v.failure(), None);
        assert_eq!(
            v.account.map(|a| a.to_string()).as_deref(),
            Some("123456789012")
        );
        let user = ok.replace(":root", ":user/ci");
        assert!(!verdict(200, &user).is_root());
        assert_eq!(
            verdict(403, &error("InvalidClientTokenId")).status,
            Status::Inactive
        );
        assert_eq!(
            verdict(403, &error("SignatureDoesNotMatch")).status,
            Status::Inactive
        );
        assert_eq!(
            verdict(400, &error("Throttling")).status,
            Status::Inconclusive
        );
        assert_eq!(verdict(500, "").status, Status::Inconclusive);
        assert_eq!(
            verdict(200, "<html>captive portal</html>").status,
            Status::Inconclusive
        );
        assert_eq!(
            verdict(403, "<html>forbidden by a proxy</html>").status,
            Status::Inconclusive
        );
    }

    #[test]
    fn each_answer_has_its_kind_and_reason() {
        let cases: [(u16, String, FailureKind, &str); 10] = [
            (
                403,
                error("InvalidClientTokenId"),
                FailureKind::Rejected,
                "InvalidClientTokenId",
            ),
            (
                403,
                error("SignatureDoesNotMatch"),
                FailureKind::Rejected,
                "SignatureDoesNotMatch",
            ),
            (
                400,
                error("ExpiredToken"),
                FailureKind::Rejected,
                "ExpiredToken",
            ),
            (
                403,
                error("InvalidAccessKeyId"),
                FailureKind::Rejected,
                "InvalidAccessKeyId",
            ),
            (
                400,
                error("Throttling"),
                FailureKind::Throttled,
                "throttled (Throttling)",
            ),
            (
                400,
                error("RequestLimitExceeded"),
                FailureKind::Throttled,
                "throttled (RequestLimitExceeded)",
            ),
            (
                503,
                error("ServiceUnavailable"),
                FailureKind::ServerError,
                "HTTP 503",
            ),
            (
                200,
                "<html>portal</html>".into(),
                FailureKind::MalformedResponse,
                "HTTP 200 without a caller identity",
            ),
            (
                403,
                "<html>proxy</html>".into(),
                FailureKind::UnexpectedAnswer,
                "unexpected HTTP 403",
            ),
            (
                400,
                error("AccessDenied"),
                FailureKind::UnexpectedAnswer,
                "HTTP 400 AccessDenied",
            ),
        ];
        for (status, body, kind, reason) in cases {
            let v = verdict(status, &body);
            assert_eq!(v.failure(), Some(kind), "{status} {body}");
            assert_eq!(v.reason.as_deref(), Some(reason), "{status} {body}");
        }
        // A throttling code wins over a 5xx status; a rejection code too.
        assert_eq!(
            verdict(503, &error("Throttling")).failure(),
            Some(FailureKind::Throttled)
        );
        assert_eq!(
            verdict(500, &error("ExpiredToken")).status,
            Status::Inactive
        );
        assert_eq!(
            verdict(400, &error("Throttling")).aws_error_code(),
            Some("Throttling")
        );
    }

    #[test]
    fn a_malformed_account_is_dropped_not_passed_on() {
        let body = "<Arn>arn:aws:iam::123456789012:user/x</Arn><Account>12345</Account>";
        let v = verdict(200, body);
        assert_eq!(v.status, Status::Active);
        assert_eq!(v.account, None);
        assert_eq!(v.arn.as_deref(), Some("arn:aws:iam::123456789012:user/x"));
        let padded = "<Arn>arn:aws:iam::012345678901:root</Arn><Account>012345678901</Account>";
        assert_eq!(
            verdict(200, padded)
                .account
                .map(|a| a.to_string())
                .as_deref(),
            Some("012345678901")
        );
    }
}
