//! The text people paste into GitHub: issue and pull-request bodies, their conversation
//! comments and pull-request review comments, each with the URL that shows it.

use std::sync::atomic::AtomicBool;

use serde_json::Value;

use super::http::Api;
use super::valid_full_name;
use crate::error::{Error, ErrorKind};
use crate::event::Events;

/// What a [`WebText`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TextKind {
    /// An issue's body.
    Issue,
    /// A pull request's body.
    PullRequest,
    /// A comment in an issue's or pull request's conversation.
    Comment,
    /// A review comment on a pull request's diff.
    ReviewComment,
}

impl TextKind {
    /// The name machine reports give it.
    pub fn as_str(self) -> &'static str {
        match self {
            TextKind::Issue => "issue",
            TextKind::PullRequest => "pull-request",
            TextKind::Comment => "comment",
            TextKind::ReviewComment => "review-comment",
        }
    }
}

/// A text from GitHub's web side, to be scanned as bytes of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebText {
    /// The page that shows it (`html_url`): how a finding in it is located.
    pub url: String,
    /// What it is.
    pub kind: TextKind,
    /// The repository it belongs to (`owner/name`).
    pub repository: String,
    /// The text as written (Markdown).
    pub body: String,
}

/// Every issue and pull-request body and comment of `repo` (`owner/name`). A repository
/// with issues turned off has none.
pub(crate) fn texts(
    api: &Api,
    repo: &str,
    events: Events<'_>,
    cancel: &AtomicBool,
) -> Result<Vec<WebText>, Error> {
    if !valid_full_name(repo) {
        return Err(Error::new(ErrorKind::InvalidInput, repo, "not owner/name"));
    }
    let mut out = Vec::new();
    let listings = [
        (format!("/repos/{repo}/issues?state=all&per_page=100"), None),
        (
            format!("/repos/{repo}/issues/comments?per_page=100"),
            Some(TextKind::Comment),
        ),
        (
            format!("/repos/{repo}/pulls/comments?per_page=100"),
            Some(TextKind::ReviewComment),
        ),
    ];
    for (path, kind) in listings {
        let items = match api.list(&path, events, cancel) {
            Ok(items) => items,
            // Issues turned off (410), or no pull requests endpoint on an old server.
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.about(format!("{repo} issues"))),
        };
        for item in &items {
            let (Some(body), Some(url)) = (
                item.get("body").and_then(Value::as_str),
                item.get("html_url").and_then(Value::as_str),
            ) else {
                continue;
            };
            let kind = kind.unwrap_or(if item.get("pull_request").is_some() {
                TextKind::PullRequest
            } else {
                TextKind::Issue
            });
            out.push(WebText {
                url: url.to_string(),
                kind,
                repository: repo.to_string(),
                body: body.to_string(),
            });
        }
    }
    Ok(out)
}
