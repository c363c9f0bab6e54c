//! The GitHub token, and where it may go.
//!
//! A token is read from the environment and kept in memory only: it is never printed
//! (`Debug` redacts it), never put into a URL, a mirror's configuration or any file, and
//! given only to the GitHub it belongs to — the API host and the git hosts that API serves
//! (`api.github.com` → `github.com`, `gist.github.com`; `https://HOST/api/v3` → `HOST`) —
//! over https, or over plain http to a loopback address (local test servers). Everywhere
//! else a request goes without it.

use std::fmt;
use std::net::IpAddr;

/// A GitHub token (personal access token, fine-grained token, `GITHUB_TOKEN` of Actions).
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// A token from its text; `None` when empty.
    pub fn new(text: impl Into<String>) -> Option<Token> {
        let text = text.into().trim().to_string();
        (!text.is_empty()).then_some(Token(text))
    }

    /// `GITHUB_TOKEN`, else `GH_TOKEN` (the names `gh` and GitHub Actions use).
    pub fn from_env() -> Option<Token> {
        ["GITHUB_TOKEN", "GH_TOKEN"]
            .iter()
            .find_map(|v| std::env::var(v).ok().and_then(Token::new))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// The parts of a URL this crate looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UrlParts<'a> {
    pub scheme: &'a str,
    /// Without brackets for IPv6, without the port, lowercase not guaranteed.
    pub host: &'a str,
    pub port: Option<u16>,
    /// Starting with `/`, or empty.
    pub path: &'a str,
}

/// `scheme://[user@]host[:port]/path` (the forms of URLs this crate needs to look into).
pub(crate) fn split_url(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (host, after) = inner.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        (host, port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p.parse().ok()?)),
            None => (hostport, None),
        }
    };
    Some(UrlParts {
        scheme,
        host,
        port,
        path,
    })
}

pub(crate) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Which hosts a token may be sent to, derived from the API URL.
#[derive(Clone, Debug)]
pub(crate) struct TokenPolicy {
    hosts: Vec<String>,
}

impl TokenPolicy {
    pub(crate) fn for_api(api_url: &str) -> TokenPolicy {
        let mut hosts = Vec::new();
        if let Some(p) = split_url(api_url) {
            let host = p.host.to_ascii_lowercase();
            if host == "api.github.com" {
                hosts.extend(["github.com".to_string(), "gist.github.com".to_string()]);
            } else if let Some(rest) = host
                .strip_prefix("api.")
                .filter(|r| r.ends_with(".ghe.com"))
            {
                // GitHub Enterprise Cloud with data residency: api.SUBDOMAIN.ghe.com.
                hosts.push(rest.to_string());
            }
            hosts.push(host);
        }
        TokenPolicy { hosts }
    }

    /// Whether a token may go to `url`: one of the GitHub's hosts, over https or loopback
    /// http.
    pub(crate) fn allows(&self, url: &str) -> bool {
        split_url(url).is_some_and(|p| self.allows_parts(p.scheme, p.host))
    }

    pub(crate) fn allows_parts(&self, scheme: &str, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let secure = scheme.eq_ignore_ascii_case("https")
            || (scheme.eq_ignore_ascii_case("http") && is_loopback(host));
        secure && self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_never_shown() {
        let t = Token::new("ghp_supersecret").expect("a token because the text is not empty");
        assert_eq!(format!("{t:?}"), "Token(***)");
        assert!(Token::new("  ").is_none());
    }

    #[test]
    fn urls_split() {
        let p = split_url("https://user@host.example:8443/a/b.git").expect("valid");
        assert_eq!(
            (p.scheme, p.host, p.port, p.path),
            ("https", "host.example", Some(8443), "/a/b.git")
        );
        let p = split_url("http://[::1]:80/x").expect("valid");
        assert_eq!((p.host, p.port), ("::1", Some(80)));
        assert!(split_url("not a url").is_none());
    }

    #[test]
    fn the_token_goes_only_to_its_github_and_never_in_clear_text_off_loopback() {
        let p = TokenPolicy::for_api("https://api.github.com");
        assert!(p.allows("https://github.com/o/r.git"));
        assert!(p.allows("https://gist.github.com/abc.git"));
        assert!(p.allows("https://api.github.com/orgs/o/repos"));
        assert!(!p.allows("http://github.com/o/r.git"));
        assert!(!p.allows("https://gitlab.com/o/r.git"));
        assert!(!p.allows("https://github.com.evil.example/o/r.git"));
        let ghe = TokenPolicy::for_api("https://ghe.corp.example/api/v3");
        assert!(ghe.allows("https://ghe.corp.example/o/r.git"));
        assert!(!ghe.allows("https://github.com/o/r.git"));
        let local = TokenPolicy::for_api("http://127.0.0.1:9000");
        assert!(local.allows("http://127.0.0.1:9001/o/r.git"));
        let lan = TokenPolicy::for_api("http://10.0.0.1:9000");
        assert!(!lan.allows("http://10.0.0.1:9000/orgs/o/repos"));
    }
}
