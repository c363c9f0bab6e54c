//! `leakscan merge`: the JSON and JSON Lines reports of several scans (the shards of one)
//! read back into hits, grouped again by fingerprint into one report, printed in any
//! format. A merged report equals the report of one scan of all the shards' inputs: the
//! same entries in the same order, each place with its provenance, the errors and counts
//! added up (`stats.repositories` in the order of their paths).
//!
//! What the inputs lack, the merged report lacks: secrets in clear come only from reports
//! made with `--show-secrets`; a JSON report keeps one severity per credential, so its places
//! get that one (JSON Lines keep each place's own). Verification results are not carried
//! over (say so on standard error): verify the merged credentials again with `scan --verify`.

use std::io::Read;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Map, Value};

use crate::args::{Format, MergeArgs};
use crate::report::Report;
use crate::scan::{Hit, InputError, Origin, Outcome, RedactedSecrets, RepoSummary, Seen, Skipped};

/// The report format versions this reads (`version` of the JSON report and of the JSON
/// Lines summary): 1, places with their provenance inline (JSON Lines, older JSON); 2, the
/// JSON report's places pointing into its `history` and `ref_sets` tables.
const VERSIONS: [u64; 2] = [1, 2];

/// Reads every report, merges, writes; the exit status as `scan` decides it.
pub fn run(args: &MergeArgs) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let mut outcome = Outcome::default();
    let mut verified = 0usize;
    for path in &args.reports {
        let text = read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let shown = crate::scan::display(path);
        verified += absorb(&mut outcome, &text)
            .with_context(|| format!("{shown}: not a leakscan JSON or JSON Lines report"))?;
    }
    if verified > 0 {
        eprintln!(
            "leakscan: {verified} verification result{} of the inputs not carried over: verify again with `leakscan scan --verify`",
            if verified == 1 { "" } else { "s" }
        );
    }
    outcome.errors.sort();
    outcome.errors.dedup();
    outcome.skipped.sort();
    outcome.skipped.dedup();
    outcome.repositories.sort_by(|a, b| a.path.cmp(&b.path));
    let mut report = Report::new(outcome);
    report.elapsed = Some(started.elapsed());
    let rc = args.report_config();
    let mut out = crate::open_output(&rc)?;
    let written = match rc.format {
        Format::Jsonl => crate::report::jsonl::write(&mut out, &report, rc.secrets),
        _ => crate::write_report(&mut out, &report, &rc),
    };
    crate::commit(&out, written)?;
    if rc.format == Format::Human || rc.output.is_some() {
        eprintln!(
            "{}",
            crate::report::human::summary_to(&report, started.elapsed(), rc.output.as_deref())
        );
    }
    for e in &report.errors {
        eprintln!("leakscan: {}: {}", e.path, e.reason);
    }
    Ok(if !report.credentials.is_empty() {
        crate::EXIT_FOUND
    } else if !report.errors.is_empty() {
        crate::EXIT_ERROR
    } else {
        crate::EXIT_CLEAN
    })
}

fn read(path: &Path) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().lock().read_to_string(&mut s)?;
        Ok(s)
    } else {
        std::fs::read_to_string(path)
    }
}

/// Adds one report (JSON or JSON Lines) to `outcome`; returns how many verification
/// results it had.
fn absorb(outcome: &mut Outcome, text: &str) -> anyhow::Result<usize> {
    let trimmed = text.trim_start();
    // A JSON report is one pretty-printed document; JSON Lines put one object per line.
    if let Ok(doc) = serde_json::from_str::<Value>(trimmed) {
        if doc.get("type").is_none() {
            check_version(&doc)?;
            let mut verified = 0;
            for (i, f) in array(&doc, "findings")?.iter().enumerate() {
                let f = inline(&doc, f);
                verified += finding(outcome, &f).with_context(|| format!("finding {}", i + 1))?;
            }
            summary(outcome, &doc)?;
            return Ok(verified);
        }
    }
    let mut verified = 0;
    let mut summarised = false;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: Value = serde_json::from_str(line).with_context(|| format!("line {}", n + 1))?;
        match v.get("type").and_then(Value::as_str) {
            Some("finding") => {
                verified += finding(outcome, &v).with_context(|| format!("line {}", n + 1))?;
            }
            Some("summary") => {
                check_version(&v)?;
                summary(outcome, &v).with_context(|| format!("line {}", n + 1))?;
                summarised = true;
            }
            other => bail!("line {}: unknown line type {other:?}", n + 1),
        }
    }
    if !summarised {
        bail!("no summary line: the report is cut short");
    }
    Ok(verified)
}

/// A finding of a version 2 JSON report with its places' provenance written into them, as
/// version 1 and JSON Lines have it (version 1 findings are returned as they are).
fn inline(doc: &Value, f: &Value) -> Value {
    let mut f = f.clone();
    let Some(locations) = f.get_mut("locations").and_then(Value::as_array_mut) else {
        return f;
    };
    for l in locations {
        let (Some(repository), Some(source)) = (
            l.get("repository")
                .and_then(Value::as_str)
                .map(str::to_string),
            l.get("source").and_then(Value::as_str).map(str::to_string),
        ) else {
            continue;
        };
        let Some(history) = doc.get("history").and_then(|h| h.get(&repository)) else {
            continue;
        };
        let commits = &history["commits"];
        let commit = l
            .get("commit")
            .and_then(Value::as_str)
            .and_then(|id| commits.get(id))
            .cloned();
        if let (Some(c), Some(map)) = (commit, l.as_object_mut()) {
            for key in ["author", "date", "summary"] {
                map.insert(key.into(), c.get(key).cloned().unwrap_or(Value::Null));
            }
            map.insert(
                "reachable".into(),
                c.get("reachable").cloned().unwrap_or(json!(false)),
            );
        }
        let blob = match (source.as_str(), l.get("object").and_then(Value::as_str)) {
            ("blob", Some(object)) => history["blobs"].get(object).cloned(),
            _ => None,
        };
        if let (Some(b), Some(map)) = (blob, l.as_object_mut()) {
            let refs = b
                .get("refs")
                .and_then(Value::as_u64)
                .and_then(|i| doc.get("ref_sets")?.get(usize::try_from(i).ok()?))
                .cloned()
                .unwrap_or(json!([]));
            map.insert("refs".into(), refs);
            map.insert(
                "at_head".into(),
                b.get("at_head").cloned().unwrap_or(Value::Null),
            );
            let mut also_in = Vec::new();
            for a in b
                .get("also_in")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for c in a
                    .get("commits")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let reachable = c
                        .as_str()
                        .and_then(|id| commits.get(id))
                        .and_then(|c| c.get("reachable"))
                        .cloned()
                        .unwrap_or(json!(false));
                    let mut h = json!({"commit": c, "path": a.get("path"), "reachable": reachable});
                    if let Some(bytes) = a.get("path_bytes") {
                        h["path_bytes"] = bytes.clone();
                    }
                    also_in.push(h);
                }
            }
            map.insert("also_in".into(), Value::Array(also_in));
        }
    }
    f
}

fn check_version(doc: &Value) -> anyhow::Result<()> {
    match doc.get("version").and_then(Value::as_u64) {
        Some(v) if VERSIONS.contains(&v) => Ok(()),
        Some(v) => bail!("report format version {v}, this leakscan reads {VERSIONS:?}"),
        None => bail!("no report format version"),
    }
}

fn array<'a>(v: &'a Value, key: &str) -> anyhow::Result<&'a Vec<Value>> {
    v.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("no {key:?} list"))
}

fn string(v: &Value, key: &str) -> anyhow::Result<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no {key:?}"))
}

fn opt_string(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn number(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// The errors and counts of a JSON report or a JSON Lines summary line.
fn summary(outcome: &mut Outcome, doc: &Value) -> anyhow::Result<()> {
    for e in array(doc, "errors")? {
        outcome.errors.push(InputError {
            path: string(e, "path")?,
            reason: string(e, "reason")?,
        });
    }
    let stats = doc.get("stats").ok_or_else(|| anyhow!("no \"stats\""))?;
    // One incomplete input makes the merged report incomplete.
    if let Some(why) = stats.get("incomplete").and_then(Value::as_str) {
        outcome.incomplete.get_or_insert_with(|| why.to_string());
    }
    outcome.files_scanned += number(stats, "files_scanned");
    outcome.ignored += number(stats, "files_ignored");
    outcome.bytes_scanned += number(stats, "bytes_scanned");
    for s in array(stats, "skipped")? {
        outcome.skipped.push(Skipped {
            path: string(s, "path")?,
            size: number(s, "size"),
            why: crate::scan::SkipWhy::parse(s.get("reason").and_then(Value::as_str)),
        });
    }
    for r in array(stats, "repositories")? {
        let mut s = scanner_git::HistoryStats::default();
        s.packs = number(r, "packs");
        s.commits = number(r, "commits");
        s.blobs_scanned = number(r, "blobs_scanned");
        s.bytes_scanned = number(r, "bytes_scanned");
        s.blobs_already_seen = number(r, "blobs_already_seen");
        s.blobs_too_large = number(r, "blobs_too_large");
        s.missing_objects = number(r, "missing_objects");
        s.packs_unchanged = number(r, "packs_unchanged");
        let change = match r.get("change").and_then(Value::as_str) {
            None => None,
            Some(c) => Some(
                serde_json::from_value::<scanner_git::Change>(json!(c))
                    .map_err(|_| anyhow!("unknown repository change {c:?}"))?,
            ),
        };
        outcome.repositories.push(RepoSummary {
            path: string(r, "path")?,
            stats: s,
            change,
        });
    }
    Ok(())
}

/// One credential of a report (or one line of JSON Lines) as hits, one per location;
/// returns 1 if it carried a verification result.
fn finding(outcome: &mut Outcome, f: &Value) -> anyhow::Result<usize> {
    let secret = f.get("secret").cloned().unwrap_or(Value::Null);
    let session_token = f.get("session_token").cloned().unwrap_or(Value::Null);
    let redacted = RedactedSecrets {
        secret: opt_string(f, "secret_redacted").filter(|_| secret.is_null()),
        session_token: if session_token.is_null()
            && f.get("has_session_token").and_then(Value::as_bool) == Some(true)
        {
            Some(opt_string(f, "session_token_redacted").unwrap_or_else(|| "*".repeat(8)))
        } else {
            None
        },
    };
    let redacted = (redacted != RedactedSecrets::default()).then(|| Box::new(redacted));
    let facts = json!({
        "account_id": f.get("account_id"),
        "key_type": f.get("key_type"),
        "canary": f.get("canary"),
        "likely_root": f.get("likely_root"),
        "own_account": f.get("own_account"),
        "example": f.get("example"),
    });
    for l in array(f, "locations")? {
        let line = number(l, "line");
        let at = |line: u64, column: u64| json!({"span": {"start": 0, "end": 0}, "line": line, "column": column});
        let finding = json!({
            "kind": f.get("kind"),
            "key_id": f.get("key_id"),
            "secret": secret,
            "session_token": session_token,
            "other_secrets": [],
            "fingerprint": f.get("fingerprint"),
            "severity": f.get("severity"),
            "facts": facts,
            "encoding": l.get("encoding"),
            "location": at(line, number(l, "column")),
            "secret_location": l.get("secret_line").and_then(Value::as_u64).map(|sl| at(sl, 0)),
            "archive_path": l.get("archive_path").cloned().unwrap_or(json!([])),
        });
        let finding: scanner_core::Finding =
            serde_json::from_value(finding).context("a finding's fields")?;
        let path = opt_string(l, "path");
        let origin = match l.get("source").and_then(Value::as_str) {
            None => Origin::File(path.unwrap_or_else(|| "-".to_string())),
            Some(source) => Origin::Git {
                repository: string(l, "repository")?,
                origin: Box::new(history(source, l, path)?),
            },
        };
        let seen = match (opt_string(l, "first_seen"), opt_string(l, "last_seen")) {
            (Some(first), Some(last)) => Some(Seen {
                first: parse_time(&first)
                    .ok_or_else(|| anyhow!("a date: {first:?}"))?
                    .0,
                last: parse_time(&last)
                    .ok_or_else(|| anyhow!("a date: {last:?}"))?
                    .0,
                new: l.get("new").and_then(Value::as_bool).unwrap_or(false),
            }),
            _ => None,
        };
        outcome.hits.push(Hit {
            seen,
            redacted: redacted.clone(),
            ..Hit::new(origin, finding)
        });
    }
    Ok(usize::from(
        f.get("verification").is_some_and(|v| !v.is_null()),
    ))
}

/// The origin in history of a location, rebuilt from its fields.
fn history(source: &str, l: &Value, path: Option<String>) -> anyhow::Result<scanner_git::Origin> {
    let object = string(l, "object")?;
    let commit = || -> anyhow::Result<Value> {
        let date = match opt_string(l, "date").filter(|d| !d.is_empty()) {
            None => Value::Null,
            Some(d) => {
                let (seconds, offset) = parse_time(&d).ok_or_else(|| anyhow!("a date: {d:?}"))?;
                json!({"seconds": seconds, "offset": offset})
            }
        };
        Ok(json!({
            "id": l.get("commit"),
            "author": l.get("author").filter(|a| a.as_str() != Some("")),
            "date": date,
            "summary": l.get("summary").cloned().unwrap_or(json!("")),
            "reachable": l.get("reachable").cloned().unwrap_or(json!(false)),
        }))
    };
    let origin = match source {
        "blob" => {
            // A path that is not UTF-8 has its exact bytes beside its escaped form.
            let path = match l.get("path_bytes") {
                Some(bytes) if bytes.is_array() => bytes.clone(),
                _ => json!(path.unwrap_or_default()),
            };
            let introduced = match l.get("commit") {
                Some(c) if !c.is_null() => json!({"commit": commit()?, "path": path}),
                _ => Value::Null,
            };
            let others: Vec<Value> = l
                .get("also_in")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|h| json!({"commit": h.get("commit"), "path": h.get("path_bytes").or(h.get("path")), "reachable": h.get("reachable")}))
                .collect();
            json!({"blob": {"id": object, "provenance": {
                "introduced": introduced,
                "others": others,
                "refs": l.get("refs").cloned().unwrap_or(json!([])),
                "at_head": l.get("at_head"),
            }}})
        }
        "commit-message" => json!({"commit-message": {"commit": commit()?}}),
        "tag-message" => json!({"tag-message": {"id": object, "name": string(l, "tag")?}}),
        other => bail!("unknown source {other:?}"),
    };
    let mut map = Map::new();
    if let Value::Object(m) = origin {
        map = m;
    }
    serde_json::from_value(Value::Object(map)).context("a location in history")
}

/// Reads back a date as reports write it (`CommitTime`'s `Display`): ISO 8601 with its
/// offset (`2023-11-14T23:19:20+01:00`), or bare seconds for a time no calendar shows.
/// Returns (Unix seconds, offset seconds east).
pub fn parse_time(s: &str) -> Option<(i64, i32)> {
    if let Ok(n) = s.parse::<i64>() {
        return Some((n, 0));
    }
    let b = s.as_bytes();
    if b.len() != 25
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[22] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let sign = match b[19] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let offset = sign * (num(20..22)? * 3600 + num(23..25)? * 60);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from 1970-01-01 to the civil date (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let local = days * 86_400 + h * 3600 + mi * 60 + se;
    Some((local - offset, i32::try_from(offset).ok()?))
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn dates_read_back_as_reports_write_them() {
        for (secs, offset) in [
            (1_700_000_360, 3600),
            (1_700_000_360, -(5 * 3600 + 30 * 60)),
            (0, 0),
            (-1, 0),
            (951_782_400, 0),      // 2000-02-29
            (-2_208_988_800, 0),   // 1900-01-01
            (4_102_444_800, 7200), // 2100-01-01
        ] {
            let shown = scanner_git::CommitTime::new(secs, offset).to_string();
            assert_eq!(parse_time(&shown), Some((secs, offset)), "{shown}");
        }
        assert_eq!(parse_time("12345"), Some((12345, 0)));
        for bad in [
            "",
            "2023-13-01T00:00:00+00:00",
            "2023-11-14 23:19:20+01:00",
            "x023-11-14T23:19:20+01:00",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}
