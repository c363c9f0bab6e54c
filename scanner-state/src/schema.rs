//! The database file: created private (0600), opened in WAL mode, its schema created or
//! checked — a version in the `meta` table; an older one migrated step by step in one
//! transaction, a newer or unknown one refused, never read as if it were this one.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use crate::error::{At, Error, ErrorKind, Result};

/// The schema this build reads and writes.
pub(crate) const VERSION: u32 = 1;

/// What `meta.application` holds in every leakscan state.
const APPLICATION: &str = "leakscan";

/// Version 1. Every table holds only what a later run can rebuild by scanning again, except
/// `run` and `sighting` (when each finding was first and last seen).
const CREATE: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
-- One row per run of leakscan with this state.
CREATE TABLE run (
    id       INTEGER PRIMARY KEY,
    started  INTEGER NOT NULL,      -- Unix seconds
    finished INTEGER,               -- NULL: still running, killed or failed
    full     INTEGER NOT NULL,      -- 1 for --full
    version  TEXT NOT NULL          -- the leakscan version
);
-- Objects scanned: blobs (findings NULL when none) and commit or tag objects whose message
-- had findings. `findings` is a JSON array of findings, secrets in clear text.
CREATE TABLE object (
    id       BLOB PRIMARY KEY,      -- the object id's bytes (20 for SHA-1, 32 for SHA-256)
    findings TEXT,
    run      INTEGER NOT NULL       -- the last run that scanned it
) WITHOUT ROWID;
-- The last scan of each repository.
CREATE TABLE repository (
    key         TEXT PRIMARY KEY,   -- how the caller names it (a canonical path, a URL)
    record      BLOB NOT NULL,      -- scanner-git's RepoRecord: refs, packs, commits, lead trees
    findings    TEXT NOT NULL,      -- JSON: its history findings with provenance
    problems    TEXT NOT NULL,      -- JSON: what could not be read
    stats       TEXT NOT NULL,      -- JSON: its counts
    scanned_run INTEGER NOT NULL,   -- the last run that read it
    seen_run    INTEGER NOT NULL    -- the last run that reported it (read, or unchanged)
);
-- Each place a credential was found: when first and last.
CREATE TABLE sighting (
    key         TEXT PRIMARY KEY,   -- repository or file, object, line, column, fingerprint
    fingerprint TEXT NOT NULL,
    first_run   INTEGER NOT NULL,
    first_seen  INTEGER NOT NULL,   -- Unix seconds: the start of that run
    last_seen   INTEGER NOT NULL
) WITHOUT ROWID;
";

/// One step from a version to the next: SQL run in the migration's transaction.
pub(crate) struct Migration {
    pub(crate) from: u32,
    pub(crate) sql: &'static str,
}

/// Steps from each older version to the next, in order. None yet: version 1 is the first.
const MIGRATIONS: &[Migration] = &[];

/// Creates the file if needed (readable by its owner only: it holds secrets), opens it,
/// and creates, migrates or checks its schema.
pub(crate) fn open(path: &Path) -> Result<Connection> {
    create_private(path)?;
    let conn = Connection::open(path).at(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .at(path)?;
    // WAL: a write is one append and a crash mid-write leaves the last committed state;
    // readers never block the writer. NORMAL synchronisation is durable against crashes of
    // the process (a power loss may lose the last transactions, never corrupt the file).
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .at(path)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::new(
            ErrorKind::Open,
            path,
            format!("cannot use write-ahead logging (journal mode {mode})"),
        ));
    }
    conn.pragma_update(None, "synchronous", "NORMAL").at(path)?;
    prepare(&conn, path, MIGRATIONS)?;
    Ok(conn)
}

#[cfg(unix)]
fn create_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => {
            Err(Error::new(ErrorKind::Open, path, "cannot create the state file").with_source(e))
        }
    }
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> Result<()> {
    Ok(())
}

/// Creates the schema in an empty database, migrates an older one, refuses anything else.
pub(crate) fn prepare(conn: &Connection, path: &Path, migrations: &[Migration]) -> Result<()> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .at(path)?;
    if tables.is_empty() {
        let tx = conn.unchecked_transaction().at(path)?;
        tx.execute_batch(CREATE).at(path)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('application', ?1), ('schema_version', ?2)",
            rusqlite::params![APPLICATION, VERSION.to_string()],
        )
        .at(path)?;
        return tx.commit().at(path);
    }
    let not_a_state = || {
        Error::new(
            ErrorKind::NotAState,
            path,
            "not a leakscan state (an SQLite database of something else); give --cache another directory",
        )
    };
    if !tables.iter().any(|t| t == "meta") {
        return Err(not_a_state());
    }
    let meta = |key: &str| -> Result<Option<String>> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .at(path)
    };
    if meta("application")?.as_deref() != Some(APPLICATION) {
        return Err(not_a_state());
    }
    let text = meta("schema_version")?.unwrap_or_default();
    let Ok(version) = text.parse::<u32>() else {
        return Err(Error::new(
            ErrorKind::Unknown,
            path,
            format!(
                "unknown state schema version {text:?}; remove this file (a new state is made) or give --cache another directory"
            ),
        ));
    };
    if version == VERSION {
        return Ok(());
    }
    if version > VERSION {
        return Err(Error::new(
            ErrorKind::Newer,
            path,
            format!(
                "written by a newer leakscan (state schema {version}; this one reads {VERSION}); upgrade leakscan, or give --cache another directory"
            ),
        ));
    }
    migrate(conn, path, version, migrations)
}

/// Runs the steps from `version` up to [`VERSION`] in one transaction: a crash midway leaves
/// the old version as it was.
fn migrate(
    conn: &Connection,
    path: &Path,
    mut version: u32,
    migrations: &[Migration],
) -> Result<()> {
    let tx = conn.unchecked_transaction().at(path)?;
    while version < VERSION {
        let Some(step) = migrations.iter().find(|m| m.from == version) else {
            return Err(Error::new(
                ErrorKind::Unknown,
                path,
                format!(
                    "state schema {version} cannot be migrated to {VERSION}; remove this file (a new state is made) or give --cache another directory"
                ),
            ));
        };
        tx.execute_batch(step.sql).at(path)?;
        version += 1;
    }
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        [VERSION.to_string()],
    )
    .at(path)?;
    tx.commit().at(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> (tempfile::TempDir, std::path::PathBuf, Connection) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("state.sqlite");
        let conn = open(&path).expect("a new state");
        (dir, path, conn)
    }

    #[cfg(unix)]
    #[test]
    fn a_new_state_is_private_and_in_wal_mode() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, path, conn) = conn();
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let journal: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("a journal mode");
        assert_eq!(journal, "wal");
        drop(conn);
        open(&path).expect("opens again");
    }

    #[test]
    fn an_older_schema_is_migrated_step_by_step() {
        let (_dir, path, conn) = conn();
        conn.execute(
            "UPDATE meta SET value = '0' WHERE key = 'schema_version'",
            [],
        )
        .expect("an update");
        conn.execute_batch("DROP TABLE sighting").expect("drop");
        let steps = [Migration {
            from: 0,
            sql: "CREATE TABLE sighting (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, first_run INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL) WITHOUT ROWID;",
        }];
        prepare(&conn, &path, &steps).expect("migrated");
        let v: String = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .expect("a version");
        assert_eq!(v, VERSION.to_string());
        conn.execute("INSERT INTO sighting VALUES ('k', 'f', 1, 2, 3)", [])
            .expect("the migrated table");
        // Without a step for it, an older version is refused and left as it was.
        conn.execute(
            "UPDATE meta SET value = '0' WHERE key = 'schema_version'",
            [],
        )
        .expect("an update");
        let e = prepare(&conn, &path, &[]).expect_err("no migration");
        assert_eq!(e.kind(), ErrorKind::Unknown);
        assert!(e.to_string().contains("cannot be migrated"), "{e}");
    }

    #[test]
    fn newer_unknown_and_foreign_databases_are_refused() {
        let (_dir, path, conn) = conn();
        conn.execute(
            "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
            [],
        )
        .expect("an update");
        let e = prepare(&conn, &path, MIGRATIONS).expect_err("newer");
        assert_eq!(e.kind(), ErrorKind::Newer);
        assert!(e.to_string().contains("newer leakscan"), "{e}");
        conn.execute(
            "UPDATE meta SET value = 'x' WHERE key = 'schema_version'",
            [],
        )
        .expect("an update");
        assert_eq!(
            prepare(&conn, &path, MIGRATIONS)
                .expect_err("unknown")
                .kind(),
            ErrorKind::Unknown
        );

        let dir = tempfile::tempdir().expect("a temporary directory");
        let other = dir.path().join("other.sqlite");
        let c = Connection::open(&other).expect("a database");
        c.execute_batch("CREATE TABLE t (x)").expect("a table");
        drop(c);
        assert_eq!(
            open(&other).expect_err("foreign").kind(),
            ErrorKind::NotAState
        );

        let text = dir.path().join("text");
        std::fs::write(&text, "not a database at all, just some text").expect("written");
        assert_eq!(
            open(&text).expect_err("not SQLite").kind(),
            ErrorKind::NotAState
        );
    }
}
