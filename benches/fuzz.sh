#!/usr/bin/env bash
# Fuzzes the history engine's readers (packs with and without their index, loose objects)
# with AFL++ through cargo-afl, on the stable toolchain, for a fixed time. Not run in CI.
#
# Usage: benches/fuzz.sh
#   env DURATION=SECONDS  how long to fuzz (default 1200)
#   env OUT=DIR           AFL's output directory (default a temporary one, removed after)
#
# Installs cargo-afl (`cargo install cargo-afl`, which builds AFL++ from the registry) when
# it is missing. Seeds are made at run time with git: a pack with deltas and its index, the
# pack alone, and loose objects. Prints the executions done and the crashes saved; every
# crash must become a regression test (scanner-git/src/odb/proptests.rs has the ones so far).

set -euo pipefail

DURATION=${DURATION:-1200}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FUZZ=$SCRIPT_DIR/../fuzz

command -v cargo-afl >/dev/null 2>&1 || cargo install cargo-afl
cargo afl config --build >/dev/null 2>&1 || true

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")
KEEP_OUT=${OUT:-}
OUT=${OUT:-$WORK/out}
trap 'rm -rf "$WORK"' EXIT

(cd "$FUZZ" && cargo afl build --release --bin history)
BIN=$FUZZ/target/release/history

# Seeds: one byte saying what follows (0 loose object, 1 pack without index, 2 index length,
# index, pack), as src/bin/history.rs reads them.
SEEDS=$WORK/in
mkdir -p "$SEEDS"
REPO=$WORK/repo
git init -q "$REPO"
export GIT_AUTHOR_NAME=F GIT_AUTHOR_EMAIL=f@example.com GIT_COMMITTER_NAME=F GIT_COMMITTER_EMAIL=f@example.com
for i in 1 2 3; do
    {
        for j in $(seq 1 30); do echo "line $j of version $i"; done
        echo "aws_access_key_id = AKIAQ$(printf 'ABCDEFGHIJKLMNO%d' "$i" | tr 0-9 A-J)"
    } >"$REPO/config"
    echo "file $i" >"$REPO/f$i"
    git -C "$REPO" add -A
    git -C "$REPO" commit -q -m "version $i"
done
git -C "$REPO" gc -q
echo "a loose one" >"$REPO/loose"
git -C "$REPO" add -A
git -C "$REPO" commit -q -m loose
n=0
for f in $(find "$REPO/.git/objects" -path '*/pack' -prune -o -type f -name '??????????????????????????????????????' -print); do
    { printf '\0'; cat "$f"; } >"$SEEDS/loose-$n"
    n=$((n + 1))
done
pack=$(ls "$REPO"/.git/objects/pack/*.pack)
idx=${pack%.pack}.idx
{ printf '\1'; cat "$pack"; } >"$SEEDS/pack"
python3 - "$idx" "$pack" "$SEEDS/pack-and-index" <<'PY'
import struct, sys
idx = open(sys.argv[1], "rb").read()
pack = open(sys.argv[2], "rb").read()
open(sys.argv[3], "wb").write(b"\x02" + struct.pack("<I", len(idx)) + idx + pack)
PY

echo "fuzzing for $DURATION s with $(ls "$SEEDS" | wc -l) seeds"
AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    cargo afl fuzz -i "$SEEDS" -o "$OUT" -V "$DURATION" -t 5000 -m none "$BIN" >"$WORK/afl.log" 2>&1 || {
    tail -n 30 "$WORK/afl.log" >&2
    exit 1
}
stats=$OUT/default/fuzzer_stats
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg)' "$stats"
crashes=$(grep '^saved_crashes' "$stats" | awk '{ print $3 }')
if [[ $crashes != 0 ]]; then
    echo "crashes in $OUT/default/crashes" >&2
    [[ -n $KEEP_OUT ]] || cp -r "$OUT/default/crashes" "./fuzz-crashes"
    exit 1
fi
