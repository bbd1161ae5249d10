#!/usr/bin/env bash
# pg-server.sh start|stop DIR [PORT]
#
# Starts (or stops) a private Postgres with wal_level=logical for demos and CI, the same way
# internal/testpg does: initdb into DIR/data, unix socket in DIR, 127.0.0.1:PORT (default: a
# free port), trust auth for local and host connections including replication, log in
# DIR/postgres.log. `start` prints the superuser DSN; export it as DOVETAIL_TEST_PG_DSN to
# make the tests use this server. Runs initdb/postgres as the postgres OS user when root.
# DIR's parent must be traversable by that user. Never touches any other server.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2 port=${3:-}

bin=${DOVETAIL_TEST_PG_BIN:-}
if [ -z "$bin" ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -1 || true)
  [ -n "$bin" ] || bin=$(dirname "$(command -v initdb)")
fi

run() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case $cmd in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if [ -z "$port" ]; then
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    run env LC_ALL=C TZ=UTC "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log"
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = logical
max_replication_slots = 64
max_wal_senders = 64
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
log_timezone = 'UTC'
CONF
    printf '%s\n' "local all all trust" "local replication all trust" \
      "host all all 127.0.0.1/32 trust" "host replication all 127.0.0.1/32 trust" >"$dir/data/pg_hba.conf"
  fi
  run "$bin/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/postgres.log" -o "-p $port" >/dev/null
  echo "$port" >"$dir/port"
  echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  ;;
stop)
  run "$bin/pg_ctl" stop -m fast -w -D "$dir/data" >/dev/null
  ;;
*) usage ;;
esac
