//! Damaged object databases, each made at test time with git and byte surgery: what is
//! reported (the kind of each problem and what it names), and that every credential
//! outside the damage is still found with its severity — the one inside it found from the
//! bytes that could be read, marked as such.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use scanner_core::Scanner;

use super::craft::zlib;
use crate::{HistoryOptions, HistoryScanner, ProblemKind, RepoScan};

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

fn credentials(seed: u64) -> String {
    format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        key_id(seed),
        secret(seed)
    )
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn git_stdin(dir: &Path, args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository holding seven credentials in one pack: six in files (three versions of
/// `config`, deltas of each other), the seventh — `creds`, of seed 7 — the pack's last
/// object, stored whole. Returns the directory and the id of `creds`.
fn seven_keys() -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    let filler: String = (0..40)
        .map(|i| format!("setting_{i} = value {i}\n"))
        .collect();
    for (i, seed) in [1u64, 2, 3].iter().enumerate() {
        std::fs::write(
            dir.join("config"),
            format!("{filler}{}", credentials(*seed)),
        )
        .unwrap();
        std::fs::write(dir.join(format!("k{seed}")), credentials(seed + 3)).unwrap();
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", &format!("version {i}")]);
    }
    std::fs::write(dir.join("creds"), credentials(7)).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "creds"]);
    let creds = git(dir, &["rev-parse", "HEAD:creds"]);
    // One pack, `creds` last and whole (its own delta window), the rest as git packs it.
    let all = git(dir, &["rev-list", "--objects", "--all"]);
    let mut list: Vec<&str> = all
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .filter(|id| *id != creds)
        .collect();
    list.push(&creds);
    let pack_dir = dir.join(".git/objects/pack");
    std::fs::create_dir_all(&pack_dir).unwrap();
    git_stdin(
        dir,
        &["pack-objects", "-q", ".git/objects/pack/pack"],
        &(list.join("\n") + "\n"),
    );
    git(dir, &["prune-packed"]);
    // The work tree is gone: what is found comes from the object database.
    for f in ["config", "creds", "k1", "k2", "k3"] {
        std::fs::remove_file(dir.join(f)).unwrap();
    }
    let p = pack(dir);
    let last = git(
        dir,
        &[
            "verify-pack",
            "-v",
            p.with_extension("idx").to_str().unwrap(),
        ],
    );
    let last_line = last
        .lines()
        .filter(|l| l.len() > 40 && l.as_bytes()[40] == b' ')
        .max_by_key(|l| l.split_whitespace().nth(4).unwrap().parse::<u64>().unwrap())
        .unwrap();
    assert!(
        last_line.starts_with(&creds),
        "creds is the last object: {last}"
    );
    assert!(
        last.contains("chain length = 1"),
        "the pack has deltas: {last}"
    );
    (tmp, creds)
}

fn pack(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap()
}

fn writable(path: &Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
}

fn cut(path: &Path, bytes: u64) {
    writable(path);
    let len = std::fs::metadata(path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len - bytes)
        .unwrap();
}

fn flip(path: &Path, at: u64) {
    writable(path);
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at as usize] ^= 0x55;
    std::fs::write(path, bytes).unwrap();
}

fn scan(dir: &Path) -> RepoScan {
    scan_with(dir, HistoryOptions::default())
}

fn scan_with(dir: &Path, options: HistoryOptions) -> RepoScan {
    HistoryScanner::new(Scanner::default(), options)
        .scan_repository(dir)
        .unwrap()
}

/// `(key ID, kind, severity, from a damaged object)` of every finding, sorted.
fn keys(scan: &RepoScan) -> Vec<(String, &'static str, &'static str, bool)> {
    let mut v: Vec<_> = scan
        .findings
        .iter()
        .map(|f| {
            (
                f.finding
                    .key_id
                    .as_ref()
                    .map(|k| k.as_str().to_string())
                    .unwrap_or_default(),
                f.finding.kind.as_str(),
                f.finding.severity.as_str(),
                f.damage.is_some(),
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The seven keys, whole, except those listed with what they became.
fn expected(
    exceptions: &[(u64, &'static str, &'static str, bool)],
) -> Vec<(String, &'static str, &'static str, bool)> {
    let mut v: Vec<_> = (1..=7)
        .map(|seed| {
            exceptions
                .iter()
                .find(|e| e.0 == seed)
                .map_or((key_id(seed), "aws-key-pair", "high", false), |e| {
                    (key_id(seed), e.1, e.2, e.3)
                })
        })
        .collect();
    v.sort();
    v
}

/// `(kind, what)` of every problem, paths relative to `dir`.
fn problems(scan: &RepoScan, dir: &Path) -> Vec<(ProblemKind, String)> {
    let prefix = format!("{}/", std::fs::canonicalize(dir).unwrap().display());
    scan.problems
        .iter()
        .map(|p| (p.kind(), p.what().replace(&prefix, "")))
        .collect()
}

fn pack_name(dir: &Path) -> String {
    format!(
        ".git/objects/pack/{}",
        pack(dir).file_name().unwrap().to_string_lossy()
    )
}

#[test]
fn an_intact_pack_has_no_problems() {
    let (tmp, _) = seven_keys();
    let s = scan(tmp.path());
    assert_eq!(problems(&s, tmp.path()), []);
    assert_eq!(keys(&s), expected(&[]));
}

#[test]
fn issue_12_1_a_pack_cut_by_its_trailer_loses_nothing() {
    let (tmp, _) = seven_keys();
    cut(&pack(tmp.path()), 20);
    let s = scan(tmp.path());
    assert_eq!(
        problems(&s, tmp.path()),
        [(ProblemKind::ChecksumMismatch, pack_name(tmp.path()))]
    );
    assert!(
        s.problems[0]
            .reason()
            .contains("packfile does not match index"),
        "{}",
        s.problems[0]
    );
    assert_eq!(
        keys(&s),
        expected(&[]),
        "the last object is whole: its pair is found"
    );
    assert_eq!(s.stats.missing_objects, 0);
}

#[test]
fn issue_12_1_a_pack_cut_into_its_last_object_marks_what_was_read_of_it() {
    let (tmp, creds) = seven_keys();
    cut(&pack(tmp.path()), 35);
    let s = scan(tmp.path());
    let pack = pack_name(tmp.path());
    assert_eq!(
        problems(&s, tmp.path()),
        [
            (ProblemKind::ChecksumMismatch, pack.clone()),
            (
                ProblemKind::TruncatedObject,
                format!("blob {creds} in {pack}")
            ),
        ]
    );
    let truncated = &s.problems[1];
    assert!(truncated.reason().contains("cut short"), "{truncated}");
    assert_eq!(
        truncated.object_id().map(|o| o.to_string()),
        Some(creds.clone())
    );
    // The secret was in the part cut off: the key ID is found alone, marked as from a
    // damaged object — never as if the blob were whole.
    assert_eq!(keys(&s), expected(&[(7, "aws-key-id", "low", true)]));
    let f = s.findings.iter().find(|f| f.damage.is_some()).unwrap();
    assert_eq!(f.damage.as_ref(), Some(truncated));
    assert_eq!(f.origin.object_id().to_string(), creds);
    assert_eq!(
        f.origin.path().map(ToString::to_string).as_deref(),
        Some("creds"),
        "provenance of the damaged blob is still known"
    );
    assert_eq!(s.stats.missing_objects, 1, "the cut blob is not whole");
}

#[test]
fn issue_12_1_a_bad_pack_trailer_is_reported() {
    let (tmp, _) = seven_keys();
    let p = pack(tmp.path());
    let len = std::fs::metadata(&p).unwrap().len();
    flip(&p, len - 5);
    let s = scan(tmp.path());
    assert_eq!(
        problems(&s, tmp.path()),
        [(ProblemKind::ChecksumMismatch, pack_name(tmp.path()))]
    );
    assert_eq!(keys(&s), expected(&[]));
}

#[test]
fn issue_12_1_a_corrupt_object_inside_a_pack_is_reported_by_name() {
    let (tmp, _) = seven_keys();
    let p = pack(tmp.path());
    let idx = p.with_extension("idx");
    let listing = git(tmp.path(), &["verify-pack", "-v", idx.to_str().unwrap()]);
    // The blob deepest in a delta chain: no other object depends on it.
    let (id, size_in_pack, offset) = listing
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() >= 5 && f[1] == "blob")
        .max_by_key(|f| f.get(5).map_or(0, |d| d.parse::<u64>().unwrap()))
        .map(|f| {
            (
                f[0].to_string(),
                f[3].parse::<u64>().unwrap(),
                f[4].parse::<u64>().unwrap(),
            )
        })
        .unwrap();
    let contents = git(tmp.path(), &["cat-file", "-p", &id]);
    let seed = (1..=7).find(|s| contents.contains(&key_id(*s))).unwrap();
    flip(&p, offset + size_in_pack / 2);
    let s = scan(tmp.path());
    assert_eq!(
        problems(&s, tmp.path()),
        [(
            ProblemKind::DamagedObject,
            format!("blob {id} in {}", pack_name(tmp.path()))
        )],
        "{:#?}",
        s.problems
    );
    assert!(
        s.problems[0].reason().contains("CRC-32"),
        "{}",
        s.problems[0]
    );
    let found = keys(&s);
    for other in (1..=7).filter(|o| *o != seed) {
        assert!(
            found.contains(&(key_id(other), "aws-key-pair", "high", false)),
            "{other}: {found:?}"
        );
    }
    // The damaged one is found only from what could be read of it, and marked so.
    assert!(
        found.iter().filter(|k| k.0 == key_id(seed)).all(|k| k.3),
        "{found:?}"
    );
}

#[test]
fn issue_12_8_a_pack_without_its_index_is_read_from_its_start() {
    for damage in ["deleted", "empty", "truncated", "corrupt"] {
        let (tmp, _) = seven_keys();
        let idx = pack(tmp.path()).with_extension("idx");
        writable(&idx);
        let len = std::fs::metadata(&idx).unwrap().len();
        match damage {
            "deleted" => std::fs::remove_file(&idx).unwrap(),
            "empty" => std::fs::write(&idx, b"").unwrap(),
            "truncated" => cut(&idx, len / 2),
            _ => flip(&idx, len / 2),
        }
        let s = scan(tmp.path());
        let idx_name = pack_name(tmp.path()).replace(".pack", ".idx");
        let unusable: Vec<_> = problems(&s, tmp.path())
            .into_iter()
            .filter(|(k, _)| *k == ProblemKind::UnusablePackIndex)
            .collect();
        assert_eq!(
            unusable,
            [(ProblemKind::UnusablePackIndex, idx_name)],
            "{damage}"
        );
        let p = s
            .problems
            .iter()
            .find(|p| p.kind() == ProblemKind::UnusablePackIndex)
            .unwrap();
        assert!(
            p.reason()
                .contains(pack(tmp.path()).file_name().unwrap().to_str().unwrap()),
            "the problem names the pack: {p}"
        );
        assert_eq!(
            keys(&s),
            expected(&[]),
            "{damage}: every key of the intact pack"
        );
        assert!(
            !s.problems.iter().any(|p| matches!(
                p.kind(),
                ProblemKind::DamagedPack
                    | ProblemKind::DamagedObject
                    | ProblemKind::ChecksumMismatch
            )),
            "{damage}: the pack itself is intact: {:#?}",
            s.problems
        );
    }
}

#[test]
fn issue_12_8_a_pack_without_its_index_and_cut_short_loses_only_its_end() {
    let (tmp, _) = seven_keys();
    let p = pack(tmp.path());
    std::fs::remove_file(p.with_extension("idx")).unwrap();
    cut(&p, 35);
    let s = scan(tmp.path());
    let kinds: Vec<ProblemKind> = s.problems.iter().map(|p| p.kind()).collect();
    assert!(
        kinds.contains(&ProblemKind::UnusablePackIndex),
        "{:#?}",
        s.problems
    );
    assert!(
        kinds.contains(&ProblemKind::TruncatedObject),
        "{:#?}",
        s.problems
    );
    // The cut blob's id cannot be known without the index: its finding has the null id.
    assert_eq!(keys(&s), expected(&[(7, "aws-key-id", "low", true)]));
    let f = s.findings.iter().find(|f| f.damage.is_some()).unwrap();
    assert!(f.origin.object_id().is_null());
}

/// A loose object's file.
fn loose_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(".git/objects").join(&id[..2]).join(&id[2..])
}

/// A repository whose `creds` (seed 7) is a loose object, beside the seven keys' pack.
fn with_loose_creds() -> (tempfile::TempDir, String) {
    let (tmp, _) = seven_keys();
    let dir = tmp.path();
    std::fs::write(dir.join("creds"), credentials(8)).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "loose creds"]);
    let id = git(dir, &["rev-parse", "HEAD:creds"]);
    std::fs::remove_file(dir.join("creds")).unwrap();
    assert!(loose_path(dir, &id).is_file());
    (tmp, id)
}

fn with_eight(
    mut v: Vec<(String, &'static str, &'static str, bool)>,
    eighth: (&'static str, &'static str, bool),
) -> Vec<(String, &'static str, &'static str, bool)> {
    v.push((key_id(8), eighth.0, eighth.1, eighth.2));
    v.sort();
    v
}

#[test]
fn issue_12_1_a_loose_object_missing_its_adler32_is_reported() {
    let (tmp, id) = with_loose_creds();
    cut(&loose_path(tmp.path(), &id), 4);
    let s = scan(tmp.path());
    assert_eq!(
        problems(&s, tmp.path()),
        [(ProblemKind::TruncatedObject, format!("loose object {id}"))]
    );
    assert!(
        s.problems[0].reason().contains("Adler-32"),
        "{}",
        s.problems[0]
    );
    // All its bytes are there and match its id: it is read, whole.
    assert_eq!(
        keys(&s),
        with_eight(expected(&[]), ("aws-key-pair", "high", false))
    );
}

#[test]
fn issue_12_1_a_loose_object_cut_short_marks_what_was_read_of_it() {
    let (tmp, id) = with_loose_creds();
    cut(&loose_path(tmp.path(), &id), 20);
    let s = scan(tmp.path());
    assert_eq!(
        problems(&s, tmp.path()),
        [(ProblemKind::TruncatedObject, format!("loose object {id}"))]
    );
    assert_eq!(
        keys(&s),
        with_eight(expected(&[]), ("aws-key-id", "low", true))
    );
}

/// Writes `contents` as the loose object file of `id`, zlib-compressed.
fn write_loose(dir: &Path, id: &str, contents: &[u8]) {
    use std::io::Write;
    let path = loose_path(dir, id);
    writable(&path);
    let mut w = gix::zlib::stream::deflate::Write::new(Vec::new(), gix::zlib::Compression::DEFAULT);
    w.write_all(contents).unwrap();
    w.flush().unwrap();
    std::fs::write(&path, w.into_inner()).unwrap();
}

#[test]
fn issue_12_2_a_loose_object_declaring_a_huge_size_is_not_inflated() {
    let (tmp, id) = with_loose_creds();
    // 130 bytes or so, claiming 4,000,000,000.
    let mut contents = b"blob 4000000000\0".to_vec();
    contents.extend_from_slice(credentials(8).as_bytes());
    write_loose(tmp.path(), &id, &contents);
    let started = std::time::Instant::now();
    let s = scan(tmp.path());
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    assert_eq!(
        problems(&s, tmp.path()),
        [(
            ProblemKind::CorruptLooseObject,
            format!("loose object {id}")
        )]
    );
    assert!(
        s.problems[0]
            .reason()
            .contains("4000000000 bytes, more than its"),
        "{}",
        s.problems[0]
    );
    assert!(
        s.problems[0].reason().contains("not inflated"),
        "{}",
        s.problems[0]
    );
    assert_eq!(keys(&s), expected(&[]), "the rest is found");
}

#[test]
fn issue_12_2_a_loose_blob_over_the_size_limit_is_not_inflated() {
    let (tmp, id) = with_loose_creds();
    // Declares 2 MB, which its 2,500 random bytes could hold (deflate expands at most
    // 1032:1), but holds far less, which inflating would report.
    let mut contents = b"blob 2000000\0".to_vec();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    contents.extend((0..2500).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    }));
    write_loose(tmp.path(), &id, &contents);
    let s = scan_with(tmp.path(), HistoryOptions::default().max_blob_size(1 << 20));
    assert_eq!(
        problems(&s, tmp.path()),
        [],
        "not inflated: nothing to report"
    );
    assert_eq!(s.stats.blobs_too_large, 1);
    assert_eq!(keys(&s), expected(&[]));
}

/// A pack of `entries` (type, declared size, zlib data) with its index, written by hand.
fn write_pack(dir: &Path, entries: &[(u8, u64, Vec<u8>)], ids: &[gix::ObjectId]) -> PathBuf {
    let hash = gix::hash::Kind::Sha1;
    let mut pack = b"PACK\0\0\0\x02".to_vec();
    pack.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    let mut idx_entries = Vec::new();
    for ((kind, size, data), id) in entries.iter().zip(ids) {
        let offset = pack.len() as u64;
        pack.extend_from_slice(&super::craft::entry_header(*kind, *size));
        pack.extend_from_slice(data);
        idx_entries.push(super::idx::IdxEntry {
            id: *id,
            offset,
            crc32: Some(crc32fast::hash(&pack[offset as usize..])),
        });
    }
    let trailer = super::idx::checksum(hash, &pack).unwrap();
    pack.extend_from_slice(trailer.as_bytes());
    let index = super::idx::encode(&mut idx_entries, &trailer, hash);
    let path = dir.join(".git/objects/pack/pack-crafted.pack");
    std::fs::write(&path, &pack).unwrap();
    std::fs::write(path.with_extension("idx"), index).unwrap();
    path
}

#[test]
fn issue_12_2_a_pack_entry_declaring_a_huge_size_is_damage_found_before_allocating() {
    let (tmp, _) = seven_keys();
    let hash = gix::hash::Kind::Sha1;
    let blob = credentials(9);
    let id = gix::objs::compute_hash(hash, gix::objs::Kind::Blob, blob.as_bytes()).unwrap();
    let other = b"hello\n";
    let other_id = gix::objs::compute_hash(hash, gix::objs::Kind::Blob, other).unwrap();
    // Checksums and CRC-32s all match: only the declared size lies.
    write_pack(
        tmp.path(),
        &[
            (3, 4_000_000_000, zlib(blob.as_bytes())),
            (3, other.len() as u64, zlib(other)),
        ],
        &[id, other_id],
    );
    let started = std::time::Instant::now();
    let s = scan(tmp.path());
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    let crafted = ".git/objects/pack/pack-crafted.pack";
    assert_eq!(
        problems(&s, tmp.path()),
        [(
            ProblemKind::DamagedObject,
            format!("blob {id} in {crafted}")
        )]
    );
    assert!(
        s.problems[0].reason().contains("more than its"),
        "{}",
        s.problems[0]
    );
    // Its bytes are still read, as far as they go, and what they hold is marked.
    let mut want = expected(&[]);
    want.push((key_id(9), "aws-key-pair", "high", true));
    want.sort();
    assert_eq!(keys(&s), want);
}

#[test]
fn issue_12_2_a_delta_declaring_a_huge_result_does_not_allocate_it() {
    let (tmp, _) = seven_keys();
    let hash = gix::hash::Kind::Sha1;
    let base = credentials(9);
    let base_id = gix::objs::compute_hash(hash, gix::objs::Kind::Blob, base.as_bytes()).unwrap();
    // A delta of `base` declaring a result of 4,000,000,000 bytes, producing 3.
    let mut delta = vec![];
    super::craft::varint(base.len() as u64, &mut delta);
    super::craft::varint(4_000_000_000, &mut delta);
    delta.extend_from_slice(&[3, b'a', b'b', b'c']);
    let lie = gix::ObjectId::from_hex(b"00000000000000000000000000000000000000ff").unwrap();
    // An offset delta: the distance from its entry back to the base's, which starts with
    // a two-byte header (its size is over 15).
    let base_z = zlib(base.as_bytes());
    let distance = u8::try_from(2 + base_z.len()).unwrap();
    assert!(distance < 0x80 && base.len() < 0x800);
    let mut delta_entry = vec![distance];
    delta_entry.extend_from_slice(&zlib(&delta));
    write_pack(
        tmp.path(),
        &[
            (3, base.len() as u64, base_z),
            (6, delta.len() as u64, delta_entry),
        ],
        &[base_id, lie],
    );
    let started = std::time::Instant::now();
    let s = scan(tmp.path());
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    let what: Vec<_> = problems(&s, tmp.path());
    assert!(
        what.iter().any(|(_, w)| w.contains(&lie.to_string())),
        "the lying delta is reported by name: {:#?}",
        s.problems
    );
    let mut want = expected(&[]);
    want.push((key_id(9), "aws-key-pair", "high", false));
    want.sort();
    assert_eq!(keys(&s), want, "its base is read");
}
