//! Scans a file with `scanner-core` and asks STS about each credential found, one line each.
//!
//! ```sh
//! cargo run -p scanner-verify --example verify -- FILE [--endpoint URL] [--region REGION]
//! ```
//!
//! The endpoint is `https://sts.amazonaws.com` (region `us-east-1`) unless `--endpoint` or
//! the environment variable `LEAKSCAN_STS_ENDPOINT` names another one; plain `http://` is
//! accepted only to a loopback address, for a local stand-in of STS. Secrets are never
//! printed. Exit status: 0 when no key is active, 1 when one is, 2 on an error.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use scanner_core::Scanner;
use scanner_verify::{Status, Verifier};

/// The environment variable that names the endpoint when `--endpoint` does not.
pub const ENDPOINT_VAR: &str = "LEAKSCAN_STS_ENDPOINT";

const USAGE: &str = "usage: verify FILE [--endpoint URL] [--region REGION]";

/// What to scan and whom to ask.
#[derive(Debug)]
pub struct Options {
    /// The file to scan.
    pub path: PathBuf,
    /// The STS endpoint; the verifier's default when `None`.
    pub endpoint: Option<String>,
    /// The region requests are signed for.
    pub region: String,
}

impl Options {
    /// From the arguments after the program's name and the value of [`ENDPOINT_VAR`].
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        endpoint_from_env: Option<String>,
    ) -> Result<Options, String> {
        let mut path = None;
        let mut endpoint = None;
        let mut region = "us-east-1".to_owned();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--endpoint" => endpoint = Some(args.next().ok_or("--endpoint needs a URL")?),
                "--region" => region = args.next().ok_or("--region needs a region")?,
                "-h" | "--help" => return Err(USAGE.to_owned()),
                flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}")),
                _ if path.is_some() => return Err("one file at a time".to_owned()),
                _ => path = Some(PathBuf::from(arg)),
            }
        }
        Ok(Options {
            path: path.ok_or(USAGE)?,
            endpoint: endpoint.or(endpoint_from_env.filter(|e| !e.is_empty())),
            region,
        })
    }
}

/// Scans the file, verifies every finding and writes one line per finding to `out`:
/// key ID, line, status, and the caller's ARN or why there is none. Returns how many are
/// active.
pub fn run(options: &Options, out: &mut dyn Write) -> Result<usize, Box<dyn std::error::Error>> {
    let mut builder = Verifier::builder();
    if let Some(url) = &options.endpoint {
        // The example's --endpoint is for local stand-ins of STS, which are not AWS hosts.
        builder = builder
            .endpoint(url.clone(), options.region.clone())
            .any_endpoint(true);
    }
    let verifier = builder.build().map_err(|e| format!("--endpoint: {e}"))?;
    // The error names the file.
    let findings = Scanner::builder().build().scan_file(&options.path)?;
    let refs: Vec<_> = findings.iter().collect();
    let mut active = 0;
    for (finding, v) in findings.iter().zip(verifier.verify_all(&refs)) {
        let key = finding
            .key_id
            .as_ref()
            .map_or("(no key ID)", |k| k.as_str());
        let detail = match (&v.arn, &v.reason) {
            (Some(arn), _) => format!(" as {arn}"),
            (None, Some(reason)) => format!(" ({reason})"),
            (None, None) => String::new(),
        };
        let root = if v.is_root() {
            let account = v
                .account
                .map_or_else(String::new, |a| format!(", account {a}"));
            format!("  (root user key{account})")
        } else {
            String::new()
        };
        let line = finding.location.line;
        writeln!(
            out,
            "{key}  line {line}  {}{detail}{root}",
            v.status.as_str()
        )?;
        if v.status == Status::Active {
            active += 1;
        }
    }
    Ok(active)
}

fn main() -> ExitCode {
    let args = std::env::args().skip(1);
    let options = match Options::parse(args, std::env::var(ENDPOINT_VAR).ok()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("verify: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&options, &mut std::io::stdout().lock()) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("verify: {e}");
            ExitCode::from(2)
        }
    }
}
