//! Damaged repositories through the binary (issue 12): what the report says of each kind of
//! damage, that every key outside it is still found with its severity, that a finding from
//! a damaged object says so, and that scanning never writes to a damaged repository.
//! Fixtures are built with git at test time, then damaged byte by byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::history::{fixture, snapshot, Repo};
use crate::{credentials_file, json, key_id};

/// A repository with three credentials in one pack, `creds` (seed 23) its last object,
/// and the work tree emptied, so that all findings come from history.
fn packed() -> (tempfile::TempDir, Repo, String) {
    let (tmp, mut repo) = fixture();
    repo.write("a.env", &credentials_file(21));
    repo.commit("a");
    repo.write("b.env", &credentials_file(22));
    repo.commit("b");
    repo.write("creds", &credentials_file(23));
    repo.commit("creds");
    let creds = repo.git(&["rev-parse", "HEAD:creds"]);
    let all = repo.git(&["rev-list", "--objects", "--all"]);
    let mut list: Vec<&str> = all
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .filter(|id| *id != creds)
        .collect();
    list.push(&creds);
    let mut child = Command::new("git")
        .args(["pack-objects", "-q", "--window=0", ".git/objects/pack/pack"])
        .current_dir(&repo.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        (list.join("\n") + "\n").as_bytes(),
    )
    .unwrap();
    assert!(child.wait().unwrap().success());
    repo.git(&["prune-packed"]);
    for f in ["README.md", "a.env", "b.env", "creds"] {
        std::fs::remove_file(repo.dir.join(f)).unwrap();
    }
    (tmp, repo, creds)
}

fn pack(repo: &Repo) -> PathBuf {
    std::fs::read_dir(repo.dir.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap()
}

fn cut(path: &Path, bytes: u64) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
    let len = std::fs::metadata(path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len - bytes)
        .unwrap();
}

/// `(key ID, kind, severity, damaged)` of each finding, sorted.
fn found(doc: &Value) -> Vec<(String, String, String, bool)> {
    let mut v: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["key_id"].as_str().unwrap_or_default().to_string(),
                f["kind"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["locations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|l| l.get("damaged").is_some()),
            )
        })
        .collect();
    v.sort();
    v
}

fn pair(seed: u64) -> (String, String, String, bool) {
    (key_id(seed), "aws-key-pair".into(), "high".into(), false)
}

/// The three keys, whole.
fn all_pairs() -> Vec<(String, String, String, bool)> {
    let mut v = vec![pair(21), pair(22), pair(23)];
    v.sort();
    v
}

fn errors(doc: &Value) -> Vec<(String, String)> {
    doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn issue_12_1_a_pack_cut_into_its_last_object_marks_the_finding_from_it() {
    let (tmp, repo, creds) = packed();
    let p = pack(&repo);
    cut(&p, 35);
    let (code, doc) = json(&["scan", "repo"], tmp.path());
    assert_eq!(code, 1);
    let mut want = vec![
        pair(21),
        pair(22),
        (key_id(23), "aws-key-id".into(), "low".into(), true),
    ];
    want.sort();
    assert_eq!(found(&doc), want, "{doc:#}");
    let errors = errors(&doc);
    let name = p.file_name().unwrap().to_string_lossy().to_string();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].0.ends_with(&name) && errors[0].1.contains("does not match its index"));
    assert!(errors[1].0.contains(&format!("blob {creds} in ")) && errors[1].0.ends_with(&name));
    assert!(errors[1].1.contains("cut short"), "{errors:#?}");
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key_id(23).as_str())
        .unwrap();
    let l = &f["locations"][0];
    assert_eq!(l["path"], "creds", "provenance is kept");
    assert!(
        l["damaged"].as_str().unwrap().contains("cut short"),
        "{l:#}"
    );
    // The human report says it too.
    let r = crate::run(&["scan", "repo"], tmp.path());
    assert!(r.stdout.contains("from a damaged object: "), "{}", r.stdout);
}

#[test]
fn issue_12_1_a_pack_cut_by_its_trailer_loses_nothing() {
    let (tmp, repo, _) = packed();
    cut(&pack(&repo), 20);
    let (code, doc) = json(&["scan", "repo"], tmp.path());
    assert_eq!(code, 1);
    assert_eq!(found(&doc), all_pairs());
    let errors = errors(&doc);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].1.contains("lacks its trailing checksum"),
        "{errors:#?}"
    );
}

#[test]
fn issue_12_2_a_loose_object_declaring_4_gb_costs_nothing() {
    let (tmp, mut repo) = fixture();
    repo.write("creds", &credentials_file(24));
    repo.commit("creds");
    repo.write("big", "a blob that will lie about its size\n");
    repo.commit("big");
    let id = repo.git(&["rev-parse", "HEAD:big"]);
    std::fs::remove_file(repo.dir.join("creds")).unwrap();
    let path = repo.dir.join(".git/objects").join(&id[..2]).join(&id[2..]);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    let mut w = stored_zlib_prefix(b"blob 4000000000\0");
    w.extend_from_slice(&[0; 100]);
    std::fs::write(&path, w).unwrap();
    let started = std::time::Instant::now();
    let (code, doc) = json(&["scan", "repo", "--max-file-size", "1M"], tmp.path());
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    assert_eq!(code, 1);
    assert_eq!(found(&doc), [pair(24)]);
    let errors = errors(&doc);
    assert!(
        errors
            .iter()
            .any(|(p, r)| p.ends_with(&format!("loose object {id}"))
                && r.contains("declares a blob of 4000000000 bytes")),
        "{errors:#?}"
    );
}

/// A zlib stream of `data` in stored (uncompressed) blocks, cut before its end: what a
/// hostile or damaged loose object may start with.
fn stored_zlib_prefix(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01, 0x00];
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(&(!(data.len() as u16)).to_le_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn issue_12_8_a_deleted_index_is_named_and_its_pack_still_read() {
    for damage in ["deleted", "empty", "truncated"] {
        let (tmp, repo, _) = packed();
        let idx = pack(&repo).with_extension("idx");
        match damage {
            "deleted" => std::fs::remove_file(&idx).unwrap(),
            "empty" => cut(&idx, std::fs::metadata(&idx).unwrap().len()),
            _ => cut(&idx, 100),
        }
        let (code, doc) = json(&["scan", "repo"], tmp.path());
        assert_eq!(code, 1, "{damage}");
        assert_eq!(found(&doc), all_pairs(), "{damage}");
        let errors = errors(&doc);
        let idx_name = idx.file_name().unwrap().to_string_lossy().to_string();
        let pack_name = pack(&repo)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert!(
            errors
                .iter()
                .any(|(p, r)| p.ends_with(&idx_name) && r.contains(&pack_name)),
            "{damage}: {errors:#?}"
        );
    }
}

#[test]
fn damaged_repositories_are_never_written_to() {
    type Damage = fn(&Repo);
    let damages: [(&str, Damage); 4] = [
        ("cut pack", |r| cut(&pack(r), 35)),
        ("no index", |r| {
            std::fs::remove_file(pack(r).with_extension("idx")).unwrap()
        }),
        ("cut index", |r| cut(&pack(r).with_extension("idx"), 100)),
        ("trailer cut", |r| cut(&pack(r), 20)),
    ];
    for (name, damage) in damages {
        let (tmp, repo, _) = packed();
        damage(&repo);
        let before = snapshot(&repo.dir);
        let (code, _) = json(&["scan", "repo"], tmp.path());
        assert_eq!(code, 1, "{name}");
        let after = snapshot(&repo.dir);
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "{name}: no file added or removed"
        );
        assert!(before == after, "{name}: a file changed");
    }
}
