#!/usr/bin/env bash
# Starts a throw-away PostgreSQL (Debian's postgresql package) for the tests:
# a new cluster in a temp folder, listening on loopback only, trust auth for
# the local user `letterkit`. Prints the URL to export as LETTERKIT_TEST_PG,
# e.g.  export LETTERKIT_TEST_PG=$(bash scripts/start-test-postgres.sh)
# Stop it with: pg_ctl -D "$dir" stop (the folder is printed on stderr).
set -euo pipefail
port="${PGPORT_TEST:-55432}"
# The first free port from there (a server left from an earlier run keeps its own).
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed: apt-get install postgresql" >&2; exit 1; }
dir=$(mktemp -d /tmp/letterkit-pg.XXXXXX)
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
run "'$bin/initdb' -D '$dir/data' -U letterkit --auth=trust -E UTF8 --locale=C.UTF-8 >'$dir/initdb.log' 2>&1"
run "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=off -c max_connections=200\" start >/dev/null"
echo "PostgreSQL for the tests: $dir/data on 127.0.0.1:$port" >&2
echo "postgres://letterkit@127.0.0.1:$port/postgres"
