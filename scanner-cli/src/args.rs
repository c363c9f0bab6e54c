//! Command-line arguments, and their one-time conversion into the typed [`ScanConfig`]
//! the rest of the binary works with. No clap type leaves this module.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use scanner_core::{AccountId, ExamplePolicy, Scanner};

use crate::baseline;
use crate::config::{self, FileConfig};

/// Finds leaked AWS credentials (key IDs, secret access keys and the pairs they form) in
/// files and directories.
#[derive(Debug, Parser)]
#[command(name = "leakscan", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, directories and git repositories (`-` reads standard input).
    ///
    /// A git repository (work tree, bare, or linked worktree) is scanned whole: every object
    /// of its history, reachable or not, each blob once, plus the work-tree files whose
    /// contents are not already in its history.
    ///
    /// Exit status: 0 nothing found; 1 credentials found; 2 nothing found, but some input
    /// could not be read (each such input is reported with its reason).
    Scan(Box<ScanArgs>),
    /// Git hooks: run one (`pre-push`), or install leakscan's.
    #[command(subcommand)]
    Hook(HookCommand),
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// git's pre-push hook: scans exactly the commits being pushed (reads git's
    /// `<local ref> <local sha> <remote ref> <remote sha>` lines on standard input, or the
    /// pre-commit framework's PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF).
    PrePush {
        /// Name of the remote (given by git; unused).
        remote: Option<String>,
        /// URL of the remote (given by git; unused).
        url: Option<String>,
    },
    /// Installs leakscan's hooks in the repository (respecting core.hooksPath). An existing
    /// hook is kept and run first; installing again changes nothing.
    Install {
        /// The repository (default: the current directory).
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Install the pre-commit hook (`leakscan scan --staged`).
        #[arg(long)]
        pre_commit: bool,
        /// Install the pre-push hook (`leakscan hook pre-push`).
        #[arg(long)]
        pre_push: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files, directories or git repositories to scan; `-` for standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Scan a git repository's work-tree files only, not its history.
    #[arg(long)]
    pub no_history: bool,

    /// Scan only what is staged for the next commit in each repository given (default
    /// `.`): the index entries that differ from HEAD. Fails if the index cannot be read.
    #[arg(long, conflicts_with_all = ["no_history", "since"])]
    pub staged: bool,

    /// Scan only what the commits after REV introduce, up to HEAD (like `REV..HEAD`; a
    /// positional `A..B` does the same for A..B).
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Show secrets and session tokens in clear (they are redacted otherwise).
    #[arg(long)]
    pub show_secrets: bool,

    /// Also report AWS documentation example keys and obvious placeholders.
    #[arg(long)]
    pub include_examples: bool,

    /// Skip files and blobs larger than this many bytes (suffixes K, M, G allowed; default
    /// 256M, or the configuration's); skipped files are counted and listed.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub max_file_size: Option<u64>,

    /// Open archives nested at most this deep (zip in tar in gzip is 3); deeper ones are
    /// scanned as their bytes and reported. 0: never open archives.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_archive_depth: u32,

    /// Decompress at most this many bytes out of the archives of one file or blob,
    /// nested ones included (suffixes K, M, G; default: 4 times --max-file-size, 1G with
    /// the defaults). What was decompressed is scanned; the rest is reported as skipped.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub max_archive_bytes: Option<u64>,

    /// Stop a compressed stream or entry that expands more than this many times (a
    /// decompression bomb), checked once it produced 1 MiB; 0: no limit.
    #[arg(long, value_name = "RATIO", default_value_t = 100)]
    pub max_archive_ratio: u64,

    /// Read at most this many archive entries of one file or blob, nested ones included.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_archive_entries: u64,

    /// Skip paths matching this glob (gitignore syntax; repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Number of threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// An AWS account ID that is yours: its credentials are reported at higher severity
    /// (repeatable).
    #[arg(long = "own-account", value_name = "ACCOUNT_ID")]
    pub own_accounts: Vec<String>,

    /// When to colour the human report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Configuration file (default: `leakscan.toml` at the root of the first directory
    /// scanned, if there is one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Report only findings whose fingerprints are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the fingerprints of the current findings in FILE (no secrets), then exit 0.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,

    /// Ask AWS STS (GetCallerIdentity, SigV4-signed, over TLS) whether each key pair is
    /// live and whose it is. Without it, leakscan makes no network connection at all.
    /// Canary-token keys and documentation examples are never sent.
    #[arg(long)]
    pub verify: bool,

    /// STS endpoint for --verify (default https://sts.amazonaws.com); plain http only to
    /// loopback addresses.
    #[arg(long, value_name = "URL", requires = "verify")]
    pub sts_endpoint: Option<String>,

    /// Region the endpoint signs for (default us-east-1).
    #[arg(
        long,
        value_name = "REGION",
        requires = "verify",
        default_value = "us-east-1"
    )]
    pub sts_region: String,

    /// Verification requests in flight at most.
    #[arg(long, value_name = "N", default_value_t = 8, requires = "verify")]
    pub verify_concurrency: usize,

    /// Seconds allowed per verification request.
    #[arg(long, value_name = "SECONDS", default_value_t = 5, requires = "verify")]
    pub verify_timeout: u64,

    /// Which findings make the exit status 1: any (default), or only keys verified active
    /// (implies --verify; for CI that tolerates revoked keys in history).
    #[arg(long, value_enum, default_value_t = FailOn::Any)]
    pub fail_on: FailOn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Any,
    Active,
}

/// Report formats (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One block per credential, for people (the default).
    Human,
    /// One JSON document.
    Json,
    /// JSON Lines: one finding per line, then one summary line.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers; secrets always redacted.
    Sarif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Where a scan reads from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    Path(PathBuf),
    /// What is staged in a repository.
    Staged(PathBuf),
    /// What commits reachable from `include` and not from `exclude` introduce.
    Range {
        repo: PathBuf,
        include: Vec<String>,
        exclude: Vec<String>,
    },
    /// What a push sends (git's pre-push input).
    Push {
        repo: PathBuf,
        refs: Vec<scanner_git::PushedRef>,
    },
}

/// Everything a scan needs, decided once.
#[derive(Debug)]
pub struct ScanConfig {
    pub inputs: Vec<Input>,
    pub scanner: Scanner,
    pub max_file_size: u64,
    pub excludes: Vec<String>,
    pub threads: Option<usize>,
    pub history: History,
    pub report: ReportConfig,
    /// Fingerprints not to report: from the baseline and the configuration's `[[allow]]`.
    pub accepted: BTreeSet<String>,
    /// The verifier, with --verify.
    pub verifier: Option<scanner_verify::Verifier>,
    pub fail_on: FailOn,
    pub write_baseline: Option<PathBuf>,
}

/// Whether git repositories are scanned with their history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum History {
    Scan,
    Skip,
}

/// How the report is written.
#[derive(Debug)]
pub struct ReportConfig {
    pub format: Format,
    pub output: Option<PathBuf>,
    pub secrets: SecretDisplay,
    pub color: bool,
}

/// Whether secrets appear in clear in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretDisplay {
    Redacted,
    Shown,
}

impl ScanArgs {
    /// What to read: paths, standard input, or a repository's staged or committed changes.
    fn inputs(&self) -> Vec<Input> {
        if self.staged {
            return self.paths.iter().cloned().map(Input::Staged).collect();
        }
        let mut inputs = Vec::new();
        for p in &self.paths {
            let text = p.to_string_lossy();
            if p.as_os_str() == "-" {
                inputs.push(Input::Stdin);
            } else if let Some((from, to)) = text.split_once("..").filter(|_| !p.exists()) {
                let to = if to.is_empty() { "HEAD" } else { to };
                inputs.push(Input::Range {
                    repo: PathBuf::from("."),
                    include: vec![to.to_string()],
                    exclude: vec![from.to_string()],
                });
            } else if let Some(since) = &self.since {
                inputs.push(Input::Range {
                    repo: p.clone(),
                    include: vec!["HEAD".to_string()],
                    exclude: vec![since.clone()],
                });
            } else {
                inputs.push(Input::Path(p.clone()));
            }
        }
        inputs
    }

    pub fn into_config(self) -> anyhow::Result<ScanConfig> {
        let file = match &self.config {
            Some(path) => FileConfig::load(path)?,
            None => match self
                .paths
                .iter()
                .find(|p| p.is_dir())
                .map(|d| d.join(config::FILE_NAME))
            {
                Some(path) if path.is_file() => FileConfig::load(&path)?,
                _ => FileConfig::default(),
            },
        };
        let mut own_accounts = file.own_accounts.clone();
        for a in &self.own_accounts {
            own_accounts.push(
                a.parse::<AccountId>()
                    .with_context(|| format!("--own-account {a}"))?,
            );
        }
        let max_file_size = self
            .max_file_size
            .or(file.max_file_size)
            .unwrap_or(DEFAULT_MAX_FILE_SIZE);
        let mut builder = Scanner::builder()
            .max_archive_depth(self.max_archive_depth)
            .max_archive_bytes(
                self.max_archive_bytes
                    .unwrap_or_else(|| max_file_size.saturating_mul(4)),
            )
            .max_archive_ratio(self.max_archive_ratio)
            .max_archive_entries(self.max_archive_entries)
            .examples(if self.include_examples {
                ExamplePolicy::Report
            } else {
                ExamplePolicy::Suppress
            })
            .own_accounts(own_accounts)
            .canary_accounts(file.canary_accounts.iter().copied());
        for (kind, pattern) in &file.label_patterns {
            builder = builder
                .label_pattern(*kind, pattern)
                .context("[labels] in the configuration")?;
        }
        let scanner = builder.build();
        let mut accepted: BTreeSet<String> = file.allowed_fingerprints.iter().cloned().collect();
        if let Some(path) = &self.baseline {
            accepted.extend(baseline::load(path)?);
        }
        let mut excludes = file.exclude.clone();
        excludes.extend(self.exclude.iter().cloned());
        if self.threads == Some(0) {
            bail!("--threads must be at least 1");
        }
        let inputs = self.inputs();
        let verifier = if self.verify || self.fail_on == FailOn::Active {
            let mut b = scanner_verify::Verifier::builder()
                .concurrency(self.verify_concurrency)
                .timeout(std::time::Duration::from_secs(self.verify_timeout.max(1)));
            if let Some(url) = &self.sts_endpoint {
                b = b.endpoint(url.clone(), self.sts_region.clone());
            }
            Some(
                b.build()
                    .map_err(|e| anyhow::anyhow!("--sts-endpoint: {e}"))?,
            )
        } else {
            None
        };
        let color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                use std::io::IsTerminal;
                self.output.is_none()
                    && std::env::var_os("NO_COLOR").is_none()
                    && std::io::stdout().is_terminal()
            }
        };
        Ok(ScanConfig {
            inputs,
            scanner,
            max_file_size,
            excludes,
            threads: self.threads,
            history: if self.no_history {
                History::Skip
            } else {
                History::Scan
            },
            report: ReportConfig {
                format: self.format,
                output: self.output,
                secrets: if self.show_secrets {
                    SecretDisplay::Shown
                } else {
                    SecretDisplay::Redacted
                },
                color,
            },
            accepted,
            write_baseline: self.write_baseline,
            verifier,
            fail_on: self.fail_on,
        })
    }
}

/// Files and blobs larger than this are skipped unless configured otherwise.
const DEFAULT_MAX_FILE_SIZE: u64 = 256 << 20;

/// `1024`, `64K`, `10M`, `1G` (binary multiples).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1 << 10),
        Some((i, 'm' | 'M')) => (&s[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("not a size in bytes: {s:?} (e.g. 1048576, 512K, 10M, 1G)"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("10m"), Ok(10 << 20));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("99999999999G").is_err());
    }
}
