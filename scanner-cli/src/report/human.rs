//! The human report: one block per credential, most severe first.

use std::io::Write;

use scanner_core::{Encoding, ExampleKind, Severity};

use super::remediation::Remediation;
use super::{author, date, kind_title, place, short, Credential, Report};
use crate::args::SecretDisplay;
use crate::scan::Hit;

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(code, &format!("{:<8}", s.as_str().to_uppercase()))
    }
}

pub fn write(
    out: &mut dyn Write,
    report: &Report,
    secrets: SecretDisplay,
    color: bool,
) -> std::io::Result<()> {
    let style = Style { color };
    // Each kind's steps are printed in full once, under its most dangerous credential.
    let mut told = Vec::new();
    for c in &report.credentials {
        write_credential(out, c, secrets, &style, &mut told)?;
    }
    Ok(())
}

fn write_credential(
    out: &mut dyn Write,
    c: &Credential,
    secrets: SecretDisplay,
    style: &Style,
    told: &mut Vec<(Remediation, String)>,
) -> std::io::Result<()> {
    let mut title = kind_title(c.kind).to_string();
    if let Some(k) = &c.key_id {
        title = format!("{title}  {}", style.paint("1", k.as_str()));
    }
    let mut notes = Vec::new();
    if c.verification.as_ref().is_some_and(|v| v.is_root()) {
        notes.push("AWS root user key".to_string());
    } else if c.facts.likely_root {
        notes.push("likely AWS root user key".to_string());
    }
    if c.facts.own_account {
        notes.push("one of your accounts".to_string());
    }
    if c.facts.canary {
        notes.push("canary token: a tripwire, using it alerts its owner".to_string());
    }
    match c.facts.example {
        Some(ExampleKind::Documentation) => notes.push("AWS documentation example".to_string()),
        Some(_) => notes.push("placeholder".to_string()),
        None => {}
    }
    if c.seen.is_some_and(|s| s.new) {
        notes.push("new since the last run".to_string());
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!("  ({})", notes.join("; "))
    };
    writeln!(out, "{} {title}{notes}", style.severity(c.severity))?;
    if let Some(t) = c.facts.key_type {
        let account = c.facts.account_id.map_or_else(
            || "unknown (key ID issued before 2019)".to_string(),
            |a| a.to_string(),
        );
        writeln!(out, "  account      {account}  ({} key)", t.as_str())?;
    }
    // In clear when asked and known; redacted otherwise.
    let show = |clear: &Option<scanner_core::Secret>, redacted: &str| match (secrets, clear) {
        (SecretDisplay::Shown, Some(s)) => s.expose().to_string(),
        _ => redacted.to_string(),
    };
    if let Some(r) = &c.secret_redacted {
        writeln!(out, "  secret       {}", show(&c.secret, r))?;
    }
    if let Some(r) = &c.session_token_redacted {
        writeln!(out, "  session      {}", show(&c.session_token, r))?;
    }
    if let Some(v) = &c.verification {
        let detail = match (&v.arn, &v.reason) {
            (Some(arn), _) => format!(" as {arn}"),
            (None, Some(reason)) => format!(" ({reason})"),
            (None, None) => String::new(),
        };
        writeln!(out, "  verified     {}{detail}", v.status.as_str())?;
    }
    if let Some(s) = &c.seen {
        writeln!(
            out,
            "  seen         first {}, last {}",
            super::time(s.first),
            super::time(s.last)
        )?;
    }
    let n = c.hits.len();
    writeln!(
        out,
        "  found in     {n} place{}",
        if n == 1 { "" } else { "s" }
    )?;
    let credential_new = c.seen.is_some_and(|s| s.new);
    for hit in c.hits.iter().take(MAX_PLACES) {
        let mut extra = Vec::new();
        if hit.seen.is_some_and(|s| s.new) && !credential_new {
            extra.push("new here".to_string());
        }
        if hit.finding.encoding != Encoding::Plain {
            extra.push(hit.finding.encoding.as_str().to_string());
        }
        if let Some(sl) = hit.secret_line() {
            extra.push(format!("secret on line {sl}"));
        }
        if let Some((_, kind)) = hit.origin.web() {
            extra.push(kind.as_str().replace('-', " "));
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!("  ({})", extra.join(", "))
        };
        match (hit.origin.repository(), hit.origin.history()) {
            (Some(repo), Some(origin)) => write_history_hit(out, hit, repo, origin, &extra)?,
            _ => writeln!(
                out,
                "    {}:{}:{}{extra}",
                place(
                    hit.origin.path().as_deref().unwrap_or("-"),
                    &hit.finding.archive_path
                ),
                hit.finding.location.line,
                hit.finding.location.column
            )?,
        }
    }
    if c.hits.len() > MAX_PLACES {
        write_rest(out, &c.hits[MAX_PLACES..])?;
    }
    write_remediation(out, c, told)?;
    writeln!(out, "  fingerprint  {}", c.fingerprint)?;
    writeln!(out)
}

/// What to do: the kind's steps, in full under the first credential of that kind; later
/// ones point back to it.
fn write_remediation(
    out: &mut dyn Write,
    c: &Credential,
    told: &mut Vec<(Remediation, String)>,
) -> std::io::Result<()> {
    let r = Remediation::of(c);
    let name = c.key_id.as_ref().map_or_else(
        || c.fingerprint.to_hex()[..12].to_string(),
        |k| k.as_str().to_string(),
    );
    if let Some((_, first)) = told.iter().find(|(k, _)| *k == r) {
        return writeln!(out, "  what to do   as for {} above ({})", first, r.title());
    }
    writeln!(out, "  what to do   ({})", r.title())?;
    for line in r.text().lines() {
        if line.is_empty() {
            continue;
        }
        writeln!(out, "    {line}")?;
    }
    told.push((r, name));
    Ok(())
}

/// Places listed one by one per credential; the rest are condensed by repository (a key
/// pushed to every fork of a repository is found in each of them). The machine reports
/// list every place.
const MAX_PLACES: usize = 20;
/// Repositories named in the condensed rest.
const MAX_NAMED_REPOSITORIES: usize = 10;

fn write_rest(out: &mut dyn Write, rest: &[Hit]) -> std::io::Result<()> {
    let mut repos: Vec<&str> = rest.iter().filter_map(|h| h.origin.repository()).collect();
    repos.dedup();
    let files = rest
        .iter()
        .filter(|h| h.origin.repository().is_none())
        .count();
    let mut parts = Vec::new();
    if files > 0 {
        parts.push(format!("{files} in files"));
    }
    if !repos.is_empty() {
        let mut named = repos
            .iter()
            .take(MAX_NAMED_REPOSITORIES)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if repos.len() > MAX_NAMED_REPOSITORIES {
            named += &format!(" and {} more", repos.len() - MAX_NAMED_REPOSITORIES);
        }
        parts.push(format!(
            "in {} repositor{} ({named})",
            repos.len(),
            if repos.len() == 1 { "y" } else { "ies" }
        ));
    }
    writeln!(
        out,
        "    ... {} more place{}: {} (every place is in the JSON and SARIF reports)",
        rest.len(),
        if rest.len() == 1 { "" } else { "s" },
        parts.join("; ")
    )
}

fn write_history_hit(
    out: &mut dyn Write,
    hit: &Hit,
    repo: &str,
    origin: &scanner_git::Origin,
    extra: &str,
) -> std::io::Result<()> {
    let line = hit.finding.location.line;
    match origin {
        scanner_git::Origin::Blob { id, provenance } => {
            let path = hit.origin.path();
            let path = path.as_deref().unwrap_or("(in no commit)");
            let inner = place(path, &hit.finding.archive_path);
            writeln!(
                out,
                "    {repo}: {inner}:{line}:{}  blob {}{extra}",
                hit.finding.location.column,
                short(id)
            )?;
            match &provenance.introduced {
                Some(introduced) => {
                    let c = &introduced.commit;
                    let state = match provenance.at_head {
                        Some(true) => "; still present at HEAD",
                        Some(false) => "; removed (not in HEAD)",
                        None => "",
                    };
                    writeln!(
                        out,
                        "      introduced in {} {path} by {} on {}{state}",
                        short(&c.id),
                        author(c),
                        date(c)
                    )?;
                    if !provenance.refs.is_empty() {
                        writeln!(out, "      reachable from {}", provenance.refs.join(", "))?;
                    } else if !c.reachable {
                        writeln!(
                            out,
                            "      reachable from no ref: only dangling or reflog commits hold it"
                        )?;
                    }
                    if !provenance.others.is_empty() {
                        let n = provenance.others.len();
                        writeln!(
                            out,
                            "      also in {n} other commit{}",
                            if n == 1 { "" } else { "s" }
                        )?;
                    }
                }
                None => writeln!(out, "      held by no commit (a dangling blob)")?,
            }
        }
        scanner_git::Origin::CommitMessage { commit } => writeln!(
            out,
            "    {repo}: message of commit {}:{line}{extra}  by {} on {}",
            short(&commit.id),
            author(commit),
            date(commit)
        )?,
        scanner_git::Origin::TagMessage { id, name } => writeln!(
            out,
            "    {repo}: message of tag {name} ({}):{line}{extra}",
            short(id)
        )?,
        other => writeln!(
            out,
            "    {repo}: object {}:{line}{extra}",
            short(&other.object_id())
        )?,
    }
    Ok(())
}

/// The one-paragraph summary printed to standard error after a human report.
pub fn summary(report: &Report, elapsed: std::time::Duration) -> String {
    let mut by_sev: Vec<String> = Vec::new();
    for s in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let n = report
            .credentials
            .iter()
            .filter(|c| c.severity == s)
            .count();
        if n > 0 {
            by_sev.push(format!("{n} {}", s.as_str()));
        }
    }
    let found = match report.credentials.len() {
        0 => "no credentials found".to_string(),
        n => format!(
            "{n} credential{} found ({})",
            if n == 1 { "" } else { "s" },
            by_sev.join(", ")
        ),
    };
    let mut s = format!(
        "leakscan: {found}; {} file{} scanned ({:.1} MiB) in {:.2} s",
        report.files_scanned,
        if report.files_scanned == 1 { "" } else { "s" },
        report.bytes_scanned as f64 / (1024.0 * 1024.0),
        elapsed.as_secs_f64()
    );
    if !report.repositories.is_empty() {
        let blobs: u64 = report
            .repositories
            .iter()
            .map(|r| r.stats.blobs_scanned)
            .sum();
        let commits: u64 = report.repositories.iter().map(|r| r.stats.commits).sum();
        let n = report.repositories.len();
        s += &format!(
            "; {n} repositor{} with {commits} commits and {blobs} unique blobs scanned",
            if n == 1 { "y" } else { "ies" }
        );
        let large: u64 = report
            .repositories
            .iter()
            .map(|r| r.stats.blobs_too_large)
            .sum();
        if large > 0 {
            s += &format!(" ({large} blobs over --max-file-size skipped)");
        }
        let unchanged = report
            .repositories
            .iter()
            .filter(|r| r.change == Some(scanner_git::Change::Unchanged))
            .count();
        if unchanged > 0 {
            s += &format!(" ({unchanged} unchanged since the last run, not read)");
        }
    }
    if !report.skipped.is_empty() {
        s += &format!("; {} skipped over --max-file-size", report.skipped.len());
    }
    if !report.archive_skips.is_empty() {
        let n = report.archive_skips.len();
        s += &format!(
            "; {n} part{} of archives not scanned",
            if n == 1 { "" } else { "s" }
        );
    }
    if !report.errors.is_empty() {
        let n = report.errors.len();
        s += &format!(
            "; {n} input{} could not be read",
            if n == 1 { "" } else { "s" }
        );
    }
    s
}
