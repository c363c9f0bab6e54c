//! `leakscan`: finds leaked AWS credentials in files and directories.
//!
//! The binary is thin: arguments become a typed configuration once (`args`), inputs become
//! findings (`scan`, with `scanner-core` doing the detection), findings become a report
//! (`report`). Exit codes are decided here and only here.

// Doc comments on clap arguments are `--help` text, where a URL is plain text.
#![allow(rustdoc::bare_urls)]

mod args;
mod baseline;
mod config;
mod hooks;
mod merge;
mod output;
mod progress;
mod report;
mod scan;
mod signals;
mod sources;
mod state;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, FailOn, Format, HookCommand, ScanConfig};
use report::Report;
use scanner_verify::Status;

/// Exit statuses, documented in the README and `leakscan scan --help`.
pub(crate) const EXIT_CLEAN: u8 = 0;
pub(crate) const EXIT_FOUND: u8 = 1;
pub(crate) const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => finish(args.into_config().and_then(scan)),
        Command::Merge(args) => finish(merge::run(&args)),
        Command::Hook(HookCommand::PrePush { .. }) => finish(pre_push()),
        Command::Hook(HookCommand::Install {
            repo,
            pre_commit,
            pre_push,
        }) => finish(hooks::install(&repo, pre_commit, pre_push).map(|done| {
            for line in done {
                eprintln!("leakscan: {line}");
            }
            EXIT_CLEAN
        })),
    }
}

fn finish(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("leakscan: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The pre-push hook: a scan of what the push sends, with the default settings (and the
/// repository's leakscan.toml).
fn pre_push() -> anyhow::Result<u8> {
    let Cli {
        command: Command::Scan(args),
    } = Cli::try_parse_from(["leakscan", "scan", "."])?
    else {
        unreachable!("parsed a scan command")
    };
    let mut config = args.into_config()?;
    config.inputs = hooks::pre_push_inputs()?;
    config.blocks = Some(report::human::Blocked::Push);
    scan(config)
}

fn scan(mut config: ScanConfig) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let interrupt = signals::listen(config.cancel.clone())
        .map_err(|e| anyhow::anyhow!("cannot handle SIGINT and SIGTERM: {e}"))?;
    let counters = std::sync::Arc::new(progress::Progress::default());
    // JSON Lines stream: findings are written as they are found, the summary at the end.
    let streamed = (config.report.format == Format::Jsonl && config.write_baseline.is_none())
        .then(|| open_output(&config.report))
        .transpose()?;
    let stream = streamed.clone().map(|out| {
        report::jsonl::Stream::new(
            Box::new(out),
            config.report.secrets,
            config.accepted.clone(),
        )
    });
    let sink = |hits: &[scan::Hit]| {
        if let Some(s) = &stream {
            s.hits(hits);
        }
    };
    let outcome = {
        let _display = progress::Display::start(
            counters.clone(),
            progress::wanted(config.report.format == Format::Human),
        );
        // Remote sources first: their mirrors are scanned like local repositories.
        let resolved = config
            .remote
            .as_ref()
            .map(|remote| sources::resolve(remote, &config.scanner, &counters, &config.cancel));
        if let Some(r) = &resolved {
            config.inputs.extend(r.inputs.iter().cloned());
            sink(&r.hits);
        }
        let mut outcome = scan::run(&config, &counters, Some(&sink))?;
        if let Some(r) = resolved {
            outcome.hits.extend(r.hits);
            outcome.errors.extend(r.errors);
            outcome.errors.sort();
            outcome.errors.dedup();
            outcome.remote = Some(r.summary);
        }
        outcome
    };
    let config = &config;
    let excluded_paths = outcome.config_excluded;
    // Stopped by a signal: what was scanned is reported, and said to be incomplete.
    let stopped = interrupt.received();
    let mut outcome = outcome;
    outcome.incomplete = stopped.map(|(signal, _)| format!("interrupted by {signal}"));
    let mut report = Report::new(outcome);
    // What the configuration did is always said: a file in the scanned tree can hide
    // findings.
    report.config = config.config_file.as_ref().map(|file| config::Effect {
        file: file.clone(),
        excluded_paths,
        findings_allowed: report
            .credentials
            .iter()
            .filter(|c| file.allowed.contains(&c.fingerprint.to_hex()))
            .count(),
    });
    // Accepted findings (baseline, configuration) are dropped before anything is printed
    // or decided: they are as if not found.
    report
        .credentials
        .retain(|c| !config.accepted.contains(&c.fingerprint.to_hex()));
    if let Some(effect) = &report.config {
        eprintln!("{}", effect.describe());
    }
    if let Some(path) = &config.write_baseline {
        // A baseline of part of the findings would not be what was asked for.
        if let Some((signal, status)) = stopped {
            eprintln!(
                "leakscan: {}: not written: {signal} stopped the scan",
                path.display()
            );
            return Ok(status);
        }
        baseline::write(path, &report)?;
        eprintln!(
            "leakscan: wrote {} fingerprint{} to {}",
            report.credentials.len(),
            if report.credentials.len() == 1 {
                ""
            } else {
                "s"
            },
            path.display()
        );
        return Ok(EXIT_CLEAN);
    }
    if let Some(verifier) = config.verifier.as_ref().filter(|_| stopped.is_none()) {
        // A signal now stops the questions: the keys not yet asked about are reported
        // unverified, and the report says why.
        verify(verifier, &mut report, &|| config.cancel.is_cancelled());
        if let Some((signal, _)) = interrupt.received() {
            report.incomplete.get_or_insert_with(|| {
                format!("interrupted by {signal} during verification (keys not yet asked about are not verified)")
            });
        }
    }
    // Paths come from the scanned tree: escaped, like the human report's.
    for e in &report.errors {
        eprintln!(
            "leakscan: {}: {}",
            report::esc(&e.path),
            report::esc(&e.reason)
        );
    }
    for s in &report.skipped {
        eprintln!(
            "leakscan: {}: skipped, {}",
            report::esc(&s.path),
            s.reason()
        );
    }
    // Warnings: the archive was read and everything readable in it scanned; they do not
    // change the exit status (as files over --max-file-size do not).
    for s in &report.archive_skips {
        eprintln!("leakscan: {}", report::skip_message(s));
    }
    let failing = match config.fail_on {
        FailOn::Any => !report.credentials.is_empty(),
        FailOn::Active => report.credentials.iter().any(|c| {
            c.verification
                .as_ref()
                .is_some_and(|v| v.status == Status::Active)
        }),
    };
    let unread = config.fail_on_skip.then(|| not_read(&report)).flatten();
    let code = if failing {
        EXIT_FOUND
    } else if !report.errors.is_empty() || unread.is_some() {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    };
    let rc = &config.report;
    report.elapsed = Some(started.elapsed());
    let (out, written) = match (stream, streamed) {
        (Some(stream), Some(out)) => {
            let written = stream.finish(&report);
            (out, written)
        }
        _ => {
            let mut out = open_output(rc)?;
            let written = write_report(&mut out, &report, rc);
            (out, written)
        }
    };
    commit(&out, written)?;
    // The summary line: after a human report, and when a machine report goes to a file
    // (the terminal then shows nothing else).
    if rc.format == Format::Human || rc.output.is_some() {
        eprintln!(
            "{}",
            report::human::summary_to(&report, started.elapsed(), rc.output.as_deref())
        );
    }
    if let Some(remote) = &report.remote {
        eprintln!("{}", sources::summary_line(remote));
    }
    if let Some(unread) = unread.filter(|_| code == EXIT_ERROR) {
        eprintln!("leakscan: --fail-on-skip: {unread} not read");
    }
    // A hook that refuses a commit or a push says what to do next.
    if let (Some(blocked), true) = (config.blocks, failing) {
        eprint!("{}", report::human::blocked(&report, blocked));
    }
    // A signal at any time, the report's end included, says how the run ended.
    Ok(interrupt.received().map_or(code, |(_, status)| status))
}

/// The human report of an interrupted scan says so on its first line.
fn incomplete_line(out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    match &report.incomplete {
        Some(why) => writeln!(
            out,
            "INCOMPLETE: the scan was {why}; this report covers only what was scanned before"
        ),
        None => Ok(()),
    }
}

/// Puts the report in place; a reader gone away (`leakscan scan | head`) is not an error.
pub(crate) fn commit(out: &output::Output, written: std::io::Result<()>) -> anyhow::Result<()> {
    match out.commit(written) {
        Ok(()) => Ok(()),
        Err(output::CommitError::Stdout(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(output::CommitError::Stdout(e)) => Err(anyhow::anyhow!("cannot write the report: {e}")),
        Err(output::CommitError::File(e)) => Err(e),
    }
}

/// What was skipped (files met while walking, blobs over the size limit, parts of
/// archives), as `--fail-on-skip` tells it; `None` when everything was read.
fn not_read(report: &Report) -> Option<String> {
    let blobs: u64 = report
        .repositories
        .iter()
        .map(|r| r.stats.blobs_too_large)
        .sum();
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let parts: Vec<String> = [
        (report.skipped.len() as u64, "file", "files"),
        (blobs, "blob", "blobs"),
        (
            report.archive_skips.len() as u64,
            "part of an archive",
            "parts of archives",
        ),
    ]
    .into_iter()
    .filter(|&(n, _, _)| n > 0)
    .map(|(n, one, many)| plural(n, one, many))
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Asks STS about every key pair; a live root user key becomes critical.
fn verify(
    verifier: &scanner_verify::Verifier,
    report: &mut Report,
    stop: &(dyn Fn() -> bool + Sync),
) {
    let findings: Vec<&scanner_core::Finding> =
        report.credentials.iter().map(|c| &c.finding).collect();
    let answers = verifier.verify_all_until(&findings, stop);
    for (c, v) in report.credentials.iter_mut().zip(answers) {
        if v.is_root() {
            c.severity = scanner_core::Severity::Critical;
        }
        // STS accepted another secret found near the key: that one is the key's secret.
        if v.status == Status::Active && v.secret_index > 0 {
            if let Some(s) = c.finding.other_secrets.get(v.secret_index - 1) {
                c.secret_redacted = Some(s.redacted());
                c.secret = Some(s.clone());
            }
        }
        c.verification = Some(v);
    }
    report.sort();
}

/// Where the report goes: `--output FILE` (through a temporary file renamed onto it by
/// [`commit`]), or standard output.
pub(crate) fn open_output(rc: &args::ReportConfig) -> anyhow::Result<output::Output> {
    output::Output::open(rc.output.as_deref())
}

pub(crate) fn write_report(
    out: &mut dyn Write,
    report: &Report,
    rc: &args::ReportConfig,
) -> std::io::Result<()> {
    match rc.format {
        Format::Human => incomplete_line(out, report)
            .and_then(|()| report::human::write(out, report, rc.secrets, rc.color, rc.max_places)),
        Format::Json => report::json::write(out, report, rc.secrets, rc.max_places),
        // Streamed during the scan by `report::jsonl::Stream`, which also ends it.
        Format::Jsonl => Ok(()),
        // SARIF reports are uploaded and kept elsewhere: never a secret in clear.
        Format::Sarif => report::sarif::write(out, report),
    }
}
