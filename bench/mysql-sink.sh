#!/usr/bin/env bash
# bench/mysql-sink.sh — Dovetail's MySQL sink vs MariaDB's own replication catching up on the
# same backlog (`make bench-mysql-sink`); bench/sink.sh's counterpart for MariaDB.
#
# 1. Starts three private MariaDB servers under a temp dir (scripts/mariadb-server.sh, free
#    ports, SERVER_ID 1, 2 and 3; each with log_bin, log_slave_updates, GTID strict mode,
#    sync_binlog=0, innodb_flush_log_at_trx_commit=2; buffer pools raised to 256 MB):
#    the source, database bench; the follower, database bench (the native replica) and
#    dv_e2e, dv_apply (Dovetail's followers, one per measurement below); and a second
#    native replica, database bench, applying with slave_parallel_threads. The followers
#    run with their own gtid_domain_id, so the sink's local transactions do not collide
#    with the replicated ones under GTID strict mode.
# 2. Both replicas replicate from the start (CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos),
#    so they get the schema from the source: `sysbench oltp_write_only prepare
#    --table-size=0` (BENCH_TABLES tables sbtestN: id int primary key, k int with a
#    secondary index, c char(120), pad char(60)) and bench_mark (id int primary key, note).
#    Dovetail's sink creates its followers' tables itself; the bench then adds the same
#    secondary index on k to them, so both sides maintain the same indexes.
# 3. Positions every replayer before the workload: `dovetail run` with two sinks (e2e into
#    dv_e2e, apply into dv_apply; a new MySQL pipeline starts at the binlog's end), one
#    priming row per table on the source, waited for in all four followers; then STOP SLAVE
#    on both replicas and SIGTERM to Dovetail.
# 4. The workload, with all stopped, between two FLUSH BINARY LOGS: BENCH_ROWS/5 rows loaded
#    into the tables (sysbench's value shapes, INSERT ... SELECT from the sequence engine,
#    1000 rows a transaction), BENCH_ROWS/5 sysbench oltp_write_only transactions
#    (BENCH_CLIENTS threads; each updates k of one row, c of another, deletes a third and
#    inserts it again: 4 row changes), then the end marker, bench_mark row 2, the last
#    commit. The row changes are counted in those binlog files (mariadb-binlog -v: its
#    INSERT, UPDATE and DELETE rows).
# 5. Each catches up alone, one after the other, timed from its start:
#    a. native: START SLAVE on the replica (one SQL thread, the default) until its bench has
#       the end marker (the SQL thread commits in binlog order, so it has everything before
#       it too);
#    a2. native with slave_parallel_threads=BENCH_PARALLEL_THREADS (optimistic mode; commits
#       stay in binlog order) on the second replica, the same way;
#    b. Dovetail end to end: `dovetail run` (binlog capture into the embedded Kafka and the
#       sink, concurrently) until dv_e2e has the end marker and the sink's dovetail_offsets
#       reach every change topic's end (kcat -Q; the sink applies partitions in parallel,
#       so the marker alone proves only its own table);
#    c. Dovetail apply only: with `dovetail run --role source` serving Kafka (already holding
#       everything after b) and caught up, `dovetail run --role sinks` is timed the same way
#       into dv_apply.
#    `dovetail verify --wait 10m` then compares source and follower for b and c while the
#    processes still run, and `dovetail verify --wait 0` both native replicas; the script
#    exits 1 (after recording) when any of them differs.
#    Dovetail's RSS is sampled every 100 ms and its peak (VmHWM) read; CPU seconds are
#    recorded for Dovetail and for the source's and the follower's mariadbd (whole servers:
#    the dump thread on the source; the replication threads or Dovetail's connections, and
#    InnoDB's background work, on the follower).
# 6. Prints the rates and ratios and replaces today's section in BENCHMARKS.md
#    (BENCH_RECORD=0 skips that).
#
# Environment: BENCH_ROWS (row changes, default 1000000: a fifth of them loaded, the rest
# from BENCH_ROWS/5 sysbench transactions), BENCH_TABLES (default 4), BENCH_CLIENTS (sysbench
# threads, default 4), BENCH_PARALLEL_THREADS (the second native replica's
# slave_parallel_threads, default 4; 0 skips that replica), BENCH_PARALLELISM and BENCH_BATCH
# (the sink's parallelism and batch_size; default: the config's defaults), BENCH_PARTITIONS
# (Kafka partitions per table, default 1, the config's default), DOVETAIL_BIN (default: built
# from this tree into the temp dir), BENCH_KEEP=1 keeps the temp dir, BENCH_RECORD=0 leaves
# BENCHMARKS.md alone, BENCH_PROFILE=1 records the timed apply-only sink with `perf record
# -g` (perf-apply.data in the temp dir, which is then kept).
# Everything it starts is stopped on exit, failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

ROWS=${BENCH_ROWS:-1000000}
TABLES=${BENCH_TABLES:-4}
CLIENTS=${BENCH_CLIENTS:-4}
PTHREADS=${BENCH_PARALLEL_THREADS:-4}
PAR=${BENCH_PARALLELISM:-}
BATCH=${BENCH_BATCH:-}
PARTS=${BENCH_PARTITIONS:-1}
RECORD=${BENCH_RECORD:-1}
knobs=
[ "$ROWS" = 1000000 ] || knobs+="BENCH_ROWS=$ROWS "
[ "$TABLES" = 4 ] || knobs+="BENCH_TABLES=$TABLES "
[ "$CLIENTS" = 4 ] || knobs+="BENCH_CLIENTS=$CLIENTS "
[ "$PTHREADS" = 4 ] || knobs+="BENCH_PARALLEL_THREADS=$PTHREADS "
[ -z "$PAR" ] || knobs+="BENCH_PARALLELISM=$PAR "
[ -z "$BATCH" ] || knobs+="BENCH_BATCH=$BATCH "
[ "$PARTS" = 1 ] || knobs+="BENCH_PARTITIONS=$PARTS "
cmdline="${knobs}make bench-mysql-sink"
# A fifth of the changes loaded (SIZE rows a table), four fifths from TX transactions.
SIZE=$(( ROWS / 5 / TABLES ))
[ "$SIZE" -ge 1 ] || { echo "bench: BENCH_ROWS=$ROWS is too small for $TABLES tables" >&2; exit 2; }
TX=$(( ROWS / 5 ))
LOADTX=1000 # rows per load transaction

command -v sysbench >/dev/null || { echo "bench: no sysbench (run scripts/install-deps.sh)" >&2; exit 1; }
command -v kcat >/dev/null || { echo "bench: no kcat (run scripts/install-deps.sh)" >&2; exit 1; }
binlogbin=$(command -v mariadb-binlog || command -v mysqlbinlog || true)
[ -n "$binlogbin" ] || { echo "bench: no mariadb-binlog (run scripts/install-deps.sh)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/dovetail-bench-mysql-sink.XXXXXX)
chmod 755 "$tmp"
srcdir=$tmp/maria-source dstdir=$tmp/maria-follower pardir=$tmp/maria-parallel
dv_pid= dvsrc_pid= rss_pid= perf_pid= started=()
[ "${BENCH_PROFILE:-0}" = 1 ] && BENCH_KEEP=1
cleanup() {
  local rc=$? d
  trap - EXIT INT TERM
  [ -n "$rss_pid" ] && kill "$rss_pid" 2>/dev/null || true
  [ -n "$perf_pid" ] && kill -INT "$perf_pid" 2>/dev/null || true
  [ -n "$dv_pid" ] && stop_pid "$dv_pid"
  [ -n "$dvsrc_pid" ] && stop_pid "$dvsrc_pid"
  wait 2>/dev/null || true
  for d in "${started[@]}"; do scripts/mariadb-server.sh stop "$d" >/dev/null 2>&1 || true; done
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "bench: temp dir kept: $tmp" >&2
    [ $rc -ne 0 ] && [ -f "$tmp/dovetail.log" ] && { echo "--- tail of $tmp/dovetail.log" >&2; tail -20 "$tmp/dovetail.log" >&2; }
  else
    rm -rf "$tmp"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. bench/lib.sh
. bench/sinklib.sh

dovetail_bin

password=dovetail # scripts/mariadb-server.sh's root password
load0=$(cut -d' ' -f1-3 /proc/loadavg)
log "starting the source, the follower and the parallel replica MariaDB under $tmp (load average $load0)"
# start_maria DIR ID: starts a server with server_id ID.
start_maria() {
  started+=("$1") # before the start: a server that fails to get ready is stopped too
  SERVER_ID=$2 scripts/mariadb-server.sh start "$1" >/dev/null
}
start_maria "$srcdir" 1
start_maria "$dstdir" 2
[ "$PTHREADS" = 0 ] || start_maria "$pardir" 3
srcport=$(cat "$srcdir/port") dstport=$(cat "$dstdir/port")
parport=
[ "$PTHREADS" = 0 ] || parport=$(cat "$pardir/port")
srcpid=$(cat "$srcdir/mariadbd.pid") dstpid=$(cat "$dstdir/mariadbd.pid")
parpid=
[ "$PTHREADS" = 0 ] || parpid=$(cat "$pardir/mariadbd.pid")
# q PORT [DB] SQL...: runs SQL quietly, one value per line.
q() { local p=$1; shift; mariadb --no-defaults -h127.0.0.1 -P"$p" -uroot -p"$password" --batch --skip-column-names "$@"; }
src() { q "$srcport" "$@"; }
dst() { q "$dstport" "$@"; }
par() { q "$parport" "$@"; }
dsn() { echo "root:$password@tcp(127.0.0.1:$1)/$2"; }
mver=$(src -e 'SELECT VERSION()')

# 256 MB buffer pools (the script's 64 MB is for tests): the backlog's tables fit in each.
for p in "$srcport" "$dstport" $parport; do q "$p" -e 'SET GLOBAL innodb_buffer_pool_size = 268435456'; done
dst -e 'SET GLOBAL gtid_domain_id = 2'
[ -z "$parport" ] || par -e 'SET GLOBAL gtid_domain_id = 3'
replicate() {
  q "$1" -e "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = $srcport, MASTER_USER = 'root',
    MASTER_PASSWORD = '$password', MASTER_USE_GTID = slave_pos; START SLAVE"
}
replicate "$dstport"
[ -z "$parport" ] || replicate "$parport"

src -e 'CREATE DATABASE bench'
sb=(sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$srcport" --mysql-user=root
  --mysql-password="$password" --mysql-db=bench --tables="$TABLES" --table-size="$SIZE")
"${sb[@]}" --table-size=0 prepare >"$tmp/sysbench-prepare.log" 2>&1 || { cat "$tmp/sysbench-prepare.log" >&2; exit 1; }
src bench -e 'CREATE TABLE bench_mark (id int NOT NULL PRIMARY KEY, note varchar(32) NOT NULL)'
dst -e 'CREATE DATABASE dv_e2e; CREATE DATABASE dv_apply'
tabs=$(seq -f 'sbtest%g' 1 "$TABLES" | tr '\n' ' ')

# ---- positioning: both replicas and Dovetail, all stopped after a priming row per table ----
bport=$(freeport) rport=$(freeport) hport=$(freeport) hport2=$(freeport)
# config FILE SINK...: a pipeline config with the sinks named (e2e, apply: into dv_<name> on
# the follower; native and parallel: the replicas' bench, for verify only). Binlog
# heartbeats are on: the pipeline stores its position in Kafka at most once a second and
# only when something new arrives, so without them the position after the backlog's last
# transaction would never be stored while the binlog is idle, and `dovetail verify`, which
# waits for it, would wait until its deadline. The server sends them only while the binlog
# is idle, so none come during a catch-up.
config() {
  local f=$1 s; shift
  cat >"$f" <<YAML
name: bench
data_dir: $tmp/dovetail-data
source:
  kind: mysql
  dsn: \${BENCH_MYSQL_DSN}
  tables: [bench.*]
  heartbeat_interval: 1s
  mysql:
    server_id: 4242
kafka:
  listen: 127.0.0.1:$bport
  partitions: $PARTS
schema_registry:
  listen: 127.0.0.1:$rport
http:
  listen: 127.0.0.1:$hport
sinks:
YAML
  for s in "$@"; do
    local d
    case $s in
      native) d=$(dsn "$dstport" bench) ;;
      parallel) d=$(dsn "$parport" bench) ;;
      *) d=$(dsn "$dstport" "dv_$s") ;;
    esac
    cat >>"$f" <<YAML
  - name: $s
    kind: mysql
    dsn: $d
YAML
    [ -z "$PAR" ] || echo "    parallelism: $PAR" >>"$f"
    [ -z "$BATCH" ] || echo "    batch_size: $BATCH" >>"$f"
  done
}
config "$tmp/prime.yaml" e2e apply
config "$tmp/e2e.yaml" e2e
config "$tmp/apply.yaml" apply
config "$tmp/native.yaml" native
[ -z "$parport" ] || config "$tmp/parallel.yaml" parallel
export BENCH_MYSQL_DSN=$(dsn "$srcport" "")
# metric PORT NAME: the sum of a metric's samples, as an integer.
metric() { curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v m="$2" '$1 ~ "^"m"[{ ]" || $1 == m { s += $NF } END { printf "%.0f\n", s }'; }
ready() { curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; }

# rows PORT DB: the rows of the bench tables in DB together.
rows() {
  local t sel="SELECT (SELECT count(*) FROM bench_mark)"
  for t in $tabs; do sel+=" + (SELECT count(*) FROM $t)"; done
  q "$1" "$2" -e "$sel" 2>/dev/null
}
has_rows() { [ "$(rows "$1" "$2")" = "$3" ]; }

log "positioning: both replicas and dovetail (sinks e2e and apply) apply one priming row per table"
start_dovetail "$tmp/prime.yaml"
wait_for "dovetail ready" 30 ready "$hport"
nap 0.5
prime="INSERT INTO bench_mark VALUES (1, 'primed');"
for t in $tabs; do prime+="INSERT INTO $t VALUES (2000000000, 0, 'prime', 'prime');"; done
src bench -e "$prime"
want=$((TABLES + 1))
wait_for "priming rows in the replica" 60 has_rows "$dstport" bench "$want"
[ -z "$parport" ] || wait_for "priming rows in the parallel replica" 60 has_rows "$parport" bench "$want"
wait_for "priming rows in dv_e2e" 60 has_rows "$dstport" dv_e2e "$want"
wait_for "priming rows in dv_apply" 60 has_rows "$dstport" dv_apply "$want"
dst -e 'STOP SLAVE'
[ -z "$parport" ] || par -e 'STOP SLAVE'
nap 0.5 # for the last commit's position to reach Dovetail's stored offsets
stop dv_pid
# The same secondary index as the source's (and so the replicas') tables.
for t in $tabs; do
  for db in dv_e2e dv_apply; do dst "$db" -e "CREATE INDEX k_${t#sbtest} ON $t (k)"; done
done
dst bench -e 'SHOW CREATE TABLE sbtest1' >"$tmp/table-native.txt"
dst dv_e2e -e 'SHOW CREATE TABLE sbtest1' >"$tmp/table-dovetail.txt"
log "  replica:  $(tr '\n' ' ' <"$tmp/table-native.txt" | sed 's/\\n/ /g; s/  */ /g')"
log "  dovetail: $(tr '\n' ' ' <"$tmp/table-dovetail.txt" | sed 's/\\n/ /g; s/  */ /g')"
log "  replica at gtid $(dst -e 'SELECT @@gtid_slave_pos'), source at $(src -e 'SELECT @@gtid_binlog_pos')"

# ---- the workload ----
binlog_files() { src -e 'SHOW BINARY LOGS' | awk '{ print $1 }'; }
log "workload: $((SIZE * TABLES)) rows loaded into $TABLES tables, then $TX sysbench oltp_write_only transactions ($CLIENTS threads), then the end marker"
src -e 'FLUSH BINARY LOGS'
first=$(binlog_files | tail -1)
gtid0=$(src -e 'SELECT @@gtid_binlog_pos')
t0=$(now)
g='LPAD(FLOOR(RAND() * 1e11), 11, 0)'
for t in $tabs; do
  for ((k = 1; k <= SIZE; k += LOADTX)); do
    echo "INSERT INTO $t SELECT seq, FLOOR(1 + RAND() * $SIZE), CONCAT_WS('-', $g, $g, $g, $g, $g, $g, $g, $g, $g, $g),
      CONCAT_WS('-', $g, $g, $g, $g, $g) FROM seq_${k}_to_$(( k + LOADTX - 1 < SIZE ? k + LOADTX - 1 : SIZE ));"
  done
done | src bench
tl=$(now)
"${sb[@]}" --threads="$CLIENTS" --events="$TX" --time=0 --rand-seed=42 --report-interval=0 run >"$tmp/sysbench-run.log" 2>&1 ||
  { cat "$tmp/sysbench-run.log" >&2; exit 1; }
src bench -e "INSERT INTO bench_mark VALUES (2, 'end')"
src -e 'FLUSH BINARY LOGS'
gtid1=$(src -e 'SELECT @@gtid_binlog_pos')
last=$(binlog_files | tail -1)
files=$(binlog_files | awk -v a="$first" -v b="$last" '$1 >= a && $1 < b' | tr '\n' ' ')
files=${files% }
binmb=$(src -e 'SHOW BINARY LOGS' | awk -v l=" $files " 'index(l, " "$1" ") { s += $2 } END { printf "%.0f", s / 1048576 }')
tps=$(awk '/transactions:/ { gsub(/[(]/, "", $3); printf "%.0f", $3; exit }' "$tmp/sysbench-run.log")
ignored=$(awk '/ignored errors:/ { print $3; exit }' "$tmp/sysbench-run.log")
log "  written in $(elapsed "$t0" "$(now)")s (load $(elapsed "$t0" "$tl")s; sysbench $tps tps, $ignored ignored errors); binlog $files ($binmb MB), gtid $gtid0 -> $gtid1"
# The row changes: the rows of the workload's binlog events.
# shellcheck disable=SC2086
"$binlogbin" --no-defaults --read-from-remote-server --host=127.0.0.1 --port="$srcport" --user=root --password="$password" \
  -v --base64-output=DECODE-ROWS $files | awk '/^### INSERT INTO/ { i++ } /^### UPDATE/ { u++ } /^### DELETE FROM/ { d++ }
    END { printf "%d %d %d\n", i, u, d }' >"$tmp/changes.txt"
read -r n_ins n_upd n_del <"$tmp/changes.txt"
CHANGES=$(( n_ins + n_upd + n_del ))
log "  $CHANGES row changes in the binlog: $n_ins inserts, $n_upd updates, $n_del deletes"

marker() { [ "$(q "$1" "$2" -e 'SELECT count(*) FROM bench_mark WHERE id = 2' 2>/dev/null)" = 1 ]; }
# io_pos PORT: the replica's Gtid_IO_Pos, the last GTID its IO thread wrote to the relay log.
io_pos() {
  mariadb --no-defaults -h127.0.0.1 -P"$1" -uroot -p"$password" --batch -e 'SHOW SLAVE STATUS' 2>/dev/null |
    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "Gtid_IO_Pos") c = i; next } c { print $c }'
}

# native PORT PID THREADS: START SLAVE on the replica on PORT (mariadbd PID) with
# slave_parallel_threads THREADS, until its bench has the end marker; sets nsecs, ncpu (the
# replica's mariadbd), nsrccpu (the source's) and nio (seconds until the IO thread had
# the whole backlog, as seen by the polls).
native() {
  local port=$1 pid=$2 threads=$3 s0 r0 t1 ti=
  q "$port" -e "SET GLOBAL slave_parallel_threads = $threads; SET GLOBAL slave_parallel_mode = optimistic"
  r0=$(ticks "$pid") s0=$(ticks "$srcpid")
  t0=$(now)
  q "$port" -e 'START SLAVE'
  until marker "$port" bench; do
    if [ -z "$ti" ] && [ "$(io_pos "$port")" = "$gtid1" ]; then ti=$(now); fi
    [ $(( ${EPOCHREALTIME%.*} - ${t0%.*} )) -lt 1800 ] || { echo "bench: native replication not caught up in 1800s" >&2; exit 1; }
    nap 0.1
  done
  t1=$(now)
  [ -n "$ti" ] || ti=$t1
  ncpu=$(tsecs "$r0" "$(ticks "$pid")") nsrccpu=$(tsecs "$s0" "$(ticks "$srcpid")")
  nsecs=$(elapsed "$t0" "$t1") nio=$(elapsed "$t0" "$ti")
  q "$port" -e 'STOP SLAVE'
  local st
  st=$(q "$port" -e 'SELECT @@gtid_slave_pos')
  [ "$st" = "$gtid1" ] || log "  (replica at gtid $st, source at $gtid1)"
}

# ---- a. native replication, one SQL thread ----
log "a. native: START SLAVE (slave_parallel_threads 0), until the replica has the end marker"
native "$dstport" "$dstpid" 0
nat_secs=$nsecs nat_cpu=$ncpu nat_srccpu=$nsrccpu nat_io=$nio
log "  ${nat_secs}s, $(rate "$CHANGES" "$nat_secs") changes/s (IO thread had the backlog after ~${nat_io}s); CPU: replica mariadbd ${nat_cpu}s, source mariadbd ${nat_srccpu}s"

# ---- a2. native replication, parallel ----
if [ -n "$parport" ]; then
  log "a2. native: START SLAVE with slave_parallel_threads $PTHREADS (optimistic) on the second replica"
  native "$parport" "$parpid" "$PTHREADS"
  npar_secs=$nsecs npar_cpu=$ncpu npar_srccpu=$nsrccpu npar_io=$nio
  log "  ${npar_secs}s, $(rate "$CHANGES" "$npar_secs") changes/s (IO thread had the backlog after ~${npar_io}s); CPU: replica mariadbd ${npar_cpu}s, source mariadbd ${npar_srccpu}s"
fi

# applied SINK DB: "topic:partition:next offset" of every partition SINK stored in DB, sorted.
applied() { dst "$2" -e "SELECT CONCAT(topic, ':', \`partition\`, ':', \`offset\` + 1) FROM dovetail_offsets WHERE sink = 'bench/$1'" | LC_ALL=C sort; }
# caught_up SINK DB: DB has the end marker and SINK applied every change topic to its end.
caught_up() {
  marker "$dstport" "$2" || return 1
  local want
  want=$(change_topic_ends)
  [ -n "$want" ] && [ "$(applied "$1" "$2")" = "$want" ]
}

# dv_wait SINK DB PID PORT: polls until SINK caught up in DB (timed from t0, a global) while
# PID (the timed dovetail) runs; sets dvsecs, dvfirst (seconds until the sink's first
# applied record, from /metrics on PORT), dvsrc (seconds until PID's source had handed over
# every change: "-" when it runs none), dvrecs (its records), dvhwm (VmHWM, KB), dvcpu,
# dvdcpu (the follower's mariadbd) and dvscpu (the source's), from d0 and s0 (globals: the
# servers' ticks at t0).
dv_wait() {
  local sink=$1 db=$2 pid=$3 port=$4 tf= ts=
  rm -f "$tmp/cpu-dv" "$tmp/rss.txt"
  cpu_watch "$pid" "$tmp/cpu-dv" "$tmp/rss.txt"
  rss_pid=$!
  until caught_up "$sink" "$db"; do
    kill -0 "$pid" 2>/dev/null || { echo "bench: dovetail died" >&2; exit 1; }
    if [ -z "$tf" ] && [ "$(metric "$port" dovetail_sink_records_total)" -gt 0 ]; then tf=$(now); fi
    if [ -z "$ts" ] && [ "$port" = "$hport" ] && [ "$(metric "$port" dovetail_source_changes_total)" -ge "$CHANGES" ]; then ts=$(now); fi
    [ $(( ${EPOCHREALTIME%.*} - ${t0%.*} )) -lt 1800 ] || { echo "bench: sink $sink not caught up in 1800s" >&2; exit 1; }
    nap 0.1
  done
  t1=$(now)
  [ -n "$tf" ] || tf=$t1
  dvdcpu=$(tsecs "$d0" "$(ticks "$dstpid")") dvscpu=$(tsecs "$s0" "$(ticks "$srcpid")")
  dvhwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
  nap 0.15
  dvcpu=$(secs "$tmp/cpu-dv")
  dvrecs=$(metric "$port" dovetail_sink_records_total)
  dvsecs=$(elapsed "$t0" "$t1") dvfirst=$(elapsed "$t0" "$tf") dvsrc=-
  [ -z "$ts" ] || dvsrc=$(elapsed "$t0" "$ts")
  kill "$rss_pid" 2>/dev/null || true
  wait "$rss_pid" 2>/dev/null || true
  rss_pid=
}

# ---- b. Dovetail end to end ----
log "b. dovetail run (capture to Kafka and sink e2e), until dv_e2e has the end marker and every change topic's end"
d0=$(ticks "$dstpid") s0=$(ticks "$srcpid")
t0=$(now)
start_dovetail "$tmp/e2e.yaml"
dv_wait e2e dv_e2e "$dv_pid" "$hport"
e2e_secs=$dvsecs e2e_first=$dvfirst e2e_src=$dvsrc e2e_recs=$dvrecs e2e_hwm=$dvhwm e2e_cpu=$dvcpu e2e_dcpu=$dvdcpu e2e_scpu=$dvscpu
e2e_changes=$(metric "$hport" dovetail_source_changes_total)
e2e_krecs=$(metric "$hport" dovetail_kafka_records_total)
ends=$(change_topic_ends | tr '\n' ' ')
log "  ${e2e_secs}s, $(rate "$CHANGES" "$e2e_secs") changes/s (first applied after ${e2e_first}s, source done after ${e2e_src}s); source: $e2e_changes changes," \
  "$e2e_krecs records; sink: $e2e_recs records; CPU: dovetail ${e2e_cpu}s, follower mariadbd ${e2e_dcpu}s, source mariadbd ${e2e_scpu}s;" \
  "peak RSS $((e2e_hwm / 1024)) MB; topic ends: $ends"
[ "$e2e_changes" = "$CHANGES" ] || log "  NOTE: dovetail counted $e2e_changes source changes, the binlog has $CHANGES"
verify_sink "$tmp/e2e.yaml" 10m
e2e_verify=$vres
stop dv_pid

# ---- c. Dovetail apply only ----
log "c. dovetail run --role source serving Kafka; dovetail run --role sinks (sink apply) timed until dv_apply caught up"
"$bin" run -c "$tmp/apply.yaml" --role source >>"$tmp/dovetail.log" 2>&1 &
dvsrc_pid=$!
dv_pid=$dvsrc_pid
wait_for "dovetail --role source ready" 30 ready "$hport"
dv_pid=
bsrc0=$(ticks "$dvsrc_pid") d0=$(ticks "$dstpid") s0=$(ticks "$srcpid")
t0=$(now)
start_dovetail "$tmp/apply.yaml" --role sinks --http-listen "127.0.0.1:$hport2"
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
  perf record -q -F 999 -g -p "$dv_pid" -o "$tmp/perf-apply.data" >>"$tmp/perf.log" 2>&1 &
  perf_pid=$!
fi
dv_wait apply dv_apply "$dv_pid" "$hport2"
app_secs=$dvsecs app_first=$dvfirst app_recs=$dvrecs app_hwm=$dvhwm app_cpu=$dvcpu app_dcpu=$dvdcpu
app_srccpu=$(tsecs "$bsrc0" "$(ticks "$dvsrc_pid")")
[ -z "$perf_pid" ] || { kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" 2>/dev/null || true; perf_pid=; }
apply_sum=$(curl -fsS "http://127.0.0.1:$hport2/metrics" | awk '$1 ~ /^dovetail_sink_apply_seconds_(sum|count)/ { printf "%s ", $NF }')
log "  ${app_secs}s, $(rate "$CHANGES" "$app_secs") changes/s (first applied after ${app_first}s); sink: $app_recs records;" \
  "batches: $apply_sum(seconds, count); CPU: dovetail sinks ${app_cpu}s, dovetail source (serving Kafka) ${app_srccpu}s, follower mariadbd ${app_dcpu}s;" \
  "peak RSS $((app_hwm / 1024)) MB"
verify_sink "$tmp/apply.yaml" 10m
app_verify=$vres
stop dv_pid
stop dvsrc_pid

log "verify of the native replicas (--wait 0: they keep no dovetail_offsets)"
verify_sink "$tmp/native.yaml" 0
nat_verify=$vres
npar_verify=
if [ -n "$parport" ]; then
  verify_sink "$tmp/parallel.yaml" 0
  npar_verify=$vres
fi

# ---- results ----
r_nat=$(rate "$CHANGES" "$nat_secs") r_e2e=$(rate "$CHANGES" "$e2e_secs") r_app=$(rate "$CHANGES" "$app_secs")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ratio_e2e=$(ratio "$nat_secs" "$e2e_secs") ratio_app=$(ratio "$nat_secs" "$app_secs")
aim=no
awk -v a="$ratio_app" 'BEGIN { exit !(a >= 1.0) }' && aim=yes
par_row= par_ratio= par_verify=
if [ -n "$parport" ]; then
  r_npar=$(rate "$CHANGES" "$npar_secs")
  par_row="| native, slave_parallel_threads $PTHREADS (optimistic), second replica | ${npar_secs}s | $r_npar/s | replica mariadbd $npar_cpu, source mariadbd $npar_srccpu | |
"
  par_ratio="- Against the parallel native replica: end to end **$(ratio "$npar_secs" "$e2e_secs")**, apply only
  **$(ratio "$npar_secs" "$app_secs")**.
"
  par_verify=" Parallel replica: $npar_verify."
fi

day=$(date +%F)
cpu=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }')
[ -n "$cpu" ] || cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GB", $2 / 1024 / 1024 }' /proc/meminfo)
machine="$(nproc) CPUs ($cpu), $mem RAM, $(uname -sr), load average $load0 at the start and $(cut -d' ' -f1-3 /proc/loadavg) at the end"
gover=$(go version 2>/dev/null | awk '{ print $3 }')
dvver=$("$bin" version 2>/dev/null | head -1 || true)
sbver=$(sysbench --version | head -1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- cmd configs pipelines sources sinks schema internal go.mod go.sum 2>/dev/null)" ] || commit="$commit+dirty"
sinkopts="defaults (batch_size 2000, linger 100ms, parallelism 4)"
[ -z "$PAR$BATCH" ] || sinkopts="parallelism ${PAR:-4}, batch_size ${BATCH:-2000}"

section=$(cat <<EOF
## $day — $(hostname) — MariaDB sink vs native replication

- Machine: $machine;
  MariaDB $mver (private servers from scripts/mariadb-server.sh, source and followers:
  log_bin, log_slave_updates, sync_binlog=0, innodb_flush_log_at_trx_commit=2, 256 MB buffer
  pool); $gover; dovetail $commit${dvver:+ ($dvver)}; $sbver.
- Command: \`$cmdline\` (bench/mysql-sink.sh).
- Backlog: $((SIZE * TABLES)) rows loaded into $TABLES sysbench tables (id int key, k int with a
  secondary index, c char(120), pad char(60); $LOADTX rows a transaction), $TX sysbench
  oltp_write_only transactions ($CLIENTS threads, $tps tps: an update of k, an update of c,
  a delete and an insert each), an end-marker row: **$CHANGES row changes** ($n_ins inserts,
  $n_upd updates, $n_del deletes, counted in the binlog), $binmb MB of binlog. Written while
  the replicas' slave threads were stopped and Dovetail stopped, all positioned before it.
- Each catches up alone, timed from its start until the follower has everything: native
  (\`START SLAVE\`, \`MASTER_USE_GTID=slave_pos\`) until the replica has the end marker;
  Dovetail until its follower has the end marker and the sink's \`dovetail_offsets\` reach
  every change topic's end. Rates are source row changes per second. Dovetail's sink:
  $sinkopts; embedded Kafka, $PARTS partition(s) per table.
  Its follower tables (created by the sink) got the source's secondary index on k before
  the workload. The native replica
  and Dovetail's followers are databases of one follower server; CPU seconds of mariadbd are
  the whole server's over the timed run.

| replay | time | rate | CPU seconds | peak RSS |
| --- | --- | --- | --- | --- |
| native: \`START SLAVE\` (one SQL thread, the default) | ${nat_secs}s | **$r_nat/s** | replica mariadbd $nat_cpu, source mariadbd $nat_srccpu | |
${par_row}| Dovetail end to end: \`dovetail run\` (capture to Kafka + sink) | ${e2e_secs}s | **$r_e2e/s** | dovetail $e2e_cpu, follower mariadbd $e2e_dcpu, source mariadbd $e2e_scpu | $((e2e_hwm / 1024)) MB |
| Dovetail apply only: \`dovetail run --role sinks\`, Kafka holding the backlog | ${app_secs}s | **$r_app/s** | dovetail (sinks) $app_cpu, dovetail (source, serving Kafka) $app_srccpu, follower mariadbd $app_dcpu | $((app_hwm / 1024)) MB |
| **Dovetail / native** (rate ratio, one SQL thread) | end to end **$ratio_e2e**, apply only **$ratio_app** | | | |

${par_ratio}- Native: the replica's IO thread had the whole backlog in its relay log after ~${nat_io}s
  (one SQL thread)${npar_io:+ and ~${npar_io}s (parallel)}. Dovetail end to end: its source had handed
  over every change after ${e2e_src}s. Dovetail's first applied record: ${e2e_first}s (end to
  end) and ${app_first}s (apply only) after process start. Source: $e2e_changes changes,
  $e2e_krecs Kafka records (change records, a tombstone per delete, heartbeats); sink:
  $e2e_recs and $app_recs records applied.
- \`dovetail verify --wait 10m\`: end to end: $e2e_verify; apply only: $app_verify.
  Native replica (\`--wait 0\`): $nat_verify.$par_verify

Aim "Dovetail's apply at least as fast as native replication" (apply only, against one SQL
thread): **$aim** (ratio $ratio_app).
EOF
)

echo
echo "$section"
echo

if [ "$RECORD" = 1 ]; then
  record_section "$section"
fi
if [ "${verify_failed:-0}" = 1 ]; then
  log "a follower differs from the source (see verify above): the rates are not of a correct replay"
  exit 1
fi
