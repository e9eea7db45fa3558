#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL cluster for the test suite on a free loopback port.
#   scripts/pg.sh start DIR    -> new cluster in DIR/data; prints the SQLAlchemy URL on stdout
#   scripts/pg.sh resume DIR   -> start the existing cluster in DIR/data (e.g. a copy of a saved
#                                 one) on a new free port; prints the URL
#   scripts/pg.sh stop DIR
# PG_EXTRA_OPTS (optional) is appended to the server options, e.g. "-c max_connections=300".
set -euo pipefail
cmd="$1"; dir="$2"
bindir=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bindir="$d"; done
[ -n "$bindir" ] || bindir="$(dirname "$(command -v initdb)")"
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
serve() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off ${PG_EXTRA_OPTS:-}" start >/dev/null
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_pg "$bindir/initdb" -D "$dir/data" -U greensword --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    serve
    as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U greensword greensword_test
    echo "postgresql+psycopg://greensword@127.0.0.1:$port/greensword_test"
    ;;
  resume)
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
    serve
    echo "postgresql+psycopg://greensword@127.0.0.1:$port/greensword_test"
    ;;
  stop)
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    ;;
esac
