#!/usr/bin/env bash
# Start-up cost: one `letterkit render` of one CMSL5502 letter as a fresh process.
#
#   bench/startup.sh [--runs R] [--warmup W] [--index I] [--no-build]
#
# Writes request I (default 0, seed 1) from bench/requests.py to a temp dir and
# times `letterkit render REQUEST.json --out TMP/x.pdf --force` with hyperfine
# (--shell=none, W warm-up runs, default 10; at least R runs, default 50).
# Prints hyperfine's report and the mean in ms. Target: mean < 15 ms.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

RUNS=50; WARMUP=10; INDEX=0; BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --index) INDEX="$2"; shift ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "startup.sh: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done
TARGET_MS=15
PY="$(bench_python)"

if ! command -v hyperfine >/dev/null; then
  log "installing hyperfine (apt)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends hyperfine >&2
fi

peers_sync
if [ "$BUILD" = 1 ] && ! letterkit_build; then
  exit 2
fi
letterkit_ready render || exit 2

TMP="$(mktemp -d "${TMPDIR:-/tmp}/letterkit-startup.XXXXXX")"
trap 'rm -rf -- "$TMP"' EXIT
"$PY" "$HERE/requests.py" --one --index "$INDEX" --out "$TMP/request.json"

cmd=("$LETTERKIT_BIN" render "$TMP/request.json" --out "$TMP/x.pdf" --force)
# One checked run first, so a failure reads as letterkit's own message.
if ! "${cmd[@]}" >"$TMP/stdout.txt" 2>"$TMP/stderr.txt"; then
  log "letterkit render failed:"
  log "  \$ ${cmd[*]}"
  tail -n 15 "$TMP/stderr.txt" >&2
  exit 2
fi
if [ ! -s "$TMP/x.pdf" ]; then
  log "letterkit render wrote no PDF at $TMP/x.pdf"
  exit 2
fi

hyperfine --shell=none --warmup "$WARMUP" --min-runs "$RUNS" \
  --export-json "$TMP/hyperfine.json" "$(printf '%q ' "${cmd[@]}")"

"$PY" - "$TMP/hyperfine.json" "$TARGET_MS" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
target = float(sys.argv[2])
mean, sd = r["mean"] * 1000, r["stddev"] * 1000
print(f"letterkit render (fresh process): mean {mean:.2f} ms ± {sd:.2f} ms, "
      f"median {r['median'] * 1000:.2f} ms, min {r['min'] * 1000:.2f} ms, "
      f"{len(r['times'])} runs; target < {target:g} ms "
      + ("PASS" if mean < target else "FAIL"))
EOF
