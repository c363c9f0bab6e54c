//! The human report: a summary first, then one entry per credential, most dangerous first.
//! Each entry says what the credential is, where it entered, where it is now, the rest of
//! its places condensed (grouped by path, capped by `--max-places`), and what to do.
//!
//! Everything taken from the scanned data (paths, commit summaries, authors, refs, tag
//! names, repository names) goes through [`esc`]: a hostile repository cannot forge or hide
//! lines of the report on a terminal.

use std::collections::BTreeSet;
use std::io::Write;

use scanner_core::{Encoding, ExampleKind, Severity};
use scanner_git::ObjectId;

use super::remediation::Remediation;
use super::{
    author, commit_of, count, counted, date, esc, esc_bytes, kind_title, place, short, Credential,
    Report,
};
use crate::args::SecretDisplay;
use crate::scan::Hit;

/// Groups of places listed per credential unless `--max-places` says otherwise.
pub const DEFAULT_MAX_PLACES: usize = 5;
/// Refs named per group of places; the rest are counted.
const MAX_REFS: usize = 3;
/// Lines named per group of places before they are given as a range.
const MAX_LINES: usize = 4;
/// Columns the remediation text is wrapped at.
const WIDTH: usize = 100;
/// scanner-git's limit on a blob's other commits (`Provenance::others`).
const MAX_OTHERS: usize = 1000;

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

/// Writes the report: nothing at all when nothing was found (the summary line on
/// standard error says so), else the summary, then each credential.
pub fn write(
    out: &mut dyn Write,
    report: &Report,
    secrets: SecretDisplay,
    color: bool,
    max_places: Option<usize>,
) -> std::io::Result<()> {
    if report.credentials.is_empty() {
        return Ok(());
    }
    let style = Style { color };
    write_summary(out, report)?;
    writeln!(out)?;
    // Each kind's steps are printed in full once, under its most dangerous credential.
    let mut told = Vec::new();
    let max_places = max_places.unwrap_or(DEFAULT_MAX_PLACES);
    for c in &report.credentials {
        write_credential(out, c, secrets, &style, &mut told, max_places)?;
    }
    Ok(())
}

/// Counts by severity: `1 critical, 2 high`.
fn by_severity(report: &Report) -> String {
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
            by_sev.push(format!("{} {}", count(n), s.as_str()));
        }
    }
    by_sev.join(", ")
}

/// What was read: repositories with their commits and blobs, files with their bytes.
fn read_line(report: &Report) -> String {
    let mut parts = Vec::new();
    if let Some(c) = report.changes {
        if c.commits > 0 || c.staged == 0 {
            parts.push(format!(
                "{} ({})",
                counted(c.commits as usize, "commit", "commits"),
                counted(c.blobs as usize, "blob", "blobs")
            ));
        }
        if c.staged > 0 {
            parts.push(counted(c.staged as usize, "staged file", "staged files"));
        }
        return parts.join(", ");
    }
    if !report.repositories.is_empty() {
        let (blobs, commits) = history_totals(report);
        parts.push(format!(
            "{} ({}, {})",
            counted(report.repositories.len(), "repository", "repositories"),
            counted(commits as usize, "commit", "commits"),
            counted(blobs as usize, "unique blob", "unique blobs")
        ));
    }
    if report.files_scanned > 0 || report.repositories.is_empty() {
        parts.push(format!(
            "{} ({:.1} MiB)",
            counted(report.files_scanned as usize, "file", "files"),
            report.bytes_scanned as f64 / (1024.0 * 1024.0)
        ));
    }
    parts.join(", ")
}

/// What was not read, and why (empty when everything was).
fn skipped_parts(report: &Report) -> Vec<String> {
    let large_files = report
        .skipped
        .iter()
        .filter(|k| k.why == crate::scan::SkipWhy::TooLarge)
        .count();
    let in_history = |count: fn(&scanner_git::HistoryStats) -> u64| {
        report
            .repositories
            .iter()
            .map(|r| count(&r.stats))
            .sum::<u64>() as usize
    };
    let unchanged = report
        .repositories
        .iter()
        .filter(|r| r.change == Some(scanner_git::Change::Unchanged))
        .count();
    [
        (large_files, "file", "files", "over --max-file-size"),
        (
            report.skipped.len() - large_files,
            "file",
            "files",
            "not regular (pipes, sockets, devices)",
        ),
        (
            in_history(|s| s.blobs_too_large),
            "blob",
            "blobs",
            "over --max-file-size",
        ),
        (
            in_history(|s| s.missing_objects),
            "object",
            "objects",
            "missing (shallow or partial clone)",
        ),
        (
            unchanged,
            "repository",
            "repositories",
            "unchanged since the last run, not read",
        ),
        (
            report.ignored as usize,
            "ignored file",
            "ignored files",
            "not read; --include-ignored to read them",
        ),
        (
            report.archive_skips.len(),
            "part",
            "parts",
            "of archives not scanned",
        ),
    ]
    .into_iter()
    .filter(|&(n, ..)| n > 0)
    .map(|(n, one, many, why)| format!("{} {why}", counted(n, one, many)))
    .collect()
}

fn write_summary(out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    let n = report.credentials.len();
    let present = report.credentials.iter().filter(|c| c.is_present()).count();
    let in_history = report
        .credentials
        .iter()
        .filter(|c| c.hits.iter().any(|h| h.origin.history().is_some()))
        .count();
    let mut first = format!(
        "{} found: {}",
        counted(n, "credential", "credentials"),
        by_severity(report)
    );
    if in_history > 0 {
        first += &format!(
            "; {} still at HEAD or in files, {} only in history",
            count(present),
            count(n - present)
        );
    }
    writeln!(out, "leakscan: {first}")?;
    let mut read = read_line(report);
    if let Some(e) = report.elapsed {
        read += &format!(" in {:.2} s", e.as_secs_f64());
    }
    writeln!(out, "  read         {read}")?;
    let skipped = skipped_parts(report);
    if !skipped.is_empty() {
        writeln!(out, "  skipped      {}", skipped.join("; "))?;
    }
    if !report.errors.is_empty() {
        writeln!(
            out,
            "  errors       {} could not be read (listed on standard error)",
            counted(report.errors.len(), "input", "inputs")
        )?;
    }
    Ok(())
}

fn write_credential(
    out: &mut dyn Write,
    c: &Credential,
    secrets: SecretDisplay,
    style: &Style,
    told: &mut Vec<(Remediation, String)>,
    max_places: usize,
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
        Some(ExampleKind::Fixture) => notes.push("test fixture".to_string()),
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
            (Some(arn), _) => format!(" as {}", esc(arn)),
            (None, Some(reason)) => format!(" ({})", esc(reason)),
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
    write_entered(out, c)?;
    write_now(out, c, max_places)?;
    write_places(out, c, max_places)?;
    write_remediation(out, c, told)?;
    writeln!(out, "  fingerprint  {}", c.fingerprint)?;
    writeln!(out)
}

/// The hit whose bytes entered history first: the earliest introducing commit (or
/// commit message) by date, ties in report order.
fn entry_hit(c: &Credential) -> Option<&Hit> {
    c.hits
        .iter()
        .filter(|h| h.origin.history().and_then(commit_of).is_some())
        .min_by_key(|h| h.origin.entered().map_or(i64::MAX, |t| t.seconds()))
}

/// Where it entered: the introducing commit, its date, author and summary, and the path
/// and line there.
fn write_entered(out: &mut dyn Write, c: &Credential) -> std::io::Result<()> {
    let Some(hit) = entry_hit(c) else {
        return Ok(());
    };
    let (Some(repo), Some(origin)) = (hit.origin.repository(), hit.origin.history()) else {
        return Ok(());
    };
    let Some(commit) = commit_of(origin) else {
        return Ok(());
    };
    let mut who = Vec::new();
    if commit.date.is_some() {
        who.push(date(commit));
    }
    if !author(commit).is_empty() {
        who.push(format!("by {}", esc(author(commit))));
    }
    let who = if who.is_empty() {
        String::new()
    } else {
        format!(", {}", who.join(" "))
    };
    writeln!(
        out,
        "  entered      {}: commit {}{who}",
        esc(repo),
        short(&commit.id)
    )?;
    if !commit.summary.is_empty() {
        writeln!(out, "               \"{}\"", esc(&commit.summary))?;
    }
    let line = hit.finding.location.line;
    let at = match origin {
        scanner_git::Origin::Blob { .. } => format!("at {}:{line}", shown_place(hit)),
        _ => format!("in its message, line {line}"),
    };
    writeln!(out, "               {at}")?;
    if let Some(damage) = &hit.damage {
        writeln!(out, "               from a damaged object: {}", esc(damage))?;
    }
    Ok(())
}

/// A hit's path (with its archive entry), escaped.
fn shown_place(hit: &Hit) -> String {
    let path = hit
        .origin
        .path_bytes()
        .map_or_else(|| "-".to_string(), |p| esc_bytes(&p).into_owned());
    // `place` escapes what it is given: the path is escaped already, only the entries are
    // left to it.
    let entries = place("", &hit.finding.archive_path);
    format!("{path}{entries}")
}

/// Where it is now: every place still there (at HEAD, in a file), grouped by path; or that
/// it was removed from HEAD and is still in history.
fn write_now(out: &mut dyn Write, c: &Credential, max: usize) -> std::io::Result<()> {
    let history: Vec<&Hit> = c
        .hits
        .iter()
        .filter(|h| h.origin.history().is_some())
        .collect();
    // Credentials found in files only: their places say where they are.
    if history.is_empty() {
        return Ok(());
    }
    let present: Vec<&Hit> = c.hits.iter().filter(|h| h.origin.is_present()).collect();
    if present.is_empty() {
        let unknown = history.iter().all(|h| match h.origin.history() {
            Some(scanner_git::Origin::Blob { provenance, .. }) => provenance.at_head.is_none(),
            _ => false,
        });
        if unknown {
            return Ok(());
        }
        let messages_only = history
            .iter()
            .all(|h| !matches!(h.origin.history(), Some(scanner_git::Origin::Blob { .. })));
        if messages_only {
            return writeln!(
                out,
                "  now          in history: a message stays until the history is rewritten"
            );
        }
        let reachable = history.iter().any(|h| match h.origin.history() {
            Some(scanner_git::Origin::Blob { provenance, .. }) => !provenance.refs.is_empty(),
            Some(o) => commit_of(o).is_some_and(|c| c.reachable),
            None => false,
        });
        let state = if reachable {
            "removed from HEAD, still in history"
        } else {
            "removed from HEAD; only unreachable commits (dangling, reflog) still hold it"
        };
        return writeln!(out, "  now          {state}");
    }
    let groups = group(&present, true);
    // One place in all: the place line says it is at HEAD.
    if c.hits.len() == 1 {
        return Ok(());
    }
    let mut first = true;
    for g in groups.iter().take(max) {
        let label = if first {
            "  now          "
        } else {
            "               "
        };
        first = false;
        writeln!(out, "{label}{}{}", g.where_(), g.lines_text())?;
    }
    if groups.len() > max {
        writeln!(
            out,
            "               and {}",
            counted(groups.len() - max, "more path", "more paths")
        )?;
    }
    Ok(())
}

/// A credential's places at one path (of one repository, or among files).
pub(super) struct Group<'a> {
    repository: Option<&'a str>,
    label: String,
    pub(super) hits: Vec<&'a Hit>,
    lines: BTreeSet<usize>,
    secret_lines: BTreeSet<usize>,
    blobs: BTreeSet<ObjectId>,
    commits: BTreeSet<ObjectId>,
    refs: BTreeSet<&'a str>,
    reachable: bool,
    present: bool,
    entered: Option<i64>,
    notes: BTreeSet<String>,
    /// Some blob's list of other commits was cut at scanner-git's limit.
    capped: bool,
}

impl Group<'_> {
    /// `repo: path` or `path`.
    fn where_(&self) -> String {
        match self.repository {
            Some(r) => format!("{}: {}", esc(r), self.label),
            None => self.label.clone(),
        }
    }

    /// `:2:19` for one place, `: lines 3, 7` for a few, `: lines 136–327 (40 places)`,
    /// with the secret's line where it is the pair's, and how the text was written.
    fn lines_text(&self) -> String {
        let mut s = match (self.hits.len(), self.lines.len()) {
            (1, _) => {
                let l = &self.hits[0].finding.location;
                format!(":{}:{}", l.line, l.column)
            }
            (_, 1) => format!(": line {}", self.lines.first().unwrap_or(&0)),
            (_, n) if n <= MAX_LINES => format!(
                ": lines {}",
                self.lines
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (_, _) => format!(
                ": lines {}\u{2013}{}",
                self.lines.first().unwrap_or(&0),
                self.lines.last().unwrap_or(&0)
            ),
        };
        let mut notes = Vec::new();
        if self.hits.len() > 1
            && (self.hits.len() != self.lines.len() || self.lines.len() > MAX_LINES)
        {
            notes.push(counted(self.hits.len(), "place", "places"));
        }
        let secret_lines: Vec<String> = self
            .secret_lines
            .iter()
            .take(MAX_LINES)
            .map(ToString::to_string)
            .collect();
        match secret_lines.len() {
            0 => {}
            1 => notes.push(format!("secret on line {}", secret_lines[0])),
            _ => notes.push(format!("secrets on lines {}", secret_lines.join(", "))),
        }
        notes.extend(self.notes.iter().cloned());
        if !notes.is_empty() {
            s += &format!(" ({})", notes.join("; "));
        }
        s
    }

    /// For places in history: versions, commits, HEAD, refs.
    fn history_text(&self) -> Option<String> {
        self.repository?;
        if self.blobs.is_empty() {
            return None;
        }
        // scanner-git lists at most 1000 other commits per blob.
        let commits = if self.capped {
            format!("{} or more commits", count(self.commits.len()))
        } else {
            counted(self.commits.len(), "commit", "commits")
        };
        let mut parts = vec![format!(
            "{} in {commits}",
            counted(self.blobs.len(), "version", "versions"),
        )];
        if self.present {
            parts.push("at HEAD".to_string());
        }
        if !self.refs.is_empty() {
            // The refs people know first: HEAD, branches, tags; pull requests last.
            let mut refs: Vec<&str> = self.refs.iter().copied().collect();
            refs.sort_by_key(|r| (ref_rank(r), *r));
            let mut named: Vec<String> = refs
                .iter()
                .take(MAX_REFS)
                .map(|r| esc(r).into_owned())
                .collect();
            if refs.len() > MAX_REFS {
                named.push(format!(
                    "and {}",
                    counted(refs.len() - MAX_REFS, "more ref", "more refs")
                ));
            }
            parts.push(format!("reachable from {}", named.join(", ")));
        } else if !self.reachable {
            parts
                .push("reachable from no ref: only dangling or reflog commits hold it".to_string());
        }
        Some(parts.join("; "))
    }
}

/// The order refs are named in: HEAD, the usual default branches, branches, tags, remote
/// branches, the rest, pull requests.
fn ref_rank(r: &str) -> u8 {
    match r {
        "HEAD" => 0,
        "refs/heads/main" | "refs/heads/master" => 1,
        _ if r.starts_with("refs/heads/") => 2,
        _ if r.starts_with("refs/tags/") => 3,
        _ if r.starts_with("refs/remotes/") => 4,
        _ if r.starts_with("refs/pull/") => 6,
        _ => 5,
    }
}

/// Groups hits by repository and path (messages by their commit or tag), ordered: places
/// still there first, then by when they entered history, then as the report orders hits.
/// `credential_new`: the whole credential is new, so no place is marked new by itself.
pub(super) fn group<'a>(hits: &[&'a Hit], credential_new: bool) -> Vec<Group<'a>> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    let mut index: std::collections::HashMap<(Option<&str>, String), usize> =
        std::collections::HashMap::new();
    for &hit in hits {
        let repository = hit.origin.repository();
        let label = match hit.origin.history() {
            Some(scanner_git::Origin::Blob { id, provenance })
                if provenance.introduced.is_none() =>
            {
                format!("blob {} (held by no commit)", short(id))
            }
            Some(scanner_git::Origin::CommitMessage { commit }) => {
                format!("message of commit {}", short(&commit.id))
            }
            Some(scanner_git::Origin::TagMessage { id, name }) => {
                format!("message of tag {} ({})", esc(name), short(id))
            }
            _ => shown_place(hit),
        };
        let i = *index.entry((repository, label.clone())).or_insert_with(|| {
            groups.push(Group {
                repository,
                label,
                hits: Vec::new(),
                lines: BTreeSet::new(),
                secret_lines: BTreeSet::new(),
                blobs: BTreeSet::new(),
                commits: BTreeSet::new(),
                refs: BTreeSet::new(),
                reachable: false,
                present: false,
                entered: None,
                notes: BTreeSet::new(),
                capped: false,
            });
            groups.len() - 1
        });
        let g = &mut groups[i];
        g.hits.push(hit);
        g.lines.insert(hit.finding.location.line);
        if let Some(sl) = hit.secret_line() {
            g.secret_lines.insert(sl);
        }
        g.present |= hit.origin.is_present();
        if let Some(t) = hit.origin.entered() {
            g.entered = Some(g.entered.map_or(t.seconds(), |e| e.min(t.seconds())));
        }
        if hit.finding.encoding != Encoding::Plain {
            g.notes.insert(hit.finding.encoding.as_str().to_string());
        }
        if let Some((_, kind)) = hit.origin.web() {
            g.notes.insert(kind.as_str().replace('-', " "));
        }
        if hit.seen.is_some_and(|s| s.new) && !credential_new {
            g.notes.insert("new here".to_string());
        }
        match hit.origin.history() {
            Some(scanner_git::Origin::Blob { id, provenance }) => {
                g.blobs.insert(*id);
                if let Some(i) = &provenance.introduced {
                    g.commits.insert(i.commit.id);
                    g.reachable |= i.commit.reachable;
                }
                for h in &provenance.others {
                    g.commits.insert(h.commit);
                    g.reachable |= h.reachable;
                }
                g.capped |= provenance.others.len() >= MAX_OTHERS;
                g.refs.extend(provenance.refs.iter().map(String::as_str));
            }
            Some(scanner_git::Origin::CommitMessage { commit }) => {
                g.reachable |= commit.reachable;
            }
            _ => g.reachable = true,
        }
    }
    groups.sort_by(|a, b| {
        b.present
            .cmp(&a.present)
            .then_with(|| match (a.entered, b.entered) {
                (Some(x), Some(y)) => x.cmp(&y),
                (x, y) => y.is_some().cmp(&x.is_some()),
            })
    });
    groups
}

/// Every place, condensed: groups by path with their lines, versions, commits and refs,
/// at most `max` groups, then how many places are left for the machine reports.
fn write_places(out: &mut dyn Write, c: &Credential, max: usize) -> std::io::Result<()> {
    let hits: Vec<&Hit> = c.hits.iter().collect();
    let groups = group(&hits, c.seen.is_some_and(|s| s.new));
    if let ([g], 1) = (groups.as_slice(), c.hits.len()) {
        writeln!(out, "  place        {}{}", g.where_(), g.lines_text())?;
        if let Some(h) = g.history_text() {
            writeln!(out, "               {h}")?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "  places       {} in {}",
        counted(c.hits.len(), "place", "places"),
        counted(groups.len(), "path", "paths")
    )?;
    for g in groups.iter().take(max) {
        writeln!(out, "    {}{}", g.where_(), g.lines_text())?;
        if let Some(h) = g.history_text() {
            writeln!(out, "      {h}")?;
        }
    }
    if groups.len() > max {
        let rest: usize = groups[max..].iter().map(|g| g.hits.len()).sum();
        writeln!(
            out,
            "    +{} more {} in {}, see --format json",
            count(rest),
            if rest == 1 { "place" } else { "places" },
            counted(groups.len() - max, "path", "paths")
        )?;
    }
    Ok(())
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
        // A numbered step's continuation lines start under its text.
        let hang = match line.split_once(". ") {
            Some((n, _)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => n.len() + 2,
            _ => 0,
        };
        for l in wrap(line, WIDTH - 4, hang) {
            writeln!(out, "    {l}")?;
        }
    }
    told.push((r, name));
    Ok(())
}

/// [`summary`], and where the report went when it went to a file.
pub fn summary_to(
    report: &Report,
    elapsed: std::time::Duration,
    output: Option<&std::path::Path>,
) -> String {
    let mut s = summary(report, elapsed);
    if let Some(path) = output {
        s += &format!("; report written to {}", esc(&path.display().to_string()));
    }
    s
}

/// `text` in lines of at most `width` characters (a longer word gets a line of its own),
/// lines after the first indented by `hang` spaces.
fn wrap(text: &str, width: usize, hang: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let n = word.chars().count();
        if len > 0 && len + 1 + n > width {
            lines.push(std::mem::take(&mut line));
            line = " ".repeat(hang);
            len = hang;
        } else if len > 0 {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += n;
    }
    if !line.trim().is_empty() {
        lines.push(line);
    }
    lines
}

/// The one-line summary printed to standard error after a report (and, with `-o` and a
/// machine format, the only thing on the terminal).
pub fn summary(report: &Report, elapsed: std::time::Duration) -> String {
    let found = match report.credentials.len() {
        0 => "no credentials found".to_string(),
        n => {
            let present = report.credentials.iter().filter(|c| c.is_present()).count();
            format!(
                "{} found ({}; {} still at HEAD or in files)",
                counted(n, "credential", "credentials"),
                by_severity(report),
                count(present)
            )
        }
    };
    let read = match report.changes {
        // A scan of changes counts what it read: commits, or staged files.
        Some(c) if c.commits > 0 || c.staged == 0 => format!(
            "{} scanned ({})",
            counted(c.commits as usize, "commit", "commits"),
            counted(c.blobs as usize, "blob", "blobs")
        ),
        Some(c) => counted(c.staged as usize, "staged file", "staged files") + " scanned",
        // A mirror or a bare repository has no files: say what was read, the history.
        None if report.files_scanned == 0 && !report.repositories.is_empty() => String::new(),
        None => format!(
            "{} scanned ({:.1} MiB)",
            counted(report.files_scanned as usize, "file", "files"),
            report.bytes_scanned as f64 / (1024.0 * 1024.0)
        ),
    };
    let mut s = if read.is_empty() {
        format!("leakscan: {found} in {:.2} s", elapsed.as_secs_f64())
    } else {
        format!(
            "leakscan: {found}; {read} in {:.2} s",
            elapsed.as_secs_f64()
        )
    };
    if !report.repositories.is_empty() {
        let (blobs, commits) = history_totals(report);
        s += &format!(
            "; {} with {} and {} scanned",
            counted(report.repositories.len(), "repository", "repositories"),
            counted(commits as usize, "commit", "commits"),
            counted(blobs as usize, "unique blob", "unique blobs")
        );
    }
    let skipped = skipped_parts(report);
    if !skipped.is_empty() {
        s += &format!("; skipped: {}", skipped.join(", "));
    }
    if !report.errors.is_empty() {
        s += &format!(
            "; {} could not be read",
            counted(report.errors.len(), "input", "inputs")
        );
    }
    if let Some(why) = &report.incomplete {
        s += &format!("; INCOMPLETE: {why}");
    }
    s
}

/// The change a hook refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// The commit of what is staged (`scan --staged`, the pre-commit hook).
    Commit,
    /// A push (`hook pre-push`).
    Push,
}

/// What to do after a hook refused a commit or a push: printed on standard error after
/// the report, so that the person at the terminal knows how to go on.
pub fn blocked(report: &Report, blocked: Blocked) -> String {
    let n = report.credentials.len();
    let what = counted(n, "credential", "credentials");
    let (head, remove, bypass) = match blocked {
        Blocked::Commit => (
            format!(
                "leakscan: commit blocked: the staged changes add {what} ({}).",
                by_severity(report)
            ),
            "Take it out of the commit: edit the file (read the key from the environment or a \
             secret store instead), `git add` it again, or unstage it with `git restore --staged \
             FILE`; then commit. If an earlier commit not pushed yet holds it too, fix that one \
             with `git commit --amend` or `git rebase -i`.",
            "`git commit --no-verify` skips the hook once",
        ),
        Blocked::Push => (
            format!(
                "leakscan: push blocked: the commits being pushed add {what} ({}).",
                by_severity(report)
            ),
            "Take it out of the commits before pushing: `git commit --amend` if it is in the \
             last one, else `git rebase -i` from before the commit it entered in (\"entered\" \
             above) and edit that commit; then push again.",
            "`git push --no-verify` skips the hook once",
        ),
    };
    let allows: Vec<String> = report
        .credentials
        .iter()
        .map(|c| {
            format!(
                "    [[allow]]\n    fingerprint = \"{}\"\n    reason = \"test fixture\"",
                c.fingerprint
            )
        })
        .collect();
    let text = format!(
        "{head}
Next steps:
  1. If the key is real and has left this machine (pushed, shared, in a backup), rotate it \
first: see \"what to do\" above. Removing it from the commit does not make it secret again.
  2. {remove}
  3. A deliberate test fixture, or a key that is not live? Put `leakscan:allow` in a comment \
on its line, or accept it in leakscan.toml, which the hook reads:
{}
     (`leakscan scan . --write-baseline FILE` records every fingerprint found today, for \
scans run with `--baseline FILE`.)
  4. {bypass}, but a key committed that way is still leaked once the commit leaves this \
machine: rotate it.
",
        allows.join("\n")
    );
    // Steps wrapped at the report's width, continuations under their text.
    let mut out = String::new();
    for line in text.lines() {
        match line.strip_prefix("  ") {
            Some(step) if step.starts_with(|c: char| c.is_ascii_digit()) => {
                for l in wrap(step, WIDTH - 2, 3) {
                    out += &format!("  {l}\n");
                }
            }
            _ if line.starts_with("     (") => {
                for l in wrap(line.trim_start(), WIDTH - 5, 1) {
                    out += &format!("     {l}\n");
                }
            }
            _ => out += &format!("{line}\n"),
        }
    }
    out
}

/// Blobs scanned and commits read, over every repository of the report.
fn history_totals(report: &Report) -> (u64, u64) {
    report.repositories.iter().fold((0, 0), |(b, c), r| {
        (b + r.stats.blobs_scanned, c + r.stats.commits)
    })
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn steps_wrap_under_their_text() {
        let lines = wrap("1. one two three four five six", 12, 3);
        assert_eq!(lines, ["1. one two", "   three", "   four five", "   six"]);
        assert!(lines.iter().all(|l| l.chars().count() <= 12));
        assert_eq!(
            wrap("averyveryverylongword x", 5, 0),
            ["averyveryverylongword", "x"]
        );
    }
}
