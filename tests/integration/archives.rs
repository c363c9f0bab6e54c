//! Credentials inside archives and compressed files, end to end: in files, on standard
//! input, in a repository's history and in what is staged; each place named with the
//! archive and the entry; what is not scanned reported as a warning. Archives are built
//! here (see `scanner-core/tests/archive_fixtures`), keys at run time.

use std::process::Stdio;

use serde_json::Value;

use crate::archive_fixtures::{flag_encrypted, gzip, tar, zip};
use crate::history::fixture;
use crate::{credentials_file, json, key_id, leakscan, run};

fn creds(seed: u64) -> Vec<u8> {
    credentials_file(seed).into_bytes()
}

/// `path!archive/path:line` of each location of the finding for key `seed`.
fn places(doc: &Value, seed: u64) -> Vec<String> {
    let key = key_id(seed);
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key.as_str())
        .unwrap_or_else(|| panic!("no finding for key {seed}: {doc:#}"));
    f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let mut s = l["path"].as_str().unwrap_or("(none)").to_string();
            for name in l
                .get("archive_path")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                s.push('!');
                s.push_str(name.as_str().unwrap());
            }
            format!("{s}:{}", l["line"])
        })
        .collect()
}

fn archive_skips(doc: &Value) -> Vec<String> {
    doc["stats"]
        .get("archive_skipped")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| {
            let inner: Vec<&str> = s["archive_path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect();
            format!(
                "{} [{}] {}",
                s["path"].as_str().unwrap(),
                inner.join(", "),
                s["reason"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn files_in_archives_are_named_with_the_archive_and_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("release.zip"),
        zip(&[("config/prod.env", &creds(70))]),
    )
    .unwrap();
    let jar = zip(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        ("application.properties", &creds(71)),
    ]);
    std::fs::write(d.join("dist.tar.gz"), gzip(&tar(&[("lib/app.jar", &jar)]))).unwrap();
    std::fs::write(d.join("plain.env"), creds(70)).unwrap();
    // Not an archive by its name: by its content.
    std::fs::write(d.join("backup.dat"), gzip(&creds(72))).unwrap();

    let (code, doc) = json(&["scan", "."], d);
    assert_eq!(code, 1);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 3);
    // One credential, two places: fingerprints are content-only.
    assert_eq!(
        places(&doc, 70),
        ["plain.env:2", "release.zip!config/prod.env:2"]
    );
    assert_eq!(
        places(&doc, 71),
        ["dist.tar.gz!lib/app.jar!application.properties:2"]
    );
    assert_eq!(places(&doc, 72), ["backup.dat:2"]);
    let loc = &doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key_id(71).as_str())
        .unwrap()["locations"][0];
    assert_eq!(loc["archive_path"][0], "lib/app.jar");
    assert_eq!(loc["archive_path"][1], "application.properties");
    assert_eq!(
        (loc["column"].as_u64(), loc["secret_line"].as_u64()),
        (Some(21), Some(3))
    );
    assert!(doc["stats"].get("archive_skipped").is_none(), "{doc:#}");

    let human = run(&["scan", "."], d);
    assert_eq!(human.code, 1);
    for line in [
        "release.zip!config/prod.env:2:21 (secret on line 3)\n",
        "plain.env:2:21 (secret on line 3)\n",
        "dist.tar.gz!lib/app.jar!application.properties:2:21 (secret on line 3)\n",
        "backup.dat:2:21 (secret on line 3)\n",
    ] {
        assert!(human.stdout.contains(line), "{line:?} in\n{}", human.stdout);
    }
    // A plain location has no archive_path at all (the format is unchanged for it).
    let (_, plain) = json(&["scan", "plain.env"], d);
    assert!(plain["findings"][0]["locations"][0]
        .get("archive_path")
        .is_none());
}

#[test]
fn what_is_not_scanned_is_a_warning_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut z = zip(&[("secret.env", b"unreadable\n"), ("open.txt", b"hello\n")]);
    flag_encrypted(&mut z, "secret.env");
    std::fs::write(d.join("locked.zip"), &z).unwrap();
    let gz = gzip(&tar(&[("a.env", &creds(73)), ("b.env", &creds(74))]));
    std::fs::write(d.join("cut.tgz"), &gz[..gz.len() - 20]).unwrap();

    // Only the encrypted entry: nothing found, the warning does not fail the scan.
    let r = run(&["scan", "locked.zip"], d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "leakscan: locked.zip!secret.env: skipped (encrypted): encrypted zip entry: not read (no password)\n"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("skipped: 1 part of archives not scanned"),
        "{}",
        r.stderr
    );

    let (code, doc) = json(&["scan", "."], d);
    assert_eq!(
        code, 1,
        "what the cut archive holds before the cut is found"
    );
    assert_eq!(places(&doc, 73), ["cut.tgz!a.env:2"]);
    assert_eq!(
        archive_skips(&doc),
        ["cut.tgz [] truncated", "locked.zip [secret.env] encrypted"]
    );
    assert_eq!(doc["errors"], Value::Array(vec![]));
    assert_eq!(doc["stats"]["errors"], 0);
}

#[test]
fn archive_limits_are_flags() {
    use crate::archive_fixtures::{deflate_bomb, raw_gzip};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bomb = raw_gzip(&deflate_bomb(&creds(75), 64 << 20), 0, 0);
    std::fs::write(d.join("huge.log.gz"), &bomb).unwrap();
    std::fs::write(
        d.join("deep.zip"),
        zip(&[("in.zip", &zip(&[("x.env", &creds(76))]))]),
    )
    .unwrap();

    let (code, doc) = json(&["scan", "."], d);
    assert_eq!(code, 1);
    assert_eq!(places(&doc, 75), ["huge.log.gz:2"]);
    assert_eq!(places(&doc, 76), ["deep.zip!in.zip!x.env:2"]);
    assert_eq!(archive_skips(&doc), ["huge.log.gz [] ratio"]);

    let (_, doc) = json(
        &[
            "scan",
            ".",
            "--max-archive-ratio",
            "0",
            "--max-archive-bytes",
            "2M",
            "--max-archive-depth",
            "1",
        ],
        d,
    );
    assert_eq!(
        archive_skips(&doc),
        [
            "deep.zip [in.zip] too-deep",
            "huge.log.gz [] too-many-bytes"
        ]
    );
    let (code, doc) = json(&["scan", "deep.zip", "--max-archive-depth", "0"], d);
    assert_eq!((code, doc["findings"].as_array().unwrap().len()), (0, 0));
    let r = run(&["scan", "deep.zip", "--max-archive-entries", "1"], d);
    assert!(r.stderr.contains("(too-many-entries)"), "{}", r.stderr);
}

#[test]
fn standard_input_is_opened_too() {
    let bytes = gzip(&tar(&[("etc/creds", &creds(77))]));
    let mut child = leakscan()
        .args(["scan", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(places(&doc, 77), ["-!etc/creds:2"]);
}

#[test]
fn an_archive_in_history_has_its_provenance_and_its_entry() {
    let (_tmp, mut repo) = fixture();
    std::fs::write(
        repo.dir.join("release.zip"),
        zip(&[("config/prod.env", &creds(78))]),
    )
    .unwrap();
    let mut locked = zip(&[("secret.env", b"unreadable\n")]);
    flag_encrypted(&mut locked, "secret.env");
    std::fs::write(repo.dir.join("locked.zip"), &locked).unwrap();
    let added = repo.commit("add the release");
    std::fs::remove_file(repo.dir.join("release.zip")).unwrap();
    repo.commit("remove the release");
    let blob = repo.git(&["rev-parse", &format!("{added}:locked.zip")]);

    let (code, doc) = json(&["scan", "."], &repo.dir);
    assert_eq!(code, 1);
    assert_eq!(places(&doc, 78), ["release.zip!config/prod.env:2"]);
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key_id(78).as_str())
        .unwrap();
    let l = &f["locations"][0];
    assert_eq!(l["source"], "blob");
    assert_eq!(l["commit"], added.as_str());
    assert_eq!(l["at_head"], false);
    assert_eq!(l["archive_path"], serde_json::json!(["config/prod.env"]));
    assert_eq!(
        archive_skips(&doc),
        [format!(".: blob {blob} [secret.env] encrypted")]
    );
    assert_eq!(doc["errors"], Value::Array(vec![]));

    let human = run(&["scan", "."], &repo.dir);
    assert!(
        human
            .stdout
            .contains(".: release.zip!config/prod.env:2:21 (secret on line 3)\n"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains(&format!("entered      .: commit {}", &added[..12])),
        "{}",
        human.stdout
    );
}

#[test]
fn staged_archives_are_opened() {
    let (_tmp, mut repo) = fixture();
    std::fs::write(
        repo.dir.join("bundle.tar.gz"),
        gzip(&tar(&[("deploy/.env", &creds(79))])),
    )
    .unwrap();
    repo.git(&["add", "bundle.tar.gz"]);
    let (code, doc) = json(&["scan", "--staged"], &repo.dir);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(places(&doc, 79), ["bundle.tar.gz!deploy/.env:2"]);
    let r = run(&["scan", "--staged"], &repo.dir);
    assert!(
        r.stdout.contains("    bundle.tar.gz!deploy/.env:2:21"),
        "{}",
        r.stdout
    );
}

#[test]
fn sarif_places_archive_findings_at_the_archive_with_the_entry_in_properties() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("release.zip"),
        zip(&[("config/prod.env", &creds(80))]),
    )
    .unwrap();
    let mut z = zip(&[("secret.env", b"x\n")]);
    flag_encrypted(&mut z, "secret.env");
    std::fs::write(d.join("locked.zip"), &z).unwrap();
    let r = run(&["scan", ".", "--format", "sarif"], d);
    assert_eq!(r.code, 1);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let errors = crate::golden::violations(&crate::golden::sarif_validator(), &doc);
    assert!(errors.is_empty(), "{errors}");
    let result = &doc["runs"][0]["results"][0];
    let physical = &result["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "release.zip");
    assert!(physical.get("region").is_none(), "{physical:#}");
    assert_eq!(
        result["properties"]["archive_path"],
        serde_json::json!(["config/prod.env"])
    );
    assert_eq!(result["properties"]["line"], 2);
    assert_eq!(result["properties"]["column"], 21);
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .contains("Inside an archive, at release.zip!config/prod.env:2."),
        "{result:#}"
    );
    let notes = &doc["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes[0]["level"], "warning");
    assert!(notes[0]["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("locked.zip!secret.env: skipped (encrypted)"));
}
