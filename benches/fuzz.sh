#!/usr/bin/env bash
# Fuzzes with AFL++ through cargo-afl, on the stable toolchain, for a fixed time each. Not
# run in CI. Targets (fuzz/src/bin):
#   history  the history engine's readers: packs with and without their index, loose objects,
#            packs made consistent with their index (so that any delta reaches the resolver)
#   scan     Scanner on any bytes, prefilter on = off, chunked reads = slice; archives opened
#            (seeds: zip, tar, gzip, bzip2, xz, and a zip inside a tar.gz), so this is the
#            archive readers' target too
#   archive  the archive readers through valid containers written around the input (gzip,
#            bzip2, zstd, tar, zip, tar.gz): what is found in the bytes alone is found inside
#
# Usage: benches/fuzz.sh
#   env TARGETS="history scan archive"  which targets (default all three)
#   env DURATION=SECONDS        how long to fuzz each (default 1200)
#   env OUT=DIR                 AFL's output directory (default a temporary one, removed after)
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
OUT_BASE=${OUT:-$WORK/out}
trap 'rm -rf "$WORK"' EXIT
TARGETS=${TARGETS:-history scan archive}
export GIT_AUTHOR_NAME=F GIT_AUTHOR_EMAIL=f@example.com GIT_COMMITTER_NAME=F GIT_COMMITTER_EMAIL=f@example.com

# A key pair made at run time (never committed): AKIA and 16 base32 letters, 40 base64.
key_id() { printf 'AKIA%s' "$(head -c 2000 /dev/urandom | tr -dc 'A-Z2-7' | head -c 16)"; }
secret() { head -c 200 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9/+' | head -c 40; }

seeds_history() {
    local SEEDS=$1 REPO=$WORK/repo
    git init -q "$REPO"
    for i in 1 2 3; do
        {
            for j in $(seq 1 30); do echo "line $j of version $i"; done
            echo "aws_access_key_id = $(key_id)"
        } >"$REPO/config"
        echo "file $i" >"$REPO/f$i"
        git -C "$REPO" add -A
        git -C "$REPO" commit -q -m "version $i"
    done
    git -C "$REPO" gc -q
    echo "a loose one" >"$REPO/loose"
    git -C "$REPO" add -A
    git -C "$REPO" commit -q -m loose
    local n=0 f
    for f in $(find "$REPO/.git/objects" -path '*/pack' -prune -o -type f -name '??????????????????????????????????????' -print); do
        { printf '\0'; cat "$f"; } >"$SEEDS/loose-$n"
        n=$((n + 1))
    done
    local pack idx
    pack=$(ls "$REPO"/.git/objects/pack/*.pack)
    idx=${pack%.pack}.idx
    { printf '\1'; cat "$pack"; } >"$SEEDS/pack"
    python3 - "$idx" "$pack" "$SEEDS/pack-and-index" <<'PY'
import struct, sys
idx = open(sys.argv[1], "rb").read()
pack = open(sys.argv[2], "rb").read()
open(sys.argv[3], "wb").write(b"\x02" + struct.pack("<I", len(idx)) + idx + pack)
PY
    # Crafted packs (mode 3): a whole blob, a chain of two deltas inserting bytes on it, a
    # delta by offset with raw instructions (copy 5 bytes, insert 2), one by id.
    python3 - "$SEEDS/crafted" <<'PY'
import sys
whole = bytes([8, 0, 5]) + b"hello"
ins1 = bytes([3, 0, 6]) + b"\x05abcde"
ins2 = bytes([3, 1, 7]) + b"\x06abcdef"
raw = bytes([1, 0, 7]) + bytes([5, 7, 0x90, 5, 2]) + b"!?"
ref = bytes([2, 0, 5]) + bytes([5, 3, 3]) + b"abc"
open(sys.argv[1], "wb").write(b"\x03" + whole + ins1 + ins2 + raw + ref)
PY
}

# An INI credentials file with the key pair `k`, `s`.
creds_text() {
    printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$1" "$2"
}

seeds_scan() {
    local SEEDS=$1 k s
    k=$(key_id) s=$(secret)
    local text
    text=$(creds_text "$k" "$s")
    printf '\0%s' "$text" >"$SEEDS/ini"
    printf '\1%s' "$text" >"$SEEDS/ini-prefilter"
    printf '\0{"AccessKeyId": "%s", "SecretAccessKey": "%s"}' "$k" "${s//\//\\/}" >"$SEEDS/json"
    printf '\1%s' "$(printf '%s' "$text" | base64 -w0)" >"$SEEDS/base64"
    { printf '\0'; printf '%s' "$text" | iconv -t UTF-16LE; } >"$SEEDS/utf16"
    python3 - "$SEEDS" "$text" <<'PY'
import gzip, io, sys, tarfile, zipfile
seeds, text = sys.argv[1], sys.argv[2].encode()
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
    f.writestr("config/credentials", text)
open(f"{seeds}/zip", "wb").write(b"\0" + z.getvalue())
t = io.BytesIO()
with tarfile.open(fileobj=t, mode="w:gz") as f:
    info = tarfile.TarInfo("inner.zip")
    info.size = len(z.getvalue())
    f.addfile(info, io.BytesIO(z.getvalue()))
open(f"{seeds}/zip-in-tar-gz", "wb").write(b"\0" + t.getvalue())
open(f"{seeds}/gz", "wb").write(b"\0" + gzip.compress(text))
import bz2, lzma
open(f"{seeds}/bz2", "wb").write(b"\0" + bz2.compress(text))
open(f"{seeds}/xz", "wb").write(b"\0" + lzma.compress(text))
t = io.BytesIO()
with tarfile.open(fileobj=t, mode="w") as f:
    info = tarfile.TarInfo("deploy/.aws/credentials")
    info.size = len(text)
    f.addfile(info, io.BytesIO(text))
open(f"{seeds}/tar", "wb").write(b"\0" + t.getvalue())
PY
}

seeds_archive() {
    local SEEDS=$1 text
    text=$(creds_text "$(key_id)" "$(secret)")
    # The first byte picks the wrapper (1 gzip, 2 bzip2, 3 zstd, 4 tar, 5 zip stored,
    # 6 zip deflated, 7 tar.gz); the rest is what it wraps.
    local w
    for w in 1 2 3 4 5 6 7; do
        printf "\\$(printf '%03o' "$w")%s" "$text" >"$SEEDS/text-$w"
    done
    python3 - "$SEEDS" "$text" <<'PY'
import gzip, io, sys, zipfile
seeds, text = sys.argv[1], sys.argv[2].encode()
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
    f.writestr("config/credentials", text)
open(f"{seeds}/zip-in-tar", "wb").write(b"\x04" + z.getvalue())
open(f"{seeds}/gz-in-zip", "wb").write(b"\x06" + gzip.compress(text))
PY
}

failed=0
for target in $TARGETS; do
    (cd "$FUZZ" && cargo afl build --release --bin "$target")
    BIN=$FUZZ/target/release/$target
    SEEDS=$WORK/in-$target
    OUT=$OUT_BASE/$target
    mkdir -p "$SEEDS" "$OUT_BASE"
    "seeds_$target" "$SEEDS"
    echo "$target: fuzzing for $DURATION s with $(ls "$SEEDS" | wc -l) seeds"
    AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
        cargo afl fuzz -i "$SEEDS" -o "$OUT" -V "$DURATION" -t 5000 -m none "$BIN" >"$WORK/afl-$target.log" 2>&1 || {
        tail -n 30 "$WORK/afl-$target.log" >&2
        exit 1
    }
    stats=$OUT/default/fuzzer_stats
    grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg)' "$stats" | sed "s/^/$target: /"
    crashes=$(grep '^saved_crashes' "$stats" | awk '{ print $3 }')
    if [[ $crashes != 0 ]]; then
        echo "$target: crashes in $OUT/default/crashes" >&2
        [[ -n $KEEP_OUT ]] || cp -r "$OUT/default/crashes" "./fuzz-crashes-$target"
        failed=1
    fi
done
exit $failed
