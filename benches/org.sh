#!/usr/bin/env bash
# Builds an organisation of git repositories — forks of one real history with diverging
# commits, plus unrelated repositories — and measures what leakscan's state (`--cache`)
# buys on it.
#
# Usage: benches/org.sh SOURCE_REPO WORK_DIR
#
#   SOURCE_REPO  a clone or mirror of a real history (rust-lang/cargo, say); only read
#   WORK_DIR     where the organisation and the reports go (made if missing; an
#                organisation built there before with the same settings is reused)
#   env FORKS=N      forks (default 45)
#   env UNRELATED=N  unrelated repositories, from benches/synthetic-history.sh (default 5)
#   env BASE_REV=R   the revision of SOURCE_REPO the forks start from (default HEAD)
#   env CHANGED=N    repositories that get new commits before the third run (default 5)
#   env LEAKSCAN     binary (default target/release/leakscan)
#   env THREADS=N    leakscan -j N (default: every core)
#   env BUILD_ONLY=1 build the organisation (WORK_DIR/org) and stop
#
# The organisation, deterministic (fixed identities and dates, seeded contents):
#
#   base.git           SOURCE_REPO at BASE_REV on `main`, plus one commit adding a
#                      credentials file (so that every fork has a finding to resolve
#                      provenance for), repacked into one pack
#   fork01..NN.git     bare clones of base.git (hard-linked pack, as `git clone` of a local
#                      path makes them), each with 3 commits of its own; every 5th also adds
#                      a credentials file of its own; their objects repacked into a second pack
#   other01..NN.git    benches/synthetic-history.sh with seeds 101.. (600 commits, 150 files)
#
# Runs, each under `/usr/bin/time -f '%e %U %S %M'` (wall, user, sys seconds; peak RSS KiB):
#
#   first      leakscan scan ORG/*.git --cache C --format json   (empty state)
#   separate   leakscan scan R --format json, once per repository, no state (summed; the
#              largest peak RSS): what scanning them one by one costs
#   second     the first command again: nothing new
#   third      after 2 new commits (one with a new credential) in CHANGED repositories
#   full       leakscan scan ORG/*.git --format json (no state) on the final organisation:
#              the reference the third run's findings must equal
#   one        leakscan scan fork01.git --cache C1 (a fresh state): one repository's peak
#              RSS, to compare with the first run's over every repository
#
# Printed: every run's numbers, the ratios second/first, third/first, separate/first and
# first-RSS/one-RSS, which repositories the third run read and how many blobs, and whether
# the third run's findings equal the full run's (compared with python3, without the fields
# only a state adds). Exit status 1 if they differ or a run failed.

set -euo pipefail

usage() {
    echo "usage: $0 SOURCE_REPO WORK_DIR   (env: FORKS UNRELATED BASE_REV CHANGED LEAKSCAN THREADS)" >&2
    exit 2
}
[[ $# -eq 2 ]] || usage
SOURCE=$(cd "$1" && pwd)
mkdir -p "$2"
WORK=$(cd "$2" && pwd)
FORKS=${FORKS:-45}
UNRELATED=${UNRELATED:-5}
BASE_REV=${BASE_REV:-HEAD}
CHANGED=${CHANGED:-5}
THREADS=${THREADS:-}
[[ $FORKS =~ ^[0-9]+$ && $FORKS -ge 1 ]] || { echo "FORKS must be a positive integer" >&2; exit 2; }
[[ $UNRELATED =~ ^[0-9]+$ ]] || { echo "UNRELATED must be an integer" >&2; exit 2; }
[[ $CHANGED =~ ^[0-9]+$ && $CHANGED -le $((FORKS + UNRELATED)) ]] || { echo "CHANGED must be at most FORKS + UNRELATED" >&2; exit 2; }

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORKSPACE=$(cd "$SCRIPT_DIR/.." && pwd)
BIN=${LEAKSCAN:-$WORKSPACE/target/release/leakscan}
[[ -x $BIN || -n ${BUILD_ONLY:-} ]] || { echo "leakscan binary not found: $BIN (cargo build --release -p scanner-cli)" >&2; exit 2; }
TIME=/usr/bin/time
[[ -x $TIME ]] || { echo "$TIME not found: apt-get install -y time" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || { echo "python3 is required" >&2; exit 2; }

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="Org Bench" GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME="Org Bench" GIT_COMMITTER_EMAIL=bench@example.com
ORG=$WORK/org
STAMP="forks=$FORKS unrelated=$UNRELATED base=$(git -C "$SOURCE" rev-parse "$BASE_REV^{commit}")"

# A deterministic AWS-looking credentials file for seed $1 (generated here, never stored in
# the script: "AKIA" + 16 base32 characters, 40 characters of base64).
credentials() {
    python3 - "$1" <<'PY'
import random, sys
r = random.Random(int(sys.argv[1]) * 7919)
b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
kid = "AKIA" + r.choice("QRSTUVWXYZ234567") + "".join(r.choice(b32) for _ in range(15))
sec = "Qz/" + "".join(r.choice(b64) for _ in range(37))
print(f"[default]\naws_access_key_id = {kid}\naws_secret_access_key = {sec}")
PY
}

# Commits PATH with the contents on standard input on top of REF in bare repository REPO,
# at a fixed date (seconds $4); no work tree needed.
commit_file() {
    local repo=$1 path=$2 message=$3 when=$4 ref=refs/heads/main
    local blob tree parent commit index
    blob=$(git -C "$repo" hash-object -w --stdin)
    index=$(mktemp)
    parent=$(git -C "$repo" rev-parse "$ref")
    GIT_INDEX_FILE=$index git -C "$repo" read-tree "$parent"
    GIT_INDEX_FILE=$index git -C "$repo" update-index --add --cacheinfo "100644,$blob,$path"
    tree=$(GIT_INDEX_FILE=$index git -C "$repo" write-tree)
    rm -f "$index"
    commit=$(GIT_AUTHOR_DATE="@$when +0000" GIT_COMMITTER_DATE="@$when +0000" \
        git -C "$repo" commit-tree "$tree" -p "$parent" -m "$message")
    git -C "$repo" update-ref "$ref" "$commit"
}

build() {
    echo "building the organisation in $ORG ($STAMP)" >&2
    rm -rf "$ORG"
    mkdir -p "$ORG"
    local base=$WORK/base.git
    rm -rf "$base"
    git init -q --bare "$base"
    git -C "$base" config gc.auto 0
    git -C "$base" symbolic-ref HEAD refs/heads/main
    git -C "$base" fetch -q --no-tags "$SOURCE" "+$(git -C "$SOURCE" rev-parse "$BASE_REV^{commit}"):refs/heads/main"
    credentials 1 | commit_file "$base" config/deploy-credentials "deploy credentials" 1700000000
    git -C "$base" repack -adq
    local i name
    for i in $(seq 1 "$FORKS"); do
        name=$(printf 'fork%02d.git' "$i")
        git clone -q --bare --local "$base" "$ORG/$name"
        git -C "$ORG/$name" config gc.auto 0
        for c in 1 2 3; do
            printf 'fork %d, change %d\n' "$i" "$c" | commit_file "$ORG/$name" "FORK-NOTES.md" "fork $i change $c" $((1700000000 + i * 100 + c))
        done
        if (( i % 5 == 0 )); then
            credentials $((100 + i)) | commit_file "$ORG/$name" ".env.production" "fork $i settings" $((1700000000 + i * 100 + 9))
        fi
        git -C "$ORG/$name" repack -dq
    done
    for i in $(seq 1 "$UNRELATED"); do
        name=$(printf 'other%02d.git' "$i")
        SEED=$((100 + i)) "$SCRIPT_DIR/synthetic-history.sh" "$ORG/$name" 600 150 >/dev/null
        git -C "$ORG/$name" config gc.auto 0
    done
    rm -rf "$base"
    echo "$STAMP" >"$WORK/org.stamp"
}

if [[ ! -f $WORK/org.stamp || $(cat "$WORK/org.stamp") != "$STAMP" ]]; then
    build
fi
mapfile -t REPOS < <(cd "$ORG" && ls -d -- *.git)
echo "organisation: ${#REPOS[@]} repositories in $ORG" >&2
[[ -z ${BUILD_ONLY:-} ]] || exit 0

J=()
[[ -n $THREADS ]] && J=(-j "$THREADS")
OUT=$WORK/out
rm -rf "$OUT" "$WORK/cache" "$WORK/cache-one"
mkdir -p "$OUT"

# run NAME CMD...: times CMD; leaves "wall user sys rss" in $OUT/NAME.time.
run() {
    local name=$1
    shift
    local status=0
    "$TIME" -f '%e %U %S %M' -o "$OUT/$name.time.raw" "$@" 2>"$OUT/$name.err" || status=$?
    # time(1) writes "Command exited with non-zero status N" first for statuses 1 and 2.
    tail -n 1 "$OUT/$name.time.raw" >"$OUT/$name.time"
    if (( status > 2 )); then
        echo "$name failed ($status): $(tail -3 "$OUT/$name.err")" >&2
        exit 1
    fi
    printf '%-9s wall %7.2f s  cpu %7.2f s  peak RSS %7.1f MiB\n' "$name" \
        "$(cut -d' ' -f1 "$OUT/$name.time")" \
        "$(awk '{print $2 + $3}' "$OUT/$name.time")" \
        "$(awk '{print $4 / 1024}' "$OUT/$name.time")"
}

cd "$ORG"
run first "$BIN" scan "${REPOS[@]}" --cache "$WORK/cache" "${J[@]}" --format json -o "$OUT/first.json"
: >"$OUT/separate.time.all"
for r in "${REPOS[@]}"; do
    "$TIME" -f '%e %U %S %M' -a -o "$OUT/separate.time.all" "$BIN" scan "$r" "${J[@]}" --format json -o /dev/null 2>/dev/null || true
done
grep -v '^Command' "$OUT/separate.time.all" |
    awk '{w += $1; u += $2; s += $3; if ($4 > m) m = $4} END {print w, u, s, m}' >"$OUT/separate.time"
printf '%-9s wall %7.2f s  cpu %7.2f s  peak RSS %7.1f MiB  (%d runs)\n' separate \
    "$(cut -d' ' -f1 "$OUT/separate.time")" "$(awk '{print $2 + $3}' "$OUT/separate.time")" \
    "$(awk '{print $4 / 1024}' "$OUT/separate.time")" "${#REPOS[@]}"
run second "$BIN" scan "${REPOS[@]}" --cache "$WORK/cache" "${J[@]}" --format json -o "$OUT/second.json"

# New commits in CHANGED repositories, spread over forks and unrelated ones: a clean file,
# then a new credential. Left loose, as a fetch or a push leaves a few objects.
CHANGED_REPOS=()
step=$(( ${#REPOS[@]} / (CHANGED > 0 ? CHANGED : 1) ))
for k in $(seq 0 $((CHANGED - 1))); do
    r=${REPOS[$((k * step))]}
    CHANGED_REPOS+=("$r")
    printf 'release notes %d\n' "$k" | commit_file "$ORG/$r" "NEWS.md" "news $k" $((1800000000 + k * 10))
    credentials $((900 + k)) | commit_file "$ORG/$r" "ops/new-credentials" "ops $k" $((1800000000 + k * 10 + 1))
done
echo "new commits in: ${CHANGED_REPOS[*]}" >&2
run third "$BIN" scan "${REPOS[@]}" --cache "$WORK/cache" "${J[@]}" --format json -o "$OUT/third.json"
run full "$BIN" scan "${REPOS[@]}" "${J[@]}" --format json -o "$OUT/full.json"
run one "$BIN" scan "${REPOS[0]}" --cache "$WORK/cache-one" "${J[@]}" --format json -o "$OUT/one.json"

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
def t(name):
    w, u, s, m = open(f"{out}/{name}.time").read().split()[:4]
    return float(w), float(u) + float(s), int(m)
def load(name):
    return json.load(open(f"{out}/{name}.json"))
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in ("first_seen", "last_seen", "new", "change", "packs_unchanged")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
first, second, third, full = (load(n) for n in ("first", "second", "third", "full"))
fw, fc, fm = t("first")
for name, limit in (("second", 0.05), ("third", 0.10)):
    w, c, _ = t(name)
    print(f"{name}/first  wall {w / fw:.4f}  cpu {c / fc:.4f}  (target <= {limit})")
sw, sc, sm = t("separate")
print(f"separate/first  wall {sw / fw:.2f}  cpu {sc / fc:.2f}  (what one run with dedup saves)")
_, _, om = t("one")
print(f"peak RSS: first run {fm / 1024:.1f} MiB over {len(first['stats']['repositories'])} repositories, "
      f"one repository {om / 1024:.1f} MiB: ratio {fm / om:.2f}")
reps = second["stats"]["repositories"]
print(f"second run: {sum(r['change'] == 'unchanged' for r in reps)} of {len(reps)} unchanged, "
      f"{sum(r['blobs_scanned'] for r in reps)} blobs scanned")
reps = third["stats"]["repositories"]
read = [(r["path"], r["change"], r["blobs_scanned"]) for r in reps if r["change"] != "unchanged"]
print(f"third run: read {read}; {sum(r['blobs_scanned'] for r in reps)} blobs scanned")
print(f"first run: {sum(r['blobs_scanned'] for r in first['stats']['repositories'])} blobs scanned, "
      f"{len(first['findings'])} credentials")
new = [f["key_id"] for f in third["findings"] if f.get("new")]
print(f"third run: {len(third['findings'])} credentials, {len(new)} marked new")
def findings(d):
    return json.dumps({"findings": strip(d["findings"]), "errors": d["errors"]}, sort_keys=True)
same = findings(third) == findings(full)
print(f"third run's findings equal a full run's: {'yes' if same else 'NO'}")
sys.exit(0 if same else 1)
PY
