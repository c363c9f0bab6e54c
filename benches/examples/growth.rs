//! Checks that matching stays linear on hostile input shapes, by wall-clock time: each
//! shape of [`leakscan_benches::ADVERSARIAL`] is scanned at a small size and at 100 times
//! that size, and the larger scan must take at most 150 times as long (best of a few runs).
//! On a loaded machine, `benches/growth.sh` checks the same by instruction counts.
//!
//! ```sh
//! cargo run --release -p leakscan-benches --example growth            # 64 KiB and 6.4 MiB
//! LEAKSCAN_GROWTH_KIB=256 cargo run --release -p leakscan-benches --example growth
//! cargo run --release -p leakscan-benches --example growth -- pairs-one-line
//! cargo run --release -p leakscan-benches --example growth -- --once pairs-one-line 1024
//! ```
//!
//! Prints one line per shape (sizes, times, MiB/s, the ratio) and exits 1 if any shape grows
//! faster than allowed. `--once SHAPE KIB` scans one size once, for a profiler.

use leakscan_benches::{adversarial, growth, print_growth, ADVERSARIAL};

fn main() {
    let small = std::env::var("LEAKSCAN_GROWTH_KIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(64)
        << 10;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scanner = scanner_core::Scanner::builder().build();
    std::hint::black_box(scanner.scan(b"warm up the patterns"));
    if let [flag, shape, kib] = &args[..] {
        if flag == "--once" {
            let kib: usize = kib.parse().unwrap_or(1024);
            let bytes = adversarial(shape, kib << 10, 1);
            let t = std::time::Instant::now();
            let found = std::hint::black_box(scanner.scan(&bytes)).len();
            println!("{shape} {kib}K {:.2?} ({found} findings)", t.elapsed());
            return;
        }
    }
    let rows: Vec<_> = ADVERSARIAL
        .iter()
        .filter(|s| args.is_empty() || args.iter().any(|a| a == *s))
        .map(|s| growth(&scanner, s, small))
        .collect();
    if !print_growth(&rows) {
        std::process::exit(1);
    }
}
