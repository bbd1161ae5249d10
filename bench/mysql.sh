#!/usr/bin/env bash
# bench/mysql.sh — Dovetail vs mariadb-binlog on the same binlog (`make bench-mysql`).
#
# 1. Starts a private MariaDB under a temp dir (scripts/mariadb-server.sh, free port; log_bin,
#    ROW, FULL row image, GTID).
# 2. Creates two 10-column tables (bigint pk, int, varchar, decimal(12,2), datetime(6),
#    tinyint, json, char(36), double, varchar): bench_rows and bench_big, and bench_mark (one
#    row written before the workload, see 3).
# 3. Starts Dovetail once (no stored position: it starts at the binlog's end), writes one row
#    to bench_mark, waits until Kafka acknowledged its record and stops Dovetail (SIGTERM),
#    checking that the position it stored in its offsets topic is the one after that row.
#    Then FLUSH BINARY LOGS, so the workload starts a binlog file of its own.
# 4. Phase 1: writes BENCH_ROWS row changes (60% inserts, 30% updates, 10% deletes) in
#    transactions of BENCH_TX rows (a procedure: INSERT ... SELECT from the sequence engine,
#    UPDATE ... WHERE id BETWEEN, DELETE ... WHERE id BETWEEN, each statement its own
#    transaction), then FLUSH BINARY LOGS again: the workload is exactly the binlog files
#    between the two flushes (their GTIDs and sizes are logged). Then it reads them:
#      - mariadb-binlog --read-from-remote-server -v --base64-output=DECODE-ROWS <files>
#        to /dev/null (decodes every row to pseudo-SQL: the reference of the aim), then
#        without -v (parses the events, prints no rows)
#      - dovetail run (embedded broker and registry), resuming from its stored position,
#        until Kafka acknowledged every record (dovetail_kafka_records_total reaches
#        inserts + updates + 2 x deletes: each delete is a change record and a tombstone;
#        heartbeats are off so none count)
# 5. Phase 2: one transaction inserting BENCH_BIG_ROWS rows into bench_big; the same drains
#    (Dovetail resumes where phase 1 stopped it).
#    Throughout, Dovetail's RSS is sampled every 100 ms and its peak (VmHWM) read; the CPU
#    time of each reader and of mariadbd (the whole server, idle but for the dump thread) is
#    recorded.
# 6. Prints the rates and ratios and replaces today's MariaDB section in BENCHMARKS.md
#    (BENCH_RECORD=0 skips that).
#
# Environment: BENCH_ROWS (default 1000000), BENCH_BIG_ROWS (default BENCH_ROWS), BENCH_TX
# (rows per transaction, default 1000), BENCH_REPEAT (how often each phase's reads run in
# turn, default 3; the run with the median ratio is reported), BENCH_TRANSFORMS=1 (each
# run also drains with a chain of five source transforms and reports the throughput it
# keeps), DOVETAIL_BIN (default: built from this tree into the
# temp dir), BENCH_KEEP=1 keeps the temp dir, BENCH_RECORD=0 leaves BENCHMARKS.md alone,
# BENCH_ORDER=dovetail-first runs Dovetail before mariadb-binlog, BENCH_PROFILE=1 records
# Dovetail's timed runs with `perf record -g` (perf-phase<N>.data in the temp dir, which is
# then kept; `perf report -i` them), BENCH_PARTITIONS (default 1) and BENCH_COMPRESSION
# (default lz4, the config's default) set the pipeline's kafka.partitions and compression.
# Everything it starts is stopped on exit, failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

ROWS=${BENCH_ROWS:-1000000}
BIG=${BENCH_BIG_ROWS:-$ROWS}
TX=${BENCH_TX:-1000}
RECORD=${BENCH_RECORD:-1}
REPEAT=${BENCH_REPEAT:-3}
TRANSFORMS=${BENCH_TRANSFORMS:-0}
cmdline="make bench-mysql"
[ "$ROWS" = 1000000 ] && [ "$BIG" = 1000000 ] && [ "$TX" = 1000 ] || cmdline="BENCH_ROWS=$ROWS BENCH_BIG_ROWS=$BIG BENCH_TX=$TX make bench-mysql"
[ "$REPEAT" = 3 ] || cmdline="BENCH_REPEAT=$REPEAT $cmdline"
[ "$TRANSFORMS" = 0 ] || cmdline="BENCH_TRANSFORMS=1 $cmdline"

# The workload: of ROWS changes, 60% inserts, 30% updates, 10% deletes (of inserted rows).
INS=$((ROWS * 6 / 10))
UPD=$((ROWS * 3 / 10))
DEL=$((ROWS - INS - UPD))

binlogbin=$(command -v mariadb-binlog || command -v mysqlbinlog || true)
[ -n "$binlogbin" ] || { echo "bench: no mariadb-binlog (run scripts/install-deps.sh)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/dovetail-bench-mysql.XXXXXX)
chmod 755 "$tmp"
mdir=$tmp/maria
dv_pid= rss_pid= maria_started=
[ "${BENCH_PROFILE:-0}" = 1 ] && BENCH_KEEP=1
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$rss_pid" ] && kill "$rss_pid" 2>/dev/null || true
  if [ -n "$dv_pid" ] && kill -0 "$dv_pid" 2>/dev/null; then
    kill "$dv_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$dv_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$dv_pid" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  [ -n "$maria_started" ] && { scripts/mariadb-server.sh stop "$mdir" >/dev/null 2>&1 || true; }
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

dovetail_bin

load0=$(cut -d' ' -f1-3 /proc/loadavg)
log "starting MariaDB under $mdir (load average $load0)"
DSN=$(scripts/mariadb-server.sh start "$mdir")
maria_started=1
mport=$(cat "$mdir/port")
mpid=$(cat "$mdir/mariadbd.pid")
password=dovetail # scripts/mariadb-server.sh's root password
sql() { mariadb --no-defaults -h127.0.0.1 -P"$mport" -uroot -p"$password" --batch --skip-column-names "$@"; }
mver=$(sql -e 'SELECT VERSION()')

sql <<'SQL'
CREATE DATABASE bench;
USE bench;
CREATE TABLE bench_rows (
  id     bigint NOT NULL PRIMARY KEY,
  qty    int NOT NULL,
  label  varchar(64) NOT NULL,
  price  decimal(12,2),
  ts     datetime(6) NOT NULL,
  active tinyint,
  attrs  json,
  ref    char(36),
  score  double,
  code   varchar(32)
);
CREATE TABLE bench_big LIKE bench_rows;
CREATE TABLE bench_mark (id int NOT NULL PRIMARY KEY, note varchar(32));
-- Every statement is its own transaction (autocommit): ins rows inserted, then upd updated,
-- then the last del inserted deleted, tx rows a statement.
DELIMITER //
CREATE PROCEDURE bench_load(ins bigint, upd bigint, del bigint, tx int)
BEGIN
  DECLARE k bigint DEFAULT 1;
  WHILE k <= ins DO
    INSERT INTO bench_rows
    SELECT seq, seq % 1000, CONCAT('customer name ', seq), (seq % 100000) / 100 + 0.99,
           TIMESTAMP'2024-07-01 12:00:00' + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND,
           seq % 2, JSON_OBJECT('sku', CONCAT('A-', seq), 'qty', seq % 7, 'tags', JSON_ARRAY('x', 'y')),
           MD5(seq) , seq * 1.5, CONCAT('C', seq % 100000)
    FROM seq_1_to_100000000 WHERE seq BETWEEN k AND LEAST(k + tx - 1, ins);
    SET k = k + tx;
  END WHILE;
  SET k = 1;
  WHILE k <= upd DO
    UPDATE bench_rows SET qty = qty + 1, price = price + 1, score = score * 2, active = 1 - active,
           ts = ts + INTERVAL 1 DAY
    WHERE id BETWEEN k AND LEAST(k + tx - 1, upd);
    SET k = k + tx;
  END WHILE;
  SET k = ins - del + 1;
  WHILE k <= ins DO
    DELETE FROM bench_rows WHERE id BETWEEN k AND LEAST(k + tx - 1, ins);
    SET k = k + tx;
  END WHILE;
END //
DELIMITER ;
SQL

bport=$(freeport) rport=$(freeport) hport=$(freeport)
cfg=$tmp/bench.yaml
cat >"$cfg" <<YAML
name: bench
data_dir: $tmp/dovetail-data
source:
  kind: mysql
  dsn: \${BENCH_MYSQL_DSN}
  tables: [bench.bench_rows, bench.bench_big, bench.bench_mark]
  heartbeat_interval: 0s
  mysql:
    server_id: 4242
kafka:
  listen: 127.0.0.1:$bport
  partitions: ${BENCH_PARTITIONS:-1}
  compression: ${BENCH_COMPRESSION:-lz4}
schema_registry:
  listen: 127.0.0.1:$rport
http:
  listen: 127.0.0.1:$hport
YAML
export BENCH_MYSQL_DSN=$DSN
# With BENCH_TRANSFORMS=1 each run also drains with this config: the same pipeline with a
# chain of five source transforms (issue 6's benchmark chain), from the same stored
# position, to measure what the chain costs end to end.
txcfg=$tmp/bench-transforms.yaml
{ cat "$cfg"; cat <<'YAML'; } >"$txcfg"
transforms:
  - filter: { tables: [bench.bench_*], where: "row.code != 'draft' && row.qty >= 0" }
  - mask: { columns: [bench.bench_*.label], with: "****" }
  - hash: { columns: [bench.bench_*.ref], salt: pepper }
  - drop_columns: { columns: [bench.bench_*.attrs] }
  - rename: { table: bench.bench_rows, to: rows_v2 }
YAML
metrics() { curl -fsS "http://127.0.0.1:$hport/metrics" 2>/dev/null || true; }
# metric NAME: the sum of a metric's samples of the bench pipeline, as an integer.
metric() { metrics | awk -v m="$1" '$1 ~ "^"m"[{ ]" || $1 == m { s += $NF } END { printf "%.0f\n", s }'; }

# start_dovetail [PERFDATA]: starts dovetail in the background (recorded by perf into
# PERFDATA when given).
start_dovetail() {
  "$bin" run -c "${run_cfg:-$cfg}" >>"$tmp/dovetail.log" 2>&1 &
  dv_pid=$!
  [ -z "${1:-}" ] || perf record -q -F 999 -g -p "$dv_pid" -o "$1" >>"$tmp/perf.log" 2>&1 &
}
stop_dovetail() {
  kill -TERM "$dv_pid"
  local rc=0
  wait "$dv_pid" || rc=$?
  dv_pid=
  [ $rc -eq 0 ] || { echo "bench: dovetail exited $rc" >&2; exit 1; }
}
# streaming: a replica connection (Dovetail's) is reading the binlog.
streaming() { [ "$(sql -e "SELECT count(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'")" -ge 1 ]; }
wait_streaming() {
  for _ in $(seq 1 300); do
    streaming && return 0
    kill -0 "$dv_pid" 2>/dev/null || { echo "bench: dovetail died" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: dovetail not streaming after 30s" >&2; exit 1
}
# wait_delivered: waits until the source handed over a change and Kafka acknowledged every
# record so far (one per change, and the heartbeat that says where the stream starts).
wait_delivered() {
  local c
  for _ in $(seq 1 300); do
    c=$(metric dovetail_source_changes_total)
    [ "$c" -ge 1 ] && [ "$(metric dovetail_kafka_records_total)" -ge $((c + $(metric dovetail_heartbeats_total))) ] && return 0
    kill -0 "$dv_pid" 2>/dev/null || { echo "bench: dovetail died" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: dovetail did not deliver the bench_mark row in 30s" >&2; exit 1
}

log "starting dovetail once so it stores a position before the workload"
start_dovetail
wait_streaming
sql -e "INSERT INTO bench.bench_mark VALUES (1, 'before the workload')"
mark=$(sql -e 'SELECT @@gtid_binlog_pos')
wait_delivered
nap 0.5 # for the transaction's commit to reach the pipeline: a drain stores only committed positions
stop_dovetail
# The position Dovetail stored on stopping must be after the bench_mark row.
stored=$(grep 'msg=stopped' "$tmp/dovetail.log" | tail -1 | sed 's/.*position="//; s/".*//')
log "  stored position: $stored (bench_mark row: gtid $mark)"
case " $stored " in
  *" gtid=$mark "*) ;;
  *) echo "bench: dovetail stopped at $stored, not after the bench_mark row (gtid $mark)" >&2; exit 1 ;;
esac

# binlog_files: the names of the binlog files on the server, oldest first.
binlog_files() { sql -e 'SHOW BINARY LOGS' | awk '{ print $1 }'; }
# binlog_size FILES...: their total size in MB.
binlog_size() { sql -e 'SHOW BINARY LOGS' | awk -v l=" $* " 'index(l, " "$1" ") { s += $2 } END { printf "%.0f", s / 1048576 }'; }

# mbinlog FILES OPTS...: reads FILES (a space-separated list) from the server with
# mariadb-binlog and OPTS to /dev/null; sets mb_secs, mb_cpu (its CPU seconds) and mb_scpu
# (mariadbd's).
mbinlog() {
  local files=$1; shift
  local t0 t1 pid rc=0 s0
  rm -f "$tmp/cpu-mb"
  s0=$(ticks "$mpid")
  t0=$(now)
  # shellcheck disable=SC2086
  "$binlogbin" --no-defaults --read-from-remote-server --host=127.0.0.1 --port="$mport" \
    --user=root --password="$password" "$@" $files >/dev/null &
  pid=$!
  ( timeout 900 tail --pid="$pid" -f /dev/null || kill "$pid" 2>/dev/null ) &  # a watchdog
  cpu_watch "$pid" "$tmp/cpu-mb"
  wait "$pid" || rc=$?
  t1=$(now)
  [ $rc -eq 0 ] || { echo "bench: mariadb-binlog exited $rc" >&2; exit 1; }
  mb_scpu=$(tsecs "$s0" "$(ticks "$mpid")")
  nap 0.15
  mb_secs=$(elapsed "$t0" "$t1") mb_cpu=$(secs "$tmp/cpu-mb")
}

# dovetail_drain RECORDS [PROFILE]: starts dovetail and waits until Kafka acknowledged
# RECORDS records, then stops it. Sets dv_secs (from process start to the last record),
# dv_start (seconds until its binlog dump is running), dv_first (seconds until the first
# record), dv_got (records), dv_changes, dv_hwm (VmHWM, KB: the process's peak),
# dv_rss_stream (KB: the highest RSS sampled every 100 ms from the first record on), dv_cpu
# and dv_scpu (CPU seconds of Dovetail and of mariadbd), dv_flushes and dv_flush_secs (the
# pipeline's Kafka writes and the seconds they took).
dovetail_drain() {
  local want=$1 t0 tr= tf= t1 got=0 s0
  rm -f "$tmp/rss.txt" "$tmp/cpu-dv"
  s0=$(ticks "$mpid")
  t0=$(now)
  start_dovetail "${2:-}"
  cpu_watch "$dv_pid" "$tmp/cpu-dv" "$tmp/rss.txt"
  rss_pid=$!
  while :; do
    kill -0 "$dv_pid" 2>/dev/null || { echo "bench: dovetail died" >&2; exit 1; }
    if [ -z "$tr" ] && streaming; then
      tr=$(now)
    fi
    got=$(metric dovetail_kafka_records_total)
    [ -z "$tf" ] && [ "$got" -gt 0 ] && tf=$(now)
    [ "$got" -ge "$want" ] && break
    if [ $(( ${EPOCHREALTIME%.*} - ${t0%.*} )) -ge 900 ]; then
      echo "bench: dovetail delivered $got of $want records in 900s" >&2; exit 1
    fi
    nap 0.1
  done
  t1=$(now)
  dv_scpu=$(tsecs "$s0" "$(ticks "$mpid")")
  [ -n "$tr" ] || tr=$t1
  dv_hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$dv_pid/status")
  nap 0.15
  dv_cpu=$(secs "$tmp/cpu-dv")
  dv_changes=$(metric dovetail_source_changes_total)
  dv_flushes=$(metric dovetail_kafka_flush_seconds_count)
  dv_flush_secs=$(metrics | awk '$1 ~ /^dovetail_kafka_flush_seconds_sum/ { printf "%.2f\n", $NF }')
  dv_secs=$(elapsed "$t0" "$t1") dv_start=$(elapsed "$t0" "$tr") dv_first=$(elapsed "$t0" "$tf") dv_got=$got
  kill "$rss_pid" 2>/dev/null || true
  wait "$rss_pid" 2>/dev/null || true
  rss_pid=
  stop_dovetail
  dv_rss_stream=$(awk -v f="$tf" '$1 >= f && $2 > m { m = $2 } END { print m + 0 }' "$tmp/rss.txt")
}

# drains PHASE FILES CHANGES RECORDS: the three reads of one phase; sets <name><PHASE>.
# BENCH_ORDER=dovetail-first runs Dovetail's first (the default runs it last), to see
# whether the order (warm caches, the other reads' load) favours either side.
#
# With BENCH_REPEAT=N (default 3) the three reads run N times in turn, Dovetail's each time
# from a copy of its data dir (stored position and broker) as it was before the phase, and
# the run with the median ratio (mariadb-binlog -v time / Dovetail time, both of that run)
# is reported, with every run's ratio: another process's burst of load on this 2-core
# machine then spoils one run, not the result.
drains() {
  local ph=$1 r v ratios= pick
  local vars="mbv mbvcpu mbvs mbp mbpcpu mbps dv dvstart dvfirst got ch hwm rss dvcpu dvs"
  rm -rf "$tmp/dovetail-data.pre"
  cp -a "$tmp/dovetail-data" "$tmp/dovetail-data.pre"
  for r in $(seq 1 "$REPEAT"); do
    if [ "$r" -gt 1 ]; then
      rm -rf "$tmp/dovetail-data"
      cp -a "$tmp/dovetail-data.pre" "$tmp/dovetail-data"
    fi
    [ "$REPEAT" = 1 ] || log "phase $ph: run $r of $REPEAT"
    if [ "${BENCH_ORDER:-}" = dovetail-first ]; then
      drain_dovetail "$@"; drain_verbose "$@"; drain_plain "$@"
    else
      drain_verbose "$@"; drain_plain "$@"; drain_dovetail "$@"
    fi
    for v in $vars; do eval "${v}${ph}_$r=\$${v}${ph}"; done
    if [ "$TRANSFORMS" = 1 ]; then
      rm -rf "$tmp/dovetail-data"
      cp -a "$tmp/dovetail-data.pre" "$tmp/dovetail-data"
      log "phase $ph: the same with the five transforms"
      run_cfg=$txcfg drain_dovetail "$@"
      eval "dvx${ph}_$r=\$dv$ph dvxcpu${ph}_$r=\$dvcpu$ph"
      for v in $vars; do eval "${v}${ph}=\$${v}${ph}_$r"; done
    fi
    ratios+="$r $(awk -v a="$(eval echo "\$mbv$ph")" -v b="$(eval echo "\$dv$ph")" 'BEGIN { printf "%.2f", a / b }')
"
  done
  rm -rf "$tmp/dovetail-data.pre"
  # The median run by ratio (the lower middle one for an even count).
  pick=$(printf '%s' "$ratios" | sort -k2,2n | awk -v n="$REPEAT" 'NR == int((n + 1) / 2) { print $1 }')
  for v in $vars; do eval "${v}${ph}=\$${v}${ph}_$pick"; done
  eval "runs$ph='$(printf '%s' "$ratios" | awk '{ printf "%s%s", sep, $2; sep = ", " }')'"
  if [ "$TRANSFORMS" = 1 ]; then
    # Throughput with the chain as a share of without it, run by run; the median.
    local shares=
    for r in $(seq 1 "$REPEAT"); do
      shares+="$(awk -v a="$(eval echo "\$dv${ph}_$r")" -v b="$(eval echo "\$dvx${ph}_$r")" 'BEGIN { printf "%.3f", a / b }') "
    done
    eval "txshares$ph='$(echo $shares | tr ' ' '\n' | awk '{ printf "%s%s", sep, $1; sep = ", " }')'"
    eval "txshare$ph=$(echo $shares | tr ' ' '\n' | sort -n | awk -v n="$REPEAT" 'NR == int((n + 1) / 2)')"
    eval "txcpu$ph='$(for r in $(seq 1 "$REPEAT"); do printf '%s/%s ' "$(eval echo "\$dvcpu${ph}_$r")" "$(eval echo "\$dvxcpu${ph}_$r")"; done)'"
    log "phase $ph: throughput with the five transforms, share of without, by run: $(eval echo "\$txshares$ph")"
  fi
  [ "$REPEAT" = 1 ] || log "phase $ph: ratios of the runs: $(eval echo "\$runs$ph"); reporting run $pick"
}
drain_verbose() {
  local ph=$1 files=$2 changes=$3
  log "phase $ph: mariadb-binlog -v --base64-output=DECODE-ROWS reading $files"
  mbinlog "$files" -v --base64-output=DECODE-ROWS
  eval "mbv$ph=$mb_secs mbvcpu$ph=$mb_cpu mbvs$ph=$mb_scpu"
  log "  ${mb_secs}s, $(rate "$changes" "$mb_secs") changes/s (CPU: mariadb-binlog ${mb_cpu}s, mariadbd ${mb_scpu}s)"
}
drain_plain() {
  local ph=$1 files=$2 changes=$3
  log "phase $ph: mariadb-binlog --base64-output=DECODE-ROWS (no -v: rows not decoded) reading $files"
  mbinlog "$files" --base64-output=DECODE-ROWS
  eval "mbp$ph=$mb_secs mbpcpu$ph=$mb_cpu mbps$ph=$mb_scpu"
  log "  ${mb_secs}s, $(rate "$changes" "$mb_secs") changes/s (CPU: mariadb-binlog ${mb_cpu}s, mariadbd ${mb_scpu}s)"
}
drain_dovetail() {
  local ph=$1 changes=$3 records=$4 prof=
  [ "${BENCH_PROFILE:-0}" = 1 ] && prof=$tmp/perf-phase$ph.data
  log "phase $ph: dovetail reading from its stored position until Kafka acknowledged $records records"
  dovetail_drain "$records" "$prof"
  eval "dv$ph=$dv_secs dvstart$ph=$dv_start dvfirst$ph=$dv_first got$ph=$dv_got ch$ph=$dv_changes"
  eval "hwm$ph=$dv_hwm rss$ph=$dv_rss_stream dvcpu$ph=$dv_cpu dvs$ph=$dv_scpu"
  log "  ${dv_secs}s, $(rate "$changes" "$dv_secs") changes/s (binlog dump after ${dv_start}s, first record after ${dv_first}s);" \
    "$dv_got records, $dv_changes changes in $dv_flushes Kafka writes taking ${dv_flush_secs}s;" \
    "CPU: dovetail ${dv_cpu}s, mariadbd ${dv_scpu}s;" \
    "RSS: peak (VmHWM) $((dv_hwm / 1024)) MB, highest after the first record $((dv_rss_stream / 1024)) MB"
  [ "$dv_changes" = "$changes" ] || { echo "bench: dovetail counted $dv_changes changes, expected $changes" >&2; exit 1; }
  [ "$dv_got" = "$records" ] || { echo "bench: dovetail wrote $dv_got records, expected $records" >&2; exit 1; }
}

# workload PHASE SQL: runs SQL between two FLUSH BINARY LOGS; sets files<PHASE> (the binlog
# files holding exactly the workload), gtid<PHASE>a/b (gtid_binlog_pos before and after)
# and mb<PHASE> (their size, MB).
workload() {
  local ph=$1 q=$2 before after t0 f
  sql -e 'FLUSH BINARY LOGS'
  before=$(binlog_files | tail -1)
  eval "gtid${ph}a=$(sql -e 'SELECT @@gtid_binlog_pos')"
  t0=$(now)
  sql bench -e "$q"
  sql -e 'FLUSH BINARY LOGS'
  eval "gtid${ph}b=$(sql -e 'SELECT @@gtid_binlog_pos')"
  after=$(binlog_files | tail -1)
  f=$(binlog_files | awk -v a="$before" -v b="$after" '$1 >= a && $1 < b' | tr '\n' ' ')
  f=${f% }
  eval "files$ph='$f' mb$ph=$(binlog_size $f)"
  log "  written in $(elapsed "$t0" "$(now)")s; binlog $f ($(binlog_size $f) MB), gtid_binlog_pos $(eval echo "\$gtid${ph}a") -> $(eval echo "\$gtid${ph}b")"
}

# ---- phase 1: BENCH_ROWS changes in transactions of BENCH_TX rows ----
log "phase 1: writing $ROWS row changes ($INS inserts, $UPD updates, $DEL deletes) in transactions of $TX rows"
workload 1 "CALL bench_load($INS, $UPD, $DEL, $TX)"
# Records: a change record per row change, and a tombstone after each delete.
drains 1 "$files1" "$ROWS" $((INS + UPD + 2 * DEL))

# ---- phase 2: a single transaction of BENCH_BIG_ROWS inserts ----
log "phase 2: writing one transaction of $BIG inserts"
workload 2 "INSERT INTO bench_big
    SELECT seq, seq % 1000, CONCAT('customer name ', seq), (seq % 100000) / 100 + 0.99,
           TIMESTAMP'2024-07-01 12:00:00' + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND,
           seq % 2, JSON_OBJECT('sku', CONCAT('A-', seq), 'qty', seq % 7, 'tags', JSON_ARRAY('x', 'y')),
           MD5(seq), seq * 1.5, CONCAT('C', seq % 100000)
    FROM seq_1_to_$BIG"
drains 2 "$files2" "$BIG" "$BIG"

# ---- results ----
r_mbv1=$(rate "$ROWS" "$mbv1") r_mbp1=$(rate "$ROWS" "$mbp1") r_dv1=$(rate "$ROWS" "$dv1")
r_mbv2=$(rate "$BIG" "$mbv2") r_mbp2=$(rate "$BIG" "$mbp2") r_dv2=$(rate "$BIG" "$dv2")
ratio1=$(awk -v a="$mbv1" -v b="$dv1" 'BEGIN { printf "%.2f", a / b }')
ratio2=$(awk -v a="$mbv2" -v b="$dv2" 'BEGIN { printf "%.2f", a / b }')
peak_mb=$((hwm2 / 1024))
aim_speed=no
awk -v a="$ratio1" -v b="$ratio2" 'BEGIN { exit !(a >= 0.5 && b >= 0.5) }' && aim_speed=yes
aim_mem=no; [ "$peak_mb" -lt 200 ] && aim_mem=yes

day=$(date +%F)
cpu=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }')
[ -n "$cpu" ] || cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GB", $2 / 1024 / 1024 }' /proc/meminfo)
machine="$(nproc) CPUs ($cpu), $mem RAM, $(uname -sr), load average $load0 at the start and $(cut -d' ' -f1-3 /proc/loadavg) at the end"
gover=$(go version 2>/dev/null | awk '{ print $3 }')
dvver=$("$bin" version 2>/dev/null | head -1 || true)
mbver=$("$binlogbin" --version | head -1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- cmd configs pipelines sources schema internal go.mod go.sum 2>/dev/null)" ] || commit="$commit+dirty"

section=$(cat <<EOF
## $day — $(hostname) — MariaDB binlog source

- Machine: $machine;
  MariaDB $mver (private server from scripts/mariadb-server.sh: log_bin, ROW, FULL row image
  and metadata, GTID strict mode, sync_binlog=0); $gover; dovetail $commit${dvver:+ ($dvver)};
  $mbver.
- Command: \`$cmdline\` (bench/mysql.sh).
- Phase 1: $ROWS row changes on a 10-column table ($INS inserts, $UPD updates, $DEL deletes) in
  transactions of $TX rows ($mb1 MB of binlog: $files1). Phase 2: one transaction of $BIG
  inserts into the same shape ($mb2 MB: $files2).
- Each reader reads the same binlog files (the workload's, between two FLUSH BINARY LOGS),
  one after the other, over a replication connection, $REPEAT times in turn (the run with the
  median ratio is shown; Dovetail's each time from a copy of its data dir as it was before
  the phase). mariadb-binlog writes to /dev/null;
  Dovetail resumes from the position it stored before the workload and its time runs from
  process start until the embedded Kafka broker acknowledged every record
  (\`dovetail_kafka_records_total\` polled every 100 ms: $got1 = one record per change + one
  tombstone per delete in phase 1, $got2 in phase 2; heartbeats off;
  \`dovetail_source_changes_total\` = $ch1 and $ch2). Rates are row changes per second.

| reader | phase 1: $ROWS changes in $TX-row tx | phase 2: one $BIG-row tx |
| --- | --- | --- |
| mariadb-binlog --read-from-remote-server -v --base64-output=DECODE-ROWS | ${mbv1}s, **$r_mbv1/s** | ${mbv2}s, **$r_mbv2/s** |
| mariadb-binlog, same without -v (rows not decoded) | ${mbp1}s, $r_mbp1/s | ${mbp2}s, $r_mbp2/s |
| Dovetail → Kafka (embedded broker, ${BENCH_COMPRESSION:-lz4}, ${BENCH_PARTITIONS:-1} partition(s), acks=all) | ${dv1}s, **$r_dv1/s** | ${dv2}s, **$r_dv2/s** |
| **Dovetail / mariadb-binlog -v** (rate ratio) | **$ratio1** | **$ratio2** |
| ratios of the $REPEAT runs (the median run is shown) | $runs1 | $runs2 |
| Dovetail: binlog dump running / first record acknowledged after | ${dvstart1}s / ${dvfirst1}s | ${dvstart2}s / ${dvfirst2}s |
| CPU seconds, mariadb-binlog -v run (client / mariadbd) | ${mbvcpu1} / ${mbvs1} | ${mbvcpu2} / ${mbvs2} |
| CPU seconds, Dovetail run (dovetail / mariadbd) | ${dvcpu1} / ${dvs1} | ${dvcpu2} / ${dvs2} |
| Dovetail RSS: process peak (VmHWM) | $((hwm1 / 1024)) MB | **$peak_mb MB** |
| Dovetail RSS: highest sample after the first record | $((rss1 / 1024)) MB | $((rss2 / 1024)) MB |

Aim "at least half the rate of \`mariadb-binlog -v\`": **$aim_speed** (ratios $ratio1 and $ratio2).
Aim "resident memory under 200 MB through a single $BIG-row transaction" (judged on the
process peak, VmHWM, embedded broker and registry included): **$aim_mem** ($peak_mb MB).
EOF
)
if [ "$TRANSFORMS" = 1 ]; then
  cost1=$(awk -v s="$txshare1" 'BEGIN { printf "%.1f", (1 - s) * 100 }')
  cost2=$(awk -v s="$txshare2" 'BEGIN { printf "%.1f", (1 - s) * 100 }')
  aim_tx=no
  awk -v a="$cost1" -v b="$cost2" 'BEGIN { exit !(a < 10 && b < 10) }' && aim_tx=yes
  section+="

With \`BENCH_TRANSFORMS=1\`, each run also drained the same binlog with the pipeline's
config plus a chain of five source transforms (issue 6's benchmark chain), from the same
stored position:

\`\`\`yaml
$(sed -n '/^transforms:/,$p' "$txcfg")
\`\`\`

| Dovetail with the five transforms | phase 1 | phase 2 |
| --- | --- | --- |
| throughput as a share of without, median (by run) | **$txshare1** ($txshares1) | **$txshare2** ($txshares2) |
| CPU seconds without / with, by run | $txcpu1 | $txcpu2 |

Aim (issue 6) \"the chain must cost less than 10% of end-to-end throughput\": **$aim_tx**
(${cost1}% and ${cost2}%)."
fi

echo
echo "$section"
echo

if [ "$RECORD" = 1 ]; then
  record_section "$section"
fi
