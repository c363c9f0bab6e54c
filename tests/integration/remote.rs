//! Remote sources end to end, on loopback: clone URLs over git:// (`git daemon`), smart
//! HTTP (`git http-backend`) and file://, mirrored into a cache and fetched again; a
//! GitHub organization enumerated through a stand-in of the REST API (pages, rate limits,
//! a 5xx, forks, archived repositories, wikis, gists, issue text, a private repository and
//! its token); shards. Servers are started by each test and stop with it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json as j, Value};

use crate::history::Repo;
use crate::support::git_daemon::GitDaemon;
use crate::support::git_http::GitHttp;
use crate::support::github::{Answer, GitHubStub};
use crate::{credentials_file, key_id, leakscan};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `leakscan` with no token in its environment unless `env` gives one.
fn run_env(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Run {
    let mut cmd = leakscan();
    cmd.args(args)
        .current_dir(dir)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r
}

fn json_env(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> (Run, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let r = run_env(&all, dir, env);
    let doc = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (r, crate::inline(doc))
}

/// Publishes every ref of `work` (branches, tags, `refs/pull/*`) to the bare repository
/// `bare`, as a server holds them.
pub(crate) fn publish(work: &mut Repo, bare: &Path) {
    if !bare.exists() {
        let ok = Command::new("git")
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(bare)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let bare = bare.to_string_lossy().into_owned();
    work.git(&["push", "-q", "--mirror", &bare]);
}

/// A commit reachable only from `refs/pull/<n>/head`, holding `path` with `contents`: what
/// GitHub keeps of a closed or force-pushed pull request.
fn pull_request_ref(work: &mut Repo, n: u32, path: &str, contents: &str) {
    work.git(&["checkout", "-q", "--orphan", "pr-tmp"]);
    work.git(&["rm", "-r", "-q", "--cached", "."]);
    work.write(path, contents);
    work.git(&["add", path]);
    work.git(&["commit", "-q", "-m", "pull request"]);
    work.git(&["update-ref", &format!("refs/pull/{n}/head"), "HEAD"]);
    work.git(&["checkout", "-q", "-f", "main"]);
    work.git(&["branch", "-q", "-D", "pr-tmp"]);
}

/// A bare repository `srv/<name>.git` with a README and, for each seed, a credentials file.
fn upstream(tmp: &Path, name: &str, seeds: &[u64]) -> Repo {
    let mut work = Repo::init(&tmp.join("work").join(name));
    work.write("README.md", &format!("# {name}\n"));
    for s in seeds {
        work.write(&format!("config/credentials-{s}"), &credentials_file(*s));
    }
    work.commit("initial commit");
    publish(&mut work, &tmp.join("srv").join(format!("{name}.git")));
    work
}

fn finding(doc: &Value, seed: u64) -> Option<&Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key_id"] == key_id(seed).as_str())
}

/// The repositories (or web pages) where the key of `seed` was found.
fn places(doc: &Value, seed: u64) -> BTreeSet<String> {
    finding(doc, seed)
        .map(|f| {
            f["locations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    l.get("repository")
                        .or_else(|| l.get("url"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn scanned(doc: &Value) -> BTreeSet<String> {
    doc["stats"]["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect()
}

fn error_paths(doc: &Value) -> Vec<(String, String)> {
    doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every bare mirror under the cache.
fn mirrors(cache: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![cache.to_path_buf()];
    while let Some(d) = stack.pop() {
        if d.join("HEAD").is_file() && d.join("objects").is_dir() {
            out.push(d);
            continue;
        }
        if let Ok(entries) = std::fs::read_dir(&d) {
            stack.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
    }
    out.sort();
    out
}

fn refs_of(mirror: &Path) -> Vec<String> {
    let out = Command::new("git")
        .arg(format!("--git-dir={}", mirror.display()))
        .args(["for-each-ref", "--format=%(refname)"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn empty_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let entries: Vec<_> = entries.flatten().collect();
        if entries.is_empty() {
            out.push(dir.to_path_buf());
        }
        for e in entries {
            if e.path().is_dir() {
                out.extend(empty_dirs(&e.path()));
            }
        }
    }
    out
}

#[test]
fn clone_urls_over_git_http_and_file_are_mirrored_whole_and_fetched_again() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let mut app = upstream(t, "acme/app", &[]);
    // A key no branch has: only a pull request's ref holds it.
    pull_request_ref(&mut app, 1, "deploy/credentials", &credentials_file(901));
    let bare = t.join("srv/acme/app.git");
    publish(&mut app, &bare);
    let daemon = GitDaemon::start(&t.join("srv"));
    let http = GitHttp::start(&t.join("srv"), &[], "unused");
    let urls = [
        format!("{}/acme/app.git", daemon.url),
        format!("{}/acme/app.git", http.url),
        format!("file://{}", bare.display()),
    ];
    let cache = t.join("cache");
    let cache_arg = cache.to_string_lossy().into_owned();
    let mut args = vec!["scan", "--cache", &cache_arg];
    args.extend(urls.iter().map(String::as_str));

    let (r, doc) = json_env(&args, t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let want: BTreeSet<String> = urls.iter().cloned().collect();
    assert_eq!(
        places(&doc, 901),
        want,
        "found in each mirror, named by its URL"
    );
    assert_eq!(scanned(&doc), want);
    let loc = &finding(&doc, 901).unwrap()["locations"][0];
    assert_eq!(loc["refs"], j!(["refs/pull/1/head"]), "{loc:#}");
    assert_eq!(doc["stats"]["remote"]["cloned"], 3, "{:#}", doc["stats"]);
    assert!(
        r.stderr.contains("3 remote repositories: 3 cloned"),
        "{}",
        r.stderr
    );

    // gix 0.90 turned `+refs/*:refs/*` into the ls-refs prefix `refs/*` and listed no ref
    // at all: every mirror must hold the pull request's ref.
    let mirrors = mirrors(&cache);
    assert_eq!(mirrors.len(), 3, "{mirrors:?}");
    for m in &mirrors {
        let refs = refs_of(m);
        assert!(
            refs.contains(&"refs/pull/1/head".to_string()),
            "{m:?}: {refs:?}"
        );
        assert!(
            refs.contains(&"refs/heads/main".to_string()),
            "{m:?}: {refs:?}"
        );
        let empty: Vec<_> = empty_dirs(&m.join("refs"))
            .into_iter()
            .filter(|d| d.starts_with(m.join("refs/pull")))
            .collect();
        assert!(empty.is_empty(), "{empty:?}");
        let config = std::fs::read_to_string(m.join("config")).unwrap();
        assert!(config.contains("fetch = +refs/*:refs/*"), "{config}");
    }

    // New commits upstream: a key on main, another pull request. Only those come over.
    app.write("config/prod", &credentials_file(902));
    app.commit("add prod config");
    pull_request_ref(&mut app, 2, "tmp/creds", &credentials_file(903));
    publish(&mut app, &bare);
    let (r, doc) = json_env(&args, t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let remote = &doc["stats"]["remote"];
    assert_eq!(remote["updated"], 3, "{remote:#}");
    let fetched = remote["objects_fetched"].as_u64().unwrap();
    // Per mirror: 2 commits, their trees and the new blobs, not the whole history again.
    assert!((3 * 6..=3 * 12).contains(&fetched), "{remote:#}");
    assert_eq!(places(&doc, 902), want);
    assert_eq!(places(&doc, 903), want);
    assert_eq!(
        places(&doc, 901),
        want,
        "what was fetched before is still scanned"
    );

    // Nothing new: nothing fetched.
    let (r, doc) = json_env(&args, t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(doc["stats"]["remote"]["unchanged"], 3, "{:#}", doc["stats"]);
    assert_eq!(doc["stats"]["remote"]["objects_fetched"], 0);

    // History deleted upstream stays in the mirror, and scanned.
    let out = Command::new("git")
        .arg(format!("--git-dir={}", bare.display()))
        .args(["update-ref", "-d", "refs/pull/1/head"])
        .status()
        .unwrap();
    assert!(out.success());
    let (_, doc) = json_env(&args, t, &[]);
    assert_eq!(places(&doc, 901), want);
}

#[test]
fn a_repository_that_cannot_be_cloned_is_reported_and_the_others_are_scanned() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    upstream(t, "acme/good", &[911]);
    upstream(t, "acme/clean", &[]);
    let daemon = GitDaemon::start(&t.join("srv"));
    let http = GitHttp::start(&t.join("srv"), &[], "unused");
    let missing = [
        format!("{}/acme/missing.git", daemon.url),
        format!("{}/acme/missing.git", http.url),
        format!("file://{}/srv/acme/missing.git", t.display()),
    ];
    // Nothing listens there.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/acme/x.git", l.local_addr().unwrap())
    };
    let good = format!("{}/acme/good.git", daemon.url);
    let list = t.join("repos.txt");
    std::fs::write(
        &list,
        format!(
            "# the organization's repositories\n{good}\n{}\n{}  # moved?\n{}\n{refused}\n",
            missing[0], missing[1], missing[2]
        ),
    )
    .unwrap();
    let cache = t.join("cache").to_string_lossy().into_owned();
    let list_arg = list.to_string_lossy().into_owned();
    let (r, doc) = json_env(
        &["scan", "--repos-from", &list_arg, "--cache", &cache],
        t,
        &[],
    );
    assert_eq!(r.code, 1, "found in the good one: {}", r.stderr);
    assert_eq!(places(&doc, 911), BTreeSet::from([good.clone()]));
    let errors = error_paths(&doc);
    for m in &missing {
        assert!(
            errors
                .iter()
                .any(|(p, why)| p == m && why.starts_with("not found")),
            "{m}: {errors:?}"
        );
        assert!(r.stderr.contains(m.as_str()), "{}", r.stderr);
    }
    assert!(
        errors
            .iter()
            .any(|(p, why)| *p == refused && why.starts_with("unreachable")),
        "{errors:?}"
    );
    assert_eq!(doc["stats"]["remote"]["failed"], 4);

    // Nothing found, but something could not be read: exit status 2.
    let clean = format!("{}/acme/clean.git", http.url);
    let r = run_env(&["scan", &clean, &missing[0], "--cache", &cache], t, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not found"), "{}", r.stderr);
}

pub(crate) fn repo_json(full: &str, clone_url: &str, flags: &[&str]) -> Value {
    j!({
        "full_name": full,
        "clone_url": clone_url,
        "fork": flags.contains(&"fork"),
        "archived": flags.contains(&"archived"),
        "private": flags.contains(&"private"),
        "visibility": if flags.contains(&"private") { "private" } else { "public" },
        "has_wiki": flags.contains(&"wiki"),
    })
}

pub(crate) const ORG_REPOS: &str = "/orgs/acme/repos?type=all&per_page=100";

#[test]
fn an_organization_is_enumerated_page_by_page_through_rate_limits_and_a_5xx() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    for (name, seed) in [("app", 921), ("lib", 922), ("fork", 923), ("old", 924)] {
        upstream(t, &format!("acme/{name}"), &[seed]);
    }
    upstream(t, "acme/app.wiki", &[926]);
    upstream(t, "gists/g1", &[927]);
    let http = GitHttp::start(&t.join("srv"), &[], "unused");
    let api = GitHubStub::start();
    let clone = |name: &str| format!("{}/acme/{name}.git", http.url);
    let repos = [
        repo_json("acme/app", &clone("app"), &["wiki"]),
        repo_json("acme/lib", &clone("lib"), &["wiki"]),
        repo_json("acme/fork", &clone("fork"), &["fork"]),
        repo_json("acme/old", &clone("old"), &["archived"]),
        repo_json("acme/gone", &clone("gone"), &[]),
    ];
    api.pages(ORG_REPOS, &repos, 2);
    // A 5xx, a secondary rate limit (retry-after) and a primary one (remaining 0, reset):
    // each page is asked again after the wait they announce.
    api.first(ORG_REPOS, Answer::status(502, "Bad Gateway"));
    api.first(
        &GitHubStub::page_target(ORG_REPOS, 2),
        Answer::status(429, "You have exceeded a secondary rate limit").header("Retry-After", "1"),
    );
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    api.first(
        &GitHubStub::page_target(ORG_REPOS, 3),
        Answer::status(403, "API rate limit exceeded")
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", &reset.to_string()),
    );
    api.route(
        "/orgs/acme/members?per_page=100",
        Answer::json(&j!([{ "login": "alice" }])),
    );
    api.route(
        "/users/alice/gists?per_page=100",
        Answer::json(&j!([{
            "id": "g1",
            "git_pull_url": format!("{}/gists/g1.git", http.url),
            "html_url": "https://gist.github.example/alice/g1",
        }])),
    );
    api.route(
        "/repos/acme/app/issues?state=all&per_page=100",
        Answer::json(&j!([
            { "number": 7, "html_url": "https://github.example/acme/app/issues/7",
              "body": format!("our CI fails with\n\n```\n{}```\n", credentials_file(928)) },
            { "number": 8, "html_url": "https://github.example/acme/app/pull/8",
              "pull_request": {}, "body": "fixes #7" },
        ])),
    );
    api.route(
        "/repos/acme/app/issues/comments?per_page=100",
        Answer::json(&j!([
            { "html_url": "https://github.example/acme/app/issues/7#issuecomment-1",
              "body": format!("same here:\n{}", credentials_file(929)) },
        ])),
    );
    api.route(
        "/repos/acme/app/pulls/comments?per_page=100",
        Answer::json(&j!([])),
    );

    let cache = t.join("cache").to_string_lossy().into_owned();
    let base = [
        "scan",
        "--github-org",
        "acme",
        "--github-api-url",
        &api.url,
        "--cache",
        &cache,
    ];
    let started = Instant::now();
    let (r, doc) = json_env(&base, t, &[]);
    let took = started.elapsed();
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Defaults: forks out, archived in, no wikis, gists or issues.
    assert_eq!(
        scanned(&doc),
        BTreeSet::from(["acme/app".into(), "acme/lib".into(), "acme/old".into()])
    );
    assert_eq!(places(&doc, 921), BTreeSet::from(["acme/app".to_string()]));
    for seed in [923, 926, 927, 928, 929] {
        assert!(finding(&doc, seed).is_none(), "{seed}");
    }
    let errors = error_paths(&doc);
    assert!(
        errors
            .iter()
            .any(|(p, why)| p == "acme/gone" && why.starts_with("not found")),
        "{errors:?}"
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    // Both rate limits said so on stderr, with the wait; the 5xx was tried again.
    assert_eq!(
        r.stderr
            .matches("GitHub rate limit reached; waiting")
            .count(),
        2,
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("HTTP 502; trying again in 1 s"),
        "{}",
        r.stderr
    );
    assert!(took >= Duration::from_secs(3), "waited {took:?}");
    let asked: Vec<String> = api.requests().into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        asked
            .iter()
            .filter(|p| p.starts_with("/orgs/acme/repos"))
            .count(),
        6,
        "{asked:?}"
    );
    assert!(
        asked
            .iter()
            .all(|p| !p.contains("/issues") && !p.contains("/gists")),
        "{asked:?}"
    );

    // Everything by choice: forks in, archived out, wikis, gists, issue text.
    let mut all = base.to_vec();
    all.extend([
        "--include-forks",
        "--exclude-archived",
        "--include-wikis",
        "--include-gists",
        "--include-issues",
    ]);
    let (r, doc) = json_env(&all, t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        scanned(&doc),
        BTreeSet::from([
            "acme/app".into(),
            "acme/app.wiki".into(),
            "acme/fork".into(),
            "acme/lib".into(),
            "https://gist.github.example/alice/g1".into(),
        ])
    );
    assert!(finding(&doc, 924).is_none());
    assert_eq!(
        places(&doc, 926),
        BTreeSet::from(["acme/app.wiki".to_string()])
    );
    assert_eq!(
        places(&doc, 927),
        BTreeSet::from(["https://gist.github.example/alice/g1".to_string()])
    );
    let issue = &finding(&doc, 928).unwrap()["locations"][0];
    assert_eq!(issue["url"], "https://github.example/acme/app/issues/7");
    assert_eq!(issue["path"], "https://github.example/acme/app/issues/7");
    assert_eq!(issue["source"], "issue");
    assert_eq!(issue["line"], 5, "{issue:#}");
    let comment = &finding(&doc, 929).unwrap()["locations"][0];
    assert_eq!(
        comment["url"],
        "https://github.example/acme/app/issues/7#issuecomment-1"
    );
    assert_eq!(comment["source"], "comment");
    // acme/lib says it has a wiki, but never wrote a page: absent, not an error.
    let remote = &doc["stats"]["remote"];
    assert_eq!(remote["absent"], 1, "{remote:#}");
    assert_eq!(remote["web_texts"], 3, "{remote:#}");
    assert_eq!(error_paths(&doc).len(), 1, "{:?}", error_paths(&doc));

    // The human report shows the page's URL.
    let r = run_env(&all, t, &[]);
    assert!(
        r.stdout
            .contains("https://github.example/acme/app/issues/7:5:"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_private_repository_needs_the_token_and_the_token_is_never_shown_or_stored() {
    let token = format!("ghp_{}", key_id(77).to_lowercase());
    let wrong = format!("ghp_{}", key_id(78).to_lowercase());
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    upstream(t, "acme/app", &[931]);
    upstream(t, "acme/secret", &[932]);
    let http = GitHttp::start(&t.join("srv"), &["/acme/secret.git"], &token);
    let daemon = GitDaemon::start(&t.join("srv"));
    let api = GitHubStub::start();
    let public = repo_json("acme/app", &format!("{}/acme/app.git", http.url), &[]);
    let private = repo_json(
        "acme/secret",
        &format!("{}/acme/secret.git", http.url),
        &["private"],
    );
    api.route(ORG_REPOS, Answer::json(&j!([public.clone()])));
    api.with_token(ORG_REPOS, &token, Answer::json(&j!([public, private])));
    let secret_url = format!("{}/acme/secret.git", http.url);
    let git_url = format!("{}/acme/app.git", daemon.url);
    let cache_dir = t.join("cache");
    let cache = cache_dir.to_string_lossy().into_owned();
    let report = t.join("report.json");
    let report_arg = report.to_string_lossy().into_owned();
    let args = [
        "scan",
        "--github-org",
        "acme",
        "--github-api-url",
        &api.url,
        "--cache",
        &cache,
        &git_url,
        "--format",
        "json",
        "-o",
        &report_arg,
    ];
    // The private repository's URL given directly as well (without a token only: with
    // one, the organization lists the same repository, which is mirrored once).
    let mut with_url = args.to_vec();
    with_url.push(&secret_url);
    let doc = |r: &Run| -> Value {
        assert!(r.stdout.is_empty(), "{}", r.stdout);
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap()
    };

    // Without a token: the private repository is neither listed nor cloned.
    let r = run_env(&with_url, t, &[]);
    let d = doc(&r);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(finding(&d, 932).is_none());
    assert!(
        error_paths(&d)
            .iter()
            .any(|(p, why)| *p == secret_url && why.starts_with("authentication failed")),
        "{:?}",
        error_paths(&d)
    );
    let mut outputs = vec![
        r.stdout,
        r.stderr,
        std::fs::read_to_string(&report).unwrap(),
    ];

    // A wrong token: refused, and never repeated in what leakscan says.
    let r = run_env(&with_url, t, &[("GH_TOKEN", &wrong)]);
    let d = doc(&r);
    assert!(finding(&d, 932).is_none());
    assert!(
        error_paths(&d)
            .iter()
            .any(|(p, why)| *p == secret_url && why.starts_with("authentication failed")),
        "{:?}",
        error_paths(&d)
    );
    outputs.extend([
        r.stdout,
        r.stderr,
        std::fs::read_to_string(&report).unwrap(),
    ]);

    // With the token: listed, cloned over HTTP with it, and its key found.
    let r = run_env(&args, t, &[("GITHUB_TOKEN", &token)]);
    let d = doc(&r);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        places(&d, 932),
        BTreeSet::from(["acme/secret".to_string()]),
        "{:#}",
        d["errors"]
    );
    assert_eq!(
        places(&d, 931),
        BTreeSet::from(["acme/app".to_string(), git_url.clone()])
    );
    assert!(
        d["errors"].as_array().unwrap().is_empty(),
        "{:#}",
        d["errors"]
    );
    outputs.extend([
        r.stdout,
        r.stderr,
        std::fs::read_to_string(&report).unwrap(),
    ]);
    // A second run fetches with it too.
    let r = run_env(&args, t, &[("GITHUB_TOKEN", &token)]);
    assert_eq!(doc(&r)["stats"]["remote"]["unchanged"], 3, "{}", r.stderr);
    outputs.extend([r.stdout, r.stderr]);

    // The token went to the API, and to the git server only for the repository that
    // asked for it; never anywhere else.
    let bearer = format!("Bearer {token}");
    assert!(api
        .requests()
        .iter()
        .any(|(_, a)| a.as_deref() == Some(bearer.as_str())));
    let sent = http.authorizations.lock().unwrap().clone();
    assert!(!sent.is_empty());
    assert!(
        sent.iter()
            .all(|(path, _)| path.starts_with("/acme/secret.git")),
        "{sent:?}"
    );

    // Never in any output, report, error message or file of the cache.
    for (i, text) in outputs.iter().enumerate() {
        assert!(
            !text.contains(&token) && !text.contains(&wrong),
            "output {i}: {text}"
        );
    }
    let mut files = vec![cache_dir.clone()];
    let mut checked = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
        } else {
            let bytes = std::fs::read(&p).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(&token) && !text.contains(&wrong), "{p:?}");
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked} files");
}

#[test]
fn shards_split_the_repositories_and_each_is_in_exactly_one() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let mut urls = Vec::new();
    for i in 0..8 {
        upstream(t, &format!("acme/r{i}"), &[940 + i]);
        urls.push(format!("file://{}/srv/acme/r{i}.git", t.display()));
    }
    let list = t.join("repos.txt");
    std::fs::write(&list, urls.join("\n")).unwrap();
    let list_arg = list.to_string_lossy().into_owned();
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let cache = t.join(format!("cache-{k}")).to_string_lossy().into_owned();
        let (r, doc) = json_env(
            &[
                "scan",
                "--repos-from",
                &list_arg,
                "--shard",
                &shard,
                "--cache",
                &cache,
            ],
            t,
            &[],
        );
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
        let mine = scanned(&doc);
        assert!(seen.is_disjoint(&mine), "{seen:?} {mine:?}");
        assert_eq!(
            doc["stats"]["remote"]["other_shards"].as_u64().unwrap() as usize,
            8 - mine.len()
        );
        total += mine.len();
        seen.extend(mine);
    }
    assert_eq!(total, 8);
    assert_eq!(seen, urls.into_iter().collect::<BTreeSet<_>>());
    let r = run_env(
        &["scan", "--repos-from", &list_arg, "--shard", "4/3"],
        t,
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("K/N"), "{}", r.stderr);
}

#[test]
fn a_password_in_a_url_is_refused_without_being_repeated() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run_env(
        &["scan", "https://someone:hunter2secret@git.example/o/r.git"],
        tmp.path(),
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("password"), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2secret"), "{}", r.stderr);
}

/// Blobs scanned by this run, per repository.
fn blobs_scanned(doc: &Value) -> std::collections::BTreeMap<String, u64> {
    doc["stats"]["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["blobs_scanned"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The findings of a report without what depends on the run (when, whether new).
fn findings_only(doc: &Value) -> Value {
    let mut f = doc["findings"].clone();
    for c in f.as_array_mut().unwrap() {
        let c = c.as_object_mut().unwrap();
        for k in ["first_seen", "last_seen", "new"] {
            c.remove(k);
        }
        for l in c["locations"].as_array_mut().unwrap() {
            let l = l.as_object_mut().unwrap();
            for k in ["first_seen", "last_seen", "new"] {
                l.remove(k);
            }
        }
    }
    f
}

#[test]
fn remote_repositories_are_scanned_incrementally_and_completely() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let mut app = upstream(t, "acme/app", &[911]);
    let mut lib = upstream(t, "acme/lib", &[912]);
    let _docs = upstream(t, "acme/docs", &[]);
    let daemon = GitDaemon::start(&t.join("srv"));
    let url = |name: &str| format!("{}/{name}.git", daemon.url);
    let cache = t.join("cache");
    let cache_arg = cache.to_string_lossy().into_owned();
    let urls = [url("acme/app"), url("acme/lib"), url("acme/docs")];
    let mut args = vec!["scan", "--cache", &cache_arg];
    args.extend(urls.iter().map(String::as_str));

    let (r, first) = json_env(&args, t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        cache.join("state.sqlite").is_file(),
        "remote scans keep a state"
    );
    assert!(
        blobs_scanned(&first).values().all(|&n| n > 0),
        "{:#}",
        first["stats"]
    );

    // Nothing new: nothing read again, the report still complete.
    let (_, second) = json_env(&args, t, &[]);
    assert_eq!(
        blobs_scanned(&second).values().sum::<u64>(),
        0,
        "{:#}",
        second["stats"]
    );
    assert_eq!(findings_only(&second), findings_only(&first));

    // New commits in two repositories: only their new blobs are scanned.
    app.write("config/prod", &credentials_file(913));
    app.commit("add prod config");
    publish(&mut app, &t.join("srv/acme/app.git"));
    lib.write("NOTES.md", "no secrets here\n");
    lib.commit("notes");
    publish(&mut lib, &t.join("srv/acme/lib.git"));
    let (r, third) = json_env(&args, t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let counts = blobs_scanned(&third);
    assert_eq!(counts[&url("acme/app")], 1, "{counts:?}");
    assert_eq!(counts[&url("acme/lib")], 1, "{counts:?}");
    assert_eq!(counts[&url("acme/docs")], 0, "{counts:?}");
    let new: Vec<&Value> = third["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["new"] == true)
        .collect();
    assert_eq!(new.len(), 1, "only the key committed since is new");
    assert_eq!(new[0]["key_id"], key_id(913).as_str());

    // The incremental report equals a full scan's.
    let mut full_args = args.clone();
    full_args.push("--full");
    let (_, full) = json_env(&full_args, t, &[]);
    assert_eq!(findings_only(&third), findings_only(&full));
}
