//! Baselines: the fingerprints of accepted findings, written by `--write-baseline FILE` and
//! honoured by `--baseline FILE`.
//!
//! A fingerprint is a hash of the credential itself (kind, key ID, secret), never of a
//! commit, path or line, so a rebase, squash, cherry-pick, rename or moved line does not
//! bring a baselined finding back. The file holds no secret and no whole key ID:
//!
//! ```json
//! { "version": 1,
//!   "findings": [ { "fingerprint": "<64 hex>", "kind": "aws-key-pair", "key_id_hint": "AKIAQX3L…" } ] }
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::Report;

#[derive(Debug, Serialize, Deserialize)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    #[serde(default)]
    kind: String,
    /// The first 8 characters of the key ID, to recognise an entry; never the whole ID, so
    /// that a baseline committed to a repository is not itself a finding.
    #[serde(default)]
    key_id_hint: Option<String>,
}

/// Reads the fingerprints of a baseline file.
pub fn load(path: &Path) -> anyhow::Result<BTreeSet<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read the baseline: {e}", path.display()))?;
    let file: File = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not a leakscan baseline: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if file.version != 1 {
        anyhow::bail!(
            "{}: unsupported baseline version {}",
            path.display(),
            file.version
        );
    }
    Ok(file
        .findings
        .into_iter()
        .map(|e| e.fingerprint.to_ascii_lowercase())
        .collect())
}

/// Writes the fingerprints of every finding of `report`, sorted.
pub fn write(path: &Path, report: &Report) -> anyhow::Result<()> {
    let mut findings: Vec<Entry> = report
        .credentials
        .iter()
        .map(|c| Entry {
            fingerprint: c.fingerprint.to_hex(),
            kind: c.kind.as_str().to_string(),
            key_id_hint: c.key_id.as_ref().map(|k| format!("{}…", &k.as_str()[..8])),
        })
        .collect();
    findings.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    let text = serde_json::to_string_pretty(&File {
        version: 1,
        findings,
    })? + "\n";
    // Whole or not at all, as reports are.
    let mut out = crate::output::Output::open_as(Some(path), "the baseline")?;
    let written = std::io::Write::write_all(&mut out, text.as_bytes());
    crate::commit(&out, written)
}
