//! End-to-end tests of the `leakscan` binary. Credentials are generated at run time.

#![allow(clippy::unwrap_used)]

#[path = "../../scanner-core/tests/archive_fixtures/mod.rs"]
mod archive_fixtures;
mod archives;
mod damage;
mod golden;
mod history;
mod hooks;
mod hostile;
mod remote;
mod state;
mod support;
mod verify;
mod workflow;

use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

pub(crate) fn key_id(seed: u64) -> String {
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut body = String::from("Q");
    for _ in 0..15 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        body.push(char::from(B32[(x % 32) as usize]));
    }
    format!("AKIA{body}")
}

pub(crate) fn secret(seed: u64) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = seed.wrapping_mul(0xd1b5_4a32_d192_ed03) | 1;
    let mut s: Vec<u8> = (0..40)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            B64[(x % 64) as usize]
        })
        .collect();
    s[0] = b'Q';
    s[1] = b'z';
    s[2] = b'/';
    String::from_utf8(s).unwrap()
}

pub(crate) fn credentials_file(seed: u64) -> String {
    format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        key_id(seed),
        secret(seed)
    )
}

pub(crate) fn leakscan() -> Command {
    let mut c = Command::cargo_bin("leakscan").unwrap();
    c.env("NO_COLOR", "1");
    c
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// The key IDs of a JSON report's findings, in report order.
pub(crate) fn key_ids(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key_id"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn run(args: &[&str], dir: &Path) -> Run {
    let out = leakscan().args(args).current_dir(dir).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The JSON report of a scan, its places' provenance written into them from the report's
/// tables ([`inline`]), as tests read it.
pub(crate) fn json(args: &[&str], dir: &Path) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let r = run(&all, dir);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let doc: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    (r.code, inline(doc))
}

/// A version 2 JSON report with every place's provenance (author, date, summary,
/// reachable, refs, at_head, also_in) looked up in `history` and `ref_sets` and written
/// into the place, as version 1 and JSON Lines have it. Checks that every reference
/// resolves.
pub(crate) fn inline(mut doc: Value) -> Value {
    assert_eq!(doc["version"], 2, "{doc:#}");
    let tables = doc.clone();
    for f in doc["findings"].as_array_mut().unwrap() {
        for l in f["locations"].as_array_mut().unwrap() {
            let Some(repository) = l["repository"].as_str().map(str::to_string) else {
                continue;
            };
            if l.get("url").is_some() {
                continue;
            }
            let history = &tables["history"][&repository];
            let commits = &history["commits"];
            if let Some(id) = l["commit"].as_str() {
                let c = commits
                    .get(id)
                    .unwrap_or_else(|| panic!("commit {id} in history: {tables:#}"));
                for key in ["author", "date", "summary"] {
                    l[key] = c.get(key).cloned().unwrap_or(Value::Null);
                }
                l["reachable"] = c["reachable"].clone();
            } else {
                for key in ["author", "date", "summary"] {
                    l[key] = Value::Null;
                }
                l["reachable"] = Value::Bool(false);
            }
            if l["source"] == "blob" {
                let b = &history["blobs"][l["object"].as_str().unwrap()];
                assert!(b.is_object(), "blob {} in history", l["object"]);
                assert_eq!(b["commit"], l["commit"]);
                l["refs"] = tables["ref_sets"][b["refs"].as_u64().unwrap() as usize].clone();
                assert!(l["refs"].is_array());
                l["at_head"] = b["at_head"].clone();
                let mut also_in = Vec::new();
                for a in b["also_in"].as_array().unwrap() {
                    for c in a["commits"].as_array().unwrap() {
                        let reachable = commits[c.as_str().unwrap()]["reachable"].clone();
                        assert!(reachable.is_boolean());
                        also_in.push(serde_json::json!({
                            "commit": c, "path": a["path"], "reachable": reachable
                        }));
                    }
                }
                l["also_in"] = Value::Array(also_in);
            } else {
                l["refs"] = serde_json::json!([]);
                l["at_head"] = Value::Null;
                l["also_in"] = serde_json::json!([]);
            }
        }
    }
    doc
}

fn paths_of(finding: &Value) -> Vec<String> {
    finding["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{}:{}", l["path"].as_str().unwrap(), l["line"]))
        .collect()
}

#[test]
fn a_pair_in_several_files_is_one_finding_with_every_location() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(dir.path().join("config/credentials"), credentials_file(1)).unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\n",
            key_id(1),
            secret(1)
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("README.md"), "nothing to see\n").unwrap();
    let (code, doc) = json(&["scan", "."], dir.path());
    assert_eq!(code, 1);
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f["kind"], "aws-key-pair");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["key_id"], key_id(1));
    assert_eq!(f["secret"], Value::Null, "secrets are redacted by default");
    assert_eq!(
        f["secret_redacted"],
        "Qz/a********".replace('a', &secret(1)[3..4])
    );
    assert_eq!(paths_of(f), [".env:1", "config/credentials:2"]);
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 64);
    assert_eq!(doc["stats"]["files_scanned"], 3);
    assert_eq!(doc["errors"], Value::Array(vec![]));
}

#[test]
fn secrets_are_shown_only_on_request() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("creds"), credentials_file(2)).unwrap();
    let hidden = run(&["scan", "."], dir.path());
    assert_eq!(hidden.code, 1);
    assert!(hidden.stdout.contains(&key_id(2)));
    assert!(!hidden.stdout.contains(&secret(2)));
    let shown = run(&["scan", ".", "--show-secrets"], dir.path());
    assert!(shown.stdout.contains(&secret(2)));
    let (_, doc) = json(&["scan", ".", "--show-secrets"], dir.path());
    assert_eq!(doc["findings"][0]["secret"], secret(2));
}

#[test]
fn a_clean_tree_exits_zero_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.rs"),
        "fn main() { let secret = env(\"AWS_SECRET\"); }\n",
    )
    .unwrap();
    let r = run(&["scan", "."], dir.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("no credentials found; 1 file scanned"),
        "{}",
        r.stderr
    );
}

#[test]
fn unreadable_inputs_are_reported_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("creds"), credentials_file(3)).unwrap();
    let (code, doc) = json(&["scan", "missing.txt", "creds"], dir.path());
    assert_eq!(code, 1, "findings win over errors");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["errors"][0]["path"], "missing.txt");
    assert!(doc["errors"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("No such file"));

    let r = run(&["scan", "missing.txt"], dir.path());
    assert_eq!(r.code, 2, "nothing found but an input could not be read");
    assert!(
        r.stderr.contains("missing.txt: No such file"),
        "{}",
        r.stderr
    );
}

#[cfg(unix)]
#[test]
fn dangling_links_named_on_the_command_line_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("nowhere", dir.path().join("link")).unwrap();
    let r = run(&["scan", "link"], dir.path());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("link: "), "{}", r.stderr);
}

#[test]
fn ignored_files_are_scanned_but_git_internals_are_not() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join(".gitignore"), ".env\n").unwrap();
    std::fs::write(dir.path().join(".env"), credentials_file(4)).unwrap();
    std::fs::write(dir.path().join(".git/config"), credentials_file(5)).unwrap();
    let (code, doc) = json(&["scan", "."], dir.path());
    assert_eq!(code, 1);
    assert_eq!(key_ids(&doc), [key_id(4)]);
}

#[test]
fn excluded_globs_and_large_files_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("vendor")).unwrap();
    std::fs::write(dir.path().join("vendor/creds"), credentials_file(6)).unwrap();
    let mut big = credentials_file(7);
    big.push_str(&"x".repeat(5000));
    std::fs::write(dir.path().join("big.txt"), big).unwrap();
    let (code, doc) = json(
        &["scan", ".", "--exclude", "vendor/", "--max-file-size", "4K"],
        dir.path(),
    );
    assert_eq!(code, 0);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    assert_eq!(doc["stats"]["files_skipped"], 1);
    assert_eq!(doc["stats"]["skipped"][0]["path"], "big.txt");
    let r = run(
        &["scan", ".", "--exclude", "vendor/", "--max-file-size", "4K"],
        dir.path(),
    );
    assert!(r.stderr.contains("big.txt: skipped"), "{}", r.stderr);
}

#[test]
fn standard_input() {
    let mut child = leakscan()
        .args(["scan", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        credentials_file(8).as_bytes(),
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(paths_of(&doc["findings"][0]), ["-:2"]);
}

#[test]
fn documentation_examples_are_suppressed_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let doc_key = ["AKIA", "IOSFODNN7EXAMPLE"].concat();
    let doc_secret = ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].concat();
    std::fs::write(
        dir.path().join("README.md"),
        format!("aws_access_key_id = {doc_key}\naws_secret_access_key = {doc_secret}\n"),
    )
    .unwrap();
    assert_eq!(run(&["scan", "."], dir.path()).code, 0);
    let (code, doc) = json(&["scan", ".", "--include-examples"], dir.path());
    assert_eq!(code, 1);
    assert_eq!(doc["findings"][0]["severity"], "info");
    assert_eq!(doc["findings"][0]["example"], "documentation");
}

#[test]
fn own_accounts_raise_severity() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("creds"), credentials_file(9)).unwrap();
    let (_, doc) = json(&["scan", "."], dir.path());
    let account = doc["findings"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, doc) = json(&["scan", ".", "--own-account", &account], dir.path());
    assert_eq!(doc["findings"][0]["severity"], "critical");
    assert_eq!(doc["findings"][0]["own_account"], true);
    let bad = run(&["scan", ".", "--own-account", "12345"], dir.path());
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("not a 12-digit AWS account ID"),
        "{}",
        bad.stderr
    );
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..60u64 {
        let sub = dir.path().join(format!("d{}", i % 7));
        std::fs::create_dir_all(&sub).unwrap();
        // Some credentials repeat across files, some are alone.
        std::fs::write(
            sub.join(format!("f{i}.ini")),
            credentials_file(100 + i % 20),
        )
        .unwrap();
        std::fs::write(
            sub.join(format!("k{i}.txt")),
            format!("key = {}\n", key_id(500 + i)),
        )
        .unwrap();
    }
    let one = run(
        &["scan", ".", "--format", "json", "--threads", "1"],
        dir.path(),
    );
    let four = run(
        &["scan", ".", "--format", "json", "--threads", "4"],
        dir.path(),
    );
    assert_eq!(one.code, 1);
    assert_eq!(one.stdout, four.stdout);
    let doc: Value = serde_json::from_str(&one.stdout).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 20 + 60);
    let human_one = run(&["scan", ".", "--threads", "1"], dir.path());
    let human_four = run(&["scan", ".", "--threads", "3"], dir.path());
    assert_eq!(
        golden::without_times(&human_one.stdout),
        golden::without_times(&human_four.stdout)
    );
}

#[test]
fn report_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("creds"), credentials_file(10)).unwrap();
    let r = run(
        &[
            "scan",
            "creds",
            "--format",
            "json",
            "--output",
            "report.json",
        ],
        dir.path(),
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    // The terminal still hears what was found.
    assert!(
        r.stderr.starts_with(
            "leakscan: 1 credential found (1 high; 1 still at HEAD or in files); 1 file scanned"
        ),
        "{}",
        r.stderr
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn binary_files_are_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0u8, 1, 2, 0xff, 0xfe, 0];
    bytes.extend_from_slice(key_id(11).as_bytes());
    bytes.extend_from_slice(&[0, 0, 0x28]);
    bytes.extend_from_slice(secret(11).as_bytes());
    bytes.extend_from_slice(&[0, 0x80, 0x81]);
    std::fs::write(dir.path().join("app.db"), bytes).unwrap();
    let (code, doc) = json(&["scan", "."], dir.path());
    assert_eq!(code, 1);
    assert_eq!(doc["findings"][0]["kind"], "aws-key-pair");
}

#[cfg(target_os = "linux")]
#[test]
fn non_utf8_file_names_are_scanned_and_shown_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"cr\xffds");
    std::fs::write(dir.path().join(name), credentials_file(12)).unwrap();
    let (code, doc) = json(&["scan", "."], dir.path());
    assert_eq!(code, 1);
    assert_eq!(paths_of(&doc["findings"][0]), ["cr\\xffds:2"]);
}

#[test]
fn a_closed_pipe_ends_the_report_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..300u64 {
        std::fs::write(
            dir.path().join(format!("k{i}")),
            format!("{}\n", key_id(1000 + i)),
        )
        .unwrap();
    }
    let mut child = leakscan()
        .args(["scan", "."])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
}

/// This repository holds no real-looking credential: its own scan reports nothing.
#[test]
fn this_repository_scans_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    // As the README's first command does it: what git ignores (target/) is not read.
    let r = run(&["scan", ".", "--format", "json"], root);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["findings"], Value::Array(vec![]), "{}", r.stdout);
    assert_eq!(r.code, 0, "{}", r.stderr);
}
