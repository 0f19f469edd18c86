#!/usr/bin/env bash
# Peak memory of one large `letterkit batch` run.
#
#   bench/memory.sh [N] [--jobs J] [--seed S] [--keep] [--no-build]
#
# N defaults to 100000. Writes N requests (JSON Lines) with bench/requests.py,
# runs `letterkit batch REQUESTS --out DIR --quiet [--jobs J]` under
# /usr/bin/time -v and prints the peak RSS in MB and letters/s.
# Target: peak RSS < 200 MB for 100,000 letters.
# The PDFs (GBs for 100,000: check free disk) are deleted afterwards unless --keep.
# Without --jobs, letterkit's default job count is used.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

N=100000; SEED=1; JOBS=""; KEEP=0; BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1 ;;
    --no-build) BUILD=0 ;;
    --jobs) JOBS="$2"; shift ;;
    --seed) SEED="$2"; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "memory.sh: unknown option $1" >&2; exit 64 ;;
    *) N="$1" ;;
  esac
  shift
done
TARGET_MB=200
WORK="$ROOT/target/bench-memory"
OUT="$WORK/out"
PY="$(bench_python)"

if [ ! -x /usr/bin/time ]; then
  log "installing GNU time (apt package 'time')"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends time >&2
fi

peers_sync
if [ "$BUILD" = 1 ] && ! letterkit_build; then
  exit 2
fi
letterkit_ready batch || exit 2

mkdir -p "$WORK"
avail_kb=$(df -Pk "$WORK" | awk 'NR == 2 {print $4}')
if [ "$avail_kb" -lt $((N * 64)) ]; then
  log "WARNING: $((avail_kb / 1024)) MB free in $WORK; $N PDFs may need up to $((N * 64 / 1024)) MB"
fi
REQ="$WORK/requests.jsonl"
log "writing $N requests (seed $SEED) to $REQ"
"$PY" "$HERE/requests.py" --n "$N" --seed "$SEED" --out "$REQ"

cleanup() { if [ "$KEEP" = 0 ]; then rm -rf -- "$OUT"; fi; }
trap cleanup EXIT
rm -rf -- "$OUT"
mkdir -p "$OUT"

cmd=("$LETTERKIT_BIN" batch "$REQ" --out "$OUT" --quiet)
[ -n "$JOBS" ] && cmd+=(--jobs "$JOBS")
log "running: /usr/bin/time -v ${cmd[*]}"
t0=$(date +%s.%N)
set +e
/usr/bin/time -v -o "$WORK/time.txt" "${cmd[@]}" >"$WORK/stdout.txt" 2>"$WORK/stderr.txt"
rc=$?
set -e
t1=$(date +%s.%N)
if [ "$rc" != 0 ]; then
  log "letterkit batch exited with $rc; last lines of its stderr:"
  tail -n 15 "$WORK/stderr.txt" >&2
  exit 2
fi

pdfs=$(find "$OUT" -type f -name '*.pdf' | wc -l)
bytes=$(find "$OUT" -type f -name '*.pdf' -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
"$PY" - "$N" "$t0" "$t1" "$rss_kb" "$pdfs" "$bytes" "${JOBS:-default}" "$TARGET_MB" <<'EOF'
import sys
n, t0, t1, rss_kb, pdfs, size, jobs, target = sys.argv[1:]
n, pdfs, seconds = int(n), int(pdfs), float(t1) - float(t0)
rss_mb = int(rss_kb) / 1024
print(f"## letterkit batch memory: {n} letters (jobs={jobs})")
print(f"- PDFs written: {pdfs}" + ("" if pdfs == n else f"  (WARNING: expected {n})"))
print(f"- wall clock: {seconds:.2f} s, {n / seconds:.1f} letters/s")
print(f"- mean KB: {int(size) / max(pdfs, 1) / 1024:.1f}")
print(f"- peak RSS: {rss_mb:.1f} MB (target < {target} MB) "
      + ("PASS" if rss_mb < float(target) else "FAIL"))
EOF
log "full /usr/bin/time -v report: $WORK/time.txt"
[ "$KEEP" = 1 ] && log "PDFs kept in $OUT"
[ "$pdfs" = "$N" ] || exit 1
