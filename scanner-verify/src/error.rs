//! The one way building a [`Verifier`](crate::Verifier) can fail: an endpoint it will not
//! send credentials to.

use std::fmt;

/// What is wrong with an endpoint given to
/// [`VerifierBuilder::endpoint`](crate::VerifierBuilder::endpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Not `scheme://host...`.
    NotAUrl,
    /// A scheme but no host.
    NoHost,
    /// `http://` to something else than a loopback address: credentials are only ever sent
    /// over TLS, except to a local stand-in.
    PlainHttpBeyondLoopback,
    /// Neither `https://` nor `http://`.
    UnsupportedScheme,
    /// Not an AWS STS host, and [`VerifierBuilder::any_endpoint`](crate::VerifierBuilder::any_endpoint)
    /// was not set: key IDs, signatures and session tokens would go to someone else.
    NotAnStsHost,
    /// User information (`user@`), a path, a query or a fragment: an endpoint is a scheme,
    /// a host and a port.
    NotAnEndpoint,
}

/// A verifier could not be built. Opaque: ask [`Error::kind`] what went wrong; `Display`
/// says it for people, with the endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    endpoint: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, endpoint: &str) -> Error {
        Error {
            kind,
            endpoint: endpoint.to_owned(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The endpoint that was refused, as given.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endpoint = &self.endpoint;
        match self.kind {
            ErrorKind::NotAUrl => write!(f, "not a URL: {endpoint}"),
            ErrorKind::NoHost => write!(f, "no host in {endpoint}"),
            ErrorKind::PlainHttpBeyondLoopback => write!(
                f,
                "{endpoint}: plain http is allowed only to loopback addresses; secrets are only ever sent signed, over TLS"
            ),
            ErrorKind::NotAnStsHost => write!(
                f,
                "{endpoint} is not an AWS STS host (sts[-fips].REGION.amazonaws.com, .amazonaws.com.cn, .api.aws, or a VPC endpoint); key IDs, signatures and session tokens are sent only there unless another endpoint is allowed explicitly"
            ),
            ErrorKind::NotAnEndpoint => write!(
                f,
                "{endpoint}: an endpoint is a scheme, a host and a port, without user information, path, query or fragment"
            ),
            ErrorKind::UnsupportedScheme => {
                let scheme = endpoint.split_once("://").map_or("", |(s, _)| s);
                write!(f, "unsupported scheme {scheme}://")
            }
        }
    }
}

impl std::error::Error for Error {}
