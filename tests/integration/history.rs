//! Scanning git repositories: every object once, provenance of each finding, damaged and
//! unusual repositories. Fixtures are built with git at test time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::{credentials_file, json, key_id, run, secret};

/// A repository built by running git, with fixed identities and dates so that its
/// history is the same on every run.
pub(crate) struct Repo {
    pub(crate) dir: PathBuf,
    home: PathBuf,
    tick: u64,
}

const EPOCH: u64 = 1_700_000_000;

impl Repo {
    pub(crate) fn init(dir: &Path) -> Repo {
        Repo::init_with(dir, &[])
    }

    /// A repository that exists already (a clone, say).
    pub(crate) fn open(dir: &Path) -> Repo {
        Repo {
            dir: dir.to_path_buf(),
            home: dir.parent().unwrap().join("home"),
            tick: 100,
        }
    }

    /// A repository whose objects use SHA-256 (`git init --object-format=sha256`).
    pub(crate) fn init_sha256(dir: &Path) -> Repo {
        Repo::init_with(dir, &["--object-format=sha256"])
    }

    fn init_with(dir: &Path, options: &[&str]) -> Repo {
        std::fs::create_dir_all(dir).unwrap();
        let home = dir.parent().unwrap().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut r = Repo {
            dir: dir.to_path_buf(),
            home,
            tick: 0,
        };
        let mut init = vec!["init", "-q", "-b", "main"];
        init.extend_from_slice(options);
        r.git(&init);
        r
    }

    pub(crate) fn git(&mut self, args: &[&str]) -> String {
        self.git_in(&self.dir.clone(), args)
    }

    pub(crate) fn git_in(&mut self, dir: &Path, args: &[&str]) -> String {
        self.tick += 1;
        let date = format!("@{} +0000", EPOCH + self.tick * 60);
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
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

    pub(crate) fn write(&self, path: &str, contents: &str) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
    }

    /// Commits everything; returns the commit id.
    pub(crate) fn commit(&mut self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }
}

pub(crate) fn fixture() -> (tempfile::TempDir, Repo) {
    let tmp = tempfile::tempdir().unwrap();
    let mut repo = Repo::init(&tmp.path().join("repo"));
    repo.write("README.md", "# project\n");
    repo.commit("initial commit");
    (tmp, repo)
}

/// The finding for key `seed`, and its history locations.
fn finding_for(doc: &Value, seed: u64) -> Value {
    let key = key_id(seed);
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("no finding for key {seed}: {doc:#}"))
}

fn history_locations(f: &Value) -> Vec<Value> {
    f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l.get("repository").is_some())
        .cloned()
        .collect()
}

fn only_history_location(doc: &Value, seed: u64) -> Value {
    let f = finding_for(doc, seed);
    let locs = history_locations(&f);
    assert_eq!(locs.len(), 1, "{f:#}");
    locs[0].clone()
}

fn refs(l: &Value) -> Vec<&str> {
    l["refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect()
}

#[test]
fn a_key_added_then_deleted_is_found_with_its_introducing_commit() {
    let (_tmp, mut repo) = fixture();
    repo.write("config/credentials", &credentials_file(1));
    let added = repo.commit("add deploy credentials");
    repo.git(&["rm", "-q", "config/credentials"]);
    repo.commit("remove credentials");
    let (code, doc) = json(&["scan", "."], &repo.dir);
    assert_eq!(code, 1);
    let f = finding_for(&doc, 1);
    assert_eq!(f["kind"], "aws-key-pair");
    let l = only_history_location(&doc, 1);
    assert_eq!(l["repository"], ".");
    assert_eq!(l["source"], "blob");
    assert_eq!(l["commit"], added.as_str());
    assert_eq!(l["path"], "config/credentials");
    assert_eq!(
        (l["line"].as_u64(), l["column"].as_u64()),
        (Some(2), Some(21))
    );
    assert_eq!(l["author"], "T Tester <t@example.com>");
    // The fixture's dates are fixed: the sixth git call of the test.
    assert_eq!(l["date"], "2023-11-14T22:19:20+00:00");
    assert_eq!(l["summary"], "add deploy credentials");
    assert_eq!(l["at_head"], false);
    assert_eq!(l["reachable"], true);
    assert_eq!(refs(&l), ["HEAD", "refs/heads/main"]);
    assert_eq!(l["also_in"], Value::Array(vec![]));
    let human = run(&["scan", "."], &repo.dir);
    let date = "2023-11-14T22:19:20+00:00";
    assert!(
        human.stdout.contains(&format!(
            "  entered      .: commit {}, {date} by T Tester <t@example.com>\n               \
             \"add deploy credentials\"\n               at config/credentials:2\n  \
             now          removed from HEAD, still in history\n",
            &added[..12]
        )),
        "{}",
        human.stdout
    );
}

#[test]
fn sha256_repositories_are_scanned_with_full_provenance() {
    let tmp = tempfile::tempdir().unwrap();
    let mut repo = Repo::init_sha256(&tmp.path().join("repo"));
    repo.write("README.md", "# project\n");
    repo.commit("initial commit");
    repo.write("config/credentials", &credentials_file(19));
    let added = repo.commit("add deploy credentials");
    assert_eq!(added.len(), 64, "a SHA-256 id");
    repo.git(&["rm", "-q", "config/credentials"]);
    repo.commit("remove credentials");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.env", &credentials_file(20));
    let on_branch = repo.commit("feature work");
    repo.git(&["checkout", "-q", "main"]);

    for packed in [false, true] {
        if packed {
            repo.git(&["gc", "-q", "--prune=now"]);
        }
        let (code, doc) = json(&["scan", "."], &repo.dir);
        assert_eq!(code, 1, "{doc:#}");
        assert_eq!(doc["errors"], Value::Array(vec![]));
        let l = only_history_location(&doc, 19);
        assert_eq!(l["repository"], ".");
        assert_eq!(l["source"], "blob");
        assert_eq!(
            l["object"],
            repo.git(&["rev-parse", &format!("{added}:config/credentials")])
                .as_str()
        );
        assert_eq!(l["commit"], added.as_str());
        assert_eq!(l["path"], "config/credentials");
        assert_eq!(
            (l["line"].as_u64(), l["column"].as_u64()),
            (Some(2), Some(21))
        );
        assert_eq!(l["author"], "T Tester <t@example.com>");
        // The fixture's dates are fixed: the sixth git call of the test.
        assert_eq!(l["date"], "2023-11-14T22:19:20+00:00");
        assert_eq!(l["summary"], "add deploy credentials");
        assert_eq!(l["at_head"], false);
        assert_eq!(l["reachable"], true);
        assert_eq!(refs(&l), ["HEAD", "refs/heads/feature", "refs/heads/main"]);
        assert_eq!(l["also_in"], Value::Array(vec![]));

        let l = only_history_location(&doc, 20);
        assert_eq!(
            (l["commit"].as_str(), l["path"].as_str()),
            (Some(on_branch.as_str()), Some("feature.env"))
        );
        assert_eq!(refs(&l), ["refs/heads/feature"]);
        assert_eq!(l["at_head"], false);
        assert_eq!(doc["stats"]["repositories"][0]["packs"], u64::from(packed));
    }
    let human = run(&["scan", "."], &repo.dir);
    assert!(
        human.stdout.contains(&format!(
            "  entered      .: commit {}, 2023-11-14T22:19:20+00:00 by T Tester \
             <t@example.com>\n               \"add deploy credentials\"\n               \
             at config/credentials:2\n  now          removed from HEAD, still in history\n",
            &added[..12]
        )),
        "{}",
        human.stdout
    );
    // Before a commit and in a range, too.
    repo.write("staged.ini", &credentials_file(21));
    repo.git(&["add", "staged.ini"]);
    let (code, doc) = json(&["scan", "--staged"], &repo.dir);
    assert_eq!(code, 1);
    assert_eq!(finding_for(&doc, 21)["locations"][0]["path"], "staged.ini");
    let (code, doc) = json(&["scan", &format!("{added}~1..{on_branch}")], &repo.dir);
    assert_eq!(code, 1);
    let l = only_history_location(&doc, 20);
    assert_eq!(l["commit"], on_branch.as_str());
}

#[test]
fn keys_only_on_a_branch_in_a_tag_or_in_the_stash_name_that_ref() {
    let (_tmp, mut repo) = fixture();
    // An unmerged branch.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.env", &credentials_file(2));
    let on_branch = repo.commit("feature work");
    repo.git(&["checkout", "-q", "main"]);
    // A tag on a commit no branch holds.
    repo.git(&["checkout", "-q", "--detach"]);
    repo.write("release.ini", &credentials_file(3));
    let tagged = repo.commit("release build");
    repo.git(&["tag", "-a", "v1.0", "-m", "release 1.0"]);
    repo.git(&["checkout", "-q", "main"]);
    // The stash.
    repo.write("wip.env", &credentials_file(4));
    repo.git(&["add", "wip.env"]);
    repo.git(&["stash", "-q"]);
    let stash_index = repo.git(&["rev-parse", "stash@{0}^2"]);
    let stash = repo.git(&["rev-parse", "stash@{0}"]);

    let (code, doc) = json(&["scan", "."], &repo.dir);
    assert_eq!(code, 1);
    let l = only_history_location(&doc, 2);
    assert_eq!(
        (l["commit"].as_str(), l["path"].as_str()),
        (Some(on_branch.as_str()), Some("feature.env"))
    );
    assert_eq!(refs(&l), ["refs/heads/feature"]);
    assert_eq!(l["at_head"], false);

    let l = only_history_location(&doc, 3);
    assert_eq!(
        (l["commit"].as_str(), l["path"].as_str()),
        (Some(tagged.as_str()), Some("release.ini"))
    );
    assert_eq!(refs(&l), ["refs/tags/v1.0"]);
    assert_eq!(l["reachable"], true);

    let l = only_history_location(&doc, 4);
    assert_eq!(
        (l["commit"].as_str(), l["path"].as_str()),
        (Some(stash_index.as_str()), Some("wip.env"))
    );
    assert_eq!(refs(&l), ["refs/stash"]);
    let also: Vec<(&str, &str)> = l["also_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["commit"].as_str().unwrap(), h["path"].as_str().unwrap()))
        .collect();
    assert_eq!(also, [(stash.as_str(), "wip.env")]);
}

#[test]
fn a_key_only_in_a_dangling_commit_is_found_and_marked_unreachable() {
    let (_tmp, mut repo) = fixture();
    repo.write("oops.env", &credentials_file(5));
    let dangling = repo.commit("oops");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    let (code, doc) = json(&["scan", "."], &repo.dir);
    assert_eq!(code, 1);
    let l = only_history_location(&doc, 5);
    assert_eq!(l["commit"], dangling.as_str());
    assert_eq!(l["path"], "oops.env");
    assert_eq!(l["reachable"], false);
    assert_eq!(refs(&l), Vec::<&str>::new());
    let human = run(&["scan", "."], &repo.dir);
    assert!(
        human.stdout.contains("reachable from no ref"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_key_inside_a_delta_compressed_blob_of_an_aggressively_packed_repository() {
    let (_tmp, mut repo) = fixture();
    let base: Vec<String> = (0..400)
        .map(|i| format!("setting_{i} = value number {i} of a long config file"))
        .collect();
    let mut introduced = String::new();
    for version in 0..10 {
        // Later versions grow, so git keeps the newest whole and stores older ones as deltas.
        let mut lines = base.clone();
        lines.extend((0..version * 3).map(|i| format!("added_{i} = appended in a later version")));
        lines[version * 7] = format!("setting_{} = changed in version {version}", version * 7);
        if version == 2 {
            lines[200] = format!("aws_access_key_id = {}", key_id(6));
            lines[201] = format!("aws_secret_access_key = {}", secret(6));
        }
        repo.write("app.conf", &(lines.join("\n") + "\n"));
        let c = repo.commit(&format!("version {version}"));
        if version == 2 {
            introduced = c;
        }
    }
    repo.git(&["gc", "-q", "--aggressive", "--prune=now"]);
    let pack = repo.git(&["rev-parse", "--git-path", "objects/pack"]);
    let idx = std::fs::read_dir(repo.dir.join(pack))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    let verify = repo.git(&["verify-pack", "-v", idx.to_str().unwrap()]);
    let blob = repo.git(&["rev-parse", &format!("{introduced}:app.conf")]);
    let line = verify.lines().find(|l| l.starts_with(&blob)).unwrap();
    assert!(
        line.split_whitespace().count() >= 7,
        "the blob is stored as a delta: {line}"
    );

    let (code, doc) = json(&["scan", "."], &repo.dir);
    assert_eq!(code, 1);
    let l = only_history_location(&doc, 6);
    assert_eq!(l["also_in"], Value::Array(vec![]));
    assert_eq!(
        (l["commit"].as_str(), l["path"].as_str()),
        (Some(introduced.as_str()), Some("app.conf"))
    );
    assert_eq!(l["object"], blob.as_str());
    assert_eq!(l["line"], 201);
    assert_eq!(l["at_head"], false);
}

#[test]
fn a_renamed_file_keeps_its_introducing_commit_and_original_path() {
    let (_tmp, mut repo) = fixture();
    repo.write("old name.txt", &credentials_file(7));
    let added = repo.commit("add");
    std::fs::create_dir_all(repo.dir.join("dir with space")).unwrap();
    repo.git(&["mv", "old name.txt", "dir with space/ключ.env"]);
    let renamed = repo.commit("rename");
    let (code, doc) = json(&["scan", "."], &repo.dir);
    assert_eq!(code, 1);
    let l = only_history_location(&doc, 7);
    assert_eq!(
        (l["commit"].as_str(), l["path"].as_str()),
        (Some(added.as_str()), Some("old name.txt"))
    );
    assert_eq!(l["at_head"], true);
    assert_eq!(refs(&l), ["HEAD", "refs/heads/main"]);
    let also = &l["also_in"].as_array().unwrap()[..];
    assert_eq!(also.len(), 1);
    assert_eq!(also[0]["commit"], renamed.as_str());
    assert_eq!(also[0]["path"], "dir with space/ключ.env");
    // Tracked and unchanged in the work tree: reported once, from history, not again as a file.
    let f = finding_for(&doc, 7);
    assert_eq!(f["locations"].as_array().unwrap().len(), 1);
}

#[test]
fn keys_in_commit_and_tag_messages() {
    let (_tmp, mut repo) = fixture();
    let commit = repo.commit(&format!(
        "rotate keys\n\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        key_id(8),
        secret(8)
    ));
    repo.git(&[
        "tag",
        "-a",
        "v2",
        "-m",
        &format!("release notes\nold key {}", key_id(9)),
    ]);
    let tag = repo.git(&["rev-parse", "v2"]);
    let (code, doc) = json(&["scan", "."], &repo.dir);
    assert_eq!(code, 1);
    let l = only_history_location(&doc, 8);
    assert_eq!(l["source"], "commit-message");
    assert_eq!(l["object"], commit.as_str());
    assert_eq!(l["commit"], commit.as_str());
    assert_eq!(l["line"], 3);
    assert_eq!(l["path"], Value::Null);
    let l = only_history_location(&doc, 9);
    assert_eq!(l["source"], "tag-message");
    assert_eq!(l["object"], tag.as_str());
    assert_eq!(l["tag"], "v2");
    assert_eq!(l["line"], 2);
}

#[test]
fn bare_repositories_linked_worktrees_and_alternates() {
    let (tmp, mut repo) = fixture();
    repo.write("creds", &credentials_file(10));
    let added = repo.commit("add");
    let bare = tmp.path().join("bare.git");
    repo.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    let wt = tmp.path().join("wt");
    repo.git(&["worktree", "add", "-q", "--detach", wt.to_str().unwrap()]);
    // A clone that borrows every object through objects/info/alternates.
    let shared = tmp.path().join("shared");
    repo.git(&["clone", "-q", "--shared", ".", shared.to_str().unwrap()]);
    assert!(shared.join(".git/objects/info/alternates").is_file());
    for path in [&bare, &wt, &shared] {
        let (code, doc) = json(&["scan", path.to_str().unwrap()], tmp.path());
        assert_eq!(code, 1, "{}", path.display());
        let l = only_history_location(&doc, 10);
        assert_eq!(l["commit"], added.as_str(), "{}", path.display());
        assert_eq!(l["path"], "creds");
    }
}

#[test]
fn shallow_clones_scan_what_they_have_and_say_what_is_missing() {
    let (tmp, mut repo) = fixture();
    repo.write("creds", &credentials_file(11));
    repo.commit("add");
    repo.write("other.txt", "more\n");
    let head = repo.commit("more");
    let shallow = tmp.path().join("shallow");
    let url = format!("file://{}", repo.dir.display());
    repo.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        shallow.to_str().unwrap(),
    ]);
    let (code, doc) = json(&["scan", "shallow"], tmp.path());
    assert_eq!(code, 1);
    let l = only_history_location(&doc, 11);
    assert_eq!(l["commit"], head.as_str(), "the only commit the clone has");
    let errors = doc["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["reason"].as_str().unwrap().contains("shallow clone")),
        "{doc:#}"
    );
}

#[test]
fn corrupt_objects_are_reported_and_the_rest_is_scanned() {
    let (tmp, mut repo) = fixture();
    repo.write("creds", &credentials_file(12));
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
    let (code, doc) = json(&["scan", "repo"], tmp.path());
    assert_eq!(code, 1, "the intact credential is still found");
    finding_for(&doc, 12);
    let errors = doc["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["path"].as_str().unwrap().contains(&blob)
                && e["reason"].as_str().unwrap().contains("corrupt")),
        "{doc:#}"
    );
}

#[test]
fn a_truncated_pack_is_reported_and_nothing_panics() {
    let (tmp, mut repo) = fixture();
    for i in 0..20u64 {
        repo.write(
            &format!("f{i}.txt"),
            &format!("file {i}\n{}", "filler line\n".repeat(50)),
        );
    }
    repo.commit("many files");
    repo.git(&["gc", "-q", "--prune=now"]);
    // A credential committed after the gc sits in a loose object, outside the damaged pack.
    repo.write("creds", &credentials_file(18));
    repo.commit("add");
    let pack = std::fs::read_dir(repo.dir.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    let bytes = std::fs::read(&pack).unwrap();
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    std::fs::write(&pack, &bytes[..bytes.len() / 2]).unwrap();
    let r = run(&["scan", "repo", "--format", "json"], tmp.path());
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(
        r.code, 1,
        "the loose credential is still found: {}",
        r.stderr
    );
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    finding_for(&doc, 18);
    let pack_name = pack.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        doc["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"].as_str().unwrap().contains(&pack_name)),
        "{doc:#}"
    );
}

/// Every file under `dir`: size, modification time and contents.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                out.insert(
                    e.path(),
                    (
                        meta.len(),
                        meta.modified().unwrap(),
                        std::fs::read(e.path()).unwrap(),
                    ),
                );
            }
        }
    }
    out
}

#[test]
fn scanning_never_writes_to_the_repository() {
    let (_tmp, mut repo) = fixture();
    repo.write("creds", &credentials_file(13));
    repo.commit("add");
    repo.write("untracked.env", &credentials_file(14));
    repo.git(&["gc", "-q"]);
    repo.write("loose.txt", "after gc\n");
    repo.commit("loose objects too");
    let before = snapshot(&repo.dir);
    let (code, _) = json(&["scan", "."], &repo.dir);
    assert_eq!(code, 1);
    assert_eq!(run(&["scan", "."], &repo.dir).code, 1);
    let after = snapshot(&repo.dir);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    assert!(before == after, "a file changed");
}

#[test]
fn work_tree_files_not_in_history_are_scanned_as_files() {
    let (_tmp, mut repo) = fixture();
    repo.write("tracked.ini", &credentials_file(15));
    repo.commit("add");
    repo.write(".env", &credentials_file(16));
    let (code, doc) = json(&["scan", "."], &repo.dir);
    assert_eq!(code, 1);
    let f = finding_for(&doc, 16);
    let locs = f["locations"].as_array().unwrap();
    assert_eq!(locs.len(), 1);
    assert!(locs[0].get("repository").is_none());
    assert!(locs[0]["path"].as_str().unwrap().ends_with(".env"), "{f:#}");
    // --no-history: the work tree only.
    let (_, doc) = json(&["scan", ".", "--no-history"], &repo.dir);
    let f = finding_for(&doc, 15);
    assert_eq!(f["locations"][0]["path"], "tracked.ini");
    assert!(f["locations"][0].get("repository").is_none());
}

#[test]
fn forks_share_blobs_which_are_scanned_once_and_found_in_both() {
    let (tmp, mut repo) = fixture();
    repo.write("creds", &credentials_file(17));
    let added = repo.commit("add");
    let fork = tmp.path().join("fork");
    repo.git(&["clone", "-q", "--no-local", ".", fork.to_str().unwrap()]);
    let (code, doc) = json(&["scan", "repo", "fork"], tmp.path());
    assert_eq!(code, 1);
    let f = finding_for(&doc, 17);
    let locations = history_locations(&f);
    let repos: Vec<&str> = locations
        .iter()
        .map(|l| l["repository"].as_str().unwrap())
        .collect();
    assert_eq!(repos, ["fork", "repo"]);
    for l in history_locations(&f) {
        assert_eq!(l["commit"], added.as_str());
    }
    let stats = &doc["stats"]["repositories"];
    assert_eq!(stats[0]["path"], "repo");
    assert!(stats[0]["blobs_scanned"].as_u64().unwrap() >= 2);
    assert_eq!(stats[1]["blobs_scanned"], 0, "the fork adds no new blob");
    assert!(stats[1]["blobs_already_seen"].as_u64().unwrap() >= 2);
}

#[test]
fn history_reports_are_identical_whatever_the_thread_count() {
    let (_tmp, mut repo) = fixture();
    for i in 0..12u64 {
        repo.write(
            &format!("d{}/c{i}.ini", i % 3),
            &credentials_file(100 + i % 5),
        );
        repo.commit(&format!("c{i}"));
        if i % 4 == 0 {
            repo.git(&["gc", "-q"]);
        }
    }
    let one = run(
        &["scan", ".", "--format", "json", "--threads", "1"],
        &repo.dir,
    );
    let two = run(
        &["scan", ".", "--format", "json", "--threads", "2"],
        &repo.dir,
    );
    assert_eq!(one.code, 1);
    assert_eq!(one.stdout, two.stdout);
}

/// Issue 11: a work tree is what the repository holds plus the untracked files a person
/// would commit: files git ignores (build output) are counted, not read, unless
/// `--include-ignored`; a directory that is no repository is read whole.
#[test]
fn files_git_ignores_are_counted_not_read_in_work_trees_only() {
    let (tmp, mut repo) = fixture();
    repo.write(".gitignore", "/build/\n*.log\n");
    repo.commit("ignore build output");
    repo.write("build/out/app.env", &credentials_file(41));
    repo.write("debug.log", &credentials_file(42));
    repo.write(".env", &credentials_file(43)); // untracked, not ignored: read
    let (code, doc) = json(&["scan", "."], &repo.dir);
    assert_eq!(code, 1);
    assert_eq!(crate::key_ids(&doc), [key_id(43)]);
    assert_eq!(doc["stats"]["files_ignored"], 2);
    let human = run(&["scan", "."], &repo.dir);
    assert!(
        human
            .stdout
            .contains("  skipped      2 ignored files not read; --include-ignored to read them\n"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stderr
            .contains("2 ignored files not read; --include-ignored to read them"),
        "{}",
        human.stderr
    );
    // The same with --no-history.
    let (_, doc) = json(&["scan", ".", "--no-history"], &repo.dir);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["stats"]["files_ignored"], 2);

    let (_, doc) = json(&["scan", ".", "--include-ignored"], &repo.dir);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 3);
    assert!(doc["stats"].get("files_ignored").is_none());

    // A plain directory with a .gitignore: every file is read.
    let plain = tmp.path().join("plain");
    std::fs::create_dir_all(plain.join("build")).unwrap();
    std::fs::write(plain.join(".gitignore"), "/build/\n").unwrap();
    std::fs::write(plain.join("build/app.env"), credentials_file(44)).unwrap();
    let (code, doc) = json(&["scan", "plain"], tmp.path());
    assert_eq!(code, 1);
    assert_eq!(doc["findings"][0]["key_id"], key_id(44));
}
