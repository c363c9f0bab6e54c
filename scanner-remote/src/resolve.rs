//! From sources to mirrors: the [`Resolver`] enumerates sources into repositories (with
//! the GitHub API for organizations and users), keeps those of its shard, and mirrors them
//! into the cache a few at a time.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use crate::auth::{split_url, Token};
use crate::error::{Error, ErrorKind};
use crate::event::{Event, Events};
use crate::github::{self, Api, GitHubRepo, Timing, WebText};
use crate::mirror::{self, Synced};
use crate::shard::Shard;
use crate::source::Source;

/// Repositories an organization or user has that are scanned only on request (or, for
/// archived ones, skipped on request): see [`ResolverBuilder::include`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Extra {
    /// Forks (excluded by default: their objects are mostly their parent's).
    Forks,
    /// Archived repositories (included by default: archived is still public).
    Archived,
    /// Each repository's wiki, `<repo>.wiki.git` (excluded by default).
    Wikis,
    /// The public gists of a user, or of an organization's members (excluded by default).
    Gists,
}

/// What kind of git repository a [`RemoteRepo`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RepoKind {
    /// A repository (a clone URL, or one the GitHub API listed).
    Repository,
    /// A repository's wiki.
    Wiki,
    /// A gist.
    Gist,
}

/// A repository to mirror.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteRepo {
    /// How reports name it: `owner/name` (`owner/name.wiki` for a wiki) when the GitHub API
    /// listed it, the gist's page for a gist, the URL as given otherwise. Shards are
    /// assigned by this name.
    pub name: String,
    /// The clone URL (never holding credentials).
    pub url: String,
    /// What it is.
    pub kind: RepoKind,
    /// `owner/name` on the GitHub of the resolver, when its issues and pull requests can be
    /// read ([`Resolver::texts`]).
    pub github: Option<String>,
}

/// What mirroring a repository did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchOutcome {
    /// First clone: `objects` received.
    Cloned {
        /// Objects received.
        objects: u64,
    },
    /// Fetched again: `objects` received, `refs` created or moved.
    Updated {
        /// Objects received.
        objects: u64,
        /// Refs created or moved.
        refs: u64,
    },
    /// Fetched again, nothing new.
    Unchanged,
    /// A wiki that was never written (GitHub lists `has_wiki` for repositories whose wiki
    /// has no page, and then has no wiki repository): nothing to scan, nothing wrong.
    Absent,
    /// Could not be cloned or fetched. An older mirror, if any, is still scanned.
    Failed(Error),
}

/// A repository after mirroring: where its mirror is and what fetching it did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvedRepo {
    /// How reports name it (see [`RemoteRepo::name`]).
    pub name: String,
    /// Its clone URL.
    pub url: String,
    /// What it is.
    pub kind: RepoKind,
    /// The bare mirror to scan: `None` when there is none (a failed first clone, an absent
    /// wiki). After a failed fetch it is the mirror of the last run that succeeded.
    pub mirror: Option<PathBuf>,
    /// What this run's clone or fetch did.
    pub fetched: FetchOutcome,
}

/// The repositories the sources name, in this shard.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Enumeration {
    /// In the order the sources gave them, each once.
    pub repos: Vec<RemoteRepo>,
    /// Sources that could not be enumerated (the others were).
    pub errors: Vec<Error>,
    /// Repositories left to other shards.
    pub other_shards: usize,
}

/// Builds a [`Resolver`].
#[derive(Debug)]
pub struct ResolverBuilder {
    cache: Option<PathBuf>,
    api_url: String,
    token: Option<Token>,
    extras: HashSet<Extra>,
    shard: Shard,
    jobs: usize,
    timing: Timing,
}

/// Enumerates sources and mirrors repositories. Immutable after
/// [`build`](ResolverBuilder::build), `Send + Sync`; [`Resolver::cancel`] stops it from
/// another thread.
#[derive(Debug)]
pub struct Resolver {
    cache: PathBuf,
    api: Api,
    extras: HashSet<Extra>,
    shard: Shard,
    jobs: usize,
    cancel: Arc<AtomicBool>,
}

/// The default cache: `$XDG_CACHE_HOME/leakscan`, else `~/.cache/leakscan`
/// (`~/Library/Caches/leakscan` on macOS, `%LOCALAPPDATA%\leakscan` on Windows).
pub fn default_cache_dir() -> Option<PathBuf> {
    let env = |v: &str| {
        std::env::var_os(v)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library/Caches"))
    } else {
        env("XDG_CACHE_HOME")
            .filter(|p| p.is_absolute())
            .or_else(|| env("HOME").map(|h| h.join(".cache")))
    };
    base.map(|b| b.join("leakscan"))
}

/// rustls needs one process-wide crypto provider before the first https connection of
/// gix's HTTP client (reqwest is built without one, to use ring rather than aws-lc).
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err only when another provider was installed first, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl ResolverBuilder {
    /// The cache directory (default: [`default_cache_dir`]). Mirrors go to
    /// `DIR/mirrors/<host>/<path>.git`.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache = Some(dir.into());
        self
    }

    /// The GitHub REST API (default `https://api.github.com`; GitHub Enterprise Server:
    /// `https://HOST/api/v3`). Plain http only to loopback.
    pub fn github_api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into();
        self
    }

    /// The token for the GitHub API and its git hosts (see [`Token`]).
    pub fn token(mut self, token: Option<Token>) -> Self {
        self.token = token;
        self
    }

    /// Also mirror these repositories of organizations and users.
    pub fn include(mut self, extra: Extra) -> Self {
        self.extras.insert(extra);
        self
    }

    /// Do not mirror these.
    pub fn exclude(mut self, extra: Extra) -> Self {
        self.extras.remove(&extra);
        self
    }

    /// Keep only the repositories of this shard (default: all).
    pub fn shard(mut self, shard: Shard) -> Self {
        self.shard = shard;
        self
    }

    /// Clones and fetches running at once (default 4; at least 1).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// The first wait before retrying a 5xx or a network failure of the API, doubled on
    /// each further attempt (default 1 s). Tests make it short.
    pub fn retry_backoff(mut self, wait: Duration) -> Self {
        self.timing.retry_backoff = wait;
        self
    }

    /// The wait after a secondary rate limit that announces no reset (default 60 s, as
    /// GitHub asks; never less than 1 s). Tests make it short.
    pub fn min_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.timing.min_rate_limit_wait = wait;
        self
    }

    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an API URL that is not https (or http to loopback);
    /// [`ErrorKind::Io`] when there is no cache directory (no `HOME`, none given).
    pub fn build(self) -> Result<Resolver, Error> {
        install_crypto_provider();
        let cache = self.cache.or_else(default_cache_dir).ok_or_else(|| {
            Error::new(
                ErrorKind::Io,
                "cache",
                "no cache directory: give --cache DIR (HOME is not set)",
            )
        })?;
        let api = Api::new(&self.api_url, self.token, self.timing)?;
        Ok(Resolver {
            cache,
            api,
            extras: self.extras,
            shard: self.shard,
            jobs: self.jobs,
            cancel: Arc::new(AtomicBool::new(false)),
        })
    }
}

impl Resolver {
    /// A builder with the defaults: `https://api.github.com`, no token, archived
    /// repositories included, forks, wikis and gists not, all shards, 4 jobs.
    pub fn builder() -> ResolverBuilder {
        ResolverBuilder {
            cache: None,
            api_url: "https://api.github.com".to_string(),
            token: None,
            extras: HashSet::from([Extra::Archived]),
            shard: Shard::all(),
            jobs: 4,
            timing: Timing::default(),
        }
    }

    /// The cache directory.
    pub fn cache_dir(&self) -> &Path {
        &self.cache
    }

    /// Where the mirror of `url` is (or would be).
    pub fn mirror_dir(&self, url: &str) -> PathBuf {
        mirror::mirror_dir(&self.cache.join("mirrors"), url)
    }

    /// Stops enumeration and mirroring soon (between requests and objects): what is
    /// under way fails with [`ErrorKind::Interrupted`].
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The repositories `sources` name, in this resolver's shard, each once. A source that
    /// cannot be enumerated is an error of the result; the others still are.
    pub fn enumerate(&self, sources: &[Source], events: Events<'_>) -> Enumeration {
        let mut all: Vec<RemoteRepo> = Vec::new();
        let mut errors = Vec::new();
        for source in sources {
            match source {
                Source::Url(url) => all.push(RemoteRepo {
                    name: url.clone(),
                    url: url.clone(),
                    kind: RepoKind::Repository,
                    github: self.github_name_of(url),
                }),
                Source::GitHubOrg(org) | Source::GitHubUser(org) => {
                    events(Event::Enumerating {
                        source: source.name(),
                    });
                    let is_org = matches!(source, Source::GitHubOrg(_));
                    let listed = if is_org {
                        github::org_repos(&self.api, org, events, &self.cancel)
                    } else {
                        github::user_repos(&self.api, org, events, &self.cancel)
                    };
                    match listed {
                        Ok(repos) => self.add_github_repos(&repos, &mut all),
                        Err(e) => errors.push(e),
                    }
                    if self.extras.contains(&Extra::Gists) {
                        let owners = if is_org {
                            match github::org_members(&self.api, org, events, &self.cancel) {
                                Ok(members) => members,
                                Err(e) => {
                                    errors.push(e);
                                    Vec::new()
                                }
                            }
                        } else {
                            vec![org.clone()]
                        };
                        for owner in owners {
                            match github::gists(&self.api, &owner, events, &self.cancel) {
                                Ok(gists) => all.extend(gists.into_iter().map(|g| RemoteRepo {
                                    name: g.html_url,
                                    url: g.git_url,
                                    kind: RepoKind::Gist,
                                    github: None,
                                })),
                                Err(e) => errors.push(e),
                            }
                        }
                    }
                }
            }
        }
        let mut seen = HashSet::new();
        let mut out = Enumeration {
            errors,
            ..Enumeration::default()
        };
        for repo in all {
            if !seen.insert(self.mirror_dir(&repo.url)) {
                continue;
            }
            if self.shard.contains(&repo.name) {
                out.repos.push(repo);
            } else {
                out.other_shards += 1;
            }
        }
        out
    }

    fn add_github_repos(&self, repos: &[GitHubRepo], all: &mut Vec<RemoteRepo>) {
        for r in repos {
            if (r.fork && !self.extras.contains(&Extra::Forks))
                || (r.archived && !self.extras.contains(&Extra::Archived))
            {
                continue;
            }
            all.push(RemoteRepo {
                name: r.full_name.clone(),
                url: r.clone_url.clone(),
                kind: RepoKind::Repository,
                github: Some(r.full_name.clone()),
            });
            if r.has_wiki && self.extras.contains(&Extra::Wikis) {
                all.push(RemoteRepo {
                    name: format!("{}.wiki", r.full_name),
                    url: r.wiki_url(),
                    kind: RepoKind::Wiki,
                    github: None,
                });
            }
        }
    }

    /// `owner/name` of a clone URL on this resolver's GitHub (`https://github.com/o/r.git`).
    fn github_name_of(&self, url: &str) -> Option<String> {
        let p = split_url(url)?;
        if !self.api.policy().allows_parts(p.scheme, p.host) {
            return None;
        }
        let path = p.path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        github::valid_full_name(path).then(|| path.to_string())
    }

    /// Clones `repo` into the cache, or fetches what is new into its mirror.
    pub fn mirror(&self, repo: &RemoteRepo) -> ResolvedRepo {
        let dest = self.mirror_dir(&repo.url);
        let existed = dest.join("HEAD").is_file();
        let result = mirror::sync(
            &dest,
            &repo.url,
            self.api.token(),
            self.api.policy(),
            &self.cancel,
        );
        let (fetched, mirror) = match result {
            Ok(Synced::Cloned { objects }) => (FetchOutcome::Cloned { objects }, Some(dest)),
            Ok(Synced::Updated { objects, refs }) => {
                (FetchOutcome::Updated { objects, refs }, Some(dest))
            }
            Ok(Synced::Unchanged) => (FetchOutcome::Unchanged, Some(dest)),
            Err(e) if repo.kind == RepoKind::Wiki && e.kind() == ErrorKind::NotFound => {
                (FetchOutcome::Absent, existed.then_some(dest))
            }
            Err(e) => (
                FetchOutcome::Failed(e.about(&repo.name)),
                existed.then_some(dest),
            ),
        };
        ResolvedRepo {
            name: repo.name.clone(),
            url: repo.url.clone(),
            kind: repo.kind,
            mirror,
            fetched,
        }
    }

    /// [`mirror`](Self::mirror) for each repository, a few at a time (see
    /// [`ResolverBuilder::jobs`]); the results in the order of `repos`.
    pub fn mirror_all(&self, repos: &[RemoteRepo], events: Events<'_>) -> Vec<ResolvedRepo> {
        let total = repos.len();
        let next = AtomicUsize::new(0);
        let results: Vec<Mutex<Option<ResolvedRepo>>> =
            repos.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|s| {
            for _ in 0..self.jobs.min(total) {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(repo) = repos.get(i) else { break };
                    events(Event::Mirroring {
                        name: repo.name.clone(),
                        clone: !self.mirror_dir(&repo.url).join("HEAD").is_file(),
                        index: i + 1,
                        total,
                    });
                    let resolved = self.mirror(repo);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(resolved);
                    }
                    events(Event::Mirrored {
                        name: repo.name.clone(),
                        index: i + 1,
                        total,
                    });
                });
            }
        });
        results
            .into_iter()
            .zip(repos)
            .map(|(slot, repo)| {
                slot.into_inner()
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| ResolvedRepo {
                        name: repo.name.clone(),
                        url: repo.url.clone(),
                        kind: repo.kind,
                        mirror: None,
                        fetched: FetchOutcome::Failed(Error::new(
                            ErrorKind::Interrupted,
                            &repo.name,
                            "not mirrored",
                        )),
                    })
            })
            .collect()
    }

    /// The issue and pull-request bodies and comments of `repo` (none unless it is on this
    /// resolver's GitHub).
    ///
    /// # Errors
    ///
    /// As for the API's requests: [`ErrorKind::NotFound`], [`ErrorKind::RateLimited`], ...
    pub fn texts(&self, repo: &RemoteRepo, events: Events<'_>) -> Result<Vec<WebText>, Error> {
        match &repo.github {
            Some(full_name) => github::texts(&self.api, full_name, events, &self.cancel),
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<Resolver>();
        assert_send_sync::<ResolvedRepo>();
        assert_send_sync::<Error>();
        assert_send_sync::<WebText>();
    }

    #[test]
    fn the_default_cache_follows_xdg() {
        if cfg!(unix) && !cfg!(target_os = "macos") {
            let dir = default_cache_dir();
            match std::env::var_os("XDG_CACHE_HOME").filter(|v| Path::new(v).is_absolute()) {
                Some(x) => assert_eq!(dir, Some(PathBuf::from(x).join("leakscan"))),
                None => assert!(dir.is_none_or(|d| d.ends_with(".cache/leakscan"))),
            }
        }
    }
}
