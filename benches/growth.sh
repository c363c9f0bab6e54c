#!/usr/bin/env bash
# Linear growth on hostile input shapes, by instruction counts: each shape of
# leakscan_benches::ADVERSARIAL is scanned at SMALL KiB and at 100 times that under
# callgrind (only Scanner::scan is counted, not building the input), and the larger scan
# must execute at most 150 times the instructions. Instruction counts do not depend on the
# machine's load or caches, which wall-clock times on a shared machine do (the wall-clock
# variant is `cargo run --release -p leakscan-benches --example growth`).
#
#   benches/growth.sh [SHAPE...]        # SMALL=16 by default: 16 KiB and 1.6 MiB
#
# Needs valgrind (apt-get install valgrind). Exits 1 if any shape grows faster.
set -euo pipefail
cd "$(dirname "$0")/.."
SMALL=${SMALL:-16}
command -v valgrind >/dev/null || { echo "growth.sh: valgrind is not installed" >&2; exit 2; }
cargo build -q --release -p leakscan-benches --example growth
bin=target/release/examples/growth
shapes=("$@")
if [ ${#shapes[@]} -eq 0 ]; then
    shapes=(pairs-one-line key-ids-one-line secrets-one-line secret-words-one-line
        labels-no-values base64-one-line nested-escapes nested-base64 utf16-pairs)
fi
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        --toggle-collect='scanner_core::scanner::Scanner::scan' "$bin" --once "$1" "$2" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
failed=0
printf '%-24s %14s %16s %8s\n' shape "${SMALL} KiB" "$((SMALL * 100)) KiB" ratio
for s in "${shapes[@]}"; do
    a=$(count "$s" "$SMALL")
    b=$(count "$s" "$((SMALL * 100))")
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f", b / a }')
    verdict=ok
    if [ "$ratio" -gt 150 ]; then verdict="TOO SLOW"; failed=1; fi
    printf '%-24s %14s %16s %7s× %s\n' "$s" "$a" "$b" "$ratio" "$verdict"
done
exit $failed
