//! Mirrors clone URLs (or a GitHub organization) into a cache and says what each fetch did.
//!
//! ```text
//! cargo run -p scanner-remote --example mirror -- CACHE_DIR URL...
//! cargo run -p scanner-remote --example mirror -- CACHE_DIR --github-org ORG
//! ```
//!
//! The token, if any, comes from GITHUB_TOKEN or GH_TOKEN.

use std::time::Instant;

use scanner_remote::{Event, FetchOutcome, Resolver, Source, Token};

#[allow(clippy::print_stdout, clippy::print_stderr)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let cache = args
        .next()
        .ok_or("usage: mirror CACHE_DIR (URL | --github-org ORG)...")?;
    let mut sources = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--github-org" => {
                sources.push(Source::GitHubOrg(args.next().ok_or("--github-org ORG")?))
            }
            "--github-user" => {
                sources.push(Source::GitHubUser(args.next().ok_or("--github-user USER")?))
            }
            url => sources.push(Source::url(url)?),
        }
    }
    let resolver = Resolver::builder()
        .cache_dir(cache)
        .token(Token::from_env())
        .build()?;
    let events = |e: Event| match e {
        Event::RateLimited { wait, .. } => eprintln!("rate limited: waiting {} s", wait.as_secs()),
        Event::Mirroring {
            name,
            clone,
            index,
            total,
        } => {
            eprintln!(
                "{} {name} ({index} of {total})",
                if clone { "cloning" } else { "fetching" }
            );
        }
        _ => {}
    };
    let found = resolver.enumerate(&sources, &events);
    for e in &found.errors {
        eprintln!("{e}");
    }
    for repo in &found.repos {
        let started = Instant::now();
        let r = resolver.mirror(repo);
        let took = started.elapsed().as_secs_f64();
        match &r.fetched {
            FetchOutcome::Failed(e) => {
                println!("{}: failed in {took:.2} s: {}", r.name, e.reason())
            }
            other => println!("{}: {other:?} in {took:.2} s -> {:?}", r.name, r.mirror),
        }
    }
    Ok(())
}
