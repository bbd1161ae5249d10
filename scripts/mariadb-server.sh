#!/usr/bin/env bash
# mariadb-server.sh start|stop DIR [PORT]
#
# Starts (or stops) a private MariaDB with a row-based binary log for demos and CI, the same
# way internal/testmaria does: mariadb-install-db into DIR/data, unix socket, tmpdir, binary
# logs and error log (DIR/error.log) in DIR, 127.0.0.1:PORT (default: the port of the last
# start in DIR, else a free port). Every option is on the command line after --no-defaults,
# so the machine's my.cnf files never apply. `start` prints the root DSN (go-sql-driver
# style, password "dovetail"); export it as DOVETAIL_TEST_MYSQL_DSN to make the tests use
# this server. Runs mariadbd as the mysql OS user when root; DIR's parent must be
# traversable by that user. Never touches any other server. SERVER_ID (default 1) sets
# server_id, which must differ between a replication source and its replicas (bench/mysql-sink.sh).
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2 port=${3:-}
server_id=${SERVER_ID:-1}
password=dovetail # testmaria.RootPassword

user_args=()
[ "$(id -u)" = 0 ] && user_args=(--user=mysql)

case $cmd in
start)
  mkdir -p "$dir/tmp"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" = 0 ] && chown mysql: "$dir" "$dir/tmp"
  if [ -z "$port" ] && [ -f "$dir/port" ]; then port=$(cat "$dir/port"); fi
  if [ -z "$port" ]; then
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  fi
  first=
  if [ ! -d "$dir/data/mysql" ]; then
    first=1
    env LC_ALL=C TZ=UTC mariadb-install-db --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" \
      --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
      --innodb-log-file-size=16M "${user_args[@]}" >"$dir/install.log" 2>&1 ||
      { cat "$dir/install.log" >&2; exit 1; }
  fi
  rm -f "$dir/mariadbd.pid"
  env LC_ALL=C TZ=UTC setsid nohup mariadbd --no-defaults \
    --datadir="$dir/data" --tmpdir="$dir/tmp" --socket="$dir/mariadbd.sock" \
    --pid-file="$dir/mariadbd.pid" --log-error="$dir/error.log" \
    --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
    --log-bin="$dir/binlog" --binlog-format=ROW --binlog-row-image=FULL --binlog-row-metadata=FULL \
    --server-id="$server_id" --log-slave-updates --gtid-strict-mode=1 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=2 \
    --sync-binlog=0 --max-connections=300 "${user_args[@]}" >"$dir/mariadbd.out" 2>&1 </dev/null &
  pid=$!
  sql() { mariadb --no-defaults --socket="$dir/mariadbd.sock" -uroot --batch --skip-column-names "$@"; }
  for _ in $(seq 600); do
    sql -e 'SELECT 1' >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "mariadbd exited:" >&2; cat "$dir/error.log" >&2; exit 1; }
    sleep 0.1
  done
  sql -e 'SELECT 1' >/dev/null || { echo "mariadbd not ready after 60s:" >&2; cat "$dir/error.log" >&2; exit 1; }
  if [ -n "$first" ]; then
    sql -e "SET sql_log_bin = 0;
      ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$password';
      ALTER USER 'root'@'::1' IDENTIFIED BY '$password';"
  fi
  mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -p"$password" -e 'SELECT 1' >/dev/null
  echo "$port" >"$dir/port"
  echo "root:$password@tcp(127.0.0.1:$port)/"
  ;;
stop)
  [ -f "$dir/mariadbd.pid" ] || exit 0
  pid=$(cat "$dir/mariadbd.pid")
  kill -TERM "$pid" 2>/dev/null || exit 0
  for _ in $(seq 1200); do
    kill -0 "$pid" 2>/dev/null || exit 0
    sleep 0.1
  done
  echo "mariadbd $pid did not stop within 120s" >&2
  exit 1
  ;;
*) usage ;;
esac
