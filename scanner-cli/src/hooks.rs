//! leakscan's git hooks: running `pre-push`, and installing hooks into a repository.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::args::Input;

/// Marks a hook file as written by leakscan, so that installing again rewrites it instead of
/// chaining it to itself.
const MANAGED: &str = "leakscan:managed-hook";

/// The inputs of a pre-push scan: git's lines on standard input, or the range the
/// pre-commit framework passes in its environment.
pub fn pre_push_inputs() -> anyhow::Result<Vec<Input>> {
    if let (Ok(from), Ok(to)) = (
        std::env::var("PRE_COMMIT_FROM_REF"),
        std::env::var("PRE_COMMIT_TO_REF"),
    ) {
        return Ok(vec![Input::Range {
            repo: PathBuf::from("."),
            include: vec![to],
            exclude: vec![from],
        }]);
    }
    let mut stdin = String::new();
    std::io::stdin()
        .read_to_string(&mut stdin)
        .context("reading git's pre-push input")?;
    let mut refs = Vec::new();
    for line in stdin.lines().filter(|l| !l.trim().is_empty()) {
        match scanner_git::PushedRef::parse(line) {
            Some(r) => refs.push(r),
            None => bail!("unexpected pre-push input line: {line:?}"),
        }
    }
    Ok(vec![Input::Push {
        repo: PathBuf::from("."),
        refs,
    }])
}

/// Where the repository's hooks live: `core.hooksPath` if set (relative to the work tree),
/// else `hooks/` in the common git directory.
fn hooks_dir(repo: &Path) -> anyhow::Result<PathBuf> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--git-path", "hooks"])
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!(
            "{}: not a git repository: {}",
            repo.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    Ok(if path.is_absolute() {
        path
    } else {
        repo.join(path)
    })
}

fn script(hook: &str, command: &str, exe: &Path) -> String {
    // git passes pre-push its input on standard input: keep it for both hooks.
    let (save, feed) = if hook == "pre-push" {
        ("input=$(cat)\n", "printf '%s\\n' \"$input\" | ")
    } else {
        ("", "")
    };
    format!(
        r#"#!/bin/sh
# {MANAGED}: installed by `leakscan hook install`; reinstalling rewrites this file.
# The hook that was here before runs first, from {hook}.pre-leakscan.
{save}hooks=$(dirname "$0")
if [ -x "$hooks/{hook}.pre-leakscan" ]; then
    {feed}"$hooks/{hook}.pre-leakscan" "$@" || exit $?
fi
leakscan="{exe}"
[ -x "$leakscan" ] || leakscan=leakscan
{feed}exec "$leakscan" {command}
"#,
        exe = exe.display()
    )
}

/// Installs the chosen hooks; returns what was done, one line each.
pub fn install(repo: &Path, pre_commit: bool, pre_push: bool) -> anyhow::Result<Vec<String>> {
    let dir = hooks_dir(repo)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("leakscan"));
    let (pre_commit, pre_push) = if !pre_commit && !pre_push {
        (true, true)
    } else {
        (pre_commit, pre_push)
    };
    let mut done = Vec::new();
    for (hook, command, wanted) in [
        ("pre-commit", "scan --staged", pre_commit),
        ("pre-push", "hook pre-push \"$@\"", pre_push),
    ] {
        if !wanted {
            continue;
        }
        let path = dir.join(hook);
        let previous = std::fs::read_to_string(&path).ok();
        let chained = dir.join(format!("{hook}.pre-leakscan"));
        match &previous {
            Some(text) if text.contains(MANAGED) => {}
            Some(_) if chained.exists() => bail!(
                "{} exists and so does {}: move one of them away first",
                path.display(),
                chained.display()
            ),
            Some(_) => {
                std::fs::rename(&path, &chained)
                    .with_context(|| format!("keeping {}", path.display()))?;
                done.push(format!(
                    "kept the existing {hook} hook as {}",
                    chained.display()
                ));
            }
            None => {}
        }
        let text = script(hook, command, &exe);
        if previous.as_deref() == Some(text.as_str()) {
            done.push(format!("{} is already installed", path.display()));
            continue;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        make_executable(&path)?;
        done.push(format!("installed {}", path.display()));
    }
    Ok(done)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = std::fs::metadata(path)?.permissions();
    perms.set_mode(perms.mode() | 0o755);
    std::fs::set_permissions(path, perms)
        .with_context(|| format!("making {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> anyhow::Result<()> {
    Ok(())
}
