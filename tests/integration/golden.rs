//! Every report format on one deterministic fixture, compared with the golden files in
//! `tests/golden/`, and the SARIF report validated against the official SARIF 2.1.0 schema
//! (`tests/data/sarif-schema-2.1.0.json`).
//!
//! The fixture's credentials are generated at run time and its repository has fixed
//! identities and dates, so every report is the same on every run: commit ids, blob ids and
//! fingerprints included. Before comparing, only the temporary directory's path is
//! normalised, and each generated key ID is written as `<key-id-SEED>`, so that the golden
//! files hold no whole key ID (the repository's own scan stays clean). Secrets appear only
//! redacted; a test checks that no clear secret reaches any report.
//!
//! To accept new output after an intended change: `LEAKSCAN_BLESS=1 cargo test golden`, then
//! review the diff of `tests/golden/`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::history::Repo;
use crate::{credentials_file, json, key_id, run, secret};

/// Seeds of every credential in the fixture.
const SEEDS: [u64; 7] = [201, 202, 203, 204, 205, 206, 207];

/// Seeds whose secret is in the fixture.
const SECRET_SEEDS: [u64; 5] = [201, 203, 204, 205, 207];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

struct Fixture {
    tmp: tempfile::TempDir,
    /// The commit that added `deploy/prod.env`, later removed.
    added: String,
    /// The commit whose message holds a key ID.
    message: String,
}

/// `files/`: a pair, a key ID alone, a named secret, a root key download; `repo/`: a pair
/// added then removed, a key ID in a commit message, a pair still at HEAD.
fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let files = tmp.path().join("files");
    std::fs::create_dir_all(files.join("config")).unwrap();
    std::fs::write(files.join("config/credentials"), credentials_file(201)).unwrap();
    std::fs::write(
        files.join("notes.txt"),
        format!("Deploy notes\n\nthe CI user's key is {}\n", key_id(202)),
    )
    .unwrap();
    std::fs::write(
        files.join("app settings.env"),
        format!("APP_NAME=demo\nAWS_SECRET_ACCESS_KEY={}\n", secret(203)),
    )
    .unwrap();
    std::fs::write(
        files.join("rootkey.csv"),
        format!(
            "AWSAccessKeyId={}\nAWSSecretKey={}\n",
            key_id(204),
            secret(204)
        ),
    )
    .unwrap();

    let mut repo = Repo::init(&tmp.path().join("repo"));
    repo.write("README.md", "# service\n");
    repo.commit("initial commit");
    repo.write(
        "deploy/prod.env",
        &format!(
            "REGION=eu-west-1\nAWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\n",
            key_id(205),
            secret(205)
        ),
    );
    let added = repo.commit("add production settings");
    repo.git(&["rm", "-q", "deploy/prod.env"]);
    repo.commit("remove production settings");
    let message = repo.commit(&format!(
        "retire the old deploy key\n\nIt was {}.",
        key_id(206)
    ));
    repo.write("src/settings.ini", &credentials_file(207));
    repo.commit("local settings");
    Fixture {
        tmp,
        added,
        message,
    }
}

/// The report in `format` of the fixture.
fn report(fx: &Fixture, format: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "scan", "files", "repo", "--format", format, "--color", "never",
    ];
    args.extend_from_slice(extra);
    let r = run(&args, fx.tmp.path());
    assert_eq!(r.code, 1, "{format}: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.stdout
}

/// Temporary paths become `<tmp>`; generated key IDs become `<key-id-SEED>`.
fn normalise(text: &str, tmp: &Path) -> String {
    let mut out = text.to_string();
    let mut tmps = vec![tmp.to_path_buf()];
    if let Ok(c) = tmp.canonicalize() {
        tmps.push(c);
    }
    for t in tmps {
        out = out.replace(t.to_str().unwrap(), "<tmp>");
    }
    for seed in SEEDS {
        out = out.replace(&key_id(seed), &format!("<key-id-{seed}>"));
    }
    without_times(&out)
}

/// The time a run took (` in 0.05 s`) becomes ` in <time> s`.
pub(crate) fn without_times(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(" in ") {
        out += &rest[..i + 4];
        rest = &rest[i + 4..];
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits > 0 && rest[digits..].starts_with(" s") {
            out += "<time>";
            rest = &rest[digits..];
        }
    }
    out + rest
}

/// A unified-diff-like view of where `actual` departs from `expected`.
fn diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let prefix = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let suffix = e[prefix..]
        .iter()
        .rev()
        .zip(a[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let start = prefix.saturating_sub(3);
    let after = suffix.min(3);
    let mut out = format!(
        "@@ -{},{} +{},{} @@\n",
        start + 1,
        e.len() - suffix - start + after,
        start + 1,
        a.len() - suffix - start + after
    );
    for l in &e[start..prefix] {
        out += &format!(" {l}\n");
    }
    let shown = |lines: &[&str], sign: char, out: &mut String| {
        for l in lines.iter().take(40) {
            *out += &format!("{sign}{l}\n");
        }
        if lines.len() > 40 {
            *out += &format!("{sign}... {} more lines\n", lines.len() - 40);
        }
    };
    shown(&e[prefix..e.len() - suffix], '-', &mut out);
    shown(&a[prefix..a.len() - suffix], '+', &mut out);
    for l in &e[e.len() - suffix..e.len() - suffix + after] {
        out += &format!(" {l}\n");
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out += "(the files differ in their final newline)\n";
    }
    out
}

/// Compares `actual` with `tests/golden/NAME`, or rewrites it when `LEAKSCAN_BLESS=1`.
pub(crate) fn check_golden(name: &str, actual: &str) {
    let path = workspace_root().join("tests/golden").join(name);
    if std::env::var_os("LEAKSCAN_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `LEAKSCAN_BLESS=1 cargo test golden` to create it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{} differs from the output (- golden, + actual); if the change is intended, run \
         `LEAKSCAN_BLESS=1 cargo test golden` and review the diff\n{}",
        path.display(),
        diff(&expected, actual)
    );
}

fn assert_redacted(name: &str, text: &str) {
    for seed in SECRET_SEEDS {
        let s = secret(seed);
        assert!(!text.contains(&s), "{name}: the secret of {seed} in clear");
        // Only the four characters of the redacted form may show.
        assert!(
            !text.contains(&s[4..16]),
            "{name}: part of the secret of {seed}"
        );
    }
}

#[test]
fn every_format_matches_its_golden_file_and_shows_no_secret() {
    let fx = fixture();
    for (format, name) in [
        ("human", "report.txt"),
        ("json", "report.json"),
        ("jsonl", "report.jsonl"),
        ("sarif", "report.sarif"),
    ] {
        let out = normalise(&stable(format, &report(&fx, format, &[])), fx.tmp.path());
        assert_redacted(name, &out);
        assert!(
            !out.contains("AKIA"),
            "{name}: a key ID the fixture did not generate"
        );
        check_golden(name, &out);
    }
    // The same whatever the number of threads (JSONL: as a set of lines; it streams).
    for format in ["jsonl", "sarif"] {
        assert_eq!(
            stable(format, &report(&fx, format, &["--threads", "1"])),
            stable(format, &report(&fx, format, &["--threads", "3"])),
            "{format}"
        );
    }
}

/// JSONL finding lines come in the order scans finish: sorted here, summary kept last.
fn stable(format: &str, text: &str) -> String {
    if format != "jsonl" {
        return text.to_string();
    }
    let mut lines: Vec<&str> = text.lines().collect();
    let summary = lines.pop().unwrap_or_default();
    lines.sort_unstable();
    lines.push(summary);
    lines.join("\n") + "\n"
}

#[test]
fn sarif_never_shows_a_secret_even_when_asked() {
    let fx = fixture();
    let out = report(&fx, "sarif", &["--show-secrets"]);
    assert_redacted("sarif --show-secrets", &out);
    assert_eq!(out, report(&fx, "sarif", &[]));
    // The other formats do show them on request, so the check above can fail.
    let json = report(&fx, "jsonl", &["--show-secrets"]);
    assert!(json.contains(&secret(201)));
}

#[test]
fn jsonl_lines_are_the_json_findings_then_a_summary() {
    let fx = fixture();
    // JSON Lines write each place's provenance into it; the JSON report, in its tables.
    let doc: Value = crate::inline(serde_json::from_str(&report(&fx, "json", &[])).unwrap());
    let text = report(&fx, "jsonl", &[]);
    assert!(text.ends_with('\n'));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let (summary, findings) = lines.split_last().unwrap();
    for l in text.lines() {
        assert!(
            l.starts_with(r#"{"type":"finding","#) || l.starts_with(r#"{"type":"summary","#),
            "{l}"
        );
    }
    // One line per place found: regrouped by fingerprint, they are the JSON report's findings.
    let mut grouped: std::collections::BTreeMap<String, Value> = std::collections::BTreeMap::new();
    for f in findings {
        let mut f = f.clone();
        let map = f.as_object_mut().unwrap();
        assert_eq!(map.remove("type"), Some(Value::from("finding")));
        let place = map["locations"].as_array().unwrap().clone();
        assert_eq!(place.len(), 1, "one place per line: {f}");
        let fp = map["fingerprint"].as_str().unwrap().to_string();
        match grouped.get_mut(&fp) {
            Some(g) => g["locations"]
                .as_array_mut()
                .unwrap()
                .push(place[0].clone()),
            None => {
                grouped.insert(fp, f);
            }
        }
    }
    for f in doc["findings"].as_array().unwrap() {
        let mut g = grouped
            .remove(f["fingerprint"].as_str().unwrap())
            .expect("every finding streamed");
        let locs = g["locations"].as_array_mut().unwrap();
        locs.sort_by_key(|l| l.to_string());
        let mut want = f.clone();
        want["locations"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|l| l.to_string());
        // Severity and facts of a credential may come from another of its places.
        g["severity"] = want["severity"].clone();
        g["likely_root"] = want["likely_root"].clone();
        assert_eq!(g, want);
    }
    assert!(grouped.is_empty(), "lines for no finding: {grouped:?}");
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["version"], 1);
    assert_eq!(doc["version"], 2);
    assert_eq!(summary["errors"], doc["errors"]);
    assert_eq!(summary["stats"], doc["stats"]);
    assert_eq!(summary["stats"]["findings"], SEEDS.len());
}

pub(crate) fn sarif_validator() -> jsonschema::Validator {
    let path = workspace_root().join("tests/data/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Schema violations, one per line; empty when the document is valid.
pub(crate) fn violations(validator: &jsonschema::Validator, doc: &Value) -> String {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}\n", e, e.instance_path))
        .collect()
}

/// Every `artifactLocation.uri` in `doc`, checked as a URI reference (RFC 3986), which the
/// schema asks for but its draft 4 does not check.
fn bad_uris(doc: &Value) -> Vec<String> {
    let uri_reference = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&serde_json::json!({ "type": "string", "format": "uri-reference" }))
        .unwrap();
    let mut bad = Vec::new();
    for r in doc["runs"][0]["results"].as_array().unwrap() {
        for l in r["locations"].as_array().unwrap() {
            let uri = &l["physicalLocation"]["artifactLocation"]["uri"];
            let ok = uri_reference.is_valid(uri)
                && uri
                    .as_str()
                    .is_some_and(|u| !u.contains(['\\', ' ']) && !u.starts_with("./"));
            if !ok {
                bad.push(uri.to_string());
            }
        }
    }
    bad
}

/// A way to make a SARIF log invalid, and its name.
type Breakage = (&'static str, fn(&mut Value));

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let validator = sarif_validator();
    let fx = fixture();
    let doc: Value = serde_json::from_str(&report(&fx, "sarif", &[])).unwrap();
    let errors = violations(&validator, &doc);
    assert!(errors.is_empty(), "{errors}");
    assert_eq!(bad_uris(&doc), Vec::<String>::new());

    // Broken copies fail, so the check above can fail.
    let broken: [Breakage; 5] = [
        ("no version", |d| {
            d.as_object_mut().unwrap().remove("version");
        }),
        ("an unknown level", |d| {
            d["runs"][0]["results"][0]["level"] = "fatal".into();
        }),
        ("line 0", |d| {
            d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
                0.into();
        }),
        ("a message without text", |d| {
            d["runs"][0]["results"][0]["message"] = serde_json::json!({ "txt": "x" });
        }),
        ("a driver without name", |d| {
            d["runs"][0]["tool"]["driver"]
                .as_object_mut()
                .unwrap()
                .remove("name");
        }),
    ];
    for (what, break_it) in broken {
        let mut bad = doc.clone();
        break_it(&mut bad);
        assert!(
            !violations(&validator, &bad).is_empty(),
            "a SARIF log with {what} passed validation"
        );
    }
    let mut bad = doc.clone();
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        "app settings.env".into();
    assert_eq!(bad_uris(&bad), ["\"app settings.env\""]);
}

/// The results (one per place) for key `seed`.
fn result_for(doc: &Value, seed: u64) -> Vec<&Value> {
    let key = key_id(seed);
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["properties"]["key_id"] == key.as_str())
        .collect()
}

#[test]
fn sarif_results_point_at_the_introducing_commit_and_rules_carry_the_remediation() {
    let fx = fixture();
    let doc: Value = serde_json::from_str(&report(&fx, "sarif", &[])).unwrap();
    assert_eq!(
        doc["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    assert_eq!(doc["runs"].as_array().unwrap().len(), 1);
    assert_eq!(run["tool"]["driver"]["name"], "leakscan");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "aws-root-key-pair",
            "aws-key-pair",
            "aws-secret-key",
            "aws-key-id"
        ]
    );
    for r in rules {
        assert_eq!(r["properties"]["tags"], serde_json::json!(["security"]));
        let score: f64 = r["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&score));
        for field in ["text", "markdown"] {
            let help = r["help"][field].as_str().unwrap();
            assert!(help.contains("eactivate"), "{}: {help}", r["id"]);
        }
    }
    let root = &rules[0];
    assert_eq!(root["properties"]["security-severity"], "9.5");
    let help = root["help"]["text"].as_str().unwrap();
    for needle in [
        "Deactivate the root access key, then delete it",
        "IAM roles",
        "Enable MFA on the root user",
        "company-owned distribution list",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }

    for r in run["results"].as_array().unwrap() {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(r["ruleId"], rules[index]["id"]);
        assert_eq!(
            r["partialFingerprints"]["leakscan/v1"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
    }

    let root_results = result_for(&doc, 204);
    assert_eq!(root_results.len(), 1);
    assert_eq!(root_results[0]["ruleId"], "aws-root-key-pair");
    assert_eq!(root_results[0]["level"], "error");
    assert_eq!(root_results[0]["properties"]["severity"], "critical");

    let key_alone = result_for(&doc, 202);
    assert_eq!(key_alone[0]["ruleId"], "aws-key-id");
    assert_eq!(key_alone[0]["level"], "note");

    // A pair added then removed: at its path and line in the introducing commit.
    let removed = result_for(&doc, 205);
    assert_eq!(removed.len(), 1);
    let loc = &removed[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "repo/deploy/prod.env");
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["startColumn"], 19);
    let props = &removed[0]["properties"];
    assert_eq!(props["commit"], fx.added.as_str());
    assert_eq!(props["repository"], "repo");
    assert_eq!(props["at_head"], false);
    assert_eq!(
        props["refs"],
        serde_json::json!(["HEAD", "refs/heads/main"])
    );

    // A key ID in a commit message: at the repository, the commit in properties.
    let in_message = result_for(&doc, 206);
    let loc = &in_message[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "repo");
    assert!(loc.get("region").is_none());
    assert_eq!(in_message[0]["properties"]["commit"], fx.message.as_str());
    assert_eq!(in_message[0]["properties"]["source"], "commit-message");
    assert_eq!(in_message[0]["properties"]["line"], 3);

    // A named secret in a file whose name has a space.
    let secret_only: Vec<&Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "aws-secret-key")
        .collect();
    assert_eq!(secret_only.len(), 1);
    assert_eq!(
        secret_only[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "files/app%20settings.env"
    );
    assert_eq!(secret_only[0]["level"], "warning");
}

/// Seeds of the places fixture: a pair in 50 commits and 10 paths, one removed, a root
/// key download, a canary (its key ID is not generated from a seed).
const PLACES_SEEDS: [u64; 3] = [221, 222, 223];

/// A key ID of the canary-token account 534261010715 (decoded offline).
fn canary_key_id() -> String {
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let z: u128 = (1u128 << 47) | (534_261_010_715u128 << 7) | 0x15;
    let bits: u128 = (z << 32) | 0x1234_5678;
    let body: String = (0..16)
        .map(|i| char::from(B32[((bits >> (75 - 5 * i)) & 31) as usize]))
        .collect();
    format!("{}{body}", "AKIA")
}

/// `repo/`: the pair 221 in 50 commits over 10 paths (one still at HEAD), mentioned again
/// in notes without its secret next to it; the pair 222 added then removed; a root key
/// download (223) and a canary pair still at HEAD.
fn places_fixture() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let mut repo = Repo::init(&tmp.path().join("repo"));
    repo.write("README.md", "# service\n");
    repo.commit("initial commit");
    for i in 0..50 {
        repo.write(
            &format!("svc{:02}/settings.env", i % 10),
            &format!(
                "# revision {i}\nAWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\n",
                key_id(221),
                secret(221)
            ),
        );
        repo.commit(&format!("revision {i}"));
    }
    let filler = "text\n".repeat(18);
    repo.write(
        "docs/keys.md",
        &format!(
            "The deploy key is {k}.\n{filler}AWS_ACCESS_KEY_ID={k}\nAWS_SECRET_ACCESS_KEY={}\n{filler}Rotate {k} soon.\n",
            secret(221),
            k = key_id(221)
        ),
    );
    repo.write("ci/old.env", &credentials_file(222));
    repo.commit("notes and CI settings");
    for i in 1..10 {
        repo.git(&["rm", "-q", &format!("svc{i:02}/settings.env")]);
    }
    repo.git(&["rm", "-q", "ci/old.env"]);
    repo.commit("keep one service");
    repo.write(
        "rootkey.csv",
        &format!(
            "AWSAccessKeyId={}\nAWSSecretKey={}\n",
            key_id(223),
            secret(223)
        ),
    );
    repo.write(
        "test/canary.ini",
        &format!(
            "aws_access_key_id = {}\naws_secret_access_key = {}\n",
            canary_key_id(),
            secret(224)
        ),
    );
    repo.commit("root key and canary");
    tmp
}

#[test]
fn many_places_are_condensed_most_dangerous_first() {
    let tmp = places_fixture();
    let normalise = |text: &str| {
        let mut out = normalise(text, tmp.path());
        for seed in PLACES_SEEDS {
            out = out.replace(&key_id(seed), &format!("<key-id-{seed}>"));
        }
        out.replace(&canary_key_id(), "<canary-key-id>")
    };
    let r = run(&["scan", "repo", "--color", "never"], tmp.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    let human = normalise(&r.stdout);
    assert!(!human.contains("AKIA"), "{human}");
    check_golden("places.txt", &human);
    // Critical first; within high, the pair still at HEAD before the removed one.
    let order: Vec<&str> = human
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with("leakscan:") && !l.is_empty())
        .collect();
    assert!(order[0].starts_with("CRITICAL") && order[0].contains("<key-id-223>"));
    let at_head = order.iter().position(|l| l.contains("<key-id-221>"));
    let removed = order.iter().position(|l| l.contains("<key-id-222>"));
    assert!(at_head < removed, "{order:?}");
    // The note of the secret's line only where the pair is.
    assert!(human.contains("docs/keys.md: lines 1, 20, 40 (secret on line 21)\n"));
    // Five groups, then the rest counted.
    assert!(human.contains("+"), "{human}");
    assert!(
        human.contains("more places in 6 paths, see --format json"),
        "{human}"
    );

    // --max-places caps the human report and, when given, the JSON report.
    let two = run(&["scan", "repo", "--max-places", "2"], tmp.path());
    assert!(
        two.stdout.contains("more places in 9 paths"),
        "{}",
        two.stdout
    );
    let (_, all) = json(&["scan", "repo"], tmp.path());
    let (_, capped) = json(&["scan", "repo", "--max-places", "2"], tmp.path());
    let places = |doc: &Value, seed: u64| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key_id"] == key_id(seed).as_str())
            .unwrap()["locations"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(places(&all, 221), 50 + 3);
    // Each commit's metadata once, however many places and blobs name it.
    let raw = run(&["scan", "repo", "--format", "json"], tmp.path()).stdout;
    assert_eq!(raw.matches("\"summary\": \"revision 0\"").count(), 1);
    // 50 revisions, the notes and CI settings, the root key and canary.
    assert_eq!(
        raw.matches("\"author\": ").count(),
        50 + 2,
        "every introducing commit once"
    );
    let secret_lines: Vec<(u64, Option<u64>)> = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap())
        .filter(|l| l["path"] == "docs/keys.md")
        .map(|l| (l["line"].as_u64().unwrap(), l["secret_line"].as_u64()))
        .collect();
    assert_eq!(secret_lines, [(1, None), (20, Some(21)), (40, None)]);
    assert!(places(&capped, 221) < 50, "{}", places(&capped, 221));
}

/// `repo/`: file names with a newline and an escape sequence, a right-to-left override and
/// bytes that are not UTF-8; a commit summary and an author name with control characters.
#[cfg(unix)]
fn hostile_fixture() -> tempfile::TempDir {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let mut repo = Repo::init(&tmp.path().join("repo"));
    repo.write(
        "evil\nCRITICAL AWS access key pair  FORGED\x1b[2K.env",
        &credentials_file(231),
    );
    repo.write("invoice\u{202e}vne.txt", &format!("id {}\n", key_id(233)));
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.env");
    std::fs::write(repo.dir.join(name), credentials_file(232)).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&[
        "commit",
        "-q",
        "--author",
        "Ev\x07il\x1b[8m <e@example.com>",
        "-m",
        "deploy\x1b[31m keys\rHIGH forged line",
    ]);
    tmp
}

#[cfg(unix)]
#[test]
fn hostile_names_are_escaped_in_the_human_report_and_exact_in_json() {
    let tmp = hostile_fixture();
    let seeds = [231, 232, 233];
    let normalise = |text: &str| {
        let mut out = normalise(text, tmp.path());
        for seed in seeds {
            out = out.replace(&key_id(seed), &format!("<key-id-{seed}>"));
        }
        out
    };
    let r = run(&["scan", "repo", "--color", "never"], tmp.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    let human = normalise(&r.stdout);
    for bad in ['\x1b', '\r', '\x07', '\u{202e}'] {
        assert!(!human.contains(bad), "{bad:?} in\n{human}");
    }
    // Every line is one the report wrote: no name starts a line of its own.
    for line in human.lines() {
        assert!(
            line.is_empty()
                || line.starts_with(' ')
                || line.starts_with("leakscan: ")
                || ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
                    .iter()
                    .any(|s| line.starts_with(s) && line.contains("AWS access key")),
            "a forged line: {line:?}\n{human}"
        );
    }
    assert!(
        human.contains("repo: evil\\nCRITICAL AWS access key pair  FORGED\\x1b[2K.env:2:21"),
        "{human}"
    );
    assert!(human.contains("repo: caf\\xe9.env:2:21"), "{human}");
    assert!(human.contains("invoice\\u{202e}vne.txt"), "{human}");
    assert!(
        human.contains("\"deploy\\x1b[31m keys\\rHIGH forged line\""),
        "{human}"
    );
    assert!(
        human.contains("by Ev\\x07il\\x1b[8m <e@example.com>"),
        "{human}"
    );
    check_golden("hostile.txt", &human);

    // JSON keeps names exactly: the newline as JSON escapes it, other bytes beside.
    let (_, doc) = json(&["scan", "repo"], tmp.path());
    let locations: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap())
        .collect();
    let by_path = |p: &str| locations.iter().find(|l| l["path"] == p).copied();
    assert!(by_path("evil\nCRITICAL AWS access key pair  FORGED\x1b[2K.env").is_some());
    let cafe = by_path("caf\\xe9.env").expect("the escaped form");
    assert_eq!(
        cafe["path_bytes"],
        serde_json::json!([99, 97, 102, 0xe9, 46, 101, 110, 118])
    );
    assert!(
        by_path("evil\nCRITICAL AWS access key pair  FORGED\x1b[2K.env")
            .unwrap()
            .get("path_bytes")
            .is_none()
    );
    // merge reads the exact bytes back: the same report.
    let raw = run(
        &["scan", "repo", "--format", "json", "-o", "report.json"],
        tmp.path(),
    );
    assert_eq!(raw.code, 1);
    let merged = run(&["merge", "report.json", "--format", "json"], tmp.path());
    assert_eq!(
        merged.stdout,
        std::fs::read_to_string(tmp.path().join("report.json")).unwrap()
    );
}
