//! The GitHub REST API: requests (`http.rs`: pagination, rate limits, retries), what an
//! organization or user has (`repos.rs`: repositories, members, gists, wikis), and the text
//! people paste into issues and pull requests (`text.rs`).

mod http;
mod repos;
mod text;

pub(crate) use http::{Api, Timing};
pub(crate) use repos::{gists, org_members, org_repos, user_repos, GitHubRepo};
pub(crate) use text::texts;
pub use text::{TextKind, WebText};

/// Org and user names as GitHub allows them (letters, digits, `-`; `_` and `.` in
/// Enterprise logins), so that a name is never a path of its own.
pub(crate) fn valid_login(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `owner/name` as GitHub allows it.
pub(crate) fn valid_full_name(name: &str) -> bool {
    name.split_once('/')
        .is_some_and(|(owner, repo)| valid_login(owner) && valid_login(repo))
}
