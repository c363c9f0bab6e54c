//! Baselines and configuration: accepted findings stay accepted through history rewrites.

use serde_json::Value;

use crate::history::fixture;
use crate::{credentials_file, json, key_id, run, secret};

fn keys_found(doc: &Value) -> Vec<String> {
    let mut keys: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["key_id"].as_str().map(str::to_string))
        .collect();
    keys.sort();
    keys
}

#[test]
fn baselines_survive_rebase_squash_cherry_pick_rename_and_moved_lines() {
    let (tmp, mut repo) = fixture();
    repo.write(
        "config/app.ini",
        &format!("# settings\n{}", credentials_file(40)),
    );
    repo.commit("add app credentials");
    let baseline = tmp.path().join("baseline.json");
    let b = baseline.to_str().unwrap().to_string();
    let r = run(&["scan", ".", "--write-baseline", &b], &repo.dir);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("wrote 1 fingerprint"), "{}", r.stderr);
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert!(
        !text.contains(&secret(40)) && !text.contains(&key_id(40)),
        "no secret, no whole key ID: {text}"
    );
    assert_eq!(run(&["scan", ".", "--baseline", &b], &repo.dir).code, 0);

    // A side branch, rebased; its commits squashed; one cherry-picked back.
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("docs/notes.md", "notes\n");
    repo.commit("notes");
    // The accepted credential moves down two lines and to a new path.
    repo.write(
        "config/app.ini",
        &format!("# settings\n# moved\n\n{}", credentials_file(40)),
    );
    repo.commit("move lines");
    repo.git(&["mv", "config/app.ini", "config/renamed.ini"]);
    repo.commit("rename");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("README.md", "# project, updated\n");
    repo.commit("update readme");
    repo.git(&["checkout", "-q", "topic"]);
    repo.git(&["rebase", "-q", "main"]);
    repo.git(&["reset", "-q", "--soft", "main"]);
    repo.commit("squashed topic");
    let squashed = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["cherry-pick", &squashed]);

    let (code, doc) = json(&["scan", ".", "--baseline", &b], &repo.dir);
    assert_eq!(code, 0, "nothing new: {doc:#}");
    assert_eq!(keys_found(&doc), Vec::<String>::new());
    // A new credential is still reported, and only it.
    repo.write("deploy.env", &credentials_file(41));
    repo.commit("new key");
    let (code, doc) = json(&["scan", ".", "--baseline", &b], &repo.dir);
    assert_eq!(code, 1);
    assert_eq!(keys_found(&doc), vec![key_id(41)]);
    // Without the baseline, both.
    let (_, doc) = json(&["scan", "."], &repo.dir);
    assert_eq!(keys_found(&doc).len(), 2);
}

#[test]
fn bad_baselines_are_errors() {
    let (tmp, repo) = fixture();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"version\": 1, \"findings\": [}").unwrap();
    let r = run(
        &["scan", ".", "--baseline", bad.to_str().unwrap()],
        &repo.dir,
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad.json:1:"), "{}", r.stderr);
}

#[test]
fn configuration_file_at_the_root() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("vendor")).unwrap();
    std::fs::write(dir.path().join("vendor/creds"), credentials_file(50)).unwrap();
    std::fs::write(
        dir.path().join("big.txt"),
        format!("{}{}", credentials_file(51), "x".repeat(3000)),
    )
    .unwrap();
    std::fs::write(dir.path().join("app.ini"), credentials_file(52)).unwrap();
    std::fs::write(dir.path().join("fixture.ini"), credentials_file(53)).unwrap();
    let (_, doc) = json(&["scan", "."], dir.path());
    let fixture_fp = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key_id(53).as_str())
        .unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let account = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key_id(52).as_str())
        .unwrap()["account_id"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(
        dir.path().join("leakscan.toml"),
        format!(
            "exclude = [\"vendor/\"]\nmax_file_size = \"2K\"\nown_accounts = [\"{account}\"]\n\n[[allow]]\nfingerprint = \"{fixture_fp}\"\nreason = \"revoked fixture\"\n"
        ),
    )
    .unwrap();
    let (code, doc) = json(&["scan", "."], dir.path());
    assert_eq!(code, 1);
    assert_eq!(keys_found(&doc), vec![key_id(52)]);
    assert_eq!(doc["findings"][0]["severity"], "critical", "own account");
    assert_eq!(doc["stats"]["skipped"][0]["path"], "big.txt");
    // The command line wins over the file for the size limit.
    let (_, doc) = json(&["scan", ".", "--max-file-size", "1M"], dir.path());
    assert_eq!(keys_found(&doc), {
        let mut v = vec![key_id(51), key_id(52)];
        v.sort();
        v
    });
}

#[test]
fn configuration_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("custom.toml");
    for (text, want) in [
        (
            "exclude = [\"a\"]\nown_accounts = [\"12345\"]\n",
            "custom.toml:2:17: not a 12-digit AWS account ID",
        ),
        (
            "exclude = [\"a\"]\n\nmax_file_size = \"ten\"\n",
            "custom.toml:3:17: not a size in bytes",
        ),
        (
            "exclude = [\"a\"]\nunknown_key = 1\n",
            "custom.toml:2:1: unknown field `unknown_key`",
        ),
        (
            "[[allow]]\nfingerprint = \"abc\"\n",
            "custom.toml:2:15: a fingerprint is 64 hexadecimal characters",
        ),
    ] {
        std::fs::write(&cfg, text).unwrap();
        let r = run(
            &["scan", ".", "--config", cfg.to_str().unwrap()],
            dir.path(),
        );
        assert_eq!(r.code, 2, "{text}");
        assert!(r.stderr.contains(want), "{text:?}: {}", r.stderr);
    }
}

#[test]
fn streamed_json_lines_leave_out_accepted_findings() {
    let (tmp, mut repo) = fixture();
    repo.write("a.ini", &credentials_file(80));
    repo.commit("a");
    let baseline = tmp.path().join("b.json");
    let b = baseline.to_str().unwrap();
    assert_eq!(
        run(&["scan", ".", "--write-baseline", b], &repo.dir).code,
        0
    );
    repo.write("b.ini", &credentials_file(81));
    repo.write("c.ini", &credentials_file(81));
    let r = run(
        &["scan", ".", "--baseline", b, "--format", "jsonl"],
        &repo.dir,
    );
    assert_eq!(r.code, 1);
    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let keys: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "finding")
        .map(|l| l["key_id"].as_str().unwrap())
        .collect();
    // One line per place: the new key twice (two untracked files), the baselined one never.
    assert_eq!(keys, [key_id(81).as_str(), key_id(81).as_str()]);
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["stats"]["findings"], 1);
}

#[test]
fn configuration_labels_say_what_values_are() {
    let dir = tempfile::tempdir().unwrap();
    // Twelve lines apart: too far for a secret its label does not name.
    std::fs::write(
        dir.path().join("app.env"),
        format!(
            "DEPLOY_ID={}\n{}CORP_VAULT_KEY={}\n",
            key_id(60),
            "#\n".repeat(11),
            secret(60)
        ),
    )
    .unwrap();
    let kinds = |doc: &Value| -> Vec<String> {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, doc) = json(&["scan", "."], dir.path());
    assert_eq!(kinds(&doc), ["aws-key-id"]);
    std::fs::write(
        dir.path().join("leakscan.toml"),
        "[labels]\naws_secret = [\"^corp_?vault_?key$\"]\n",
    )
    .unwrap();
    let (_, doc) = json(&["scan", "."], dir.path());
    assert_eq!(kinds(&doc), ["aws-key-pair"]);

    let cfg = dir.path().join("custom.toml");
    for (text, want) in [
        (
            "[labels]\naws_secret = [\"ok\", \"bad(\"]\n",
            "custom.toml:2:21: invalid aws_secret label pattern \"bad(\"",
        ),
        (
            "[labels]\npassword = [\"x\"]\n",
            "custom.toml:2:1: unknown field `password`",
        ),
    ] {
        std::fs::write(&cfg, text).unwrap();
        let r = run(
            &["scan", ".", "--config", cfg.to_str().unwrap()],
            dir.path(),
        );
        assert_eq!(r.code, 2, "{text}");
        assert!(r.stderr.contains(want), "{text:?}: {}", r.stderr);
    }
}
