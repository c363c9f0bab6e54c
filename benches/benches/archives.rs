//! Scan throughput on archives, in MiB/s of *decompressed* bytes, against the floor of
//! merely decompressing the same archive with `flate2` (zlib-rs, as scanner-core uses it),
//! measured in the same run:
//!
//! - `scan-tgz` / `gunzip`: a `.tar.gz` of the near-miss corpus cut into files, with a few
//!   planted credential files; the floor inflates the gzip stream to nowhere;
//! - `scan-zip` / `inflate`: the same files in a deflated zip; the floor inflates each
//!   entry's deflate data (taken out of the zip beforehand);
//! - `scan-text`: the same files concatenated, scanned as text (what the scan of an archive
//!   adds to its decompression).
//!
//! Run with `cargo bench -p leakscan-benches --bench archives`. The summary (best of
//! `LEAKSCAN_BENCH_RUNS`, default 10) prints MiB/s and scan/floor; the corpus is
//! `LEAKSCAN_BENCH_MIB` MiB of text (default 16).

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use leakscan_benches::{key_id, near_miss, secret_key, Rng, NEAR_MISS_SEED};
use scanner_core::{Kind, Scanner};

/// Files of about this size, cut at line ends.
const FILE_SIZE: usize = 64 << 10;
const PLANTED: usize = 4;

struct Corpus {
    files: Vec<(String, Vec<u8>)>,
    planted: Vec<String>,
    text: Vec<u8>,
    tgz: Vec<u8>,
    zip: Vec<u8>,
    /// The deflate data of each zip entry, for the floor.
    deflated: Vec<Vec<u8>>,
}

impl Corpus {
    fn new(size: usize) -> Corpus {
        let text = near_miss(size, NEAR_MISS_SEED);
        let mut files = Vec::new();
        let mut rest = &text[..];
        while !rest.is_empty() {
            let cut = rest
                .get(FILE_SIZE..)
                .and_then(|r| r.iter().position(|&b| b == b'\n'))
                .map_or(rest.len(), |p| FILE_SIZE + p + 1);
            files.push((format!("src/f{:05}.txt", files.len()), rest[..cut].to_vec()));
            rest = &rest[cut..];
        }
        let mut rng = Rng::new(0x6172_6368_6976_6573);
        let mut planted = Vec::new();
        for i in 0..PLANTED {
            let key = key_id(&mut rng);
            let secret = secret_key(&mut rng);
            let at = (i + 1) * files.len() / (PLANTED + 1);
            files.insert(
                at,
                (
                    format!("config/p{i}/credentials"),
                    format!(
                        "[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
                    )
                    .into_bytes(),
                ),
            );
            planted.push(key);
        }
        let text: Vec<u8> = files.iter().flat_map(|(_, d)| d.iter().copied()).collect();

        let mut tar = tar::Builder::new(Vec::new());
        for (name, data) in &files {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            tar.append_data(&mut h, name, &data[..])
                .expect("a tar in memory");
        }
        let tar = tar.into_inner().expect("a tar in memory");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        gz.write_all(&tar).expect("gzip in memory");
        let tgz = gz.finish().expect("gzip in memory");

        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(6));
        for (name, data) in &files {
            z.start_file(name.as_str(), options)
                .expect("a zip in memory");
            z.write_all(data).expect("a zip in memory");
        }
        let zip = z.finish().expect("a zip in memory").into_inner();
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(&zip[..])).expect("the zip just written");
        let deflated = (0..archive.len())
            .map(|i| {
                let mut raw = Vec::new();
                archive
                    .by_index_raw(i)
                    .expect("an entry")
                    .read_to_end(&mut raw)
                    .expect("an entry");
                raw
            })
            .collect();
        Corpus {
            files,
            planted,
            text,
            tgz,
            zip,
            deflated,
        }
    }
}

type Measure = fn(&Scanner, &Corpus) -> usize;

fn scan_tgz(s: &Scanner, c: &Corpus) -> usize {
    s.scan(&c.tgz).len()
}

fn gunzip(_: &Scanner, c: &Corpus) -> usize {
    let mut d = flate2::read::GzDecoder::new(&c.tgz[..]);
    std::io::copy(&mut d, &mut std::io::sink()).expect("the gzip just written") as usize
}

fn scan_zip(s: &Scanner, c: &Corpus) -> usize {
    s.scan(&c.zip).len()
}

fn inflate(_: &Scanner, c: &Corpus) -> usize {
    c.deflated
        .iter()
        .map(|raw| {
            let mut d = flate2::read::DeflateDecoder::new(&raw[..]);
            std::io::copy(&mut d, &mut std::io::sink()).expect("the deflate just written") as usize
        })
        .sum()
}

fn scan_text(s: &Scanner, c: &Corpus) -> usize {
    s.scan(&c.text).len()
}

const MEASURES: [(&str, Measure); 5] = [
    ("scan-tgz", scan_tgz),
    ("gunzip", gunzip),
    ("scan-zip", scan_zip),
    ("inflate", inflate),
    ("scan-text", scan_text),
];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
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

/// Every planted pair found, in both archives, with its entry named; nothing skipped.
fn check(scanner: &Scanner, c: &Corpus) {
    for (name, bytes) in [("tgz", &c.tgz), ("zip", &c.zip)] {
        let scan = scanner.scan_detailed(bytes);
        assert!(scan.skipped.is_empty(), "{name}: {:?}", scan.skipped);
        let mut found: Vec<&str> = scan
            .findings
            .iter()
            .filter(|f| f.kind == Kind::KeyPair && !f.archive_path.is_empty())
            .filter_map(|f| f.key_id.as_ref().map(|k| k.as_str()))
            .collect();
        found.sort_unstable();
        let mut want: Vec<&str> = c.planted.iter().map(String::as_str).collect();
        want.sort_unstable();
        assert_eq!(found, want, "{name}: planted pairs");
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let args: Vec<String> = std::env::args().collect();
    let quick = !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--list");
    let size = if quick {
        1 << 20
    } else {
        env_usize("LEAKSCAN_BENCH_MIB", 16) << 20
    };
    let runs = env_usize("LEAKSCAN_BENCH_RUNS", 10);
    let scanner = Scanner::builder().build();
    let c = Corpus::new(size);
    let mib = c.text.len() as f64 / (1024.0 * 1024.0);
    println!(
        "archive corpus: {} files, {:.1} MiB of text; tar.gz {:.1} MiB (ratio {:.2}), zip {:.1} MiB; {} planted pairs",
        c.files.len(),
        mib,
        c.tgz.len() as f64 / (1024.0 * 1024.0),
        c.text.len() as f64 / c.tgz.len() as f64,
        c.zip.len() as f64 / (1024.0 * 1024.0),
        c.planted.len()
    );
    check(&scanner, &c);

    let mut group = criterion.benchmark_group("archives");
    group.throughput(Throughput::Bytes(c.text.len() as u64));
    for (name, m) in MEASURES {
        group.bench_function(name, |b| b.iter(|| m(&scanner, black_box(&c))));
    }
    group.finish();
    criterion.final_summary();

    if quick {
        return;
    }
    println!();
    println!("Summary: best of {runs} runs, MiB/s of decompressed bytes (higher is better)");
    let speed: Vec<f64> = MEASURES
        .iter()
        .map(|&(_, m)| mib / best_of(runs, || m(&scanner, &c)).as_secs_f64().max(1e-9))
        .collect();
    for (i, (name, _)) in MEASURES.iter().enumerate() {
        println!("{name:<10} {:>9.1}", speed[i]);
    }
    println!(
        "scan-tgz/gunzip {:.3}   scan-zip/inflate {:.3}   scan-text {:.1} MiB/s",
        speed[0] / speed[1],
        speed[2] / speed[3],
        speed[4]
    );
}
