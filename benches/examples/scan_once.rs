//! Scans one generated corpus once, for instruction counts that a loaded machine does not
//! disturb:
//!
//! ```sh
//! cargo build --release -p leakscan-benches --example scan_once
//! valgrind --tool=callgrind --toggle-collect='scanner_core::scanner::Scanner::scan' \
//!     target/release/examples/scan_once near-miss    # or no-hit
//! ```
//!
//! The corpus is 2 MiB (`LEAKSCAN_BENCH_MIB` to change), as in `benches/throughput.rs`.

use leakscan_benches::{near_miss, no_hit, NEAR_MISS_SEED, NO_HIT_SEED};

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let size = std::env::var("LEAKSCAN_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(2)
        << 20;
    let bytes = match which.as_str() {
        "near-miss" => near_miss(size, NEAR_MISS_SEED),
        _ => no_hit(size, NO_HIT_SEED),
    };
    let scanner = scanner_core::Scanner::builder().build();
    // Compiles the patterns before the measured scan.
    std::hint::black_box(scanner.scan(&bytes[..16]));
    std::hint::black_box(scanner.scan(std::hint::black_box(&bytes)));
}
