#!/usr/bin/env bash
# bench/snapshot.sh — `dovetail snapshot` against the databases' own dump tools on the same
# table (`make bench-snapshot`).
#
# 1. Starts a private Postgres (scripts/pg-server.sh) and a private MariaDB
#    (scripts/mariadb-server.sh) under a temp dir, on free ports.
# 2. Fills one 10-column table in each (bigint key, int, varchar, decimal(12,2),
#    timestamp(6), smallint, json, char(36), double, varchar) with BENCH_ROWS rows, then
#    ANALYZE, so the catalogs' row estimates are fresh.
# 3. For each engine, one after the other, reads the whole table (each reader starts with
#    the table's files just read into the page cache: on this VM, pages left alone for a
#    while are reclaimed, and a cold read of the table from its disk took longer than
#    either reader):
#      - Postgres: psql -c "\copy bench.snap_rows TO /dev/null" (COPY in text format, written by
#        psql), then `dovetail snapshot` with snapshot_parallelism BENCH_READERS (default 2)
#        into the embedded Kafka broker;
#      - MariaDB: mariadb-dump --single-transaction bench snap_rows > /dev/null, then `dovetail
#        snapshot` the same way.
#    Dovetail's time runs from process start until it exits 0: every row is then a record
#    Kafka acknowledged (acks=all) and the streaming position is stored. The record count
#    is checked on the metrics endpoint (dovetail_kafka_records_total, polled every 100 ms
#    while it runs, and the snapshot's "done" log line). Peak RSS is GNU time's maximum
#    resident set size of the process (embedded broker and registry included).
# 4. Prints rates and ratios and replaces today's snapshot section in BENCHMARKS.md
#    (BENCH_RECORD=0 skips that).
#
# Environment: BENCH_ROWS (default 10000000), BENCH_READERS (default 2), BENCH_CHUNK
# (snapshot_chunk_rows, default: the config's), BENCH_REPEAT (rounds, default 3), DOVETAIL_BIN (default: built from this tree
# into the temp dir), BENCH_KEEP=1 keeps the temp dir, BENCH_RECORD=0 leaves BENCHMARKS.md
# alone, BENCH_ENGINES (default "postgres mysql"), BENCH_PROFILE=1 turns on http.pprof and
# saves a CPU profile of each Dovetail run (its first BENCH_PROFILE_SECONDS, default 15) as
# cpu-ENGINE.pprof in the temp dir, which is then kept. Everything it starts is stopped on
# exit, failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

ROWS=${BENCH_ROWS:-10000000}
READERS=${BENCH_READERS:-2}
CHUNK=${BENCH_CHUNK:-}
RECORD=${BENCH_RECORD:-1}
PROFILE=${BENCH_PROFILE:-0}
REPEAT=${BENCH_REPEAT:-3}
[ "$PROFILE" = 1 ] && BENCH_KEEP=1
ENGINES=${BENCH_ENGINES:-postgres mysql}
knobs=
[ "$ROWS" = 10000000 ] || knobs+="BENCH_ROWS=$ROWS "
[ "$READERS" = 2 ] || knobs+="BENCH_READERS=$READERS "
[ -z "$CHUNK" ] || knobs+="BENCH_CHUNK=$CHUNK "
[ "$REPEAT" = 3 ] || knobs+="BENCH_REPEAT=$REPEAT "
[ "$ENGINES" = "postgres mysql" ] || knobs+="BENCH_ENGINES=\"$ENGINES\" "
cmdline="${knobs}make bench-snapshot"

tmp=$(mktemp -d /tmp/dovetail-bench-snapshot.XXXXXX)
chmod 755 "$tmp"
pgdir=$tmp/pg mdir=$tmp/maria
dv_pid= pg_started= maria_started=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$dv_pid" ] && kill -0 "$dv_pid" 2>/dev/null; then
    kill "$dv_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$dv_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$dv_pid" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  [ -n "$pg_started" ] && { scripts/pg-server.sh stop "$pgdir" >/dev/null 2>&1 || true; }
  [ -n "$maria_started" ] && { scripts/mariadb-server.sh stop "$mdir" >/dev/null 2>&1 || true; }
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "bench: temp dir kept: $tmp" >&2
    for f in "$tmp"/dovetail-*.log; do
      [ $rc -ne 0 ] && [ -f "$f" ] && { echo "--- tail of $f" >&2; tail -20 "$f" >&2; }
    done
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
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)

# snapshot ENGINE DSN TABLE: runs `dovetail snapshot` on TABLE of ENGINE; sets dv_secs,
# dv_cpu, dv_scpu (the server's CPU seconds meanwhile), dv_rss_mb, dv_records.
snapshot() {
  local engine=$1 dsn=$2 table=$3 name=snap_$1
  local bport rport hport cfg extra=
  bport=$(freeport) rport=$(freeport) hport=$(freeport)
  cfg=$tmp/$name.yaml
  [ "$engine" = mysql ] && extra=$'\n  mysql:\n    server_id: 4343'
  cat >"$cfg" <<YAML
name: $name
data_dir: $tmp/$name-data
source:
  kind: $engine
  dsn: \${BENCH_SNAPSHOT_DSN}
  tables: [$table]
  heartbeat_interval: 0s
  snapshot: initial
  snapshot_parallelism: $READERS${CHUNK:+
  snapshot_chunk_rows: $CHUNK}$extra
kafka:
  listen: 127.0.0.1:$bport
schema_registry:
  listen: 127.0.0.1:$rport
http:
  listen: 127.0.0.1:$hport
  pprof: $([ "$PROFILE" = 1 ] && echo true || echo false)
YAML
  local log=$tmp/dovetail-$engine.log tf=$tmp/time-$engine.txt cf=$tmp/cpu-$engine
  local t0 t1 last=0 m s0
  s0=$(ticks_reaped "$spid")
  t0=$(now)
  BENCH_SNAPSHOT_DSN=$dsn /usr/bin/time -f '%M %U %S' -o "$tf" "$bin" snapshot -c "$cfg" >"$log" 2>&1 &
  dv_pid=$!
  if [ "$PROFILE" = 1 ]; then
    (until curl -fsS -o "$tmp/cpu-$engine.pprof" \
      "http://127.0.0.1:$hport/debug/pprof/profile?seconds=${BENCH_PROFILE_SECONDS:-15}" 2>/dev/null; do
      kill -0 "$dv_pid" 2>/dev/null || exit 0
      nap 0.05
    done) &
  fi
  while kill -0 "$dv_pid" 2>/dev/null; do
    m=$(curl -fsS "http://127.0.0.1:$hport/metrics" 2>/dev/null |
      awk '$1 ~ /^dovetail_kafka_records_total[{ ]/ { s += $NF } END { printf "%.0f\n", s }' || true)
    [ -n "$m" ] && [ "$m" -gt "$last" ] && last=$m
    nap 0.1
  done
  local rc=0
  wait "$dv_pid" || rc=$?
  t1=$(now)
  dv_pid=
  settle
  dv_scpu=$(tsecs "$s0" "$(ticks_reaped "$spid")")
  [ $rc -eq 0 ] || { echo "bench: dovetail snapshot of $engine exited $rc" >&2; tail -20 "$log" >&2; exit 1; }
  dv_secs=$(elapsed "$t0" "$t1")
  read -r kb user sys <"$tf"
  dv_rss_mb=$(( kb / 1024 ))
  dv_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  dv_records=$last
  # The last metrics sample can miss the final acknowledgements; the snapshot's own
  # summary line counts them all.
  local done_rows
  done_rows=$(grep 'msg="snapshot done"' "$log" | grep -o ' rows=[0-9]*' | tail -1 | cut -d= -f2 || true)
  [ -n "$done_rows" ] && [ "$done_rows" -gt "$dv_records" ] && dv_records=$done_rows
  if [ "$dv_records" -lt "$ROWS" ]; then
    echo "bench: $engine snapshot delivered $dv_records records, want $ROWS" >&2
    exit 1
  fi
}

declare -A ref_secs ref_cpu ref_scpu dv_s dv_c dv_sc dv_r ver refs all_ratios
for engine in $ENGINES; do
  case $engine in
  postgres)
    log "starting Postgres under $pgdir"
    DSN=$(scripts/pg-server.sh start "$pgdir")
    pg_started=1
    spid=$(head -1 "$pgdir/data/postmaster.pid")
    psql() { command psql "$DSN" -qAtX -v ON_ERROR_STOP=1 "$@"; }
    ver[$engine]=$(psql -c 'SHOW server_version')
    log "filling bench.snap_rows with $ROWS rows"
    psql <<SQL
CREATE SCHEMA bench;
CREATE TABLE bench.snap_rows (
  id     bigint PRIMARY KEY,
  qty    int NOT NULL,
  label  varchar(64) NOT NULL,
  price  numeric(12,2),
  ts     timestamp(6) NOT NULL,
  active smallint,
  attrs  jsonb,
  ref    char(36),
  score  double precision,
  code   varchar(32)
);
INSERT INTO bench.snap_rows
SELECT g, g % 1000, 'customer name ' || g, (g % 100000) / 100.0 + 0.99,
       TIMESTAMP '2024-07-01 12:00:00' + g * INTERVAL '1 second' + (g % 1000000) * INTERVAL '1 microsecond',
       g % 2, jsonb_build_object('sku', 'A-' || g, 'qty', g % 7, 'tags', jsonb_build_array('x', 'y')),
       md5(g::text), g * 1.5, 'C' || (g % 100000)
FROM generate_series(1, $ROWS) g;
VACUUM ANALYZE bench.snap_rows;
SQL
    # A session's backend must be gone (and reaped) before the server's CPU is sampled,
    # or its CPU is missed (or lands in the next sample). An exited backend not yet
    # reaped is a zombie, which pgrep -f no longer matches (its command line is gone).
    settle() {
      for _ in $(seq 1 600); do
        pgrep -P "$spid" -f '^postgres: postgres ' >/dev/null || pgrep -P "$spid" -r Z >/dev/null || break
        nap 0.05
      done
    }
    settle
    warm() {
      local rel
      for rel in bench.snap_rows bench.snap_rows_pkey; do
        cat "$pgdir/data/$(psql -c "SELECT pg_relation_filepath('$rel')")"* >/dev/null
      done
    }
    refname='`psql -c "\copy ... TO /dev/null"`'
    reference() {
      log "psql \\copy bench.snap_rows TO /dev/null"
      /usr/bin/time -f '%U %S' -o "$tmp/time-ref.txt" psql "$DSN" -qAtX -v ON_ERROR_STOP=1 -c '\copy bench.snap_rows TO /dev/null'
    }
    # A new snapshot each run: the previous run's slot goes.
    reset() { psql -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null; }
    dsn=$DSN
    ;;
  mysql)
    log "starting MariaDB under $mdir"
    MDSN=$(scripts/mariadb-server.sh start "$mdir")
    maria_started=1
    spid=$(cat "$mdir/mariadbd.pid")
    mport=$(cat "$mdir/port")
    password=dovetail # scripts/mariadb-server.sh's root password
    sql() { mariadb --no-defaults -h127.0.0.1 -P"$mport" -uroot -p"$password" --batch --skip-column-names "$@"; }
    ver[$engine]=$(sql -e 'SELECT VERSION()')
    log "filling bench.snap_rows with $ROWS rows"
    sql <<SQL
CREATE DATABASE bench;
USE bench;
CREATE TABLE snap_rows (
  id     bigint NOT NULL PRIMARY KEY,
  qty    int NOT NULL,
  label  varchar(64) NOT NULL,
  price  decimal(12,2),
  ts     datetime(6) NOT NULL,
  active smallint,
  attrs  json,
  ref    char(36),
  score  double,
  code   varchar(32)
);
INSERT INTO snap_rows
SELECT seq, seq % 1000, CONCAT('customer name ', seq), (seq % 100000) / 100 + 0.99,
       TIMESTAMP'2024-07-01 12:00:00' + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND,
       seq % 2, JSON_OBJECT('sku', CONCAT('A-', seq), 'qty', seq % 7, 'tags', JSON_ARRAY('x', 'y')),
       MD5(seq), seq * 1.5, CONCAT('C', seq % 100000)
FROM seq_1_to_$ROWS;
ANALYZE TABLE snap_rows;
SQL
    warm() { cat "$mdir/data/bench/snap_rows.ibd" >/dev/null; }
    refname='`mariadb-dump --single-transaction > /dev/null`'
    reference() {
      log "mariadb-dump --single-transaction bench snap_rows > /dev/null"
      /usr/bin/time -f '%U %S' -o "$tmp/time-ref.txt" mariadb-dump --no-defaults -h127.0.0.1 -P"$mport" -uroot -p"$password" \
        --single-transaction bench snap_rows >/dev/null
    }
    reset() { :; }
    settle() { :; }
    dsn=$MDSN
    ;;
  *) echo "bench: unknown engine $engine in BENCH_ENGINES" >&2; exit 2 ;;
  esac
  refs[$engine]=$refname
  # REPEAT rounds, each the reference then Dovetail, both from a warm page cache; the
  # round with the median ratio is reported, peak RSS is the highest of all rounds.
  runs= rss=0
  for round in $(seq 1 "$REPEAT"); do
    warm
    s0=$(ticks_reaped "$spid")
    t0=$(now)
    reference
    t1=$(now)
    settle
    r_scpu=$(tsecs "$s0" "$(ticks_reaped "$spid")")
    r_secs=$(elapsed "$t0" "$t1")
    read -r user sys <"$tmp/time-ref.txt"
    r_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    log "  ${r_secs}s, $(rate "$ROWS" "$r_secs") rows/s, CPU ${r_cpu}s (server ${r_scpu}s)"
    reset
    rm -rf "$tmp/snap_$engine-data"
    warm
    log "dovetail snapshot ($engine, $READERS readers), round $round of $REPEAT"
    snapshot "$engine" "$dsn" bench.snap_rows
    log "  ${dv_secs}s, $(rate "$ROWS" "$dv_secs") rows/s, $dv_records records, CPU ${dv_cpu}s (server ${dv_scpu}s), peak RSS ${dv_rss_mb} MB"
    [ "$dv_rss_mb" -gt "$rss" ] && rss=$dv_rss_mb
    runs+="$(awk -v d="$dv_secs" -v r="$r_secs" 'BEGIN { printf "%.4f", r / d }') $r_secs $r_cpu $r_scpu $dv_secs $dv_cpu $dv_scpu"$'\n'
  done
  read -r _ ref_secs[$engine] ref_cpu[$engine] ref_scpu[$engine] dv_s[$engine] dv_c[$engine] dv_sc[$engine] < <(
    printf '%s' "$runs" | sort -n | sed -n "$(( (REPEAT + 1) / 2 ))p")
  all_ratios[$engine]=$(printf '%s' "$runs" | awk '{ printf "%s%.2f", (NR > 1 ? ", " : ""), $1 }')
  dv_r[$engine]=$rss
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

cpus=$(nproc)
model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
host=$(hostname -s 2>/dev/null || echo host)
day=$(date +%F)
ratio() { awk -v a="$ROWS" -v d="$1" -v r="$2" 'BEGIN { printf "%.2f", (a / d) / (a / r) }'; }

section="## $day — $host — snapshot

- Machine: $cpus CPUs ($model), $mem RAM, Linux $(uname -r), load average $load0 at the start and $load1 at the end;
  $(for e in $ENGINES; do printf '%s %s; ' "$e" "${ver[$e]}"; done)private servers from scripts/pg-server.sh and
  scripts/mariadb-server.sh; $(go version | awk '{ print $3 }'); dovetail $commit ($("$bin" version 2>/dev/null | awk '{ print $2 }')).
- Command: \`$cmdline\` (bench/snapshot.sh).
- One table of $ROWS rows, 10 columns (bigint key, int, varchar, decimal(12,2), timestamp(6),
  smallint, json, char(36), double, varchar), read whole by each tool in turn. The dump tools
  write to /dev/null; Dovetail's time runs from process start until \`dovetail snapshot\`
  exited 0, every row a record acknowledged by the embedded Kafka broker (lz4, acks=all)
  and the streaming position stored; snapshot_parallelism $READERS. $REPEAT rounds, each the
  reference then Dovetail, each reader starting with the table's files read into the page
  cache; the round with the median ratio is shown, peak RSS is the highest of all rounds.

| engine | reference | reference time, rate | Dovetail time, rate | **Dovetail / reference** | ratios of the rounds | CPU seconds: reference client / server | CPU seconds: Dovetail / server | Dovetail peak RSS |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
"
for e in $ENGINES; do
  r=$(ratio "${dv_s[$e]}" "${ref_secs[$e]}")
  section+="| $e | ${refs[$e]} | ${ref_secs[$e]}s, $(rate "$ROWS" "${ref_secs[$e]}")/s | ${dv_s[$e]}s, $(rate "$ROWS" "${dv_s[$e]}")/s | **$r** | ${all_ratios[$e]} | ${ref_cpu[$e]} / ${ref_scpu[$e]} | ${dv_c[$e]} / ${dv_sc[$e]} | ${dv_r[$e]} MB |
"
done
aim_rate=yes aim_mem=yes list= mlist=
for e in $ENGINES; do
  r=$(ratio "${dv_s[$e]}" "${ref_secs[$e]}")
  list+="$e $r, "
  mlist+="$e ${dv_r[$e]} MB, "
  awk -v r="$r" 'BEGIN { exit !(r >= 0.6) }' || aim_rate=no
  [ "${dv_r[$e]}" -lt 256 ] || aim_mem=no
done
section+="
Aim \"at least 60% of their rate with $READERS readers\": **$aim_rate** (${list%, }).
Aim \"resident memory under 256 MB whatever the table size\": **$aim_mem** (${mlist%, }).
"
echo
echo "$section"
if [ "$RECORD" = 1 ]; then
  record_section "$section"
fi
