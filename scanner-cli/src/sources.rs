//! Remote sources before the scan: enumerate them (`scanner-remote`), mirror the
//! repositories of this shard into the cache, and hand the mirrors to the scan as
//! repositories named by URL or `owner/name`. With `--include-issues`, the issue and
//! pull-request text of each GitHub repository is scanned here, each hit located by its
//! URL. Failures become input errors with their reason; the rest goes on.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use scanner_core::Scanner;
use scanner_remote::{Event, FetchOutcome, RepoKind, ResolvedRepo, Resolver, Source};

use crate::args::Input;
use crate::progress::Progress;
use crate::scan::{Hit, InputError, Origin};

/// Remote sources and how to mirror them, decided once from the arguments.
#[derive(Debug)]
pub struct RemoteConfig {
    pub sources: Vec<Source>,
    pub resolver: Resolver,
    pub issues: Issues,
}

/// Whether issue and pull-request text is scanned (`--include-issues`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issues {
    Scan,
    Skip,
}

/// What the remote step hands to the scan.
#[derive(Debug, Default)]
pub struct Resolved {
    /// One `Input::Mirror` per repository with a mirror to scan.
    pub inputs: Vec<Input>,
    /// Hits in issue and pull-request text.
    pub hits: Vec<Hit>,
    pub errors: Vec<InputError>,
    pub summary: Summary,
}

/// What mirroring did, for the report's `stats.remote` and the summary line. "Unchanged"
/// means nothing new was fetched; the state of earlier scans is another matter.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// In this shard.
    pub repositories: usize,
    pub cloned: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Wikis listed but never written.
    pub absent: usize,
    pub objects_fetched: u64,
    pub other_shards: usize,
    pub web_texts: usize,
    pub mirror_time: Duration,
    pub repos: Vec<RepoFetch>,
}

/// One repository's line in `stats.remote.repositories`.
#[derive(Debug, Clone)]
pub struct RepoFetch {
    pub name: String,
    pub url: String,
    pub kind: &'static str,
    /// `cloned`, `updated`, `unchanged`, `absent`, `failed`.
    pub fetch: &'static str,
    pub objects: u64,
    /// Whether a mirror was scanned (after a failed fetch: the last good one).
    pub scanned: bool,
    pub reason: Option<String>,
}

/// Resolves, mirrors and (with `--include-issues`) scans web text.
/// Stopped when `cancel` is: enumerations and fetches under way fail as
/// interrupted, the mirrors made before are scanned.
pub fn resolve(
    remote: &RemoteConfig,
    scanner: &Scanner,
    progress: &Progress,
    cancel: &scanner_git::CancelToken,
) -> Resolved {
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if cancel.is_cancelled() {
                    remote.resolver.cancel();
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let resolved = resolve_all(remote, scanner, progress);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        resolved
    })
}

fn resolve_all(remote: &RemoteConfig, scanner: &Scanner, progress: &Progress) -> Resolved {
    let started = Instant::now();
    let events = |e: Event| on_event(progress, e);
    let found = remote.resolver.enumerate(&remote.sources, &events);
    let mut out = Resolved::default();
    for e in &found.errors {
        out.errors.push(error(e));
    }
    let mirrored = remote.resolver.mirror_all(&found.repos, &events);
    progress.set_stage(String::new());
    let s = &mut out.summary;
    s.repositories = mirrored.len();
    s.other_shards = found.other_shards;
    for r in &mirrored {
        let (fetch, objects) = match &r.fetched {
            FetchOutcome::Cloned { objects } => {
                s.cloned += 1;
                ("cloned", *objects)
            }
            FetchOutcome::Updated { objects, .. } => {
                s.updated += 1;
                ("updated", *objects)
            }
            FetchOutcome::Absent => {
                s.absent += 1;
                ("absent", 0)
            }
            FetchOutcome::Failed(e) => {
                s.failed += 1;
                out.errors.push(error(e));
                ("failed", 0)
            }
            // Unchanged, and whatever a newer scanner-remote adds.
            _ => {
                s.unchanged += 1;
                ("unchanged", 0)
            }
        };
        s.objects_fetched += objects;
        s.repos.push(RepoFetch {
            name: r.name.clone(),
            url: r.url.clone(),
            kind: kind(r),
            fetch,
            objects,
            scanned: r.mirror.is_some(),
            reason: match &r.fetched {
                FetchOutcome::Failed(e) => Some(e.reason()),
                _ => None,
            },
        });
        if let Some(path) = &r.mirror {
            out.inputs.push(Input::Mirror {
                path: path.clone(),
                name: r.name.clone(),
            });
        }
    }
    s.mirror_time = started.elapsed();
    if remote.issues == Issues::Scan {
        for repo in found.repos.iter().filter(|r| r.github.is_some()) {
            progress.set_stage(format!("reading issues of {}", repo.name));
            match remote.resolver.texts(repo, &events) {
                Ok(texts) => {
                    out.summary.web_texts += texts.len();
                    for t in texts {
                        out.hits
                            .extend(scanner.scan(t.body.as_bytes()).into_iter().map(|finding| {
                                Hit::new(
                                    Origin::Web {
                                        url: t.url.clone(),
                                        kind: t.kind,
                                    },
                                    finding,
                                )
                            }));
                    }
                }
                Err(e) => out.errors.push(error(&e)),
            }
        }
        progress.set_stage(String::new());
    }
    out
}

fn kind(r: &ResolvedRepo) -> &'static str {
    match r.kind {
        RepoKind::Wiki => "wiki",
        RepoKind::Gist => "gist",
        _ => "repository",
    }
}

fn error(e: &scanner_remote::Error) -> InputError {
    InputError {
        path: e.what().to_string(),
        reason: e.reason(),
    }
}

/// Progress on a terminal; waits and retries always said on stderr (a run that pauses for
/// a rate limit must say why).
#[allow(clippy::print_stderr)]
fn on_event(progress: &Progress, e: Event) {
    match e {
        Event::Enumerating { source } => progress.set_stage(format!("listing {source}")),
        Event::Mirroring {
            name,
            clone,
            index,
            total,
        } => progress.set_stage(format!(
            "{} {name} ({index} of {total})",
            if clone { "cloning" } else { "fetching" }
        )),
        Event::RateLimited { wait, until } => eprintln!(
            "leakscan: GitHub rate limit reached; waiting {} s until {} UTC",
            wait.as_secs(),
            clock(until)
        ),
        Event::Retrying { what, reason, wait } => eprintln!(
            "leakscan: {what}: {reason}; trying again in {} s",
            wait.as_secs_f64().ceil()
        ),
        _ => {}
    }
}

/// `HH:MM:SS` of a time, in UTC.
fn clock(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The summary line of a run with remote sources, on stderr in every format.
pub fn summary_line(s: &Summary) -> String {
    let mut line = format!(
        "leakscan: {} remote repositor{}: {} cloned, {} updated, {} unchanged, {} failed; {} objects fetched in {:.1} s",
        s.repositories,
        if s.repositories == 1 { "y" } else { "ies" },
        s.cloned,
        s.updated,
        s.unchanged,
        s.failed,
        s.objects_fetched,
        s.mirror_time.as_secs_f64()
    );
    if s.absent > 0 {
        line += &format!("; {} wikis never written", s.absent);
    }
    if s.web_texts > 0 {
        line += &format!("; {} issue and pull-request texts scanned", s.web_texts);
    }
    if s.other_shards > 0 {
        line += &format!("; {} left to other shards", s.other_shards);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::clock;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn clock_times_are_utc() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + 42);
        assert_eq!(clock(t), "22:14:02");
    }
}
