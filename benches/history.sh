#!/usr/bin/env bash
# Measures a leakscan history scan of one git repository against the cost of merely
# reading every object of it.
#
# Usage: benches/history.sh REPO [LEAKSCAN_ARGS...]
#
#   REPO           a git repository: work tree, bare or mirror (never modified)
#   LEAKSCAN_ARGS  extra arguments for `leakscan scan` (e.g. -j 1)
#   env LEAKSCAN   binary (default target/release/leakscan, from the workspace root when
#                  not found from the current directory)
#   env RUNS=N     one warm-up run of each command (page cache), then the best of N runs
#                  (minimum of each measure); without RUNS, one run of each, no warm-up
#   env REPORT=F   keep leakscan's JSON report (of the last run) as F
#
# Commands, each under `/usr/bin/time -f '%e %U %S %M'`:
#
#   floor     git -C REPO cat-file --batch-all-objects --batch --unordered >/dev/null
#             (git --git-dir=REPO for a bare repository): inflates every object once,
#             delta chains resolved, single-threaded; no scan can read less
#   leakscan  $LEAKSCAN scan REPO --format json -o $TMP/report.json [LEAKSCAN_ARGS...]
#             exit 1 (credentials found) and 2 (some input or object unreadable) are normal
#
# Printed: wall time (from bash's $EPOCHREALTIME around the run when available, %e has
# 10 ms steps), CPU time (user + sys), peak RSS, exit status, the ratios leakscan/floor,
# and the number of findings and errors of leakscan's JSON report (read with python3). For
# a repository made by benches/synthetic-history.sh, also whether every planted key ID
# (listed in its info/planted-credentials) is among the findings.

set -euo pipefail

usage() {
    echo "usage: $0 REPO [LEAKSCAN_ARGS...]" >&2
    echo "env: LEAKSCAN (binary), RUNS (best of N after a warm-up), REPORT (keep the JSON report)" >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
[[ $1 != -h && $1 != --help ]] || usage
REPO_ARG=$1
shift
[[ -d $REPO_ARG ]] || { echo "not a directory: $REPO_ARG" >&2; exit 2; }
REPO=$(cd "$REPO_ARG" && pwd)
RUNS_SET=${RUNS:+1}
RUNS=${RUNS:-1}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive integer" >&2; exit 2; }

if ! bare=$(git -C "$REPO" rev-parse --is-bare-repository 2>/dev/null); then
    echo "not a git repository: $REPO" >&2
    exit 2
fi
if [[ $bare == true ]]; then
    GIT=(git --git-dir="$REPO")
    kind=bare
else
    GIT=(git -C "$REPO")
    kind="work tree"
fi

TIME=/usr/bin/time
if [[ ! -x $TIME ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "installing $TIME (package time)" >&2
        apt-get update -qq && apt-get install -y -qq time >/dev/null
    fi
    [[ -x $TIME ]] || {
        echo "$TIME not found; install it: apt-get update && apt-get install -y time" >&2
        exit 2
    }
fi
command -v python3 >/dev/null 2>&1 || { echo "python3 is required" >&2; exit 2; }

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORKSPACE=$(cd "$SCRIPT_DIR/.." && pwd)
BIN=${LEAKSCAN:-target/release/leakscan}
if [[ $BIN != /* && ! -x $BIN && -x $WORKSPACE/$BIN ]]; then
    BIN=$WORKSPACE/$BIN
fi
if [[ $BIN != */* ]]; then
    BIN=$(command -v "$BIN" 2>/dev/null) || { echo "leakscan binary not found: ${LEAKSCAN:-}" >&2; exit 2; }
fi
[[ -x $BIN ]] || { echo "leakscan binary not found: $BIN (cargo build --release -p scanner-cli)" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/history-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

# run NAME CMD...: one timed run; sets WALL CPU RSS_KIB RC. Standard output is discarded,
# standard error kept in $TMP/NAME.stderr.
run() {
    local name=$1 t0 t1 e u s m
    shift
    t0=${EPOCHREALTIME:-}
    set +e
    "$TIME" -f '%e %U %S %M' -o "$TMP/$name.time" "$@" >/dev/null 2>"$TMP/$name.stderr"
    RC=$?
    set -e
    t1=${EPOCHREALTIME:-}
    read -r e u s m < <(tail -n 1 "$TMP/$name.time")
    if [[ -n $t0 && -n $t1 ]]; then
        WALL=$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.3f", b - a }')
    else
        WALL=$e
    fi
    CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
    RSS_KIB=$m
}

# measure NAME OK_CODES CMD...: warm-up (with RUNS), then the minimum of each measure
# over RUNS runs, in BEST_WALL BEST_CPU BEST_RSS (KiB) BEST_RC (of the fastest run).
measure() {
    local name=$1 ok=$2 i
    shift 2
    [[ -n $RUNS_SET ]] && run "$name" "$@"
    BEST_WALL="" BEST_CPU="" BEST_RSS="" BEST_RC=""
    for ((i = 1; i <= RUNS; i++)); do
        run "$name" "$@"
        if [[ " $ok " != *" $RC "* ]]; then
            echo "$name failed with exit status $RC: $*" >&2
            tail -n 20 "$TMP/$name.stderr" >&2
            exit 1
        fi
        if [[ -z $BEST_WALL ]] || awk -v a="$WALL" -v b="$BEST_WALL" 'BEGIN { exit !(a < b) }'; then
            BEST_WALL=$WALL BEST_RC=$RC
        fi
        if [[ -z $BEST_CPU ]] || awk -v a="$CPU" -v b="$BEST_CPU" 'BEGIN { exit !(a < b) }'; then
            BEST_CPU=$CPU
        fi
        if [[ -z $BEST_RSS ]] || ((RSS_KIB < BEST_RSS)); then
            BEST_RSS=$RSS_KIB
        fi
    done
}

read -r objects pack_kib < <("${GIT[@]}" count-objects -v |
    awk '/^(count|in-pack):/ { n += $2 } /^(size|size-pack):/ { k += $2 } END { print n, k }')
echo "repository: $REPO ($kind, $objects objects, $(awk -v k="$pack_kib" 'BEGIN { printf "%.1f MiB", k / 1024 }') on disk)"
echo "leakscan:   $BIN scan REPO --format json -o report.json${*:+ $*}"
if [[ -n $RUNS_SET ]]; then
    echo "runs:       warm-up + best of $RUNS"
else
    echo "runs:       1 (no warm-up)"
fi

measure floor "0" "${GIT[@]}" cat-file --batch-all-objects --batch --unordered
F_WALL=$BEST_WALL F_CPU=$BEST_CPU F_RSS=$BEST_RSS F_RC=$BEST_RC

measure leakscan "0 1 2" "$BIN" scan "$REPO" --format json -o "$TMP/report.json" "$@"
L_WALL=$BEST_WALL L_CPU=$BEST_CPU L_RSS=$BEST_RSS L_RC=$BEST_RC
[[ -n ${REPORT:-} ]] && cp "$TMP/report.json" "$REPORT"

read -r findings errors blobs mib missing < <(python3 - "$TMP/report.json" <<'PY' || echo "? ? ? ? ?"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
repos = d.get("stats", {}).get("repositories", [])
blobs = sum(r.get("blobs_scanned", 0) for r in repos)
nbytes = sum(r.get("bytes_scanned", 0) for r in repos)
missing = sum(r.get("missing_objects", 0) for r in repos)
print(len(d.get("findings", [])), len(d.get("errors", [])), blobs, "%.1f" % (nbytes / 1048576), missing)
PY
)
# Key IDs planted by benches/synthetic-history.sh: were they all found?
planted_file=$("${GIT[@]}" rev-parse --absolute-git-dir)/info/planted-credentials
planted=""
if [[ -f $planted_file ]]; then
    planted=$(python3 - "$TMP/report.json" "$planted_file" <<'PY' || echo "? (could not compare)"
import json, sys
found = {f.get("key_id") for f in json.load(open(sys.argv[1], encoding="utf-8")).get("findings", [])}
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")]
missed = [r for r in rows if r[0] not in found]
print(f"{len(rows) - len(missed)}/{len(rows)} found" + "".join(f"; MISSED {' '.join(r)}" for r in missed))
PY
)
fi

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

echo
printf '%-20s %10s %10s %12s %6s\n' "" "wall s" "cpu s" "peak MiB" "exit"
printf '%-20s %10s %10s %12s %6s\n' "floor (cat-file)" "$F_WALL" "$F_CPU" "$(mib "$F_RSS")" "$F_RC"
printf '%-20s %10s %10s %12s %6s\n' "leakscan" "$L_WALL" "$L_CPU" "$(mib "$L_RSS")" "$L_RC"
printf '%-20s %10s %10s %12s\n' "leakscan / floor" "$(ratio "$L_WALL" "$F_WALL")" "$(ratio "$L_CPU" "$F_CPU")" \
    "$(ratio "$L_RSS" "$F_RSS")"
echo
echo "findings: $findings   errors: $errors   blobs scanned: $blobs ($mib MiB)   missing objects: $missing"
[[ -z $planted ]] || echo "planted credentials (synthetic-history.sh): $planted"
case $L_RC in
    1) echo "leakscan exit 1: credentials found" ;;
    2) echo "leakscan exit 2: some inputs or objects could not be read (see the report's errors)" ;;
esac
