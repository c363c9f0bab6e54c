//! Hostile and unlucky inputs (issue 12): odd files that must not stall a scan, input that
//! was not read, configuration inside the scanned tree, full disks and signals.

#![cfg(unix)]

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::history::fixture;
use crate::{credentials_file, key_id, leakscan, Run};

/// Waits for `child` at most `limit`; a child still running then is killed and the test
/// fails (a hang must fail, not stall the test suite).
fn wait_within(mut child: Child, limit: Duration, what: &str) -> Run {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stdout = String::new();
            let mut stderr = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut stdout)
                .unwrap();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            return Run {
                code: status.code().unwrap_or(-1),
                stdout,
                stderr,
            };
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs leakscan in `dir` with no standard input, failing if it takes more than 60 s.
fn run_within(args: &[&str], dir: &Path) -> Run {
    let child = leakscan()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_within(
        child,
        Duration::from_secs(60),
        &format!("leakscan {args:?}"),
    )
}

fn parse(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr))
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

fn skipped(doc: &Value) -> Vec<(String, String)> {
    doc["stats"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn issue12_4_fifos_sockets_and_devices_are_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("creds"), credentials_file(1200)).unwrap();
    mkfifo(&d.join("pipe"));
    std::fs::create_dir(d.join("sub")).unwrap();
    mkfifo(&d.join("sub/deep-pipe"));
    let _socket = std::os::unix::net::UnixListener::bind(d.join("sub/sock")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("zero")).unwrap();

    // Walking: every odd file is a skip with its reason; the key is found; no hang.
    let r = run_within(&["scan", ".", "--format", "json"], d);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = parse(&r);
    assert_eq!(doc["findings"][0]["key_id"], key_id(1200));
    assert_eq!(
        skipped(&doc),
        [
            ("pipe".to_string(), "fifo".to_string()),
            ("sub/deep-pipe".to_string(), "fifo".to_string()),
            ("sub/sock".to_string(), "socket".to_string()),
        ],
        "symbolic links met while walking are not followed"
    );
    assert!(
        r.stderr
            .contains("leakscan: pipe: skipped, a named pipe (FIFO), not a regular file"),
        "{}",
        r.stderr
    );

    // Named: not read, so an error (exit 2), said with its reason; promptly.
    for (name, reason) in [
        ("pipe", "not read: a named pipe (FIFO), not a regular file"),
        ("sub/sock", "not read: a socket, not a regular file"),
        ("zero", "not read: a device, not a regular file"),
        ("/dev/null", "not read: a device, not a regular file"),
    ] {
        let started = Instant::now();
        let r = run_within(&["scan", name, "--format", "json"], d);
        assert!(started.elapsed() < Duration::from_secs(30), "{name}");
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        let doc = parse(&r);
        assert_eq!(doc["errors"][0]["path"], name);
        assert_eq!(doc["errors"][0]["reason"], reason, "{name}");
    }
    // With a file that has a key, the key is still reported (and wins the exit status).
    let r = run_within(&["scan", "pipe", "creds", "--format", "json"], d);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(parse(&r)["errors"][0]["path"], "pipe");
}

#[test]
fn issue12_4_odd_files_in_a_work_tree_are_skipped() {
    let (_tmp, mut repo) = fixture();
    repo.write("app.ini", "name = app\n");
    repo.commit("app");
    std::fs::write(repo.dir.join(".env"), credentials_file(1201)).unwrap();
    mkfifo(&repo.dir.join("fifo"));
    let r = run_within(&["scan", ".", "--format", "json"], &repo.dir);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = parse(&r);
    assert_eq!(doc["findings"][0]["key_id"], key_id(1201));
    assert_eq!(skipped(&doc), [("fifo".to_string(), "fifo".to_string())]);
    assert_eq!(doc["stats"]["files_skipped"], 1);
}

#[test]
fn issue12_4_standard_input_is_read_even_from_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = leakscan()
        .args(["scan", "-", "--format", "json"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, credentials_file(1202).as_bytes()).unwrap();
    drop(stdin);
    let r = wait_within(child, Duration::from_secs(60), "scan -");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(parse(&r)["findings"][0]["key_id"], key_id(1202));
}
