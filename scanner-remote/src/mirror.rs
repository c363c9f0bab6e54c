//! Bare mirrors in the cache, cloned and fetched with gix.
//!
//! A mirror holds every ref the server advertises (`+refs/*:refs/*`: branches, tags, and
//! GitHub's `refs/pull/*`, where commits of closed and force-pushed pull requests stay).
//! Fetching again brings only what changed. Nothing is ever deleted from a mirror: refs
//! deleted upstream and history rewritten by a force-push stay in it, so that what was
//! once pushed stays scannable — for a leak scanner that is the point.
//!
//! The cache is reproducible: repositories are created and opened isolated from the
//! system's and user's git configuration (no `url.*.insteadOf`, no credential helper),
//! and a token reaches gix only through a credentials callback that persists nothing.
//! A first clone goes to `<mirror>.partial` and is renamed into place when complete, so a
//! killed run never leaves a half mirror that looks whole.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use gix::credentials::helper::Action;
use gix::credentials::protocol::Outcome as CredentialOutcome;
use gix::remote::fetch::refs::update::Mode;
use gix::remote::{fetch::Tags, Direction};
use sha2::{Digest, Sha256};

use crate::auth::{split_url, Token, TokenPolicy};
use crate::error::{Error, ErrorKind};

/// The refspec of a mirror.
const REFSPEC: &str = "+refs/*:refs/*";

/// What a clone or fetch did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Synced {
    Cloned { objects: u64 },
    Updated { objects: u64, refs: u64 },
    Unchanged,
}

/// Where the mirror of `url` lives under `root`: `<host>[_<port>]/<path>.git`, readable,
/// with a short hash of the URL appended when the URL's characters had to be changed to
/// make a path (so that two URLs never share a mirror by accident).
pub(crate) fn mirror_dir(root: &Path, url: &str) -> PathBuf {
    let (host, path) = match split_url(url) {
        Some(p) if p.scheme.eq_ignore_ascii_case("file") => {
            ("file".to_string(), p.path.to_string())
        }
        Some(p) => (
            match p.port {
                Some(port) => format!("{}_{port}", p.host),
                None => p.host.to_string(),
            },
            p.path.to_string(),
        ),
        // scp-like: [user@]host:path
        None => match url.split_once(':') {
            Some((before, path)) => (
                before
                    .rsplit_once('@')
                    .map_or(before, |(_, h)| h)
                    .to_string(),
                path.to_string(),
            ),
            None => (String::new(), url.to_string()),
        },
    };
    let mut changed = false;
    let mut clean = |s: &str| -> String {
        let mut out: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    changed = true;
                    '_'
                }
            })
            .collect();
        if out.starts_with('.') {
            changed = true;
            out.replace_range(..1, "_");
        }
        if out.is_empty() {
            changed = true;
            out.push('_');
        }
        out
    };
    let host = clean(&host.to_ascii_lowercase());
    let mut segments: Vec<String> = path
        .split(['/', '\\'])
        .filter(|s| !s.is_empty())
        .map(&mut clean)
        .collect();
    if segments.len() > 8 {
        changed = true;
        segments.drain(..segments.len() - 8);
    }
    let mut last = segments.pop().unwrap_or_else(|| "_".to_string());
    if let Some(stem) = last.strip_suffix(".git") {
        last = stem.to_string();
    }
    if changed {
        let digest = Sha256::digest(url.as_bytes());
        let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        last = format!("{last}-{hex}");
    }
    let mut dir = root.join(host);
    for s in segments {
        dir.push(s);
    }
    dir.push(format!("{last}.git"));
    dir
}

/// Credentials for gix: the token for the hosts the policy allows, nothing elsewhere —
/// and never a prompt (gix falls back to a terminal prompt without a callback).
fn credentials(
    token: Option<Token>,
    policy: TokenPolicy,
) -> impl FnMut(Action) -> gix::Result<Option<CredentialOutcome>> + Clone + 'static {
    move |action| match action {
        Action::Get(ctx) => {
            let Some(token) = &token else {
                return Ok(None);
            };
            // gix hands over the URL, and sometimes its parts.
            let allowed = match (&ctx.protocol, &ctx.host) {
                (Some(scheme), Some(host)) => policy.allows_parts(scheme, host_without_port(host)),
                _ => ctx
                    .url
                    .as_ref()
                    .is_some_and(|url| policy.allows(&String::from_utf8_lossy(url))),
            };
            if !allowed {
                return Ok(None);
            }
            Ok(Some(CredentialOutcome {
                identity: gix::sec::identity::Account {
                    // What GitHub expects with a token in HTTP basic authentication.
                    username: "x-access-token".into(),
                    password: token.expose().to_string(),
                    oauth_refresh_token: None,
                },
                next: ctx.into(),
            }))
        }
        // Approve or reject: there is nothing stored to update.
        Action::Store(_) | Action::Erase(_) => Ok(None),
    }
}

fn host_without_port(host: &str) -> &str {
    if let Some(inner) = host.strip_prefix('[') {
        return inner.split(']').next().unwrap_or(inner);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Configuration held in memory only, for every clone and fetch.
fn overrides() -> Vec<&'static str> {
    vec![
        // ssh must fail rather than ask for a passphrase or a host key confirmation.
        "core.sshCommand=ssh -o BatchMode=yes",
        "protocol.version=2",
    ]
}

/// With gix 0.90 the default (`true`) turns `+refs/*:refs/*` into the ls-refs prefix
/// `refs/*`, which servers match literally: no ref at all would be listed and the mirror
/// would silently stay empty. Listing all refs is what a mirror wants anyway.
fn ref_map_options() -> gix::remote::ref_map::Options {
    gix::remote::ref_map::Options {
        prefix_from_spec_as_filter_on_remote: false,
        ..Default::default()
    }
}

/// Brings the mirror at `dest` up to date with `url`: a first clone, or a fetch.
pub(crate) fn sync(
    dest: &Path,
    url: &str,
    token: Option<&Token>,
    policy: &TokenPolicy,
    cancel: &AtomicBool,
) -> Result<Synced, Error> {
    let secret = token.map(Token::expose);
    let creds = credentials(token.cloned(), policy.clone());
    let result = if dest.join("HEAD").is_file() {
        fetch(dest, url, creds, cancel)
    } else {
        clone(dest, url, creds, cancel)
    };
    let synced = result.map_err(|e| e.about(url).scrubbed(secret))?;
    remove_empty_ref_dirs(&dest.join("refs"), 0);
    Ok(synced)
}

fn clone(
    dest: &Path,
    url: &str,
    creds: impl FnMut(Action) -> gix::Result<Option<CredentialOutcome>> + Clone + 'static,
    cancel: &AtomicBool,
) -> Result<Synced, Error> {
    let io = |what: &Path, e: std::io::Error| {
        Error::new(ErrorKind::Io, url, format!("{}: {e}", what.display()))
    };
    let partial = dest.with_extension("git.partial");
    if partial.exists() {
        // Left by a run that was killed while cloning.
        std::fs::remove_dir_all(&partial).map_err(|e| io(&partial, e))?;
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    }
    let mut prepare = gix::clone::PrepareFetch::new(
        url,
        &partial,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    )
    .map_err(|e| classify(&e, url))?
    .with_in_memory_config_overrides(overrides())
    .with_fetch_options(ref_map_options())
    .configure_remote(|remote| {
        Ok(remote
            .with_refspecs([REFSPEC], Direction::Fetch)?
            .with_fetch_tags(Tags::None))
    })
    .configure_connection(move |connection| {
        connection.set_credentials(creds.clone());
        Ok(())
    });
    let (repo, outcome) = prepare
        .fetch_only(gix::progress::Discard, cancel)
        .map_err(|e| classify(&e, url))?;
    // Nothing may hold the directory open while it is renamed.
    drop(repo);
    drop(prepare);
    std::fs::rename(&partial, dest).map_err(|e| io(dest, e))?;
    Ok(Synced::Cloned {
        objects: received(&outcome.status).0,
    })
}

fn fetch(
    dest: &Path,
    url: &str,
    creds: impl FnMut(Action) -> gix::Result<Option<CredentialOutcome>> + 'static,
    cancel: &AtomicBool,
) -> Result<Synced, Error> {
    let corrupt = |e: gix::Error| {
        Error::new(
            ErrorKind::Corrupt,
            url,
            format!(
                "the mirror {} cannot be opened: {}",
                dest.display(),
                chain(&e)
            ),
        )
    };
    let repo = gix::open_opts(
        dest,
        gix::open::Options::isolated().config_overrides(overrides()),
    )
    .map_err(corrupt)?;
    // The URL given now, not the one stored at clone time: a renamed or moved repository
    // is fetched from where it is.
    let remote = repo
        .remote_at(url)
        .and_then(|r| r.with_refspecs([REFSPEC], Direction::Fetch))
        .map_err(|e| classify(&e, url))?
        .with_fetch_tags(Tags::None);
    let mut connection = remote
        .connect(Direction::Fetch)
        .map_err(|e| classify(&e, url))?;
    connection.set_credentials(creds);
    let outcome = match connection
        .prepare_fetch(gix::progress::Discard, ref_map_options())
        .and_then(|p| p.receive(gix::progress::Discard, cancel))
    {
        Ok(outcome) => outcome,
        // An empty repository upstream: nothing to fetch, nothing wrong.
        Err(e) if e.is_validation() && chain(&e).contains("matched any of") => {
            return Ok(Synced::Unchanged)
        }
        Err(e) => return Err(classify(&e, url)),
    };
    let (objects, refs) = received(&outcome.status);
    Ok(if objects == 0 && refs == 0 {
        Synced::Unchanged
    } else {
        Synced::Updated { objects, refs }
    })
}

/// Objects received and refs changed.
fn received(status: &gix::remote::fetch::Status) -> (u64, u64) {
    use gix::remote::fetch::Status;
    let changed = |u: &gix::remote::fetch::refs::update::Outcome| {
        u.updates
            .iter()
            .filter(|u| u.mode != Mode::NoChangeNeeded)
            .count() as u64
    };
    match status {
        Status::Change {
            write_pack_bundle,
            update_refs,
            ..
        } => (
            u64::from(write_pack_bundle.index.num_objects),
            changed(update_refs),
        ),
        Status::NoPackReceived { update_refs, .. } => (0, changed(update_refs)),
    }
}

/// gix leaves the directories of ref lock files behind (thousands under `refs/pull/` on a
/// large GitHub repository) while the refs themselves go to `packed-refs`. Empty ones
/// below `refs/heads`, `refs/tags` and the like are removed; those stay.
fn remove_empty_ref_dirs(dir: &Path, depth: usize) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut empty = true;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !(is_dir && remove_empty_ref_dirs(&path, depth + 1)) {
            empty = false;
        }
    }
    empty && depth >= 2 && std::fs::remove_dir(dir).is_ok()
}

/// Every message of a gix error, outermost first.
fn chain(e: &gix::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for err in e.iter_errors() {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// What a failed clone or fetch means, from gix's classification and what the transport
/// said underneath (see the mapping measured for gix 0.90 in DESIGN.md).
fn classify(e: &gix::Error, url: &str) -> Error {
    let detail = chain(e);
    let lower = detail.to_ascii_lowercase();
    let status = e
        .iter_errors()
        .find_map(|err| {
            err.downcast_ref::<reqwest::Error>()
                .and_then(reqwest::Error::status)
        })
        .map(|s| s.as_u16());
    let unreachable = [
        "connection refused",
        "connection reset",
        "dns error",
        "failed to lookup address",
        "could not resolve",
        "timed out",
        "network is unreachable",
        "no route to host",
        "invalid peer certificate",
        "connect to host",
    ];
    let kind = if e.is_cancelled() {
        ErrorKind::Interrupted
    } else if e.is_unauthenticated() || status == Some(401) {
        ErrorKind::AuthFailed
    } else if status == Some(404)
        || lower.contains("http status 404")
        || lower.contains("repository not exported")
        || lower.contains("repository not found")
        || lower.contains("does not appear to be a git repository")
    {
        ErrorKind::NotFound
    } else if status == Some(403) || lower.contains("http status 403") || e.is_permission_denied() {
        ErrorKind::Forbidden
    } else if unreachable.iter().any(|u| lower.contains(u))
        || status.is_some_and(|s| s >= 500)
        || lower.contains("http status 5")
    {
        ErrorKind::Unreachable
    } else if e.is_not_found() {
        ErrorKind::NotFound
    } else if e.is_corrupted() {
        ErrorKind::Corrupt
    } else {
        ErrorKind::Unreachable
    };
    Error::new(kind, url, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_have_readable_distinct_paths() {
        let root = Path::new("/c");
        assert_eq!(
            mirror_dir(root, "https://github.com/o/r.git"),
            Path::new("/c/github.com/o/r.git")
        );
        assert_eq!(
            mirror_dir(root, "https://github.com/o/r"),
            Path::new("/c/github.com/o/r.git")
        );
        assert_eq!(
            mirror_dir(root, "git@github.com:o/r.git"),
            Path::new("/c/github.com/o/r.git")
        );
        assert_eq!(
            mirror_dir(root, "git://127.0.0.1:9418/o/r.git"),
            Path::new("/c/127.0.0.1_9418/o/r.git")
        );
        assert_eq!(
            mirror_dir(root, "file:///srv/git/r.git"),
            Path::new("/c/file/srv/git/r.git")
        );
        // Nothing climbs out of the cache, and changed characters get a hash.
        let odd = mirror_dir(root, "https://h.example/../a b/.hidden.git");
        assert!(odd.starts_with("/c/h.example/"), "{odd:?}");
        assert!(!odd.to_string_lossy().contains("/../"), "{odd:?}");
        assert_ne!(
            odd,
            mirror_dir(root, "https://h.example/../a_b/.hidden.git")
        );
    }

    #[test]
    fn credentials_go_only_where_the_policy_allows() {
        let token = Token::new("t0k3n");
        let mut creds = credentials(token, TokenPolicy::for_api("https://api.github.com"));
        let ask = |url: &str| {
            let mut ctx = gix::credentials::protocol::Context::from_url(url, Default::default());
            ctx.destructure_url_in_place(false).expect("a valid URL");
            Action::Get(ctx)
        };
        let given = creds(ask("https://github.com/o/r.git")).expect("no error");
        let url_only = Action::get_for_url("https://github.com/o/r.git");
        assert!(creds(url_only).expect("no error").is_some());
        assert_eq!(
            given.map(|o| o.identity.password),
            Some("t0k3n".to_string())
        );
        assert!(creds(ask("https://gitlab.com/o/r.git"))
            .expect("no error")
            .is_none());
        assert!(creds(ask("http://github.com/o/r.git"))
            .expect("no error")
            .is_none());
        let mut none = credentials(None, TokenPolicy::for_api("https://api.github.com"));
        assert!(none(ask("https://github.com/o/r.git"))
            .expect("no error")
            .is_none());
    }
}
