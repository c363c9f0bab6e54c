//! Scan throughput on three generated corpora, against two floors:
//!
//! - `ac-floor`: one Aho-Corasick pass over the scanner's prefilter literals, counting
//!   matches (what a scan cannot beat by design);
//! - `memmem-akia`: `memchr::memmem` for `AKIA` alone (the speed limit of any search).
//!
//! Run with `cargo bench -p leakscan-benches`. After criterion's groups, a summary table
//! (best of `LEAKSCAN_BENCH_RUNS` runs, default 10) shows MiB/s and the ratios. Corpus size
//! is `LEAKSCAN_BENCH_MIB` MiB (default 16). Last, the hostile shapes of
//! [`leakscan_benches::ADVERSARIAL`] at `LEAKSCAN_BENCH_GROWTH_KIB` KiB (default 64) and 100
//! times that, with the linear-growth check (100 times the bytes within 150 times the time).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use aho_corasick::AhoCorasick;
use criterion::{Criterion, Throughput};
use leakscan_benches::{
    anchor_finder, dense, growth, near_miss, no_hit, print_growth, Planted, ADVERSARIAL,
    DENSE_SEED, NEAR_MISS_SEED, NO_HIT_SEED,
};
use memchr::memmem;
use scanner_core::{Finding, Kind, Scanner};

struct Corpus {
    name: &'static str,
    bytes: Vec<u8>,
}

struct Tools {
    scanner: Scanner,
    ac: AhoCorasick,
    akia: memmem::Finder<'static>,
}

impl Tools {
    fn new() -> Tools {
        Tools {
            scanner: Scanner::builder().build(),
            ac: anchor_finder(),
            akia: memmem::Finder::new(b"AKIA"),
        }
    }

    fn scan(&self, bytes: &[u8]) -> usize {
        self.scanner.scan(bytes).len()
    }

    fn ac_floor(&self, bytes: &[u8]) -> usize {
        self.ac.find_iter(bytes).count()
    }

    fn memmem(&self, bytes: &[u8]) -> usize {
        self.akia.find_iter(bytes).count()
    }
}

type Measure = fn(&Tools, &[u8]) -> usize;

const MEASURES: [(&str, Measure); 3] = [
    ("scan", Tools::scan),
    ("ac-floor", Tools::ac_floor),
    ("memmem-akia", Tools::memmem),
];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

fn counts_by_kind(findings: &[Finding]) -> String {
    let mut by_kind: HashMap<&'static str, usize> = HashMap::new();
    for f in findings {
        *by_kind.entry(f.kind.as_str()).or_default() += 1;
    }
    let mut v: Vec<_> = by_kind.into_iter().collect();
    v.sort();
    if v.is_empty() {
        return "none".to_string();
    }
    v.iter()
        .map(|(k, n)| format!("{k}={n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the dense corpus: at least one key pair per planted credential, and reports how
/// many planted credentials were found with their own secret.
fn check_dense(tools: &Tools, bytes: &[u8], planted: &[Planted]) {
    let findings = tools.scanner.scan(bytes);
    let pairs: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.kind == Kind::KeyPair)
        .collect();
    let mut found: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in &pairs {
        if let (Some(k), Some(s)) = (&f.key_id, &f.secret) {
            found.entry(k.as_str()).or_default().push(s.expose());
        }
    }
    let mut right = 0;
    let mut wrong: Vec<&Planted> = Vec::new();
    let mut missing: Vec<&Planted> = Vec::new();
    for p in planted {
        match found.get(p.key_id.as_str()) {
            Some(secrets) if secrets.contains(&p.secret.as_str()) => right += 1,
            Some(_) => wrong.push(p),
            None => missing.push(p),
        }
    }
    let mut forms: HashMap<&str, usize> = HashMap::new();
    for p in planted {
        *forms.entry(p.form).or_default() += 1;
    }
    let mut forms: Vec<_> = forms.into_iter().collect();
    forms.sort();
    println!(
        "dense: planted {} credentials ({}); findings: {} ({}); \
         planted pairs found with their own secret: {right}, with another secret: {}, \
         not paired: {}",
        planted.len(),
        forms
            .iter()
            .map(|(f, n)| format!("{f}={n}"))
            .collect::<Vec<_>>()
            .join(", "),
        findings.len(),
        counts_by_kind(&findings),
        wrong.len(),
        missing.len(),
    );
    for p in wrong.iter().chain(&missing).take(5) {
        println!(
            "  e.g. line {} ({}) not paired with its own secret",
            p.line, p.form
        );
    }
    assert!(
        pairs.len() >= planted.len(),
        "dense corpus: {} key-pair findings for {} planted credentials",
        pairs.len(),
        planted.len()
    );
}

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn mib_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / d.as_secs_f64().max(1e-9)
}

fn summary(tools: &Tools, corpora: &[Corpus], runs: usize) {
    println!();
    println!("Summary: best of {runs} runs, MiB/s (higher is better)");
    println!(
        "{:<10} {:>8} {:>10} {:>10} {:>12} {:>8} {:>11}   targets",
        "corpus", "MiB", "scan", "ac-floor", "memmem-akia", "scan/ac", "scan/memmem"
    );
    for c in corpora {
        let bytes = &c.bytes[..];
        let speeds: Vec<f64> = MEASURES
            .iter()
            .map(|&(_, m)| mib_per_s(bytes.len(), best_of(runs, || m(tools, bytes))))
            .collect();
        let (scan, ac, mm) = (speeds[0], speeds[1], speeds[2]);
        let (r_ac, r_mm) = (scan / ac, scan / mm);
        let target = match c.name {
            "no-hit" => format!(
                "scan/ac >= 0.80 {}, scan/memmem >= 0.20 {}",
                verdict(r_ac >= 0.8),
                verdict(r_mm >= 0.2)
            ),
            "near-miss" => format!("scan/ac >= 0.30 {}", verdict(r_ac >= 0.3)),
            _ => "-".to_string(),
        };
        println!(
            "{:<10} {:>8.1} {:>10.1} {:>10.1} {:>12.1} {:>8.3} {:>11.3}   {target}",
            c.name,
            bytes.len() as f64 / (1024.0 * 1024.0),
            scan,
            ac,
            mm,
            r_ac,
            r_mm
        );
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "MISSED"
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; without it (`cargo test --benches`, `--test`) criterion
    // runs each benchmark once as a test, and `--list` runs none: small corpora, no summary.
    let quick = !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--list");
    let size = if quick {
        1 << 20
    } else {
        env_usize("LEAKSCAN_BENCH_MIB", 16) << 20
    };
    let runs = env_usize("LEAKSCAN_BENCH_RUNS", 10);

    let t = Instant::now();
    let tools = Tools::new();
    let d = dense(size, DENSE_SEED);
    let corpora = [
        Corpus {
            name: "no-hit",
            bytes: no_hit(size, NO_HIT_SEED),
        },
        Corpus {
            name: "near-miss",
            bytes: near_miss(size, NEAR_MISS_SEED),
        },
        Corpus {
            name: "dense",
            bytes: d.bytes,
        },
    ];
    println!(
        "corpora generated in {:.2?} ({} bytes each, approximately)",
        t.elapsed(),
        size
    );
    for c in &corpora {
        let findings = tools.scanner.scan(&c.bytes);
        println!(
            "{}: {} bytes, {} lines, {} prefilter-literal matches, {} AKIA, findings: {}",
            c.name,
            c.bytes.len(),
            memchr::memchr_iter(b'\n', &c.bytes).count(),
            tools.ac_floor(&c.bytes),
            tools.memmem(&c.bytes),
            counts_by_kind(&findings)
        );
    }
    check_dense(&tools, &corpora[2].bytes, &d.planted);

    for c in &corpora {
        let mut group = criterion.benchmark_group(c.name);
        group.throughput(Throughput::Bytes(c.bytes.len() as u64));
        for (name, m) in MEASURES {
            group.bench_function(name, |b| b.iter(|| m(&tools, black_box(&c.bytes))));
        }
        group.finish();
    }
    criterion.final_summary();

    if !quick {
        summary(&tools, &corpora, runs);
        println!();
        println!("Hostile shapes: 100 times the bytes within 150 times the time");
        let small = env_usize("LEAKSCAN_BENCH_GROWTH_KIB", 64) << 10;
        let rows: Vec<_> = ADVERSARIAL
            .iter()
            .map(|s| growth(&tools.scanner, s, small))
            .collect();
        if !print_growth(&rows) {
            println!("MISSED: a hostile shape grows faster than linearly");
        }
    }
}
