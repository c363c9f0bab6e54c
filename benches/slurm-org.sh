#!/usr/bin/env bash
# Scans an organisation of repositories as a Slurm job array on a one-node Slurm cluster
# started on this machine, merges the shards' reports, and checks the merged report against
# a single run.
#
# Usage: benches/slurm-org.sh ORG_DIR WORK_DIR [SHARDS]
#
#   ORG_DIR   a directory of git repositories (benches/org.sh makes one in WORK/org)
#   WORK_DIR  shard caches, reports and the cluster's state and logs (made if missing)
#   SHARDS    array size N (default 4)
#   env LEAKSCAN  binary (default target/release/leakscan)
#
# Needs root (the daemons run as root, as a throw-away one-node cluster does) and Debian's
# `slurm-wlm` and `munge` (installed with apt-get when missing). If `sinfo` already answers,
# that cluster is used and left running; otherwise munged, slurmctld and slurmd are started
# with their state under WORK_DIR/slurm and stopped at the end, by their own pid files.
#
# Each array task K of N (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) runs
#
#   leakscan scan REPOS... --shard K/N --cache WORK/cache-K --format jsonl -o WORK/shard-K.jsonl
#
# with every repository: `--shard` keeps its share. (A leakscan without `--shard` gets its
# share from this script instead: the repositories whose name's CRC, from cksum, is K-1
# modulo N — stable as the organisation grows.) Then
#
#   leakscan merge WORK/shard-*.jsonl --format json -o WORK/merged.json
#   leakscan scan REPOS... --format json -o WORK/single.json
#
# and the two are compared (python3): the same findings with every location and its
# provenance, the same errors, the same repositories; the per-repository blob counts are
# left out, since each shard deduplicates only what it reads. Exit status 1 if they differ.

set -euo pipefail

usage() {
    echo "usage: $0 ORG_DIR WORK_DIR [SHARDS]   (env: LEAKSCAN)" >&2
    exit 2
}
[[ $# -ge 2 && $# -le 3 ]] || usage
ORG=$(cd "$1" && pwd)
mkdir -p "$2"
WORK=$(cd "$2" && pwd)
SHARDS=${3:-4}
[[ $SHARDS =~ ^[1-9][0-9]*$ ]] || { echo "SHARDS must be a positive integer" >&2; exit 2; }
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${LEAKSCAN:-$SCRIPT_DIR/../target/release/leakscan}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[[ -x $BIN ]] || { echo "leakscan binary not found: $BIN" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || { echo "python3 is required" >&2; exit 2; }

mapfile -t REPOS < <(cd "$ORG" && for d in *; do [[ -d $d ]] && echo "$ORG/$d"; done)
(( ${#REPOS[@]} > 0 )) || { echo "no repositories in $ORG" >&2; exit 2; }

# --- a one-node cluster -------------------------------------------------------------------
S=$WORK/slurm
STARTED=()
stop_cluster() {
    local pidfile
    for pidfile in "${STARTED[@]}"; do
        [[ -f $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null || true
    done
}
trap stop_cluster EXIT

if ! sinfo -h >/dev/null 2>&1; then
    [[ $(id -u) -eq 0 ]] || { echo "starting a Slurm cluster needs root" >&2; exit 2; }
    if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
        echo "installing slurm-wlm and munge" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
    fi
    H=$(hostname -s)
    mkdir -p "$S"/{state,spool,log} /run/munge /etc/slurm
    if [[ ! -f /etc/munge/munge.key ]]; then
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    fi
    chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
    chmod 400 /etc/munge/munge.key
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        runuser -u munge -- /usr/sbin/munged --force
        STARTED+=(/run/munge/munged.pid)
    fi
    MEM=$(( $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) - 1024 ))
    cat >/etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$H
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldLogFile=$S/log/ctld.log
SlurmdLogFile=$S/log/d.log
SlurmctldPidFile=$S/ctld.pid
SlurmdPidFile=$S/d.pid
ReturnToService=2
NodeName=$H CPUs=$(nproc) RealMemory=$MEM State=UNKNOWN
PartitionName=main Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF
    slurmctld
    STARTED+=("$S/ctld.pid")
    slurmd
    STARTED+=("$S/d.pid")
    for _ in $(seq 1 30); do
        sinfo -h -o '%T' 2>/dev/null | grep -q idle && break
        sleep 1
    done
fi
sinfo

# --- the job array --------------------------------------------------------------------------
rm -rf "$WORK"/shard-*.jsonl "$WORK"/cache-* "$WORK"/out-*.txt
SHARD_FLAG=0
"$BIN" scan --help | grep -q -- '--shard' && SHARD_FLAG=1
printf '%s\n' "${REPOS[@]}" >"$WORK/repositories.txt"
cat >"$WORK/shard.sh" <<JOB
#!/usr/bin/env bash
# One shard of the organisation scan (array task K of N).
set -euo pipefail
K=\$SLURM_ARRAY_TASK_ID
N=\$SLURM_ARRAY_TASK_COUNT
mapfile -t ALL <"$WORK/repositories.txt"
if [[ $SHARD_FLAG == 1 ]]; then
    MINE=("\${ALL[@]}")
    SHARD=(--shard "\$K/\$N")
else
    MINE=()
    for r in "\${ALL[@]}"; do
        crc=\$(basename "\$r" | cksum | cut -d' ' -f1)
        (( crc % N == K - 1 )) && MINE+=("\$r")
    done
    SHARD=()
fi
echo "shard \$K of \$N: \${#MINE[@]} repositories on \$(hostname -s)"
status=0
if (( \${#MINE[@]} > 0 )); then
    "$BIN" scan "\${MINE[@]}" "\${SHARD[@]}" --cache "$WORK/cache-\$K" --format jsonl -o "$WORK/shard-\$K.jsonl" || status=\$?
else
    "$BIN" scan --no-history /dev/null --format jsonl -o "$WORK/shard-\$K.jsonl" || status=\$?
fi
# 1 (credentials found) and 2 (something unreadable) are reports too.
(( status <= 2 ))
JOB
chmod +x "$WORK/shard.sh"
started=$(date +%s.%N)
JOBID=$(sbatch --parsable --wait --array=1-"$SHARDS" --cpus-per-task=1 \
    --output="$WORK/out-%a.txt" "$WORK/shard.sh")
elapsed=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$(date +%s.%N)")
echo "job array $JOBID: $SHARDS tasks done in $elapsed s"
cat "$WORK"/out-*.txt

# --- merge and check ------------------------------------------------------------------------
merged=0
"$BIN" merge "$WORK"/shard-*.jsonl --format json -o "$WORK/merged.json" || merged=$?
(( merged <= 2 )) || { echo "merge failed" >&2; exit 1; }
single=0
"$BIN" scan "${REPOS[@]}" --format json -o "$WORK/single.json" || single=$?
(( single <= 2 )) || { echo "the single run failed" >&2; exit 1; }
echo "exit statuses: merge $merged, single run $single"
python3 - "$WORK/merged.json" "$WORK/single.json" <<'PY'
import json, sys
merged, single = (json.load(open(p)) for p in sys.argv[1:3])
def repos(d):
    return sorted((r["path"], r["packs"], r["commits"], r["missing_objects"]) for r in d["stats"]["repositories"])
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in ("first_seen", "last_seen", "new", "change", "packs_unchanged")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
checks = {
    "findings": strip(merged["findings"]) == strip(single["findings"]),
    "errors": merged["errors"] == single["errors"],
    "repositories": repos(merged) == repos(single),
}
places = sum(len(f["locations"]) for f in single["findings"])
print(f"merged: {len(merged['findings'])} credentials; single run: {len(single['findings'])} credentials, {places} places, "
      f"{len(single['stats']['repositories'])} repositories")
shared = max(single["findings"], key=lambda f: len({l.get("repository") for l in f["locations"]}), default=None)
if shared:
    print(f"most shared credential: in {len({l.get('repository') for l in shared['locations']})} repositories, one entry")
blobs_m = sum(r["blobs_scanned"] for r in merged["stats"]["repositories"])
blobs_s = sum(r["blobs_scanned"] for r in single["stats"]["repositories"])
print(f"blobs scanned: shards {blobs_m}, single run {blobs_s} (each shard deduplicates what it reads)")
for k, ok in checks.items():
    print(f"{k} equal: {'yes' if ok else 'NO'}")
sys.exit(0 if all(checks.values()) else 1)
PY
