//! Before a commit and before a push: staged scans, commit ranges, git's pre-push protocol,
//! and installing the hooks.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::history::{fixture, Repo};
use crate::{credentials_file, json, key_id, leakscan, run};

fn keys(doc: &Value) -> Vec<String> {
    let mut k: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["key_id"].as_str().map(str::to_string))
        .collect();
    k.sort();
    k
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn staged_scans_exactly_what_is_staged() {
    let (_tmp, mut repo) = fixture();
    repo.write("committed.ini", &credentials_file(60));
    repo.commit("already committed");
    repo.write("new.ini", &credentials_file(61));
    repo.write("changed.txt", "v1\n");
    repo.commit("v1");
    repo.write("changed.txt", &format!("v2\n{}", credentials_file(62)));
    repo.git(&["add", "new.ini", "changed.txt"]);
    repo.write("staged-then-edited.env", &credentials_file(63));
    repo.git(&["add", "staged-then-edited.env"]);
    // The work tree now differs from what is staged: only the staged version counts.
    repo.write("staged-then-edited.env", "nothing here any more\n");
    repo.write("unstaged.env", &credentials_file(64));

    let (code, doc) = json(&["scan", "--staged"], &repo.dir);
    assert_eq!(code, 1);
    assert_eq!(keys(&doc), sorted(vec![key_id(62), key_id(63)]));
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["locations"][0]["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        sorted(paths.iter().map(|s| s.to_string()).collect()),
        ["changed.txt", "staged-then-edited.env"]
    );

    repo.commit("commit it all");
    let (code, doc) = json(&["scan", "--staged"], &repo.dir);
    assert_eq!(code, 0, "nothing staged: {doc:#}");
}

#[test]
fn staged_before_the_first_commit_and_failing_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut repo = Repo::init(&tmp.path().join("repo"));
    repo.write("first.ini", &credentials_file(65));
    repo.git(&["add", "first.ini"]);
    let (code, doc) = json(&["scan", "--staged"], &repo.dir);
    assert_eq!(code, 1);
    assert_eq!(keys(&doc), vec![key_id(65)]);

    std::fs::write(repo.dir.join(".git/index"), b"DIRC garbage").unwrap();
    let r = run(&["scan", "--staged"], &repo.dir);
    assert_eq!(r.code, 2, "an unreadable index never passes: {}", r.stderr);
    assert!(r.stderr.contains("cannot read the index"), "{}", r.stderr);

    let elsewhere = tempfile::tempdir().unwrap();
    let r = run(&["scan", "--staged"], elsewhere.path());
    assert_eq!(r.code, 2, "not a repository: {}", r.stderr);
}

#[test]
fn ranges_scan_what_their_commits_introduce() {
    let (_tmp, mut repo) = fixture();
    repo.write("old.ini", &credentials_file(66));
    let base = repo.commit("before the range");
    repo.write("a.ini", &credentials_file(67));
    let added = repo.commit("in the range");
    repo.write("b.txt", "unrelated\n");
    repo.commit("also in the range");
    repo.git(&["rm", "-q", "a.ini"]);
    repo.commit("removed again, but it was pushed");

    for args in [
        vec!["scan", "--since", base.as_str()],
        vec!["scan", &format!("{base}..HEAD")],
    ] {
        let (code, doc) = json(&args.iter().map(|s| &**s).collect::<Vec<_>>(), &repo.dir);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(keys(&doc), vec![key_id(67)], "{args:?}");
        let l = &doc["findings"][0]["locations"][0];
        assert_eq!(l["commit"], added.as_str());
        assert_eq!(l["path"], "a.ini");
    }
    let (code, _) = json(&["scan", "HEAD~1..HEAD"], &repo.dir);
    assert_eq!(code, 0);
    let r = run(&["scan", "--since", "no-such-rev"], &repo.dir);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot resolve"), "{}", r.stderr);
}

fn pre_push(repo: &Repo, input: &str) -> (i32, String) {
    let mut child = leakscan()
        .args(["hook", "pre-push", "origin", "file:///remote"])
        .current_dir(&repo.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn pre_push_scans_exactly_the_pushed_commits() {
    let (tmp, mut repo) = fixture();
    let remote = tmp.path().join("remote.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.write("already-public.ini", &credentials_file(70));
    repo.commit("pushed long ago");
    repo.git(&["push", "-q", "origin", "main"]);
    let remote_head = repo.git(&["rev-parse", "origin/main"]);
    repo.write("new.ini", &credentials_file(71));
    let local = repo.commit("new work");
    let zero = "0".repeat(40);

    // An existing branch: only what the remote lacks.
    let (code, out) = pre_push(
        &repo,
        &format!("refs/heads/main {local} refs/heads/main {remote_head}\n"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&key_id(71)) && !out.contains(&key_id(70)),
        "{out}"
    );
    // A new branch: what no remote-tracking ref has.
    let (code, out) = pre_push(
        &repo,
        &format!("refs/heads/main {local} refs/heads/topic {zero}\n"),
    );
    assert_eq!(code, 1);
    assert!(
        out.contains(&key_id(71)) && !out.contains(&key_id(70)),
        "{out}"
    );
    // A deletion scans nothing; so does pushing what the remote has.
    assert_eq!(
        pre_push(
            &repo,
            &format!("(delete) {zero} refs/heads/old {remote_head}\n")
        )
        .0,
        0
    );
    assert_eq!(
        pre_push(
            &repo,
            &format!("refs/heads/main {remote_head} refs/heads/main {remote_head}\n")
        )
        .0,
        0
    );

    // Through git itself, with the installed hook: the push is refused.
    let r = run(&["hook", "install", "--pre-push"], &repo.dir);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = Command::new("git")
        .args(["push", "-q", "origin", "main"])
        .current_dir(&repo.dir)
        .env("HOME", tmp.path().join("home"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "the hook blocks the push");
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(shown.contains(&key_id(71)), "{shown}");
    assert_eq!(repo.git(&["rev-parse", "origin/main"]), remote_head);
}

#[test]
fn installing_hooks_chains_existing_ones_and_is_idempotent() {
    let (tmp, mut repo) = fixture();
    let hooks = repo.dir.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let marker = tmp.path().join("old-hook-ran");
    std::fs::write(
        hooks.join("pre-commit"),
        format!("#!/bin/sh\ntouch '{}'\n", marker.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            hooks.join("pre-commit"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    let first = run(&["hook", "install", "--pre-commit"], &repo.dir);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("kept the existing pre-commit hook"),
        "{}",
        first.stderr
    );
    let installed = std::fs::read_to_string(hooks.join("pre-commit")).unwrap();
    let again = run(&["hook", "install", "--pre-commit"], &repo.dir);
    assert_eq!(again.code, 0);
    assert!(
        again.stderr.contains("already installed"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        installed
    );

    // A clean commit passes and runs the old hook too; a commit with a key is refused.
    repo.write("ok.txt", "fine\n");
    repo.git(&["add", "ok.txt"]);
    repo.git(&["commit", "-q", "-m", "clean"]);
    assert!(marker.exists(), "the existing hook still runs");
    repo.write("leak.ini", &credentials_file(72));
    repo.git(&["add", "leak.ini"]);
    let out = Command::new("git")
        .args(["commit", "-q", "-m", "leak"])
        .current_dir(&repo.dir)
        .env("HOME", tmp.path().join("home"))
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the commit is refused");
    // git shows a pre-commit hook's output on its standard error.
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(shown.contains(&key_id(72)), "{shown}");
}

#[test]
fn hooks_respect_core_hooks_path() {
    let (_tmp, mut repo) = fixture();
    repo.git(&["config", "core.hooksPath", "ci/hooks"]);
    let r = run(&["hook", "install"], &repo.dir);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(repo.dir.join("ci/hooks/pre-commit").is_file());
    assert!(repo.dir.join("ci/hooks/pre-push").is_file());
    assert!(!repo.dir.join(".git/hooks/pre-commit").exists());
}

/// Issue 11: a refused commit or push says what to do next, and counts what it read (commits
/// for a push, staged files for a commit).
#[test]
fn blocked_commits_and_pushes_say_what_to_do_next() {
    let (tmp, mut repo) = fixture();
    let remote = tmp.path().join("remote.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.git(&["push", "-q", "origin", "main"]);
    let r = run(&["hook", "install"], &repo.dir);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("pre-commit") && r.stderr.contains("pre-push"));

    repo.write("deploy/prod.env", &credentials_file(75));
    repo.git(&["add", "deploy/prod.env"]);
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(&repo.dir)
            .env("HOME", tmp.path().join("home"))
            .env("GIT_AUTHOR_NAME", "T Tester")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T Tester")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_AUTHOR_DATE", "@1700000000 +0000")
            .env("GIT_COMMITTER_DATE", "@1700000000 +0000")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = git(&["commit", "-q", "-m", "add prod settings"]);
    assert!(!out.status.success(), "the commit is refused");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let normalised = crate::golden::without_times(&stderr).replace(&key_id(75), "<key-id-75>");
    // Steps are wrapped: their words as one text.
    let joined = normalised.replace("\n     ", " ");
    assert!(
        normalised.contains("; 1 staged file scanned in <time> s\n"),
        "{normalised}"
    );
    for needle in [
        "leakscan: commit blocked: the staged changes add 1 credential (1 high).\nNext steps:\n",
        "git restore --staged FILE",
        "leakscan:allow",
        "[[allow]]\n    fingerprint = \"",
        "--write-baseline FILE",
        "`git commit --no-verify` skips the hook once",
        "is still leaked",
    ] {
        assert!(joined.contains(needle), "{needle:?} in\n{normalised}");
    }
    assert!(
        normalised
            .lines()
            .all(|l| l.chars().count() <= 100 || l.starts_with("leakscan: ")),
        "{normalised}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::golden::check_golden(
        "blocked-commit.txt",
        &format!(
            "{}{normalised}",
            crate::golden::without_times(&stdout).replace(&key_id(75), "<key-id-75>")
        ),
    );

    // Committed anyway: the push is refused, and counts the commits it read.
    let out = git(&["commit", "-q", "--no-verify", "-m", "add prod settings"]);
    assert!(out.status.success());
    let out = git(&["push", "-q", "origin", "main"]);
    assert!(!out.status.success(), "the push is refused");
    let stderr =
        crate::golden::without_times(&String::from_utf8_lossy(&out.stderr)).replace("\n     ", " ");
    assert!(
        stderr.contains("; 1 commit scanned (1 blob) in <time> s\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("leakscan: push blocked: the commits being pushed add 1 credential"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`git push --no-verify` skips the hook once"),
        "{stderr}"
    );
    assert!(stderr.contains("git rebase -i"), "{stderr}");
}
