//! Input parsing: what a user names as a remote source — a clone URL, a list file of
//! them, a GitHub organization or user — checked before anything goes on the network.

use crate::auth::split_url;
use crate::error::{Error, ErrorKind};

/// Something to enumerate or clone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// A clone URL: `https://`, `http://`, `ssh://`, `git://`, `file://`, or scp-like
    /// `[user@]host:path` (`git@github.com:owner/name.git`). Shown in reports as given.
    Url(String),
    /// Every repository of a GitHub organization (`--github-org`).
    GitHubOrg(String),
    /// Every repository of a GitHub user (`--github-user`).
    GitHubUser(String),
}

const SCHEMES: [&str; 5] = ["https", "http", "ssh", "git", "file"];

impl Source {
    /// A clone URL, checked: a scheme git clones over (or the scp-like form), a host (but
    /// for `file://`), and no password (it would end up in the mirror's configuration and
    /// in reports; give a token through `GITHUB_TOKEN` instead).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for anything else.
    pub fn url(text: &str) -> Result<Source, Error> {
        let text = text.trim();
        let invalid = |why: &str| {
            Err(Error::new(
                ErrorKind::InvalidInput,
                without_password(text),
                why,
            ))
        };
        if let Some(parts) = split_url(text) {
            if !SCHEMES.iter().any(|s| parts.scheme.eq_ignore_ascii_case(s)) {
                return invalid("not a scheme git clones over (https, http, ssh, git, file)");
            }
            if !parts.scheme.eq_ignore_ascii_case("file") && parts.host.is_empty() {
                return invalid("no host");
            }
            if has_password(text) {
                return invalid(
                    "a URL with a password is not accepted (it would be stored in the mirror and shown in reports); \
                     give a token in GITHUB_TOKEN instead",
                );
            }
            if parts.path.trim_matches('/').is_empty() {
                return invalid("no repository path");
            }
            return Ok(Source::Url(text.trim_end_matches('/').to_string()));
        }
        if text.contains("://") {
            return invalid("not a valid URL");
        }
        if is_scp_like(text) {
            return Ok(Source::Url(text.to_string()));
        }
        invalid("not a clone URL")
    }

    /// Whether a command-line argument means a clone URL rather than a path: it has a
    /// scheme git clones over, or the scp-like form. (Callers check first that no such
    /// path exists.)
    pub fn looks_like_url(text: &str) -> bool {
        match text.split_once("://") {
            Some((scheme, _)) => SCHEMES.iter().any(|s| scheme.eq_ignore_ascii_case(s)),
            None => is_scp_like(text),
        }
    }

    /// The sources a list file names: one clone URL per line; blank lines and `#` comments
    /// (whole lines, or after whitespace) are ignored.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] naming the first bad line (`FILE:LINE`), with `name`
    /// as the file's name.
    pub fn from_list(name: &str, text: &str) -> Result<Vec<Source>, Error> {
        let mut sources = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = match line.find(" #").or_else(|| line.find("\t#")) {
                Some(at) => &line[..at],
                None => line,
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match Source::url(line) {
                Ok(s) => sources.push(s),
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        format!("{name}:{}", i + 1),
                        e.reason(),
                    ))
                }
            }
        }
        Ok(sources)
    }

    /// How reports and errors name the source.
    pub fn name(&self) -> String {
        match self {
            Source::Url(u) => u.clone(),
            Source::GitHubOrg(o) => format!("github org {o}"),
            Source::GitHubUser(u) => format!("github user {u}"),
        }
    }
}

/// The URL with the password of its `user:password@` replaced by `***`, for messages.
fn without_password(url: &str) -> String {
    if !has_password(url) {
        return url.to_string();
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// `user:password@` in the authority of a URL.
fn has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// git's scp-like syntax: `[user@]host:path`, with a colon before any slash, a host of
/// more than one character (so that `C:\x` is a path) and a path after it.
fn is_scp_like(text: &str) -> bool {
    let Some((before, path)) = text.split_once(':') else {
        return false;
    };
    let host = before.rsplit_once('@').map_or(before, |(_, h)| h);
    !before.contains('/')
        && !before.contains('\\')
        && host.len() > 1
        && !path.is_empty()
        && !path.starts_with("//")
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_urls_of_every_transport_are_accepted() {
        for u in [
            "https://github.com/o/r.git",
            "http://127.0.0.1:8080/o/r.git",
            "ssh://git@host.example:2222/o/r.git",
            "git://127.0.0.1:9418/o/r.git",
            "file:///srv/git/r.git",
            "git@github.com:o/r.git",
            "host.example:path/r",
        ] {
            assert!(Source::looks_like_url(u), "{u}");
            assert_eq!(Source::url(u), Ok(Source::Url(u.to_string())), "{u}");
        }
    }

    #[test]
    fn paths_and_bad_urls_are_not_clone_urls() {
        for p in ["repo.git", "./a:b", "C:\\x", "a/b:c", "main..feature", "-"] {
            assert!(!Source::looks_like_url(p), "{p}");
        }
        for bad in [
            "ftp://host/x",
            "https://",
            "https://host",
            "https://user:ghp_secret@github.com/o/r.git",
        ] {
            assert_eq!(
                Source::url(bad).map_err(|e| e.kind()),
                Err(ErrorKind::InvalidInput),
                "{bad}"
            );
        }
        let e = Source::url("https://u:pw@host/o/r").expect_err("a password is refused");
        assert!(!e.to_string().contains("pw@"), "{e}");
    }

    #[test]
    fn list_files_have_comments_and_name_their_bad_line() {
        let list = "# repositories\nhttps://h.example/a.git\n\n  git://h.example/b.git  # mirror\n";
        assert_eq!(
            Source::from_list("repos.txt", list).expect("valid list"),
            vec![
                Source::Url("https://h.example/a.git".into()),
                Source::Url("git://h.example/b.git".into())
            ]
        );
        let e = Source::from_list("repos.txt", "https://h.example/a.git\nnot a url\n")
            .expect_err("line 2 is bad");
        assert_eq!(e.what(), "repos.txt:2");
    }
}
