//! Scans the bytes given as the first argument, or standard input when there is none, and
//! prints one line per finding.
//!
//! ```text
//! cargo run -p scanner-core --example scan_bytes -- "$(cat ~/.aws/credentials)"
//! cargo run -p scanner-core --example scan_bytes < config.json
//! ```
//!
//! Exits with 1 when something was found, 2 when the input could not be read.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use scanner_core::{Finding, Scanner};

/// `line:column kind severity key-id secret`, the secret redacted.
pub fn describe(f: &Finding) -> String {
    format!(
        "{}:{} {} {} {} {}",
        f.location.line,
        f.location.column,
        f.kind,
        f.severity,
        f.key_id.as_ref().map_or("-", |k| k.as_str()),
        // `Display` of a `Secret` is redacted; `expose()` would print it in clear.
        f.secret.as_ref().map_or("-".to_string(), |s| s.to_string()),
    )
}

/// Scans `input` and writes one line per finding to `out`; returns how many there were.
pub fn run(scanner: &Scanner, input: &[u8], out: &mut impl Write) -> io::Result<usize> {
    let findings = scanner.scan(input);
    for f in &findings {
        writeln!(out, "{}", describe(f))?;
    }
    Ok(findings.len())
}

fn main() -> ExitCode {
    let scanner = Scanner::builder().build();
    let input = match std::env::args_os().nth(1) {
        Some(arg) => arg.into_encoded_bytes(),
        None => {
            let mut buf = Vec::new();
            if let Err(e) = io::stdin().lock().read_to_end(&mut buf) {
                eprintln!("scan_bytes: cannot read standard input: {e}");
                return ExitCode::from(2);
            }
            buf
        }
    };
    match run(&scanner, &input, &mut io::stdout().lock()) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("scan_bytes: {e}");
            ExitCode::from(2)
        }
    }
}
