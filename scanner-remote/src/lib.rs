//! `scanner-remote` turns remote sources into local git repositories to scan: clone URLs
//! (`https://`, `ssh://`, `git://`, `file://`, scp-like `git@host:owner/name.git`), and
//! GitHub organizations and users enumerated with the REST API (forks, archived
//! repositories, wikis and gists by choice), each mirrored with gix into a cache and
//! fetched again on the next run. It also reads the text people paste into GitHub —
//! issue and pull-request bodies and comments — as [`WebText`]s located by their URL.
//!
//! It is the I/O policy around `scanner-git`: it scans nothing itself. Its stages, one
//! module each:
//!
//! | module | stage |
//! |---|---|
//! | `source.rs` | [`Source`]: what the user named (URLs, list files, orgs, users), checked offline |
//! | `github/` | the REST API: pagination, rate limits, retries (`http.rs`); repositories, members, gists (`repos.rs`); issue and PR text (`text.rs`) |
//! | `mirror.rs` | bare mirrors cloned and fetched with gix, `+refs/*:refs/*` (so `refs/pull/*` too) |
//! | `shard.rs` | [`Shard`]: `--shard K/N`, a stable function of each repository's name |
//! | `resolve.rs` | [`Resolver`]: sources → repositories of the shard → mirrors, a few at a time |
//! | `auth.rs` | [`Token`] and the hosts it may go to |
//! | `error.rs` | [`Error`] with its [`ErrorKind`] |
//!
//! # Example
//!
//! ```no_run
//! use scanner_remote::{FetchOutcome, Resolver, Source, Token};
//!
//! let resolver = Resolver::builder()
//!     .cache_dir("/var/cache/leakscan")
//!     .token(Token::from_env())                    // GITHUB_TOKEN or GH_TOKEN
//!     .build()?;
//! let sources = [Source::GitHubOrg("my-org".into()), Source::url("https://example.com/x.git")?];
//! let found = resolver.enumerate(&sources, &|_event| {});
//! for repo in resolver.mirror_all(&found.repos, &|_event| {}) {
//!     if let FetchOutcome::Failed(e) = &repo.fetched {
//!         eprintln!("{e}");
//!     }
//!     if let Some(mirror) = &repo.mirror {
//!         println!("scan {} as {}", mirror.display(), repo.name); // e.g. with scanner-git
//!     }
//! }
//! # Ok::<(), scanner_remote::Error>(())
//! ```
//!
//! # The network and the token
//!
//! Nothing here goes on the network until [`Resolver::enumerate`] meets a GitHub source or
//! [`Resolver::mirror`] is called. The token is held in memory only: never printed, never
//! written into a mirror's configuration or anywhere else, sent only to the API's host and
//! the git hosts of that GitHub over https (or to loopback over http, for local servers).
//! Error messages are scrubbed of it.
//!
//! # Mirrors
//!
//! Nothing is ever deleted from a mirror: refs deleted upstream and commits a force-push
//! replaced stay in it and are scanned on every run. A repository that cannot be
//! cloned or fetched is a [`FetchOutcome::Failed`] with its reason; its older mirror, if
//! any, is still handed out to scan.

#![deny(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod auth;
mod error;
mod event;
mod github;
mod mirror;
mod resolve;
mod shard;
mod source;

pub use auth::Token;
pub use error::{Error, ErrorKind};
pub use event::{Event, Events};
pub use github::{TextKind, WebText};
pub use resolve::{
    default_cache_dir, Enumeration, Extra, FetchOutcome, RemoteRepo, RepoKind, ResolvedRepo,
    Resolver, ResolverBuilder,
};
pub use shard::Shard;
pub use source::Source;
