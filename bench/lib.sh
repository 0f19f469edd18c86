# Shared helpers for bench/*.sh; sourced, not run.
# Expects ROOT (the repository root) to be set by the sourcing script.
# Environment overrides:
#   BENCH_PEERS_SRC  read-only peers folder   (default ROOT/../shared/bench/peers)
#   BENCH_PEERS_DIR  writable copy with .venv (default ROOT/target/bench-peers)
#   LETTERKIT_BIN    binary to measure        (default ROOT/target/release/letterkit)

PEERS_SRC="${BENCH_PEERS_SRC:-$ROOT/../shared/bench/peers}"
PEERS_DIR="${BENCH_PEERS_DIR:-$ROOT/target/bench-peers}"
LETTERKIT_BIN="${LETTERKIT_BIN:-$ROOT/target/release/letterkit}"
export BENCH_PEERS_DIR="$PEERS_DIR"

log() { printf '[bench] %s\n' "$*" >&2; }

# System python for our own (standard-library only) scripts.
bench_python() {
  command -v python3.11 || command -v python3
}

# Copy the peers' sources (not .venv/out/.tools) into PEERS_DIR; cheap, idempotent.
peers_sync() {
  if [ ! -d "$PEERS_SRC" ]; then
    if [ -f "$PEERS_DIR/letters.py" ]; then
      log "peers source $PEERS_SRC not found; using the existing copy in $PEERS_DIR"
      return 0
    fi
    log "peers source $PEERS_SRC not found (set BENCH_PEERS_SRC)"
    return 1
  fi
  mkdir -p "$PEERS_DIR"
  local src
  src="$(cd "$PEERS_SRC" && pwd)"
  (cd "$src" && find . \( -name .venv -o -name out -o -name .tools -o -name __pycache__ \) -prune \
       -o -type f -print0) |
    while IFS= read -r -d '' f; do
      if ! cmp -s "$src/$f" "$PEERS_DIR/$f"; then
        mkdir -p "$PEERS_DIR/$(dirname "$f")" && rm -f "$PEERS_DIR/$f" &&
          cp "$src/$f" "$PEERS_DIR/$f" && chmod u+w "$PEERS_DIR/$f" || exit 1
      fi
    done || { log "copying $src to $PEERS_DIR failed"; return 1; }
}

# Copy + venv. Runs the peers' setup.sh only when the venv is missing or
# incomplete, requirements.txt changed since the last setup, or pdfinfo is missing.
peers_setup() {
  peers_sync || return 1
  local stamp="$PEERS_DIR/.venv/.bench-requirements"
  if [ -x "$PEERS_DIR/.venv/bin/python" ] && command -v pdfinfo >/dev/null &&
     cmp -s "$PEERS_DIR/requirements.txt" "$stamp" &&
     "$PEERS_DIR/.venv/bin/python" -c 'import typst, weasyprint, reportlab, fpdf, jinja2' 2>/dev/null; then
    log "peers venv ready in $PEERS_DIR (skipping setup.sh)"
    return 0
  fi
  log "setting up peers in $PEERS_DIR (setup.sh)"
  (cd "$PEERS_DIR" && ./setup.sh) >&2 || { log "$PEERS_DIR/setup.sh failed"; return 1; }
  cp "$PEERS_DIR/requirements.txt" "$stamp" || return 1
}

# cargo build --release; returns non-zero (with a message) instead of exiting.
letterkit_build() {
  log "cargo build --release"
  if ! (cd "$ROOT" && cargo build --release) >&2; then
    log "cargo build --release failed"
    return 1
  fi
}

# Is LETTERKIT_BIN built and does it have verb $1? Prints why not.
letterkit_ready() {
  local verb="$1"
  if [ ! -x "$LETTERKIT_BIN" ]; then
    log "letterkit binary not built yet: $LETTERKIT_BIN does not exist (cargo build --release)"
    return 1
  fi
  local help
  help="$("$LETTERKIT_BIN" --help 2>&1 || true)"
  if ! grep -qw -- "$verb" <<<"$help"; then
    log "letterkit binary not built yet: '$LETTERKIT_BIN --help' lists no '$verb' verb"
    return 1
  fi
}
