//! scanner-git through its public API, on repositories built with git at test time (SHA-1
//! and SHA-256): typed origins and provenance, paths as bytes, problems and errors with
//! their kinds, staged scans and the cache tree, cancellation, and the example program.
//! Credentials are generated at run time.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use scanner_core::Scanner;
use scanner_git::{
    CancelToken, ErrorKind, HashKind, HistoryOptions, HistoryScanner, ObjectId, Origin,
    ProblemKind, RepoScan,
};

#[allow(dead_code)]
#[path = "../examples/scan_history.rs"]
mod scan_history;

fn key_id(seed: u64) -> String {
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

fn secret(seed: u64) -> String {
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

fn credentials_file(seed: u64) -> String {
    format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        key_id(seed),
        secret(seed)
    )
}

/// A repository built by running git with fixed identities and dates.
struct Repo {
    dir: PathBuf,
    home: PathBuf,
    tick: u64,
}

const EPOCH: i64 = 1_700_000_000;

impl Repo {
    fn init(dir: &Path, object_format: &str) -> Repo {
        std::fs::create_dir_all(dir).unwrap();
        let home = dir.parent().unwrap().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut r = Repo {
            dir: dir.to_path_buf(),
            home,
            tick: 0,
        };
        r.git(&[
            "init",
            "-q",
            "-b",
            "main",
            &format!("--object-format={object_format}"),
        ]);
        r
    }

    /// The seconds git records for the next call.
    fn next_time(&self) -> i64 {
        EPOCH + (self.tick as i64 + 1) * 60
    }

    fn git(&mut self, args: &[&str]) -> String {
        self.tick += 1;
        let date = format!("@{} +0100", EPOCH + self.tick as i64 * 60);
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.dir)
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "T Tester")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T Tester")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn write(&self, path: impl AsRef<Path>, contents: &str) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
    }

    fn commit(&mut self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }
}

fn fixture(object_format: &str) -> (tempfile::TempDir, Repo) {
    let tmp = tempfile::tempdir().unwrap();
    let mut repo = Repo::init(&tmp.path().join("repo"), object_format);
    repo.write("README.md", "# project\n");
    repo.commit("initial commit");
    (tmp, repo)
}

fn history() -> HistoryScanner {
    HistoryScanner::new(Scanner::default(), HistoryOptions::default())
}

fn id(hex: &str) -> ObjectId {
    hex.parse().unwrap()
}

/// The origin of the finding of key `seed`.
fn origin_of(scan: &RepoScan, seed: u64) -> &Origin {
    let key = key_id(seed);
    let found: Vec<&Origin> = scan
        .findings
        .iter()
        .filter(|f| f.finding.key_id.as_ref().map(|k| k.as_str()) == Some(key.as_str()))
        .map(|f| &f.origin)
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", scan.findings);
    found[0]
}

/// Keys in a file added then deleted on main, and in a file only an unmerged branch has.
fn deleted_file_and_branch(object_format: &str) {
    let (_tmp, mut repo) = fixture(object_format);
    repo.write("config/credentials", &credentials_file(1));
    let added_at = repo.next_time() + 60; // `add -A` runs first
    let added = repo.commit("add deploy credentials");
    repo.git(&["rm", "-q", "config/credentials"]);
    repo.commit("remove credentials");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.env", &credentials_file(2));
    let on_branch = repo.commit("feature work");
    repo.git(&["checkout", "-q", "main"]);
    let hex_len = if object_format == "sha256" { 64 } else { 40 };
    assert_eq!(added.len(), hex_len);

    let scan = history().scan_repository(&repo.dir).unwrap();
    assert!(!scan.cancelled);
    assert_eq!(scan.problems, [], "{:#?}", scan.problems);
    let expected_hash = if object_format == "sha256" {
        HashKind::Sha256
    } else {
        HashKind::Sha1
    };
    assert_eq!(scan.object_hash, expected_hash);

    let Origin::Blob {
        id: blob,
        provenance,
    } = origin_of(&scan, 1)
    else {
        panic!("a blob: {scan:#?}")
    };
    assert_eq!(
        blob.to_string(),
        repo.git(&["rev-parse", &format!("{added}:config/credentials")])
    );
    assert_eq!(blob.kind(), expected_hash);
    let introduced = provenance.introduced.as_ref().unwrap();
    assert_eq!(introduced.commit.id, id(&added));
    assert_eq!(introduced.path, "config/credentials");
    assert_eq!(
        introduced.commit.author.as_deref(),
        Some("T Tester <t@example.com>")
    );
    let date = introduced.commit.date.unwrap();
    assert_eq!((date.seconds(), date.offset_seconds()), (added_at, 3600));
    assert_eq!(date.to_string(), "2023-11-14T23:19:20+01:00");
    assert_eq!(introduced.commit.summary, "add deploy credentials");
    assert!(introduced.commit.reachable);
    assert_eq!(provenance.at_head, Some(false));
    assert_eq!(
        provenance.refs,
        ["HEAD", "refs/heads/feature", "refs/heads/main"]
    );
    assert_eq!(provenance.others, []);

    let Origin::Blob { provenance, .. } = origin_of(&scan, 2) else {
        panic!("a blob: {scan:#?}")
    };
    let introduced = provenance.introduced.as_ref().unwrap();
    assert_eq!(introduced.commit.id, id(&on_branch));
    assert_eq!(introduced.path, "feature.env");
    assert_eq!(provenance.refs, ["refs/heads/feature"]);
    assert_eq!(provenance.at_head, Some(false));

    // The same, once packed.
    repo.git(&["gc", "-q", "--prune=now"]);
    let packed = history().scan_repository(&repo.dir).unwrap();
    assert_eq!(packed.stats.packs, 1);
    assert_eq!(origin_of(&packed, 1), origin_of(&scan, 1));
    assert_eq!(origin_of(&packed, 2), origin_of(&scan, 2));
}

#[test]
fn sha1_history_with_full_provenance() {
    deleted_file_and_branch("sha1");
}

#[cfg(feature = "sha256")]
#[test]
fn sha256_history_with_full_provenance() {
    deleted_file_and_branch("sha256");
}

/// Without the `sha256` feature, a SHA-256 repository is still a repository, and scanning
/// it is an error that says why, never a silent scan of its work tree.
#[cfg(not(feature = "sha256"))]
#[test]
fn sha256_repositories_are_unsupported_without_the_feature() {
    let (_tmp, repo) = fixture("sha256");
    assert!(HistoryScanner::is_repository(&repo.dir));
    let e = history().scan_repository(&repo.dir).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let mut chain = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        chain += &format!(" / {c}");
        cause = c.source();
    }
    assert!(chain.contains("not enabled in this build"), "{chain}");
    assert!(
        e.to_string()
            .contains("Object format is not enabled in this build"),
        "the error itself says why: {e}"
    );
}

#[cfg(feature = "sha256")]
#[test]
fn messages_and_ranges_in_a_sha256_repository() {
    let (_tmp, mut repo) = fixture("sha256");
    let base = repo.git(&["rev-parse", "HEAD"]);
    let commit = repo.commit(&format!("rotate\n\nold key {}", key_id(3)));
    repo.write("a.ini", &credentials_file(4));
    let added = repo.commit("add");
    repo.git(&["tag", "-a", "v1", "-m", &format!("notes {}", key_id(5))]);
    let tag = repo.git(&["rev-parse", "v1"]);

    let scan = history().scan_repository(&repo.dir).unwrap();
    let Origin::CommitMessage { commit: c } = origin_of(&scan, 3) else {
        panic!("a commit message: {scan:#?}")
    };
    assert_eq!(c.id, id(&commit));
    assert_eq!(
        origin_of(&scan, 5),
        &Origin::TagMessage {
            id: id(&tag),
            name: "v1".into()
        }
    );

    let range = history()
        .scan_range(&repo.dir, &["HEAD".into()], std::slice::from_ref(&base))
        .unwrap();
    assert_eq!(range.commits, 2);
    let keys: Vec<&str> = range
        .findings
        .iter()
        .filter_map(|f| f.finding.key_id.as_ref().map(|k| k.as_str()))
        .collect();
    assert_eq!(keys, [key_id(3), key_id(4)]);
    let Origin::Blob { provenance, .. } = &range.findings[1].origin else {
        panic!("a blob: {range:#?}")
    };
    let introduced = provenance.introduced.as_ref().unwrap();
    assert_eq!(
        (introduced.commit.id, introduced.path.as_slice()),
        (id(&added), &b"a.ini"[..])
    );
}

#[cfg(target_os = "linux")]
#[test]
fn paths_are_kept_as_git_stores_them() {
    use std::os::unix::ffi::OsStrExt;
    let (_tmp, mut repo) = fixture("sha1");
    let name = std::ffi::OsStr::from_bytes(b"cr\xffds");
    repo.write(Path::new("dir").join(name), &credentials_file(6));
    repo.commit("add");
    let scan = history().scan_repository(&repo.dir).unwrap();
    assert_eq!(origin_of(&scan, 6).path().unwrap(), &b"dir/cr\xffds"[..]);
    assert_eq!(
        origin_of(&scan, 6).path().unwrap().to_string(),
        "dir/cr\u{fffd}ds"
    );
}

#[test]
fn problems_and_errors_have_kinds() {
    let (tmp, mut repo) = fixture("sha1");
    repo.write("creds", &credentials_file(7));
    repo.write("notes.txt", "some notes\n");
    repo.commit("add");
    let blob = repo.git(&["rev-parse", "HEAD:notes.txt"]);
    let loose = repo
        .dir
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    let mut perms = std::fs::metadata(&loose).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&loose, perms).unwrap();
    std::fs::write(&loose, b"this is not zlib data").unwrap();
    let scan = history().scan_repository(&repo.dir).unwrap();
    origin_of(&scan, 7);
    let corrupt: Vec<_> = scan
        .problems
        .iter()
        .filter(|p| p.kind() == ProblemKind::CorruptLooseObject)
        .collect();
    assert_eq!(corrupt.len(), 1, "{:#?}", scan.problems);
    assert_eq!(corrupt[0].object_id(), Some(id(&blob)));
    assert_eq!(corrupt[0].what(), format!("loose object {blob}"));
    assert!(corrupt[0].reason().starts_with("corrupt: "));

    // A shallow clone says so.
    let (shallow_tmp, mut intact) = fixture("sha1");
    intact.commit("more");
    let shallow = shallow_tmp.path().join("shallow");
    let url = format!("file://{}", intact.dir.display());
    intact.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        shallow.to_str().unwrap(),
    ]);
    let scan = history().scan_repository(&shallow).unwrap();
    let kinds: Vec<ProblemKind> = scan.problems.iter().map(|p| p.kind()).collect();
    assert_eq!(kinds, [ProblemKind::Shallow], "{:#?}", scan.problems);

    let not_a_repo = tmp.path().join("plain");
    std::fs::create_dir_all(&not_a_repo).unwrap();
    let e = history().scan_repository(&not_a_repo).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Open);
    assert_eq!(e.path(), not_a_repo);
    assert!(std::error::Error::source(&e).is_some());

    let e = history()
        .scan_range(&repo.dir, &["no-such-rev".into()], &[])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Revision);
    assert!(
        e.to_string().ends_with("cannot resolve \"no-such-rev\""),
        "{e}"
    );

    std::fs::write(repo.dir.join(".git/index"), b"DIRC garbage").unwrap();
    let e = history().scan_staged(&repo.dir).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Index);
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn staged_scans_skip_what_the_cache_tree_shows_unchanged() {
    let (_tmp, mut repo) = fixture("sha1");
    for d in ["a", "b", "c/d"] {
        repo.write(format!("{d}/committed.ini"), &credentials_file(10));
        // Different contents: each directory its own tree object.
        repo.write(format!("{d}/plain.txt"), &format!("text of {d}\n"));
    }
    repo.commit("committed");
    // Staged in a directory whose cache-tree entry the add invalidates; another file there
    // is staged again with the contents HEAD has; c/d is untouched.
    repo.write("b/new.ini", &credentials_file(11));
    repo.write("a/plain.txt", "text of a\n");
    repo.git(&["add", "b/new.ini", "a/plain.txt"]);
    repo.write("top.ini", &credentials_file(12));
    repo.git(&["add", "top.ini"]);
    // HEAD's trees of c and c/d are never read: without them the scan still works.
    let trees = [
        repo.git(&["rev-parse", "HEAD:c"]),
        repo.git(&["rev-parse", "HEAD:c/d"]),
    ];
    for id in trees {
        std::fs::remove_file(repo.dir.join(".git/objects").join(&id[..2]).join(&id[2..])).unwrap();
    }

    let scan = history().scan_staged(&repo.dir).unwrap();
    let mut staged: Vec<(String, String)> = scan
        .findings
        .iter()
        .map(|f| {
            (
                f.origin.path().unwrap().to_string(),
                f.finding.key_id.as_ref().unwrap().as_str().to_string(),
            )
        })
        .collect();
    staged.sort();
    assert_eq!(
        staged,
        [
            ("b/new.ini".to_string(), key_id(11)),
            ("top.ini".to_string(), key_id(12))
        ]
    );
    assert!(matches!(scan.findings[0].origin, Origin::Staged { .. }));
    assert_eq!(scan.blobs_scanned, 2);
}

#[test]
fn a_cancelled_scanner_returns_what_it_has_and_says_so() {
    let (tmp, mut repo) = fixture("sha1");
    repo.write("creds", &credentials_file(20));
    repo.commit("add");
    let other = Repo::init(&tmp.path().join("other"), "sha1");
    let mut other = other;
    other.write("more.ini", &credentials_file(21));
    other.commit("add");

    let token = CancelToken::new();
    let history = history().with_cancel_token(token.clone());
    let first = history.scan_repository(&repo.dir).unwrap();
    assert!(!first.cancelled);
    origin_of(&first, 20);

    // Between repositories: the next scan reads nothing and says it was cancelled.
    token.cancel();
    assert!(history.cancel_token().is_cancelled());
    let second = history.scan_repository(&other.dir).unwrap();
    assert!(second.cancelled);
    assert_eq!(second.findings.len(), 0);
    assert_eq!(second.stats.blobs_scanned, 0);
    assert_eq!(
        second.stats.missing_objects, 0,
        "unread objects are not missing"
    );
    assert!(
        second
            .problems
            .iter()
            .all(|p| p.kind() != ProblemKind::MissingObject),
        "{:#?}",
        second.problems
    );
    let range = history
        .scan_range(&other.dir, &["HEAD".into()], &[])
        .unwrap();
    assert!(range.cancelled && range.findings.is_empty());
    let progress = history.progress();
    assert_eq!(progress.repositories(), (3, 3));
    let (done, total) = progress.objects();
    assert!(done > 0 && done <= total);
    assert_eq!(progress.blobs_scanned().0, first.stats.blobs_scanned);
}

#[test]
fn the_example_prints_each_finding_with_its_introducing_commit_and_path() {
    let (_tmp, mut repo) = fixture("sha1");
    repo.write("deploy/prod.env", &credentials_file(30));
    let added = repo.commit("add production settings");
    repo.git(&["rm", "-q", "deploy/prod.env"]);
    repo.commit("remove them");
    let mut out = Vec::new();
    let found = scan_history::run(&repo.dir, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(found, 1, "{out}");
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "aws-key-pair {}: deploy/prod.env:2, introduced by commit {added} \
             (T Tester <t@example.com>, 2023-11-14T23:19:20+01:00)",
            key_id(30)
        )
    );
    assert!(!out.contains(&secret(30)), "no secret is printed");
    assert!(out.contains("no longer at HEAD"), "{out}");
    assert!(scan_history::run(&repo.dir.join("nowhere"), &mut Vec::new()).is_err());
}

/// What a caller of planned scans remembers: every object scanned, with its findings.
#[derive(Default)]
struct Memory {
    objects: std::collections::HashMap<ObjectId, Vec<scanner_core::Finding>>,
}

impl scanner_git::KnownObjects for Memory {
    fn findings(&self, id: &ObjectId) -> Option<&[scanner_core::Finding]> {
        self.objects.get(id).map(Vec::as_slice)
    }
}

impl Memory {
    fn learn(&mut self, scan: &RepoScan) {
        for id in &scan.scanned_blobs {
            self.objects.entry(*id).or_default();
        }
        let mut found: std::collections::HashMap<ObjectId, Vec<scanner_core::Finding>> =
            Default::default();
        for f in &scan.findings {
            found
                .entry(f.origin.object_id())
                .or_default()
                .push(f.finding.clone());
        }
        for (id, findings) in found {
            self.objects.insert(id, findings);
        }
    }
}

/// A planned scan of `repo` with `memory` and `record`; learns from it.
fn planned(
    repo: &Repo,
    memory: &mut Memory,
    record: &mut Option<scanner_git::RepoRecord>,
) -> (scanner_git::Change, RepoScan) {
    let h = history();
    // The record goes through its binary form, as a caller stores it.
    let previous = record
        .as_ref()
        .map(|r| scanner_git::RepoRecord::from_bytes(&r.to_bytes()).unwrap());
    let plan = h.plan(&repo.dir, previous).unwrap();
    let change = plan.change();
    let scan = h.scan_planned(plan, &*memory);
    memory.learn(&scan);
    *record = scan.record.clone();
    (change, scan)
}

/// A planned scan gives what a scan of every object gives.
fn assert_same_as_full(repo: &Repo, scan: &RepoScan) {
    let full = history().scan_repository(&repo.dir).unwrap();
    assert_eq!(scan.findings, full.findings);
    assert_eq!(scan.problems, full.problems);
    assert_eq!(scan.stats.commits, full.stats.commits);
    assert_eq!(scan.stats.packs, full.stats.packs);
    assert_eq!(scan.stats.missing_objects, full.stats.missing_objects);
}

#[test]
fn planned_scans_read_only_what_is_new_and_find_what_a_full_scan_finds() {
    let (_tmp, mut repo) = fixture("sha1");
    repo.write("config/credentials", &credentials_file(11));
    repo.write("docs/a.txt", "a\n");
    repo.commit(&format!("add settings\n\nthe key is {}\n", key_id(12)));
    repo.git(&[
        "tag",
        "-a",
        "v1",
        "-m",
        &format!("release, key {}", key_id(13)),
    ]);
    repo.git(&["gc", "-q"]);
    repo.write("deploy/prod.env", &credentials_file(14));
    repo.commit("deploy");

    let mut memory = Memory::default();
    let mut record = None;
    let (change, first) = planned(&repo, &mut memory, &mut record);
    assert_eq!(change, scanner_git::Change::New);
    assert_same_as_full(&repo, &first);
    assert_eq!(
        first.stats.blobs_scanned, 4,
        "README, a.txt, two credential files: {:?}",
        first.stats
    );
    assert_eq!(first.scanned_blobs.len() as u64, first.stats.blobs_scanned);
    assert_eq!(first.findings.len(), 4, "{:#?}", first.findings);

    // Nothing new: nothing scanned, the same findings.
    let (change, again) = planned(&repo, &mut memory, &mut record);
    assert_eq!(change, scanner_git::Change::Unchanged);
    assert_eq!(again.stats.blobs_scanned, 0);
    assert_eq!(again.stats.packs_unchanged, 1);
    assert_eq!(again.findings, first.findings);

    // New commits: the old credentials stay at HEAD in one place, move in another; a new
    // branch holds a new one. Only the new blobs are scanned.
    repo.git(&["rm", "-q", "deploy/prod.env"]);
    repo.write("moved/credentials", &credentials_file(11));
    repo.commit("move credentials");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.env", &credentials_file(15));
    repo.write("docs/a.txt", "b\n");
    repo.commit("feature");
    repo.git(&["checkout", "-q", "main"]);
    let (change, grown) = planned(&repo, &mut memory, &mut record);
    assert_eq!(change, scanner_git::Change::Grown);
    assert_eq!(
        grown.stats.blobs_scanned, 2,
        "feature.env and a.txt: {:?}",
        grown.stats
    );
    assert_same_as_full(&repo, &grown);

    // The new objects packed beside the old pack: only the new pack is read.
    repo.git(&["repack", "-q"]);
    let (change, repacked) = planned(&repo, &mut memory, &mut record);
    assert_eq!(change, scanner_git::Change::Grown);
    assert_eq!(repacked.stats.blobs_scanned, 0);
    assert_eq!(repacked.stats.packs, 2);
    assert_eq!(repacked.stats.packs_unchanged, 1);
    assert_same_as_full(&repo, &repacked);
    let (change, _) = planned(&repo, &mut memory, &mut record);
    assert_eq!(change, scanner_git::Change::Unchanged);

    // Everything repacked into one new pack: all read again, nothing scanned again.
    repo.git(&["commit", "-q", "--allow-empty", "-m", "empty"]);
    repo.git(&["gc", "-q", "--prune=now"]);
    let (change, rewritten) = planned(&repo, &mut memory, &mut record);
    assert_eq!(change, scanner_git::Change::Rewritten);
    assert_eq!(rewritten.stats.blobs_scanned, 0);
    assert_eq!(
        rewritten.stats.blobs_already_seen, 6,
        "{:?}",
        rewritten.stats
    );
    assert_same_as_full(&repo, &rewritten);

    // A branch deleted: its commits are unreachable now, as a full scan says too.
    repo.git(&["branch", "-q", "-D", "feature"]);
    let (change, moved) = planned(&repo, &mut memory, &mut record);
    assert_eq!(change, scanner_git::Change::Grown);
    assert_eq!(moved.stats.blobs_scanned, 0);
    assert_same_as_full(&repo, &moved);
}

#[test]
fn a_planned_scan_whose_caller_lost_its_memory_reads_everything_again() {
    let (_tmp, mut repo) = fixture("sha1");
    repo.write("config/credentials", &credentials_file(21));
    repo.commit("add");
    repo.git(&["gc", "-q"]);
    let mut memory = Memory::default();
    let mut record = None;
    planned(&repo, &mut memory, &mut record);
    repo.write("more.txt", "more\n");
    repo.commit("more");
    let mut forgetful = Memory::default();
    let (_, scan) = planned(&repo, &mut forgetful, &mut record);
    assert_eq!(scan.change, Some(scanner_git::Change::Rewritten));
    assert_same_as_full(&repo, &scan);
}

#[test]
fn records_of_planned_scans_hold_no_secret() {
    let (_tmp, mut repo) = fixture("sha1");
    repo.write("config/credentials", &credentials_file(31));
    repo.commit("add");
    let mut memory = Memory::default();
    let mut record = None;
    planned(&repo, &mut memory, &mut record);
    let bytes = record.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(&secret(31)) && !text.contains(&key_id(31)));
}
