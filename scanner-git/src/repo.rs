//! Opening a repository read-only, and what its configuration and refs say.

use std::path::Path;

use gix::ObjectId;

use crate::error::{Error, ErrorKind};
use crate::{Problem, ProblemKind};

/// Opens `path` as a repository without letting the environment or global configuration
/// in, and without writing anything.
pub(crate) fn open(path: &Path) -> gix::Result<gix::ThreadSafeRepository> {
    let opts = gix::open::Options::isolated()
        .open_path_as_is(false)
        .strict_config(false)
        .lossy_config(true)
        // In memory only: caches for the few single-object reads of the provenance stage.
        .config_overrides([
            "gitoxide.objects.cacheLimit=16m",
            "core.deltaBaseCacheLimit=64m",
        ]);
    gix::ThreadSafeRepository::open_opts(path, opts)
}

/// [`open`] for one thread, with a typed error.
pub(crate) fn open_local(path: &Path) -> Result<gix::Repository, Error> {
    open(path)
        .map(|ts| ts.to_thread_local())
        .map_err(|e| open_error(path, e))
}

/// A repository that cannot be opened: of a format this build cannot read (SHA-256
/// objects without the `sha256` feature, say), or not one at all.
pub(crate) fn open_error(path: &Path, e: gix::Error) -> Error {
    if e.is_unsupported() {
        // The innermost cause names what is unsupported (the object format, say).
        let mut why = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            why = c.to_string();
            cause = c.source();
        }
        Error::new(
            ErrorKind::Unsupported,
            path,
            Some(format!(
                "a repository format this build cannot read ({why})"
            )),
            e,
        )
    } else {
        Error::new(ErrorKind::Open, path, None, e)
    }
}

/// Whether objects may be missing because the repository is a partial clone.
pub(crate) fn is_partial(repo: &gix::Repository) -> bool {
    let cfg = repo.config_snapshot();
    cfg.string("extensions.partialClone").is_some()
        || cfg
            .sections_by_name("remote")
            .into_iter()
            .flatten()
            .any(|s| s.value("promisor").is_some_and(|v| v.as_slice() == b"true"))
}

/// Every ref of a repository peeled to the object it names, and HEAD's commit.
#[derive(Debug, Default)]
pub(crate) struct Refs {
    /// (name, object), sorted; `HEAD` included when it names a commit.
    pub(crate) all: Vec<(String, ObjectId)>,
    pub(crate) head: Option<ObjectId>,
}

impl Refs {
    /// Branches, tags, remotes, stash, notes and HEAD. Refs that cannot be read or peeled
    /// are problems; the rest are still used.
    ///
    /// Peeling looks the target up in the object database, which costs a delta chain's
    /// decoding per ref (a second for the 52,000 refs of rails/rails): a ref whose target
    /// `is_commit` says is a commit, or whose packed-refs line carries its peeled object,
    /// is not looked up.
    pub(crate) fn of(
        repo: &gix::Repository,
        is_commit: impl Fn(&gix::oid) -> bool,
        problems: &mut Vec<Problem>,
    ) -> Refs {
        let unreadable =
            |what: String, reason: String| Problem::new(ProblemKind::UnreadableRef, what, reason);
        let mut all = Vec::new();
        match repo.references() {
            Ok(platform) => match platform.all() {
                Ok(iter) => {
                    for r in iter {
                        match r {
                            Ok(mut r) => {
                                let name = r.name().as_bstr().to_string();
                                let known = r.inner.peeled.or_else(|| {
                                    r.target()
                                        .try_id()
                                        .filter(|id| is_commit(id))
                                        .map(ToOwned::to_owned)
                                });
                                if let Some(id) = known {
                                    all.push((name, id));
                                    continue;
                                }
                                match r.peel_to_id() {
                                    Ok(id) => all.push((name, id.detach())),
                                    Err(e) => problems
                                        .push(unreadable(name, format!("cannot resolve ref: {e}"))),
                                }
                            }
                            Err(e) => problems
                                .push(unreadable("refs".into(), format!("cannot read ref: {e}"))),
                        }
                    }
                }
                Err(e) => problems.push(unreadable("refs".into(), e.to_string())),
            },
            Err(e) => problems.push(unreadable("refs".into(), e.to_string())),
        }
        let head = repo.head_id().ok().map(gix::Id::detach);
        if let Some(h) = head {
            all.push(("HEAD".to_string(), h));
        }
        all.sort();
        Refs { all, head }
    }
}

/// Tips of the remote-tracking refs (`refs/remotes/*`): what a remote already has.
pub(crate) fn remote_tips(repo: &gix::Repository) -> Vec<ObjectId> {
    let Ok(refs) = repo.references() else {
        return Vec::new();
    };
    let Ok(iter) = refs.prefixed("refs/remotes/") else {
        return Vec::new();
    };
    iter.filter_map(Result::ok)
        .filter_map(|mut r| r.peel_to_id().ok().map(gix::Id::detach))
        .collect()
}
