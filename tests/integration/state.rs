//! Incremental scans with a state (`--cache`): what a second run reads, what it reports,
//! killed runs, states of other versions, `--full`; and `leakscan merge` of shards against
//! one run. Repositories are built with git at test time.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::history::Repo;
use crate::{credentials_file, json, key_id, leakscan, run, secret};

/// Removes what only a run with a state has (`first_seen`, `last_seen`, `new`) and the
/// counts that depend on what earlier runs read.
fn without_state(mut doc: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for k in [
                    "first_seen",
                    "last_seen",
                    "new",
                    "change",
                    "packs_unchanged",
                ] {
                    m.remove(k);
                }
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut doc);
    for r in doc["stats"]["repositories"].as_array_mut().unwrap() {
        for k in ["blobs_scanned", "bytes_scanned", "blobs_already_seen"] {
            r.as_object_mut().unwrap().remove(k);
        }
    }
    doc
}

/// `stats.repositories[]` by path: (change, blobs_scanned).
fn repositories(doc: &Value) -> Vec<(String, String, u64)> {
    doc["stats"]["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["change"].as_str().unwrap_or("-").to_string(),
                r["blobs_scanned"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every `new` of findings and their locations, by key ID.
fn new_marks(doc: &Value) -> Vec<(String, bool, Vec<bool>)> {
    let mut v: Vec<(String, bool, Vec<bool>)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["key_id"].as_str().unwrap_or("-").to_string(),
                f["new"].as_bool().unwrap(),
                f["locations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["new"].as_bool().unwrap())
                    .collect(),
            )
        })
        .collect();
    v.sort();
    v
}

/// An organisation: `upstream`, `fork` (a clone of it with a commit of its own, packed
/// apart), and `other`, unrelated; each with credentials in history.
fn organisation() -> (tempfile::TempDir, Repo, Repo, Repo) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut upstream = Repo::init(&root.join("upstream"));
    upstream.write("README.md", "# upstream\n");
    upstream.write("config/credentials", &credentials_file(501));
    upstream.commit("initial commit");
    upstream.write("src/lib.rs", "pub fn f() {}\n");
    upstream.commit(&format!("library\n\nold key {}\n", key_id(502)));
    upstream.git(&["gc", "-q"]);
    let out = std::process::Command::new("git")
        .args(["clone", "-q", "--no-local"])
        .arg(&upstream.dir)
        .arg(root.join("fork"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", root.join("home"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut fork = Repo::open(&root.join("fork"));
    fork.write("deploy/prod.env", &credentials_file(503));
    fork.commit("deploy");
    let mut other = Repo::init(&root.join("other"));
    other.write("settings.ini", &credentials_file(504));
    other.commit("settings");
    (tmp, upstream, fork, other)
}

fn scan_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    json(&all, dir)
}

#[test]
fn a_second_run_reads_only_what_is_new_and_reports_everything() {
    let (tmp, mut upstream, _fork, mut other) = organisation();
    let root = tmp.path();
    let repos = ["upstream", "fork", "other"];
    let cached = |extra: &[&str]| {
        let mut args = repos.to_vec();
        args.extend_from_slice(&["--cache", "cache"]);
        args.extend_from_slice(extra);
        scan_json(root, &args)
    };

    let (code, first) = cached(&[]);
    assert_eq!(code, 1);
    let (_, full) = scan_json(root, &repos);
    assert_eq!(without_state(first.clone()), without_state(full.clone()));
    assert_eq!(
        repositories(&first),
        [
            ("upstream".into(), "new".into(), 3),
            // The fork's own blob only: the rest was scanned in upstream.
            ("fork".into(), "new".into(), 1),
            ("other".into(), "new".into(), 1),
        ]
    );
    assert!(new_marks(&first)
        .iter()
        .all(|(_, new, places)| *new && places.iter().all(|p| *p)));
    let f = &first["findings"][0];
    assert!(
        f["first_seen"].as_str().unwrap().ends_with("+00:00"),
        "{f:#}"
    );
    // One credential in two repositories: one entry, a place in each.
    let shared = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key_id(501).as_str())
        .unwrap();
    let in_repos: Vec<&str> = shared["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["repository"].as_str().unwrap())
        .collect();
    assert_eq!(in_repos, ["fork", "upstream"]);

    // Nothing new: nothing read, the same report.
    let (code, second) = cached(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        repositories(&second),
        [
            ("upstream".into(), "unchanged".into(), 0),
            ("fork".into(), "unchanged".into(), 0),
            ("other".into(), "unchanged".into(), 0),
        ]
    );
    assert_eq!(without_state(second.clone()), without_state(full));
    assert!(new_marks(&second)
        .iter()
        .all(|(_, new, places)| !*new && places.iter().all(|p| !*p)));
    assert_eq!(
        second["findings"][0]["first_seen"],
        first["findings"][0]["first_seen"]
    );

    // New commits in two repositories: a new credential in upstream (the old one moves),
    // a clean file in other. Only their new blobs are read.
    upstream.write("deploy/staging.env", &credentials_file(505));
    upstream.git(&["mv", "config/credentials", "config/old-credentials"]);
    upstream.commit("staging");
    other.write("notes.txt", "nothing here\n");
    other.commit("notes");
    let (code, third) = cached(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        repositories(&third),
        [
            ("upstream".into(), "grown".into(), 1),
            ("fork".into(), "unchanged".into(), 0),
            ("other".into(), "grown".into(), 1),
        ]
    );
    let (_, full) = scan_json(root, &repos);
    assert_eq!(without_state(third.clone()), without_state(full.clone()));
    let marks = new_marks(&third);
    for (key, new, _) in &marks {
        assert_eq!(*new, *key == key_id(505), "{marks:?}");
    }

    // --full reads everything again (and still records); the findings are the same.
    let (_, all) = cached(&["--full"]);
    assert_eq!(
        repositories(&all),
        [
            ("upstream".into(), "new".into(), 4),
            ("fork".into(), "new".into(), 1),
            ("other".into(), "new".into(), 2),
        ]
    );
    assert_eq!(without_state(all.clone()), without_state(full.clone()));
    assert_eq!(
        all["findings"][0]["first_seen"],
        third["findings"][0]["first_seen"]
    );
    let (_, after) = cached(&[]);
    assert!(repositories(&after)
        .iter()
        .all(|(_, c, n)| c == "unchanged" && *n == 0));

    // The same repositories named another way are the same to the state.
    let abs: Vec<String> = repos
        .iter()
        .map(|r| root.join(r).to_string_lossy().into_owned())
        .collect();
    let mut args: Vec<&str> = abs.iter().map(String::as_str).collect();
    args.extend(["--cache", "cache"]);
    let (_, absolute) = scan_json(root, &args);
    assert!(repositories(&absolute)
        .iter()
        .all(|(_, c, n)| c == "unchanged" && *n == 0));

    // The state is private, and holds secrets: say so by its mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.join("cache/state.sqlite"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir = std::fs::metadata(root.join("cache"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir & 0o777, 0o700);
    }
}

#[test]
fn reports_with_a_state_show_when_each_credential_was_seen_in_every_format() {
    let (tmp, _upstream, _fork, _other) = organisation();
    let root = tmp.path();
    let r = run(&["scan", "upstream", "--cache", "cache"], root);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("new since the last run"), "{}", r.stdout);
    assert!(r.stdout.contains("  seen         first "), "{}", r.stdout);
    let r = run(
        &[
            "scan", "upstream", "fork", "--cache", "cache", "--format", "sarif",
        ],
        root,
    );
    let sarif: Value = serde_json::from_str(&r.stdout).unwrap();
    let states: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"new") && states.contains(&"unchanged"),
        "{states:?}"
    );
    let r = run(&["scan", "upstream", "--cache", "cache"], root);
    assert!(!r.stdout.contains("new since the last run"), "{}", r.stdout);
    let r = run(
        &["scan", "upstream", "--cache", "cache", "--format", "jsonl"],
        root,
    );
    let first: Value = serde_json::from_str(r.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["new"], false);
    assert!(first["locations"][0]["first_seen"].is_string());
}

#[test]
fn a_killed_run_leaves_a_state_the_next_run_goes_on_from() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut names = Vec::new();
    for i in 0..12u64 {
        let name = format!("repo{i:02}");
        let mut r = Repo::init(&root.join(&name));
        for j in 0..40u64 {
            r.write(
                &format!("f{j}.txt"),
                &format!("{}\n", "x".repeat(((i * 40 + j) % 977) as usize + 1)),
            );
        }
        r.write("creds.env", &credentials_file(600 + i));
        r.commit("files");
        names.push(name);
    }
    let mut args: Vec<&str> = vec!["scan"];
    args.extend(names.iter().map(String::as_str));
    args.extend(["--cache", "cache", "-j", "1", "--format", "json"]);

    // Killed (SIGKILL: no chance to clean up) once some repositories are recorded.
    let state = root.join("cache/state.sqlite");
    let mut child = leakscan()
        .args(&args)
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let recorded = |path: &Path| -> Option<i64> {
        let c =
            rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .ok()?;
        c.query_row("SELECT count(*) FROM repository", [], |r| r.get(0))
            .ok()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut killed_after = None;
    while std::time::Instant::now() < deadline {
        if let Some(n) = recorded(&state).filter(|&n| n >= 1) {
            child.kill().unwrap();
            killed_after = Some(n);
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.wait();
    let killed_after = killed_after.expect("the run was killed mid-scan");

    let (code, good) = json(&args[..args.len() - 2], root);
    assert_eq!(code, 1);
    let unchanged = repositories(&good)
        .iter()
        .filter(|(_, c, _)| c == "unchanged")
        .count() as i64;
    assert!(
        unchanged >= killed_after.min(12) && unchanged < 12,
        "{killed_after} recorded before the kill; {:?}",
        repositories(&good)
    );
    let mut plain = vec!["scan"];
    plain.extend(names.iter().map(String::as_str));
    let (_, full) = json(&plain, root);
    assert_eq!(without_state(good), without_state(full));
    let c = rusqlite::Connection::open(&state).unwrap();
    let check: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let runs: Vec<(i64, Option<i64>)> = c
        .prepare("SELECT id, finished FROM run ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        runs.len() >= 2 && runs[0].1.is_none() && runs.last().unwrap().1.is_some(),
        "{runs:?}"
    );
}

#[test]
fn states_of_other_versions_and_other_files_are_refused_never_misread() {
    let (tmp, _upstream, _fork, _other) = organisation();
    let root = tmp.path();
    assert_eq!(run(&["scan", "other", "--cache", "cache"], root).code, 1);
    let state = root.join("cache/state.sqlite");
    let set_version = |v: &str| {
        let c = rusqlite::Connection::open(&state).unwrap();
        c.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
            [v],
        )
        .unwrap();
    };
    for (version, message) in [
        ("99", "written by a newer leakscan (state schema 99"),
        ("zz", "unknown state schema version \"zz\""),
        ("0", "state schema 0 cannot be migrated"),
    ] {
        set_version(version);
        let r = run(&["scan", "other", "--cache", "cache"], root);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(message), "{version}: {}", r.stderr);
        assert!(
            r.stdout.is_empty(),
            "no report from a state not read: {}",
            r.stdout
        );
    }
    set_version(&scanner_state::SCHEMA_VERSION.to_string());
    assert_eq!(run(&["scan", "other", "--cache", "cache"], root).code, 1);

    std::fs::create_dir_all(root.join("junk")).unwrap();
    std::fs::write(
        root.join("junk/state.sqlite"),
        "these bytes are no database",
    )
    .unwrap();
    let r = run(&["scan", "other", "--cache", "junk"], root);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a leakscan state"), "{}", r.stderr);
}

#[test]
fn other_scanner_settings_scan_everything_again() {
    let (tmp, _upstream, _fork, _other) = organisation();
    let root = tmp.path();
    scan_json(root, &["other", "--cache", "cache"]);
    let (_, again) = scan_json(root, &["other", "--cache", "cache", "--include-examples"]);
    assert_eq!(repositories(&again), [("other".into(), "new".into(), 1)]);
    let r = run(&["scan", "other", "--cache", "cache"], root);
    assert!(
        r.stderr.contains("everything is scanned again"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_repository_that_cannot_be_read_keeps_its_findings_in_the_report() {
    let (tmp, _upstream, _fork, _other) = organisation();
    let root = tmp.path();
    scan_json(root, &["other", "--cache", "cache"]);
    std::fs::remove_dir_all(root.join("other")).unwrap();
    let (code, doc) = scan_json(root, &["other", "--cache", "cache"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["errors"][0]["path"], "other");
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        1,
        "{:#}",
        doc["findings"]
    );
    let f = &doc["findings"][0];
    assert_eq!(f["key_id"], key_id(504).as_str());
    assert_eq!(f["locations"][0]["repository"], "other");
}

#[test]
fn work_tree_files_are_scanned_unless_history_had_them() {
    let (tmp, _upstream, fork, _other) = organisation();
    let root = tmp.path();
    fork.write("local.env", &credentials_file(506));
    let (_, first) = scan_json(root, &["fork", "--cache", "cache"]);
    let (_, second) = scan_json(root, &["fork", "--cache", "cache"]);
    let (_, full) = scan_json(root, &["fork"]);
    assert_eq!(without_state(second.clone()), without_state(full));
    assert_eq!(
        first["stats"]["files_scanned"],
        second["stats"]["files_scanned"]
    );
    let local = second["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key_id(506).as_str())
        .unwrap();
    assert_eq!(local["locations"][0]["path"], "fork/local.env");
    assert_eq!(local["new"], false);
}

/// Runs `leakscan scan` on `inputs` into `out` (a report file).
fn shard(root: &Path, inputs: &[&str], format: &str, out: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["scan"];
    args.extend_from_slice(inputs);
    args.extend_from_slice(&["--format", format, "-o", out]);
    args.extend_from_slice(extra);
    let r = run(&args, root);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    root.join(out)
}

#[test]
fn shards_merged_give_the_report_of_one_run_in_every_format() {
    let (tmp, _upstream, _fork, _other) = organisation();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("files")).unwrap();
    std::fs::write(root.join("files/creds"), credentials_file(507)).unwrap();
    std::fs::write(
        root.join("files/token.env"),
        format!(
            "AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\nAWS_SESSION_TOKEN=FwoGZXIvYXdzEJr{}\n",
            key_id(508).replace("AKIA", "ASIA"),
            secret(508),
            "A".repeat(40) + &secret(509)
        ),
    )
    .unwrap();
    let inputs = ["files", "fork", "other", "upstream"];
    // Shards: JSON Lines and JSON, one with secrets shown; the fork and upstream apart, so
    // that the credential they share is found by two shards.
    let s1 = shard(root, &["fork", "files"], "jsonl", "s1.jsonl", &[]);
    let s2 = shard(root, &["other"], "json", "s2.json", &["--show-secrets"]);
    let s3 = shard(
        root,
        &["upstream"],
        "jsonl",
        "s3.jsonl",
        &["--show-secrets"],
    );
    let shards: Vec<String> = [s1, s2, s3]
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    for format in ["json", "human", "sarif", "jsonl"] {
        let mut args = vec!["scan"];
        args.extend_from_slice(&inputs);
        args.extend_from_slice(&["--format", format]);
        let one = run(&args, root);
        let mut args = vec!["merge"];
        args.extend(shards.iter().map(String::as_str));
        args.extend_from_slice(&["--format", format]);
        let merged = run(&args, root);
        assert_eq!(merged.code, one.code, "{}", merged.stderr);
        if format == "json" {
            // Counts of blobs depend on what each shard read: without them, equal.
            let a: Value = serde_json::from_str(&one.stdout).unwrap();
            let b: Value = serde_json::from_str(&merged.stdout).unwrap();
            assert_eq!(without_state(b), without_state(a));
            let fork_blobs = |d: &Value| d["stats"]["repositories"][0]["blobs_scanned"].clone();
            let b: Value = serde_json::from_str(&merged.stdout).unwrap();
            assert_eq!(fork_blobs(&b), 4, "the fork's shard read all its blobs");
        } else if format == "jsonl" {
            // One line per place: the same lines (streamed in another order), the same summary
            // but for the per-repository counts.
            let lines = |s: &str| {
                let mut v: Vec<String> = s
                    .lines()
                    .filter(|l| l.contains("\"finding\""))
                    .map(str::to_string)
                    .collect();
                v.sort();
                v
            };
            assert_eq!(lines(&merged.stdout), lines(&one.stdout));
        } else if format == "human" {
            // The same entries; the summary before them counts what each shard read.
            let entries = |s: &str| s.split_once("\n\n").map(|(_, e)| e.to_string());
            assert_eq!(entries(&merged.stdout), entries(&one.stdout));
            assert!(entries(&one.stdout).is_some_and(|e| !e.is_empty()));
        } else {
            // Byte for byte, but for SARIF's per-repository counts (none) and nothing else.
            assert_eq!(merged.stdout, one.stdout, "{format}");
        }
        assert!(
            !merged.stdout.contains(&secret(507)),
            "redacted unless asked"
        );
    }
    // Secrets in clear only where the shards had them.
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend_from_slice(&["--format", "json", "--show-secrets"]);
    let shown: Value = serde_json::from_str(&run(&args, root).stdout).unwrap();
    let secret_of = |seed: u64| {
        shown["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key_id"] == key_id(seed).as_str())
            .map(|f| f["secret"].clone())
            .unwrap()
    };
    assert_eq!(secret_of(504), secret(504).as_str(), "shown by its shard");
    assert_eq!(secret_of(507), Value::Null, "redacted by its shard");
    assert_eq!(
        secret_of(501),
        secret(501).as_str(),
        "one of its shards showed it"
    );

    // A cut JSON Lines report is an error, not a silently smaller report.
    let text = std::fs::read_to_string(&shards[0]).unwrap();
    let cut: String = text.lines().next().unwrap().to_string() + "\n";
    std::fs::write(root.join("cut.jsonl"), cut).unwrap();
    let r = run(&["merge", "cut.jsonl"], root);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cut short"), "{}", r.stderr);
}
