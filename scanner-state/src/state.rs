//! The state of one cache directory, and one run of leakscan with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use scanner_core::{Finding, Fingerprint};
use scanner_git::{
    Change, HashKind, HistoryFinding, HistoryScanner, HistoryStats, ObjectId, Origin, Problem,
    RepoRecord, RepoScan,
};

use crate::error::{At, Error, ErrorKind, Result};
use crate::known::Known;
use crate::schema;

/// When a place where a credential was found was first and last seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Start of the first run that found it there (Unix seconds).
    pub first: i64,
    /// Start of the last run that found it there (Unix seconds): this run's, unless the
    /// repository could not be read this time and what it had is reported from the state.
    pub last: i64,
    /// Whether this run found it there for the first time.
    pub new: bool,
}

/// A place a credential was found outside history (a file, standard input), to be recorded
/// with [`State::sight`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// What names the place, stable from run to run: its path, line and column, say.
    pub key: String,
    /// The credential found there.
    pub fingerprint: Fingerprint,
}

/// One repository after a run: what a scan of every object would have found, and when each
/// finding was first and last seen.
#[derive(Debug)]
#[non_exhaustive]
pub struct RepoOutcome {
    /// How it compared with the state: [`Change::Unchanged`] when nothing was read.
    pub change: Change,
    /// Its findings, with provenance, as a scan of every object gives them.
    pub findings: Vec<HistoryFinding>,
    /// When each finding (same order) was first and last seen there.
    pub seen: Vec<Seen>,
    /// What could not be read.
    pub problems: Vec<Problem>,
    /// Counts: `blobs_scanned` and `bytes_scanned` are this run's (0 when unchanged); the
    /// others describe the repository.
    pub stats: HistoryStats,
    /// Its work tree, if it has one.
    pub work_tree: Option<PathBuf>,
    /// The hash function of its objects.
    pub object_hash: HashKind,
    /// Whether the scan was cancelled: then nothing of it was recorded.
    pub cancelled: bool,
}

/// What a run's repositories cost, for summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunCounts {
    /// Repositories read (new, grown, rewritten).
    pub read: u64,
    /// Repositories unchanged since the last run (nothing read).
    pub unchanged: u64,
    /// Objects the state knew, looked up before scans.
    pub known_loaded: u64,
}

/// A leakscan state: what earlier runs scanned and found, in an SQLite file, and the run
/// using it now.
///
/// Every repository is recorded in one transaction when its scan ends: a run killed at any
/// point leaves the state as the last repository finished left it, and the next run goes on
/// from there. The file holds the findings, **secrets in clear text** (reports of later
/// runs show them with `--show-secrets`, and verification needs them): it is created
/// readable by its owner only.
#[derive(Debug)]
pub struct State {
    conn: Connection,
    path: PathBuf,
    run: i64,
    started: i64,
    full: bool,
    settings_changed: bool,
    counts: RunCounts,
}

impl State {
    /// Opens (or creates) the state at `path` and starts a run. `settings` names everything
    /// findings depend on (the leakscan version, the scanner's configuration, the size
    /// limit): when it differs from the last run's, what was scanned is forgotten, and
    /// everything is scanned again (first-seen times are kept). `full` (`--full`): nothing
    /// is skipped, everything is recorded.
    ///
    /// # Errors
    ///
    /// When the file cannot be created or opened, is not a leakscan state, or has a schema
    /// this version cannot read ([`ErrorKind`]).
    pub fn open(path: &Path, settings: &str, full: bool) -> Result<State> {
        let conn = schema::open(path)?;
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let tx = conn.unchecked_transaction().at(path)?;
        let before: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = 'settings'", [], |r| {
                r.get(0)
            })
            .optional()
            .at(path)?;
        let settings_changed = before.as_deref().is_some_and(|b| b != settings);
        if before.as_deref() != Some(settings) {
            tx.execute_batch("DELETE FROM object; DELETE FROM repository;")
                .at(path)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('settings', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [settings],
            )
            .at(path)?;
        }
        tx.execute(
            "INSERT INTO run (started, full, version) VALUES (?1, ?2, ?3)",
            params![started, full, env!("CARGO_PKG_VERSION")],
        )
        .at(path)?;
        let run = tx.last_insert_rowid();
        tx.commit().at(path)?;
        Ok(State {
            conn,
            path: path.to_path_buf(),
            run,
            started,
            full,
            settings_changed,
            counts: RunCounts::default(),
        })
    }

    /// When this run started (Unix seconds): the time its sightings get.
    pub fn started(&self) -> i64 {
        self.started
    }

    /// Whether the settings differ from the last run's, so that everything is scanned again.
    pub fn settings_changed(&self) -> bool {
        self.settings_changed
    }

    /// What this run's repositories cost so far.
    pub fn counts(&self) -> RunCounts {
        self.counts
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Scans the repository at `path`, known to the state as `key`, reading only what the
    /// state has not seen, and records the result in one transaction. An unchanged
    /// repository is not read at all: its findings come from the state (with `--full`
    /// everything is read again).
    ///
    /// # Errors
    ///
    /// The outer error: the state failed (the run cannot go on recording). The inner one:
    /// the repository cannot be opened ([`State::stored`] has what it had).
    pub fn scan_repository(
        &mut self,
        history: &HistoryScanner,
        key: &str,
        path: &Path,
    ) -> Result<std::result::Result<RepoOutcome, scanner_git::Error>> {
        let row = if self.full { None } else { self.row(key)? };
        // A record that does not decode is no record: the repository is read whole.
        let previous = row
            .as_ref()
            .and_then(|r| RepoRecord::from_bytes(&r.record).ok());
        let plan = match history.plan(path, previous) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        if plan.change() == Change::Unchanged {
            if let Some(stored) = row.as_ref().and_then(StoredRepo::decode) {
                let work_tree = plan.work_tree().map(Path::to_path_buf);
                let object_hash = plan.object_hash();
                drop(plan);
                let mut stats = stored.stats;
                stats.blobs_scanned = 0;
                stats.bytes_scanned = 0;
                stats.blobs_already_seen = 0;
                stats.blobs_too_large = 0;
                stats.packs_unchanged = stats.packs;
                let tx = self
                    .conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .at(&self.path)?;
                let seen = sight_all(
                    &tx,
                    &self.path,
                    self.run,
                    self.started,
                    &keys(key, &stored.findings),
                )?;
                tx.execute(
                    "UPDATE repository SET seen_run = ?1 WHERE key = ?2",
                    params![self.run, key],
                )
                .at(&self.path)?;
                tx.commit().at(&self.path)?;
                self.counts.unchanged += 1;
                return Ok(Ok(RepoOutcome {
                    change: Change::Unchanged,
                    findings: stored.findings,
                    seen,
                    problems: stored.problems,
                    stats,
                    work_tree,
                    object_hash,
                    cancelled: false,
                }));
            }
        }
        let mut known = Known::default();
        {
            let mut query = self
                .conn
                .prepare_cached(if self.full {
                    "SELECT findings FROM object WHERE id = ?1 AND run = ?2"
                } else {
                    "SELECT findings FROM object WHERE id = ?1 AND ?2 IS NOT NULL"
                })
                .at(&self.path)?;
            let mut failed = None;
            plan.for_each_lookup(|id| {
                if failed.is_some() {
                    return;
                }
                match query
                    .query_row(params![id.as_bytes(), self.run], |r| {
                        r.get::<_, Option<String>>(0)
                    })
                    .optional()
                {
                    Ok(Some(findings)) => {
                        // Findings that do not parse are unknown: the object is scanned again.
                        match findings.map(|f| serde_json::from_str::<Vec<Finding>>(&f)) {
                            None => known.insert(*id, None),
                            Some(Ok(f)) => known.insert(*id, Some(f)),
                            Some(Err(_)) => {}
                        }
                    }
                    Ok(None) => {}
                    Err(e) => failed = Some(e),
                }
            });
            if let Some(e) = failed {
                return Err(Error::database(&self.path, e));
            }
        }
        known.seal();
        self.counts.known_loaded += known.len() as u64;
        let scan = history.scan_planned(plan, &known);
        drop(known);
        if scan.cancelled {
            return Ok(Ok(RepoOutcome {
                change: scan.change.unwrap_or(Change::New),
                seen: Vec::new(),
                findings: scan.findings,
                problems: scan.problems,
                stats: scan.stats,
                work_tree: scan.work_tree,
                object_hash: scan.object_hash,
                cancelled: true,
            }));
        }
        let seen = self.record(key, &scan)?;
        self.counts.read += 1;
        Ok(Ok(RepoOutcome {
            change: scan.change.unwrap_or(Change::New),
            findings: scan.findings,
            seen,
            problems: scan.problems,
            stats: scan.stats,
            work_tree: scan.work_tree,
            object_hash: scan.object_hash,
            cancelled: false,
        }))
    }

    /// What the state has of repository `key` from its last scan, with when each finding was
    /// first and last seen (nothing is recorded): for a repository that cannot be read this
    /// time.
    ///
    /// # Errors
    ///
    /// When the state cannot be read.
    pub fn stored(&self, key: &str) -> Result<Option<RepoOutcome>> {
        let Some(stored) = self.row(key)?.as_ref().and_then(StoredRepo::decode) else {
            return Ok(None);
        };
        let mut query = self
            .conn
            .prepare_cached("SELECT first_run, first_seen, last_seen FROM sighting WHERE key = ?1")
            .at(&self.path)?;
        let mut seen = Vec::new();
        for (k, _) in keys(key, &stored.findings) {
            let s = query
                .query_row([&k], |r| {
                    Ok(Seen {
                        new: r.get::<_, i64>(0)? == self.run,
                        first: r.get(1)?,
                        last: r.get(2)?,
                    })
                })
                .optional()
                .at(&self.path)?;
            seen.push(s.unwrap_or(Seen {
                first: self.started,
                last: self.started,
                new: false,
            }));
        }
        let object_hash = stored
            .findings
            .first()
            .map_or(HashKind::Sha1, |f| f.origin.object_id().kind());
        Ok(Some(RepoOutcome {
            change: Change::Unchanged,
            findings: stored.findings,
            seen,
            problems: stored.problems,
            stats: stored.stats,
            work_tree: None,
            object_hash,
            cancelled: false,
        }))
    }

    /// Whether a blob with this id was scanned before (in this run, with `--full`): for
    /// work-tree files whose contents history already had.
    ///
    /// # Errors
    ///
    /// When the state cannot be read.
    pub fn knows_blob(&self, id: &ObjectId) -> Result<bool> {
        let mut q = self
            .conn
            .prepare_cached(if self.full {
                "SELECT 1 FROM object WHERE id = ?1 AND run = ?2"
            } else {
                "SELECT 1 FROM object WHERE id = ?1 AND ?2 IS NOT NULL"
            })
            .at(&self.path)?;
        q.exists(params![id.as_bytes(), self.run]).at(&self.path)
    }

    /// Records that this run found credentials at `places` (files, standard input), in one
    /// transaction; returns when each was first and last seen.
    ///
    /// # Errors
    ///
    /// When the state cannot be written.
    pub fn sight(&mut self, places: &[Place]) -> Result<Vec<Seen>> {
        let keyed: Vec<(String, String)> = places
            .iter()
            .map(|p| {
                let fingerprint = p.fingerprint.to_hex();
                (format!("file\n{}\n{fingerprint}", p.key), fingerprint)
            })
            .collect();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&self.path)?;
        let seen = sight_all(&tx, &self.path, self.run, self.started, &keyed)?;
        tx.commit().at(&self.path)?;
        Ok(seen)
    }

    /// Ends the run: marks it finished.
    ///
    /// # Errors
    ///
    /// When the state cannot be written.
    pub fn finish(self) -> Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.conn
            .execute(
                "UPDATE run SET finished = ?1 WHERE id = ?2",
                params![now, self.run],
            )
            .at(&self.path)?;
        Ok(())
    }

    fn row(&self, key: &str) -> Result<Option<RepoRow>> {
        self.conn
            .query_row(
                "SELECT record, findings, problems, stats FROM repository WHERE key = ?1",
                [key],
                |r| {
                    Ok(RepoRow {
                        record: r.get(0)?,
                        findings: r.get(1)?,
                        problems: r.get(2)?,
                        stats: r.get(3)?,
                    })
                },
            )
            .optional()
            .at(&self.path)
    }

    /// One transaction: the objects scanned, the repository's record and findings, and
    /// when each finding was seen.
    fn record(&mut self, key: &str, scan: &RepoScan) -> Result<Vec<Seen>> {
        let path = self.path.clone();
        let record = scan.record.as_ref().map(RepoRecord::to_bytes);
        let json = |v: &dyn erased::Json| v.to_json(&path);
        let findings = json(&scan.findings)?;
        let problems = json(&scan.problems)?;
        let stats = json(&scan.stats)?;
        // Findings by object, and whether this scan read the object (a blob scanned now, or
        // a message: every message read is scanned) or only met it (a blob known before).
        let mut by_object: BTreeMap<ObjectId, (Vec<&Finding>, bool)> = BTreeMap::new();
        for f in &scan.findings {
            let id = f.origin.object_id();
            let read_now = !matches!(f.origin, Origin::Blob { .. })
                || scan.scanned_blobs.binary_search(&id).is_ok();
            let entry = by_object.entry(id).or_insert((Vec::new(), read_now));
            entry.0.push(&f.finding);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        {
            let mut clean = tx
                .prepare_cached(
                    "INSERT INTO object (id, findings, run) VALUES (?1, NULL, ?2)
                     ON CONFLICT (id) DO UPDATE SET run = excluded.run",
                )
                .at(&path)?;
            for id in &scan.scanned_blobs {
                clean.execute(params![id.as_bytes(), self.run]).at(&path)?;
            }
            let mut found = tx
                .prepare_cached(
                    "INSERT INTO object (id, findings, run) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET findings = excluded.findings,
                         run = max(run, excluded.run)",
                )
                .at(&path)?;
            for (id, (list, read_now)) in &by_object {
                let text = serde_json::to_string(list).map_err(|e| {
                    Error::new(ErrorKind::Database, &path, "cannot encode findings").with_source(e)
                })?;
                // Objects only met keep the run that scanned them (what --full looks at).
                let run = if *read_now { self.run } else { 0 };
                found.execute(params![id.as_bytes(), text, run]).at(&path)?;
            }
        }
        if let Some(record) = record {
            tx.execute(
                "INSERT INTO repository (key, record, findings, problems, stats, scanned_run, seen_run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT (key) DO UPDATE SET record = excluded.record,
                     findings = excluded.findings, problems = excluded.problems,
                     stats = excluded.stats, scanned_run = excluded.scanned_run,
                     seen_run = excluded.seen_run",
                params![key, record, findings, problems, stats, self.run],
            )
            .at(&path)?;
        }
        let seen = sight_all(
            &tx,
            &path,
            self.run,
            self.started,
            &keys(key, &scan.findings),
        )?;
        tx.commit().at(&path)?;
        Ok(seen)
    }
}

/// A repository's row, undecoded.
struct RepoRow {
    record: Vec<u8>,
    findings: String,
    problems: String,
    stats: String,
}

/// A repository's row, decoded.
struct StoredRepo {
    findings: Vec<HistoryFinding>,
    problems: Vec<Problem>,
    stats: HistoryStats,
}

impl StoredRepo {
    /// `None` when any part does not decode: then the repository is read again, never
    /// reported from data misread.
    fn decode(row: &RepoRow) -> Option<StoredRepo> {
        Some(StoredRepo {
            findings: serde_json::from_str(&row.findings).ok()?,
            problems: serde_json::from_str(&row.problems).ok()?,
            stats: serde_json::from_str(&row.stats).ok()?,
        })
    }
}

/// The sighting key and fingerprint of each history finding of repository `repo`: where it
/// is (the object and the position in it), not which commits hold it, so that a finding
/// keeps its first-seen time as history grows.
fn keys(repo: &str, findings: &[HistoryFinding]) -> Vec<(String, String)> {
    findings
        .iter()
        .map(|f| {
            let kind = match &f.origin {
                Origin::Blob { .. } => "blob",
                Origin::CommitMessage { .. } => "commit",
                Origin::TagMessage { .. } => "tag",
                _ => "object",
            };
            let fingerprint = f.finding.fingerprint.to_hex();
            (
                format!(
                    "repo\n{repo}\n{kind}\n{}\n{}:{}\n{fingerprint}",
                    f.origin.object_id(),
                    f.finding.location.line,
                    f.finding.location.column
                ),
                fingerprint,
            )
        })
        .collect()
}

/// Records places seen in this run: new ones get this run as their first, every one this
/// run as its last.
fn sight_all(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
    run: i64,
    now: i64,
    places: &[(String, String)],
) -> Result<Vec<Seen>> {
    let mut upsert = tx
        .prepare_cached(
            "INSERT INTO sighting (key, fingerprint, first_run, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (key) DO UPDATE SET last_seen = excluded.last_seen
             RETURNING first_run, first_seen, last_seen",
        )
        .at(path)?;
    places
        .iter()
        .map(|(key, fingerprint)| {
            upsert
                .query_row(params![key, fingerprint, run, now], |r| {
                    Ok(Seen {
                        new: r.get::<_, i64>(0)? == run,
                        first: r.get(1)?,
                        last: r.get(2)?,
                    })
                })
                .at(path)
        })
        .collect()
}

/// Values stored as JSON.
mod erased {
    use std::path::Path;

    use crate::error::{Error, ErrorKind, Result};

    pub(super) trait Json {
        fn to_json(&self, path: &Path) -> Result<String>;
    }

    impl<T: serde::Serialize + ?Sized> Json for T {
        fn to_json(&self, path: &Path) -> Result<String> {
            serde_json::to_string(self).map_err(|e| {
                Error::new(ErrorKind::Database, path, "cannot encode a value").with_source(e)
            })
        }
    }
}
