#!/usr/bin/env bash
# letterkit vs Typst, ReportLab, WeasyPrint and fpdf2 on the same N CMSL5502 letters.
#
#   bench/compare.sh [N] [--no-build] [--typst-fresh] [--repeat R] [--seed S] [...]
#
# N defaults to 500. Sets up the peers copy in target/bench-peers (idempotent),
# runs `cargo build --release` (skip with --no-build), then bench/compare.py,
# which prints a markdown table and the target ratios. Every other option goes
# to compare.py (see `python3 bench/compare.py --help`).
# Exit status: 0 all measured, 2 letterkit not measured, 1 a peer failed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

build=1
args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$a") ;;
  esac
done

if ! peers_setup; then
  log "peers setup failed; the peers will be reported as failed"
fi

if [ "$build" = 1 ] && ! letterkit_build; then
  args+=(--skip-letterkit "cargo build --release failed (see above)")
fi

PY="$PEERS_DIR/.venv/bin/python"
[ -x "$PY" ] || PY="$(bench_python)"
exec "$PY" "$HERE/compare.py" "${args[@]}"
