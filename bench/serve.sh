#!/usr/bin/env bash
# Load on `letterkit serve`: POST /v1/render driven by wrk (Debian's wrk).
#
#   bench/serve.sh [--duration S] [--conns "1 8 64"] [--n N] [--no-build]
#
# Starts `letterkit serve` (release build) on a loopback port with one
# render client and no rate limit, then for each connection count runs
# `wrk -c C -d S --latency` posting bench/requests.py's N letters in turn
# (the same letters the batch renders) and prints letters/s, p50, p99, non-2xx and
# socket errors, and the server's RSS before and after each run. Then it
# times `letterkit batch REQUESTS --jobs 2` on N letters (default 1000) for
# the rate the service is compared with.
# Target (issue 12): at 64 connections >= 80% of the batch rate with 2 jobs,
# p99 < 50 ms, 0 errors, memory flat.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

DURATION=30; CONNS="1 8 64"; N=1000; BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift ;;
    --conns) CONNS="$2"; shift ;;
    --n) N="$2"; shift ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "serve.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
command -v wrk >/dev/null || { log "wrk is missing: apt-get install wrk"; exit 2; }
[ "$BUILD" = 1 ] && { letterkit_build || exit 2; }
letterkit_ready serve || exit 2

work="$ROOT/target/bench-serve"
rm -rf "$work"; mkdir -p "$work"
py=$(bench_python)
"$py" bench/requests.py --n "$N" --seed 1 --out "$work/requests.jsonl"
token="lkt_bench_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
echo "bench render sha256:$(printf %s "$token" | sha256sum | cut -d' ' -f1)" >"$work/tokens.txt"
cat >"$work/post.lua" <<LUA
-- Every request in turn (the same N letters as the batch), one per call.
local bodies = {}
for line in io.lines("$work/requests.jsonl") do bodies[#bodies + 1] = line end
local i = 0
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $token"}
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", nil, headers, bodies[i])
end
LUA
port=18097
"$LETTERKIT_BIN" serve --tokens "$work/tokens.txt" --outbox "$work/outbox.sqlite" \
  --bind "127.0.0.1:$port" --rate-limit 0 2>"$work/serve.log" >/dev/null &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q '"msg":"listening"' "$work/serve.log" && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status"; }
# Warm up (fonts, subset caches, the blocking pool).
wrk -t1 -c4 -d3s -s "$work/post.lua" "http://127.0.0.1:$port/v1/render" >/dev/null

printf '| connections | letters/s | p50 | p99 | non-2xx | socket errors | RSS before → after (MB) |\n'
printf '|---:|---:|---:|---:|---:|---:|---|\n'
for c in $CONNS; do
  t=$(( c < 2 ? 1 : 2 ))
  before=$(rss)
  wrk -t"$t" -c"$c" -d"${DURATION}s" --latency -s "$work/post.lua" \
    "http://127.0.0.1:$port/v1/render" >"$work/wrk-$c.txt"
  after=$(rss)
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk-$c.txt")
  p50=$(awk '$1=="50%" {print $2}' "$work/wrk-$c.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk-$c.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk-$c.txt"); non2xx=${non2xx:-0}
  sock=$(awk '/Socket errors/ {gsub(",", ""); print $4+$6+$8+$10}' "$work/wrk-$c.txt"); sock=${sock:-0}
  printf '| %s | %s | %s | %s | %s | %s | %s → %s |\n' "$c" "$rps" "$p50" "$p99" "$non2xx" "$sock" "$before" "$after"
done
kill -TERM $pid; wait $pid 2>/dev/null || true; trap - EXIT

start=$(date +%s.%N)
"$LETTERKIT_BIN" batch "$work/requests.jsonl" --out "$work/batch" --jobs 2 --quiet
end=$(date +%s.%N)
made=$(find "$work/batch" -name '*.pdf' | wc -l)
printf '\nbatch --jobs 2: %s letters in %.2f s = %.0f letters/s\n' "$made" "$(echo "$end - $start" | bc)" "$(echo "$made / ($end - $start)" | bc -l)"
