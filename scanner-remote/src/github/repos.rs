//! What an organization or a user has on GitHub: repositories (with the facts that decide
//! whether to scan them), members, gists.

use std::sync::atomic::AtomicBool;

use serde_json::Value;

use super::http::Api;
use super::valid_login;
use crate::error::{Error, ErrorKind};
use crate::event::Events;

/// A repository as the API lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GitHubRepo {
    /// `owner/name`.
    pub full_name: String,
    pub clone_url: String,
    pub fork: bool,
    pub archived: bool,
    pub private: bool,
    pub has_wiki: bool,
}

impl GitHubRepo {
    fn from_json(v: &Value) -> Option<GitHubRepo> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let b = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        let full_name = s("full_name").filter(|n| super::valid_full_name(n))?;
        Some(GitHubRepo {
            clone_url: s("clone_url").filter(|u| is_network_url(u))?,
            full_name,
            fork: b("fork"),
            archived: b("archived"),
            private: b("private") || s("visibility").is_some_and(|v| v != "public"),
            has_wiki: b("has_wiki"),
        })
    }

    /// The wiki's git URL: GitHub's convention, `<repo>.wiki.git` beside the repository.
    pub fn wiki_url(&self) -> String {
        let base = self
            .clone_url
            .strip_suffix(".git")
            .unwrap_or(&self.clone_url);
        format!("{base}.wiki.git")
    }
}

/// A clone URL the API may hand out: https, http, ssh or git, never a local path (an API
/// answer must not make leakscan read this machine's files as a repository).
fn is_network_url(url: &str) -> bool {
    crate::source::Source::url(url).is_ok()
        && ["https://", "http://", "ssh://", "git://"].iter().any(|p| {
            url.get(..p.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(p))
        })
}

fn checked<'a>(what: &str, login: &'a str) -> Result<&'a str, Error> {
    if valid_login(login) {
        Ok(login)
    } else {
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{what} {login}"),
            "not a GitHub login",
        ))
    }
}

fn repos_of(items: &[Value]) -> Vec<GitHubRepo> {
    items.iter().filter_map(GitHubRepo::from_json).collect()
}

/// Every repository of an organization: public ones, and private and internal ones the
/// token can see.
pub(crate) fn org_repos(
    api: &Api,
    org: &str,
    events: Events<'_>,
    cancel: &AtomicBool,
) -> Result<Vec<GitHubRepo>, Error> {
    let org = checked("github org", org)?;
    let items = api
        .list(
            &format!("/orgs/{org}/repos?type=all&per_page=100"),
            events,
            cancel,
        )
        .map_err(|e| e.about(format!("github org {org}")))?;
    Ok(repos_of(&items))
}

/// Every repository a user owns: with a token of that very user, private ones too
/// (`/user/repos`); otherwise the public ones (`/users/USER/repos`). Repositories of others
/// that the user may push to are not included.
pub(crate) fn user_repos(
    api: &Api,
    user: &str,
    events: Events<'_>,
    cancel: &AtomicBool,
) -> Result<Vec<GitHubRepo>, Error> {
    let user = checked("github user", user)?;
    let about = |e: Error| e.about(format!("github user {user}"));
    let own = if api.has_token() {
        // Whose token it is; a token that cannot say (a GitHub App's) is not the user's.
        api.get("/user", events, cancel)
            .ok()
            .and_then(|v| v.get("login").and_then(Value::as_str).map(str::to_string))
            .is_some_and(|login| login.eq_ignore_ascii_case(user))
    } else {
        false
    };
    let items = if own {
        api.list(
            "/user/repos?visibility=all&affiliation=owner&per_page=100",
            events,
            cancel,
        )
        .map_err(about)?
    } else {
        api.list(
            &format!("/users/{user}/repos?type=owner&per_page=100"),
            events,
            cancel,
        )
        .map_err(about)?
    };
    Ok(repos_of(&items))
}

/// The logins of an organization's members (public members, and concealed ones when the
/// token is a member's).
pub(crate) fn org_members(
    api: &Api,
    org: &str,
    events: Events<'_>,
    cancel: &AtomicBool,
) -> Result<Vec<String>, Error> {
    let org = checked("github org", org)?;
    let items = api
        .list(&format!("/orgs/{org}/members?per_page=100"), events, cancel)
        .map_err(|e| e.about(format!("github org {org} members")))?;
    Ok(items
        .iter()
        .filter_map(|v| v.get("login").and_then(Value::as_str))
        .filter(|l| valid_login(l))
        .map(str::to_string)
        .collect())
}

/// A gist: its git URL and the URL reports name it by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Gist {
    pub git_url: String,
    pub html_url: String,
}

/// A user's public gists.
pub(crate) fn gists(
    api: &Api,
    user: &str,
    events: Events<'_>,
    cancel: &AtomicBool,
) -> Result<Vec<Gist>, Error> {
    let user = checked("github user", user)?;
    let items = api
        .list(&format!("/users/{user}/gists?per_page=100"), events, cancel)
        .map_err(|e| e.about(format!("gists of {user}")))?;
    Ok(items
        .iter()
        .filter_map(|v| {
            let git_url = v
                .get("git_pull_url")
                .and_then(Value::as_str)
                .filter(|u| is_network_url(u))?
                .to_string();
            let html_url = v
                .get("html_url")
                .and_then(Value::as_str)
                .map_or_else(|| git_url.clone(), str::to_string);
            Some(Gist { git_url, html_url })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_read_from_the_api_s_objects() {
        let v: Value = serde_json::from_str(
            r#"{"full_name":"o/r","clone_url":"https://github.com/o/r.git","fork":true,
                "archived":false,"private":false,"visibility":"internal","has_wiki":true}"#,
        )
        .expect("valid JSON");
        let r = GitHubRepo::from_json(&v).expect("a repository");
        assert!(r.fork && r.private && r.has_wiki && !r.archived);
        assert_eq!(r.wiki_url(), "https://github.com/o/r.wiki.git");
        let bad: Value =
            serde_json::from_str(r#"{"full_name":"../x","clone_url":"u"}"#).expect("valid JSON");
        assert_eq!(GitHubRepo::from_json(&bad), None);
    }
}
