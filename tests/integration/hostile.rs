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

/// Waits for `child` at most `limit`, reading its output meanwhile (streams the caller
/// took are its to read); a child still running then is killed and the test fails (a hang
/// must fail, not stall the test suite).
fn wait_within(mut child: Child, limit: Duration, what: &str) -> Run {
    fn drain(stream: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut s) = stream {
                let mut bytes = Vec::new();
                s.read_to_end(&mut bytes).unwrap();
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            text
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Run {
                code: status.code().unwrap_or(-1),
                stdout: stdout.join().unwrap(),
                stderr: stderr.join().unwrap(),
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

/// Starts `leakscan ARGS` in `dir`, standard input empty, its output captured.
pub(crate) fn spawn_in(dir: &Path, args: &[&str]) -> Child {
    leakscan()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs leakscan in `dir` with no standard input, failing if it takes more than 60 s.
fn run_within(args: &[&str], dir: &Path) -> Run {
    let child = spawn_in(dir, args);
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

#[test]
fn issue12_5_a_stream_over_the_size_limit_is_an_error_and_read_no_further() {
    let bin = assert_cmd::cargo::cargo_bin("leakscan");
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let child = Command::new("sh")
        .args(["-c", "head -c 2G /dev/zero | \"$0\" scan -"])
        .arg(&bin)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let r = wait_within(
        child,
        Duration::from_secs(60),
        "head -c 2G /dev/zero | leakscan",
    );
    eprintln!("2 GiB of zeros on standard input: {:?}", started.elapsed());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("-: not read: more than 268435456 bytes, over --max-file-size"),
        "{}",
        r.stderr
    );

    // Redirected from a file: its size says it all, nothing is read.
    let big = dir.path().join("big");
    std::fs::write(&big, vec![b'x'; 5000]).unwrap();
    let r = wait_within(
        leakscan()
            .args(["scan", "-", "--max-file-size", "4K"])
            .stdin(std::fs::File::open(&big).unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        Duration::from_secs(60),
        "leakscan scan - < big",
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("-: not read: 5000 bytes is over --max-file-size"),
        "{}",
        r.stderr
    );
}

#[test]
fn issue12_5_a_named_file_not_read_is_an_error_and_skips_while_walking_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = format!("{}{}", credentials_file(1210), "#\n".repeat(2000));
    std::fs::create_dir(d.join("tree")).unwrap();
    std::fs::write(d.join("tree/big.ini"), &big).unwrap();
    std::fs::write(d.join("tree/small.txt"), "nothing\n").unwrap();
    std::fs::write(d.join("found.ini"), credentials_file(1211)).unwrap();

    // Named and over the limit: an error, exit 2; findings elsewhere still reported.
    let r = run_within(
        &[
            "scan",
            "tree/big.ini",
            "--max-file-size",
            "1K",
            "--format",
            "json",
        ],
        d,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc = parse(&r);
    assert_eq!(doc["errors"][0]["path"], "tree/big.ini");
    assert_eq!(
        doc["errors"][0]["reason"],
        format!("not read: {} bytes is over --max-file-size", big.len())
    );
    let r = run_within(
        &[
            "scan",
            "tree/big.ini",
            "found.ini",
            "--max-file-size",
            "1K",
            "--format",
            "json",
        ],
        d,
    );
    assert_eq!(r.code, 1, "findings win the exit status: {}", r.stderr);
    let doc = parse(&r);
    assert_eq!(doc["findings"][0]["key_id"], key_id(1211));
    assert_eq!(doc["errors"][0]["path"], "tree/big.ini");

    // Met while walking: a skip, listed and counted, exit 0...
    let r = run_within(&["scan", "tree", "--max-file-size", "1K"], d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "leakscan: tree/big.ini: skipped, {} bytes is over --max-file-size",
            big.len()
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("; skipped: 1 file over --max-file-size"),
        "{}",
        r.stderr
    );
    let doc = parse(&run_within(
        &["scan", "tree", "--max-file-size", "1K", "--format", "json"],
        d,
    ));
    assert_eq!(doc["stats"]["files_skipped"], 1);
    assert_eq!(
        skipped(&doc),
        [("tree/big.ini".to_string(), "too-large".to_string())]
    );
    // ... and an error with --fail-on-skip, or the configuration's fail_on_skip.
    let r = run_within(
        &["scan", "tree", "--max-file-size", "1K", "--fail-on-skip"],
        d,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("leakscan: --fail-on-skip: 1 file not read"),
        "{}",
        r.stderr
    );
    std::fs::write(
        d.join("tree/leakscan.toml"),
        "max_file_size = \"1K\"\nfail_on_skip = true\n",
    )
    .unwrap();
    let r = run_within(&["scan", "tree"], d);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn issue12_5_fail_on_skip_counts_blobs_over_the_size_limit() {
    let (_tmp, mut repo) = fixture();
    repo.write("big.txt", &"x".repeat(4000));
    repo.commit("big");
    std::fs::remove_file(repo.dir.join("big.txt")).unwrap();
    repo.commit("gone");
    let r = run_within(&["scan", ".", "--max-file-size", "1K"], &repo.dir);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run_within(
        &["scan", ".", "--max-file-size", "1K", "--fail-on-skip"],
        &repo.dir,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--fail-on-skip: 1 blob not read"),
        "{}",
        r.stderr
    );
}

/// The fingerprint of the credential in `path`, as a scan reports it.
fn fingerprint_of(dir: &Path, path: &str) -> String {
    let doc = parse(&run_within(
        &["scan", path, "--format", "json", "--no-config"],
        dir,
    ));
    doc["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string()
}

fn hostile_config(fingerprint: &str) -> String {
    format!(
        "exclude = [\"*\"]\nmax_file_size = \"1\"\n\n[[allow]]\nfingerprint = \"{fingerprint}\"\nreason = \"nothing to see here\"\n"
    )
}

#[test]
fn issue12_6_a_configuration_in_the_scanned_tree_says_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("src")).unwrap();
    std::fs::write(d.join("src/app.ini"), credentials_file(1220)).unwrap();
    std::fs::write(d.join("notes.txt"), "nothing\n").unwrap();
    std::fs::write(d.join("leakscan.toml"), "exclude = [\"*\"]\n").unwrap();

    let r = run_within(&["scan", "."], d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "leakscan: configuration leakscan.toml (found in the scanned tree; --no-config ignores it): exclude 1 glob (3 paths excluded)"
        ),
        "{}",
        r.stderr
    );
    let doc = parse(&run_within(&["scan", ".", "--format", "json"], d));
    let config = &doc["stats"]["config"];
    assert_eq!(config["path"], "leakscan.toml");
    assert_eq!(config["found"], "scanned-tree");
    assert_eq!(
        config["excluded_paths"], 3,
        "src/, notes.txt, leakscan.toml"
    );
    assert_eq!(config["exclude"], serde_json::json!(["*"]));

    // --no-config: the tree is read whole.
    let r = run_within(&["scan", ".", "--no-config", "--format", "json"], d);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("leakscan.toml: not applied (--no-config)"),
        "{}",
        r.stderr
    );
    let doc = parse(&r);
    assert_eq!(doc["findings"][0]["key_id"], key_id(1220));
    assert!(doc["stats"].get("config").is_none());

    // Allowed fingerprints: counted, with what they hid.
    let fp = fingerprint_of(d, "src/app.ini");
    std::fs::write(
        d.join("leakscan.toml"),
        format!("own_accounts = [\"123456789012\"]\n[[allow]]\nfingerprint = \"{fp}\"\n"),
    )
    .unwrap();
    let r = run_within(&["scan", ".", "--format", "json"], d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "(found in the scanned tree; --no-config ignores it): allow 1 fingerprint (1 finding not reported), own_accounts 1"
        ),
        "{}",
        r.stderr
    );
    let config = &parse(&r)["stats"]["config"];
    assert_eq!(config["allowed_fingerprints"], 1);
    assert_eq!(config["findings_allowed"], 1);
    assert_eq!(config["own_accounts"], 1);
}

#[test]
fn issue12_6_a_remote_repository_never_configures_its_own_scan() {
    use crate::history::Repo;
    use crate::support::git_daemon::GitDaemon;

    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let mut work = Repo::init(&t.join("work/acme/app"));
    work.write("config/credentials", &credentials_file(1230));
    let fp = fingerprint_of(&work.dir, "config/credentials");
    work.write("leakscan.toml", &hostile_config(&fp));
    work.commit("a key, and a configuration that hides it");
    crate::remote::publish(&mut work, &t.join("srv/acme/app.git"));
    let daemon = GitDaemon::start(&t.join("srv"));
    let url = format!("{}/acme/app.git", daemon.url);
    let cache = t.join("cache");
    let cache = cache.to_str().unwrap();

    // The repository's own leakscan.toml is a blob of its history, never a configuration.
    let r = run_within(&["scan", &url, "--cache", cache, "--format", "json"], t);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = parse(&r);
    assert_eq!(doc["findings"][0]["key_id"], key_id(1230));
    assert!(doc["stats"].get("config").is_none(), "{:#}", doc["stats"]);

    // Nor does a local tree scanned in the same run configure it: it would apply to every
    // repository of the run.
    let r = run_within(
        &[
            "scan",
            &url,
            "work/acme/app",
            "--cache",
            cache,
            "--format",
            "json",
        ],
        t,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "leakscan: work/acme/app/leakscan.toml: not applied: with remote sources only a configuration given with --config applies"
        ),
        "{}",
        r.stderr
    );
    let doc = parse(&r);
    assert_eq!(doc["findings"][0]["key_id"], key_id(1230));
    assert!(doc["stats"].get("config").is_none());

    // An organization's repositories alike.
    let api = crate::support::github::GitHubStub::start();
    api.route(
        crate::remote::ORG_REPOS,
        crate::support::github::Answer::json(&serde_json::json!([crate::remote::repo_json(
            "acme/app",
            &url,
            &[]
        )])),
    );
    let r = run_within(
        &[
            "scan",
            "--github-org",
            "acme",
            "--github-api-url",
            &api.url,
            "work/acme/app",
            "--cache",
            cache,
            "--format",
            "json",
        ],
        t,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("leakscan: work/acme/app/leakscan.toml: not applied: with remote sources"),
        "{}",
        r.stderr
    );
    let doc = parse(&r);
    let places: Vec<&str> = doc["findings"][0]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["repository"].as_str())
        .collect();
    assert!(places.contains(&"acme/app"), "{places:?}");
    assert!(doc["stats"].get("config").is_none());

    // Asked for with --config, it applies, and says so.
    let r = run_within(
        &[
            "scan",
            &url,
            "--cache",
            cache,
            "--config",
            "work/acme/app/leakscan.toml",
            "--format",
            "json",
        ],
        t,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "leakscan: configuration work/acme/app/leakscan.toml (--config): exclude 1 glob (0 paths excluded), allow 1 fingerprint"
        ),
        "{}",
        r.stderr
    );
    let config = &parse(&r)["stats"]["config"];
    assert_eq!(config["found"], "command-line");
    assert_eq!(config["max_file_size"], 1);
}

/// `n` files of `size` bytes of random-looking `secret = …` lines (slow to scan: every line
/// is a candidate), each with a key pair of its own at the top.
fn slow_corpus(dir: &Path, n: u64, size: usize) {
    std::fs::create_dir_all(dir).unwrap();
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut body = String::with_capacity(size);
    while body.len() < size {
        body.push_str("secret = ");
        for _ in 0..60 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            body.push(char::from(B64[(x % 64) as usize]));
        }
        body.push('\n');
    }
    for i in 0..n {
        let text = format!("{}{body}", credentials_file(1300 + i));
        std::fs::write(dir.join(format!("f{i:03}.txt")), text).unwrap();
    }
}

pub(crate) fn kill(child: &Child, signal: &str) {
    // The shell's own `kill`: no procps needed on a fresh machine.
    let ok = Command::new("sh")
        .args(["-c", &format!("kill {signal} {}", child.id())])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {signal}");
}

/// Temporary reports left in `dir`.
fn partial_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect()
}

#[test]
fn issue12_7_sigint_stops_the_scan_and_reports_what_was_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    slow_corpus(&corpus, 60, 400 << 10);
    let mut child = spawn_in(
        dir.path(),
        &["scan", "corpus", "--threads", "1", "--format", "jsonl"],
    );
    // The first finding line: the scan is under way.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    assert!(String::from_utf8_lossy(&first).contains("\"type\":\"finding\""));
    kill(&child, "-INT");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let r = wait_within(child, Duration::from_secs(60), "leakscan after SIGINT");
    assert_eq!(r.code, 130, "{}", r.stderr);
    let summary: Value = serde_json::from_str(rest.lines().last().unwrap()).unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["stats"]["incomplete"], "interrupted by SIGINT");
    let scanned = summary["stats"]["files_scanned"].as_u64().unwrap();
    assert!((1..60).contains(&scanned), "{scanned} of 60 files scanned");
    assert!(
        r.stderr.contains(
            "leakscan: SIGINT: stopping; the report will cover what was scanned (again to stop at once)"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn issue12_7_sigterm_writes_the_partial_report_in_place_of_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    slow_corpus(&d.join("corpus"), 60, 400 << 10);
    std::fs::create_dir(d.join("out")).unwrap();
    std::fs::write(d.join("out/r.jsonl"), "the previous report\n").unwrap();
    let child = spawn_in(
        d,
        &[
            "scan",
            "corpus",
            "--threads",
            "1",
            "--format",
            "jsonl",
            "-o",
            "out/r.jsonl",
        ],
    );
    // Lines reach the temporary report as files are scanned.
    let started = Instant::now();
    loop {
        let grown = std::fs::read_dir(d.join("out")).unwrap().any(|e| {
            let e = e.unwrap();
            e.file_name().to_string_lossy().ends_with(".partial") && e.metadata().unwrap().len() > 0
        });
        if grown {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no line written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        std::fs::read_to_string(d.join("out/r.jsonl")).unwrap(),
        "the previous report\n",
        "the old report stays whole until the new one is"
    );
    kill(&child, "-TERM");
    let r = wait_within(child, Duration::from_secs(60), "leakscan after SIGTERM");
    assert_eq!(r.code, 143, "{}", r.stderr);
    let text = std::fs::read_to_string(d.join("out/r.jsonl")).unwrap();
    let summary: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(summary["stats"]["incomplete"], "interrupted by SIGTERM");
    assert!(text.lines().count() > 1, "the findings so far: {text}");
    assert_eq!(partial_files(&d.join("out")), Vec::<String>::new());
    // Merged, it is still incomplete.
    let r = run_within(&["merge", "out/r.jsonl"], d);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("INCOMPLETE: the scan was interrupted by SIGTERM;"),
        "{}",
        r.stdout
    );

    // Human: the first line says so.
    let child = spawn_in(d, &["scan", "corpus", "--threads", "1", "-o", "out/r.txt"]);
    std::thread::sleep(Duration::from_millis(500));
    kill(&child, "-TERM");
    let r = wait_within(child, Duration::from_secs(60), "leakscan after SIGTERM");
    assert_eq!(r.code, 143, "{}", r.stderr);
    let text = std::fs::read_to_string(d.join("out/r.txt")).unwrap();
    assert!(
        text.starts_with(
            "INCOMPLETE: the scan was interrupted by SIGTERM; this report covers only what was scanned before\n"
        ),
        "{text}"
    );
}

#[test]
fn issue12_7_a_second_signal_ends_the_run_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // One large file: the first signal waits for its scan to end, the second does not.
    slow_corpus(&d.join("corpus"), 1, 48 << 20);
    let child = spawn_in(
        d,
        &[
            "scan",
            "corpus",
            "--threads",
            "1",
            "--format",
            "jsonl",
            "-o",
            "r.jsonl",
        ],
    );
    let started = Instant::now();
    while partial_files(d).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no temporary report"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    kill(&child, "-INT");
    std::thread::sleep(Duration::from_millis(300));
    let second = Instant::now();
    kill(&child, "-INT");
    let r = wait_within(child, Duration::from_secs(60), "leakscan after two SIGINTs");
    assert!(
        second.elapsed() < Duration::from_secs(5),
        "{:?} after the second signal",
        second.elapsed()
    );
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("SIGINT: stopped at once, no report written"),
        "{}",
        r.stderr
    );
    assert_eq!(
        partial_files(d),
        Vec::<String>::new(),
        "no temporary file left"
    );
    assert!(!d.join("r.jsonl").exists());
}

#[test]
fn issue12_7_a_report_that_cannot_be_written_whole_is_not_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..40 {
        std::fs::write(d.join(format!("c{i:02}.ini")), credentials_file(1400 + i)).unwrap();
    }
    std::fs::create_dir(d.join("out")).unwrap();
    std::fs::write(d.join("out/r.json"), "{\"the\": \"previous report\"}\n").unwrap();
    // A file size limit of 2 KiB: the write fails part way, as on a full disk (EFBIG, with
    // SIGXFSZ ignored, rather than ENOSPC).
    let bin = assert_cmd::cargo::cargo_bin("leakscan");
    let child = Command::new("sh")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 4; exec \"$0\" scan . --exclude out/ --format json -o out/r.json",
        ])
        .arg(&bin)
        .current_dir(d)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let r = wait_within(child, Duration::from_secs(60), "leakscan with ulimit -f");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cannot write the report to out/r.json: File too large")
            && r.stderr
                .contains("; the file was removed rather than left with an earlier report"),
        "{}",
        r.stderr
    );
    assert!(!d.join("out/r.json").exists(), "no stale report");
    assert_eq!(partial_files(&d.join("out")), Vec::<String>::new());

    // A device that is full: written in place (never renamed onto), the error said.
    let r = run_within(&["scan", ".", "--exclude", "out/", "-o", "/dev/full"], d);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cannot write the report: No space left on device"),
        "{}",
        r.stderr
    );

    // And written whole, the report replaces the old one.
    let r = run_within(
        &[
            "scan",
            ".",
            "--exclude",
            "out/",
            "--format",
            "json",
            "-o",
            "out/r.json",
        ],
        d,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/r.json")).unwrap()).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 40);
    assert_eq!(partial_files(&d.join("out")), Vec::<String>::new());
}

#[test]
fn issue12_7_sigint_stops_a_scan_waiting_on_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("found.ini"), credentials_file(1500)).unwrap();
    let mut child = leakscan()
        .args(["scan", "found.ini", "-", "--format", "json"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Standard input stays open and empty: the scan waits on it.
    let stdin = child.stdin.take().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    kill(&child, "-INT");
    let r = wait_within(child, Duration::from_secs(30), "leakscan waiting on stdin");
    drop(stdin);
    assert_eq!(r.code, 130, "{}", r.stderr);
    let doc = parse(&r);
    assert_eq!(doc["stats"]["incomplete"], "interrupted by SIGINT");
    assert_eq!(doc["errors"][0]["path"], "-");
    assert_eq!(doc["errors"][0]["reason"], "not read: interrupted");
}

#[test]
fn issue12_4_large_files_are_scanned_through_the_file_already_open() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}{}",
        "filler line\n".repeat(300_000),
        credentials_file(1240)
    );
    assert!(text.len() > 3 << 20, "memory-mapped by the core");
    std::fs::write(dir.path().join("large.ini"), &text).unwrap();
    for args in [["scan", "."], ["scan", "large.ini"]] {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let r = run_within(&all, dir.path());
        assert_eq!(r.code, 1, "{}", r.stderr);
        let doc = parse(&r);
        assert_eq!(doc["findings"][0]["key_id"], key_id(1240));
        assert_eq!(doc["findings"][0]["locations"][0]["path"], "large.ini");
        assert_eq!(doc["findings"][0]["locations"][0]["line"], 300_002);
    }
}

#[test]
fn issue12_7_sigint_stops_a_history_scan_between_objects() {
    let (_tmp, mut repo) = fixture();
    slow_corpus(&repo.dir.join("corpus"), 60, 400 << 10);
    repo.commit("slow to scan");
    let child = spawn_in(
        &repo.dir,
        &["scan", ".", "--threads", "1", "--format", "json"],
    );
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(800));
    kill(&child, "-INT");
    let signalled = Instant::now();
    let r = wait_within(
        child,
        Duration::from_secs(60),
        "leakscan history after SIGINT",
    );
    eprintln!(
        "stopped {:?} after the signal, {:?} after the start",
        signalled.elapsed(),
        started.elapsed()
    );
    assert_eq!(r.code, 130, "{}", r.stderr);
    let doc = parse(&r);
    assert_eq!(doc["stats"]["incomplete"], "interrupted by SIGINT");
    let found = doc["findings"].as_array().unwrap().len();
    assert!(found < 60, "{found} of 60 keys: the scan stopped part way");
}

#[test]
fn issue12_7_an_interrupted_scan_writes_no_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    slow_corpus(&d.join("corpus"), 60, 400 << 10);
    let child = spawn_in(
        d,
        &[
            "scan",
            "corpus",
            "--threads",
            "1",
            "--write-baseline",
            "baseline.json",
        ],
    );
    std::thread::sleep(Duration::from_millis(500));
    kill(&child, "-INT");
    let r = wait_within(child, Duration::from_secs(60), "leakscan --write-baseline");
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("leakscan: baseline.json: not written: SIGINT stopped the scan"),
        "{}",
        r.stderr
    );
    assert!(!d.join("baseline.json").exists());
    assert_eq!(partial_files(d), Vec::<String>::new());
}
