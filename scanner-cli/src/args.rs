//! Command-line arguments, and their one-time conversion into the typed [`ScanConfig`]
//! the rest of the binary works with. No clap type leaves this module.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use scanner_core::{AccountId, ExamplePolicy, Scanner};

use crate::baseline;
use crate::config::{self, FileConfig};
use crate::sources::{Issues, RemoteConfig};
use scanner_remote::{Extra, Resolver, Shard, Source, Token};

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
    /// Clone URLs, GitHub organizations and users are mirrored into a cache first (see
    /// "Remote sources" below) and scanned like local repositories.
    ///
    /// Exit status: 0 nothing found; 1 credentials found; 2 nothing found, but some input
    /// could not be read (a path or standard input named and not read whole: missing,
    /// unreadable, over --max-file-size, not a regular file), or some remote repository
    /// could not be cloned or fetched (each is reported with its reason); with
    /// --fail-on-skip, also when files met while walking were skipped. 130 and 143: stopped
    /// by SIGINT or SIGTERM (the report then covers what was scanned, marked incomplete; a
    /// second signal ends the run at once).
    Scan(Box<ScanArgs>),
    /// Git hooks: run one (`pre-push`), or install leakscan's.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Combine the JSON or JSON Lines reports of several scans (the shards of one scan) into
    /// one report, in any format: one entry per credential, with every place each shard
    /// found it.
    ///
    /// The merged report shows what its inputs hold: secrets in clear only from reports made
    /// with --show-secrets (and only with --show-secrets here too).
    ///
    /// Exit status: as `scan`'s for the combined findings and errors (0, 1, 2); 2 also when
    /// a report cannot be read.
    Merge(MergeArgs),
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Reports to combine: JSON (`--format json`) or JSON Lines (`--format jsonl`); `-`
    /// reads standard input.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,

    /// Format of the combined report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Show secrets and session tokens in clear, where the inputs have them.
    #[arg(long)]
    pub show_secrets: bool,

    /// When to colour the human report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Places listed per credential, as groups by path (human report: 5 unless given; JSON
    /// and JSON Lines: every place unless given).
    #[arg(long, value_name = "N")]
    pub max_places: Option<usize>,
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
    /// Installs leakscan's hooks in the repository (respecting core.hooksPath): with neither
    /// --pre-commit nor --pre-push, both. An existing hook is kept and run first; installing
    /// again changes nothing. Each hook installed is said on standard error.
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
    /// Files, directories, git repositories or clone URLs (https://, ssh://, git://,
    /// file://, git@host:owner/name.git) to scan; `-` for standard input. Default: `.`
    /// (unless remote sources are given).
    pub paths: Vec<PathBuf>,

    /// Clone URLs to scan, one per line (`#` comments).
    #[arg(long, value_name = "FILE", help_heading = "Remote sources")]
    pub repos_from: Vec<PathBuf>,

    /// Scan every repository of this GitHub organization (repeatable).
    #[arg(long, value_name = "ORG", help_heading = "Remote sources")]
    pub github_org: Vec<String>,

    /// Scan every repository this GitHub user owns (repeatable).
    #[arg(long, value_name = "USER", help_heading = "Remote sources")]
    pub github_user: Vec<String>,

    /// The GitHub REST API (GitHub Enterprise Server: https://HOST/api/v3). The token is
    /// read from GITHUB_TOKEN or GH_TOKEN, and never printed or stored.
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://api.github.com",
        help_heading = "Remote sources"
    )]
    pub github_api_url: String,

    /// Also scan forks (excluded by default: their objects are mostly their parent's).
    #[arg(long, help_heading = "Remote sources")]
    pub include_forks: bool,

    /// Scan archived repositories (the default: archived is still public).
    #[arg(
        long,
        help_heading = "Remote sources",
        conflicts_with = "exclude_archived"
    )]
    pub include_archived: bool,

    /// Skip archived repositories.
    #[arg(long, help_heading = "Remote sources")]
    pub exclude_archived: bool,

    /// Also scan each repository's wiki (`<repo>.wiki.git`).
    #[arg(long, help_heading = "Remote sources")]
    pub include_wikis: bool,

    /// Also scan the public gists of each user, or of each organization's members.
    #[arg(long, help_heading = "Remote sources")]
    pub include_gists: bool,

    /// Also scan issue and pull-request bodies and comments; findings are located by URL.
    #[arg(long, help_heading = "Remote sources")]
    pub include_issues: bool,

    /// Scan only shard K of N (1-based): each repository belongs to one shard, by a stable
    /// hash of its name.
    #[arg(long, value_name = "K/N", help_heading = "Remote sources")]
    pub shard: Option<String>,

    /// Clones and fetches running at once.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 4,
        help_heading = "Remote sources"
    )]
    pub fetch_jobs: usize,

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

    /// Keep mirrors of remote sources (`DIR/mirrors/`) and leakscan's state
    /// (`DIR/state.sqlite`) in DIR (default for remote sources: $XDG_CACHE_HOME/leakscan or
    /// ~/.cache/leakscan; local paths use a state only with --cache). Repositories are then
    /// scanned incrementally — one unchanged since the last run is not read at all, another has only
    /// its new objects read, and a blob scanned once (in any repository) is never scanned
    /// again — while the report stays complete: earlier findings are kept, with when each
    /// was first and last seen, and new ones are marked new. The state holds findings with
    /// their secrets: it is created readable by its owner only.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,

    /// Read and scan everything, as if the state were empty (it is still updated).
    #[arg(long)]
    pub full: bool,

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

    /// Also read the files git ignores in repositories' work trees (build output such as
    /// `target/`; skipped and counted by default). Directories that are not work trees are
    /// always read whole.
    #[arg(long)]
    pub include_ignored: bool,

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

    /// Places listed per credential, as groups of places by path, most relevant first (the
    /// human report lists 5 unless given, and counts the rest; the JSON report lists every
    /// place unless given).
    #[arg(long, value_name = "N")]
    pub max_places: Option<usize>,

    /// Configuration file (default: `leakscan.toml` at the root of the first directory
    /// scanned, if there is one, except in runs with remote sources). What the
    /// configuration did is said on stderr and in the JSON's `stats.config`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore any `leakscan.toml` in the scanned directories (for a tree you do not trust:
    /// its configuration can exclude paths and allow findings).
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    /// Report only findings whose fingerprints are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the fingerprints of the current findings in FILE (no secrets), then exit 0.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,

    /// Ask AWS STS (GetCallerIdentity, SigV4-signed, over TLS) whether each key pair is
    /// live and whose it is. Without it (and without remote sources), leakscan makes no
    /// network connection. Canary-token keys and documentation examples are never sent.
    #[arg(long)]
    pub verify: bool,

    /// STS endpoint for --verify (default https://sts.amazonaws.com). It must be an AWS STS
    /// host (sts[-fips].REGION.amazonaws.com, .amazonaws.com.cn, .api.aws, a VPC endpoint)
    /// unless --allow-non-aws-sts-endpoint is given; plain http only to loopback addresses.
    #[arg(long, value_name = "URL", requires = "verify")]
    pub sts_endpoint: Option<String>,

    /// Let --sts-endpoint name a host that is not AWS STS (a local stand-in): whatever answers
    /// there sees key IDs, signatures and session tokens.
    #[arg(long, requires = "sts_endpoint")]
    pub allow_non_aws_sts_endpoint: bool,

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

    /// Exit status 2 (when nothing was found) also if anything was skipped: files met while
    /// walking (over --max-file-size, or not regular files), blobs over --max-file-size,
    /// parts of archives not read. Inputs named on the command line, standard input among
    /// them, are always an error when not read.
    #[arg(long)]
    pub fail_on_skip: bool,

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
    /// The mirror of a remote repository (see `sources`), named in reports by `name`.
    Mirror {
        path: PathBuf,
        name: String,
    },
}

/// Everything a scan needs, decided once.
#[derive(Debug)]
pub struct ScanConfig {
    pub inputs: Vec<Input>,
    pub scanner: Scanner,
    pub max_file_size: u64,
    pub excludes: Excludes,
    /// The configuration file applied, if any, and what it holds.
    pub config_file: Option<ConfigFile>,
    /// `--include-ignored`: read the files git ignores in work trees too.
    pub include_ignored: bool,
    pub threads: Option<usize>,
    pub history: History,
    pub report: ReportConfig,
    /// Fingerprints not to report: from the baseline and the configuration's `[[allow]]`.
    pub accepted: BTreeSet<String>,
    /// The verifier, with --verify.
    pub verifier: Option<scanner_verify::Verifier>,
    pub fail_on: FailOn,
    /// `--fail-on-skip` or the configuration's `fail_on_skip`: anything skipped is an error.
    pub fail_on_skip: bool,
    pub write_baseline: Option<PathBuf>,
    /// Remote sources, when any were given: the only reason besides --verify to go on the
    /// network.
    pub remote: Option<RemoteConfig>,
    /// Which change a finding blocks, for the next steps printed after it: the staged
    /// commit (`--staged`, the pre-commit hook) or a push (`hook pre-push`).
    pub blocks: Option<crate::report::human::Blocked>,
    /// `--cache`: the state's directory; `--full`.
    pub state: Option<StateConfig>,
    /// Stops the scan (SIGINT, SIGTERM): history scans, walks and file scans check it.
    pub cancel: scanner_git::CancelToken,
}

/// Paths not to walk: `--exclude` globs and the configuration's `exclude`, kept apart so
/// that what the configuration excluded can be counted.
#[derive(Debug, Clone, Default)]
pub struct Excludes {
    pub command_line: Vec<String>,
    pub config: Vec<String>,
}

/// Where the configuration file applied was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigFound {
    /// `leakscan.toml` at the root of a scanned directory.
    ScannedTree,
    /// `--config FILE`.
    CommandLine,
}

impl ConfigFound {
    /// The name machine reports give it (`stats.config.found`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigFound::ScannedTree => "scanned-tree",
            ConfigFound::CommandLine => "command-line",
        }
    }
}

/// The configuration file applied: where it is and what it sets, for reports to say.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    /// As reports show it.
    pub path: String,
    pub found: ConfigFound,
    pub exclude: Vec<String>,
    /// The `[[allow]]` fingerprints.
    pub allowed: BTreeSet<String>,
    pub max_file_size: Option<u64>,
    pub own_accounts: usize,
    pub canary_accounts: usize,
    pub label_patterns: usize,
    pub fail_on_skip: Option<bool>,
}

impl ConfigFile {
    fn of(path: &std::path::Path, found: ConfigFound, file: &FileConfig) -> ConfigFile {
        ConfigFile {
            path: crate::scan::display(path),
            found,
            exclude: file.exclude.clone(),
            allowed: file.allowed_fingerprints.iter().cloned().collect(),
            max_file_size: file.max_file_size,
            own_accounts: file.own_accounts.len(),
            canary_accounts: file.canary_accounts.len(),
            label_patterns: file.label_patterns.len(),
            fail_on_skip: file.fail_on_skip,
        }
    }
}

/// Incremental scanning with a state (`--cache`).
#[derive(Debug, Clone)]
pub struct StateConfig {
    /// The cache directory; the state is `state.sqlite` in it.
    pub dir: PathBuf,
    /// `--full`: nothing skipped, everything recorded.
    pub full: bool,
    /// What findings depend on besides the bytes: the leakscan version, the scanner's
    /// settings, the size limit. A state made with other settings is scanned again whole.
    pub settings: String,
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
    /// `--max-places`: groups of places listed per credential (`None`: the format's default).
    pub max_places: Option<usize>,
}

/// Whether secrets appear in clear in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretDisplay {
    Redacted,
    Shown,
}

impl MergeArgs {
    /// How the merged report is written.
    pub fn report_config(&self) -> ReportConfig {
        ReportConfig {
            format: self.format,
            output: self.output.clone(),
            secrets: if self.show_secrets {
                SecretDisplay::Shown
            } else {
                SecretDisplay::Redacted
            },
            color: color(self.color, self.output.is_none()),
            max_places: self.max_places,
        }
    }
}

/// Whether to colour: `--color`, and for `auto`, a terminal without `NO_COLOR`.
fn color(choice: ColorChoice, to_stdout: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            use std::io::IsTerminal;
            to_stdout && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
        }
    }
}

impl ScanArgs {
    /// The paths given, or `.` when neither paths nor remote sources are.
    fn paths(&self) -> Vec<PathBuf> {
        let remote = !self.repos_from.is_empty()
            || !self.github_org.is_empty()
            || !self.github_user.is_empty();
        if self.paths.is_empty() && !remote {
            vec![PathBuf::from(".")]
        } else {
            self.paths.clone()
        }
    }

    /// What to read: paths, standard input, or a repository's staged or committed changes.
    /// Clone URLs are remote sources (`remote_sources`), not inputs.
    fn inputs(&self) -> Vec<Input> {
        if self.staged {
            return self.paths().into_iter().map(Input::Staged).collect();
        }
        let mut inputs = Vec::new();
        for p in &self.paths() {
            let text = p.to_string_lossy();
            if p.as_os_str() == "-" {
                inputs.push(Input::Stdin);
            } else if is_url(p) {
                continue;
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

    /// Clone URLs (positional and from `--repos-from` files), organizations and users.
    fn remote_sources(&self) -> anyhow::Result<Vec<Source>> {
        let mut sources = Vec::new();
        if !self.staged {
            for p in self.paths.iter().filter(|p| is_url(p)) {
                sources
                    .push(Source::url(&p.to_string_lossy()).map_err(|e| anyhow::anyhow!("{e}"))?);
            }
        }
        for file in &self.repos_from {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("--repos-from {}", file.display()))?;
            sources.extend(
                Source::from_list(&file.display().to_string(), &text)
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            );
        }
        sources.extend(self.github_org.iter().cloned().map(Source::GitHubOrg));
        sources.extend(self.github_user.iter().cloned().map(Source::GitHubUser));
        Ok(sources)
    }

    /// The remote sources and how to mirror them; `None` without remote sources (then
    /// nothing goes on the network for them, and no token is read).
    fn remote_config(&self, shard: Option<Shard>) -> anyhow::Result<Option<RemoteConfig>> {
        let sources = self.remote_sources()?;
        if sources.is_empty() {
            return Ok(None);
        }
        let mut builder = Resolver::builder()
            .github_api_url(self.github_api_url.clone())
            .token(Token::from_env())
            .jobs(self.fetch_jobs);
        if let Some(dir) = &self.cache {
            builder = builder.cache_dir(dir.clone());
        }
        if let Some(shard) = shard {
            builder = builder.shard(shard);
        }
        for (wanted, extra) in [
            (self.include_forks, Extra::Forks),
            (self.include_wikis, Extra::Wikis),
            (self.include_gists, Extra::Gists),
        ] {
            if wanted {
                builder = builder.include(extra);
            }
        }
        if self.exclude_archived && !self.include_archived {
            builder = builder.exclude(Extra::Archived);
        }
        let resolver = builder.build().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Some(RemoteConfig {
            sources,
            resolver,
            issues: if self.include_issues {
                Issues::Scan
            } else {
                Issues::Skip
            },
        }))
    }

    /// Whether remote sources are given (clone URLs, `--repos-from`, organizations, users).
    fn has_remote_sources(&self) -> bool {
        !self.repos_from.is_empty()
            || !self.github_org.is_empty()
            || !self.github_user.is_empty()
            || (!self.staged && self.paths.iter().any(|p| is_url(p)))
    }

    /// The configuration: `--config FILE`; else `leakscan.toml` at the root of the first
    /// directory scanned — unless `--no-config`, or remote sources are scanned (a scanned
    /// tree must not configure the scan of repositories that are not its own: a file in
    /// one could allow another's findings). A file left unapplied is said on stderr.
    fn file_config(&self) -> anyhow::Result<(FileConfig, Option<ConfigFile>)> {
        if let Some(path) = &self.config {
            let file = FileConfig::load(path)?;
            let info = ConfigFile::of(path, ConfigFound::CommandLine, &file);
            return Ok((file, Some(info)));
        }
        let in_tree = self
            .paths()
            .iter()
            .find(|p| p.is_dir())
            .map(|d| d.join(config::FILE_NAME))
            .filter(|p| p.is_file());
        let Some(path) = in_tree else {
            return Ok((FileConfig::default(), None));
        };
        let shown = crate::scan::display(&path);
        if self.no_config {
            eprintln!("leakscan: {shown}: not applied (--no-config)");
            return Ok((FileConfig::default(), None));
        }
        if self.has_remote_sources() {
            eprintln!(
                "leakscan: {shown}: not applied: with remote sources only a configuration given with --config applies"
            );
            return Ok((FileConfig::default(), None));
        }
        let file = FileConfig::load(&path)?;
        let info = ConfigFile::of(&path, ConfigFound::ScannedTree, &file);
        Ok((file, Some(info)))
    }

    pub fn into_config(self) -> anyhow::Result<ScanConfig> {
        let (file, config_file) = self.file_config()?;
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
            .own_accounts(own_accounts.clone())
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
        let excludes = Excludes {
            command_line: self.exclude.clone(),
            config: file.exclude.clone(),
        };
        if self.threads == Some(0) {
            bail!("--threads must be at least 1");
        }
        let shard = self
            .shard
            .as_deref()
            .map(str::parse::<Shard>)
            .transpose()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut inputs = self.inputs();
        if let Some(shard) = shard {
            // Local repositories and directories are shared out like remote ones, by the
            // path as shown in reports.
            inputs.retain(|i| match i {
                Input::Path(p) => shard.contains(&crate::scan::display(p)),
                _ => true,
            });
        }
        let remote = self.remote_config(shard)?;
        let verifier = if self.verify || self.fail_on == FailOn::Active {
            let mut b = scanner_verify::Verifier::builder()
                .concurrency(self.verify_concurrency)
                .timeout(std::time::Duration::from_secs(self.verify_timeout.max(1)));
            if let Some(url) = &self.sts_endpoint {
                b = b
                    .endpoint(url.clone(), self.sts_region.clone())
                    .any_endpoint(self.allow_non_aws_sts_endpoint);
                if self.allow_non_aws_sts_endpoint {
                    eprintln!(
                        "leakscan: warning: key IDs, signatures and session tokens go to {url}, which --allow-non-aws-sts-endpoint lets be a host other than AWS STS"
                    );
                }
            }
            Some(
                b.build()
                    .map_err(|e| anyhow::anyhow!("--sts-endpoint: {e}"))?,
            )
        } else {
            None
        };
        let color = color(self.color, self.output.is_none());
        // Remote sources always keep a state, beside their mirrors; local paths only with
        // --cache.
        let state_dir = self.cache.clone().or_else(|| {
            remote
                .as_ref()
                .map(|r| r.resolver.cache_dir().to_path_buf())
        });
        let state = state_dir.map(|dir| {
            // Everything the scanner was built from, in a stable order.
            let sorted = |accounts: &[AccountId]| {
                let mut v: Vec<String> = accounts.iter().map(ToString::to_string).collect();
                v.sort();
                v.join(",")
            };
            let mut labels: Vec<String> = file
                .label_patterns
                .iter()
                .map(|(kind, pattern)| format!("{kind:?}={pattern}"))
                .collect();
            labels.sort();
            StateConfig {
                dir,
                full: self.full,
                settings: format!(
                    "leakscan {}; max-file-size {max_file_size}; archives {}/{:?}/{}/{}; examples {}; own {}; canary {}; labels {}",
                    env!("CARGO_PKG_VERSION"),
                    self.max_archive_depth,
                    self.max_archive_bytes,
                    self.max_archive_ratio,
                    self.max_archive_entries,
                    self.include_examples,
                    sorted(&own_accounts),
                    sorted(&file.canary_accounts),
                    labels.join("\u{1f}")
                ),
            }
        });
        Ok(ScanConfig {
            state,
            inputs,
            scanner,
            max_file_size,
            excludes,
            config_file,
            include_ignored: self.include_ignored,
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
                max_places: self.max_places,
            },
            accepted,
            write_baseline: self.write_baseline,
            verifier,
            fail_on: self.fail_on,
            fail_on_skip: self.fail_on_skip || file.fail_on_skip.unwrap_or(false),
            remote,
            cancel: scanner_git::CancelToken::new(),
            blocks: self.staged.then_some(crate::report::human::Blocked::Commit),
        })
    }
}

/// A positional argument naming a clone URL: it looks like one and is no existing path.
fn is_url(p: &std::path::Path) -> bool {
    !p.exists() && Source::looks_like_url(&p.to_string_lossy())
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
