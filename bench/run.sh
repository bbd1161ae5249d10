#!/usr/bin/env bash
# bench/run.sh — Dovetail vs pg_recvlogical on the same backlog (`make bench`).
#
# 1. Starts a private Postgres under a temp dir (scripts/pg-server.sh, free port).
# 2. Creates two 10-column tables (bigint, int, text, numeric(12,2), timestamptz, bool,
#    jsonb, uuid, double precision, varchar): bench_rows and bench_big.
# 3. Starts Dovetail once so it creates its publication and slot (dovetail_bench), stops it,
#    and creates, with no write in between, a slot for pg_recvlogical (pgoutput, the same
#    protocol version and options as Dovetail) and one for a reference drain with pgoutput's
#    fastest options (proto v2, binary, streaming).
# 4. Phase 1: writes BENCH_ROWS row changes (60% inserts, 30% updates, 10% deletes) in
#    transactions of BENCH_TX rows (a server-side procedure that COMMITs per batch), then drains the backlog from each slot in turn:
#      - pg_recvlogical --start --endpos=<LSN after the workload> -f /dev/null, with
#        Dovetail's pgoutput options, then with proto 2 + binary + streaming (reference)
#      - dovetail run (embedded broker and registry) until Kafka acknowledged every record
#        (dovetail_kafka_records_total reaches inserts + updates + 2 x deletes + 1: each
#        delete is a change record and a tombstone, +1 is the end-marker logical message
#        written after the workload (see end_marker); heartbeats are off so none count)
# 5. Phase 2: one transaction inserting BENCH_BIG_ROWS rows; the same three drains.
#    Throughout, Dovetail's RSS is sampled every 100 ms and its peak (VmHWM) read, and the
#    CPU time of each client and of its walsender is recorded.
# 6. Prints the rates and ratios and replaces today's section in BENCHMARKS.md
#    (BENCH_RECORD=0 skips that).
#
# Environment: BENCH_ROWS (default 1000000), BENCH_BIG_ROWS (default BENCH_ROWS), BENCH_TX
# (rows per transaction, default 1000), DOVETAIL_BIN (default: built from this tree into the
# temp dir), BENCH_KEEP=1 keeps the temp dir, BENCH_RECORD=0 leaves BENCHMARKS.md alone,
# BENCH_ORDER=dovetail-first drains Dovetail's slot before pg_recvlogical's.
# Everything it starts is stopped on exit, failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

ROWS=${BENCH_ROWS:-1000000}
BIG=${BENCH_BIG_ROWS:-$ROWS}
TX=${BENCH_TX:-1000}
RECORD=${BENCH_RECORD:-1}
cmdline="make bench"
[ "$ROWS" = 1000000 ] && [ "$BIG" = 1000000 ] && [ "$TX" = 1000 ] || cmdline="BENCH_ROWS=$ROWS BENCH_BIG_ROWS=$BIG BENCH_TX=$TX make bench"

# The workload: of ROWS changes, 60% inserts, 30% updates, 10% deletes (of inserted rows).
INS=$((ROWS * 6 / 10))
UPD=$((ROWS * 3 / 10))
DEL=$((ROWS - INS - UPD))

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -1)
recvlogical=$pgbin/pg_recvlogical
[ -x "$recvlogical" ] || { echo "bench: no pg_recvlogical under $pgbin (run scripts/install-deps.sh)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/dovetail-bench.XXXXXX)
chmod 755 "$tmp"
pgdir=$tmp/pg
dv_pid= rss_pid= pg_started=
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
  [ -n "$pg_started" ] && { scripts/pg-server.sh stop "$pgdir" >/dev/null 2>&1 || true; }
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
log "starting Postgres under $pgdir (load average $load0)"
DSN=$(scripts/pg-server.sh start "$pgdir")
pg_started=1
psql() { command psql "$DSN" -qAtX -v ON_ERROR_STOP=1 "$@"; }
pgver=$(psql -c 'SHOW server_version')
pgvernum=$(psql -c 'SHOW server_version_num')
proto=1
[ "$pgvernum" -ge 140000 ] && proto=2

psql <<'SQL'
CREATE TABLE bench_rows (
  id     bigint PRIMARY KEY,
  qty    int NOT NULL,
  label  text NOT NULL,
  price  numeric(12,2),
  ts     timestamptz NOT NULL,
  active bool,
  attrs  jsonb,
  ref    uuid,
  score  double precision,
  code   varchar(32)
);
CREATE TABLE bench_big (LIKE bench_rows INCLUDING ALL);
-- One transaction per batch of rows (procedures may COMMIT).
CREATE PROCEDURE bench_load(ins bigint, upd bigint, del bigint, tx int) LANGUAGE plpgsql AS $$
DECLARE k bigint;
BEGIN
  k := 1;
  WHILE k <= ins LOOP
    INSERT INTO bench_rows
    SELECT i, (i % 1000)::int, 'customer name ' || i, (i % 100000) / 100.0 + 0.99,
           '2024-07-01 12:00:00+00'::timestamptz + i * interval '1 second', i % 2 = 0,
           jsonb_build_object('sku', 'A-' || i, 'qty', i % 7, 'tags', jsonb_build_array('x', 'y')),
           md5(i::text)::uuid, i * 1.5, 'C' || (i % 100000)
    FROM generate_series(k, least(k + tx - 1, ins)) i;
    COMMIT;
    k := k + tx;
  END LOOP;
  k := 1;
  WHILE k <= upd LOOP
    UPDATE bench_rows SET qty = qty + 1, price = price + 1, score = score * 2, active = NOT active,
           ts = ts + interval '1 day'
    WHERE id BETWEEN k AND least(k + tx - 1, upd);
    COMMIT;
    k := k + tx;
  END LOOP;
  k := ins - del + 1;
  WHILE k <= ins LOOP
    DELETE FROM bench_rows WHERE id BETWEEN k AND least(k + tx - 1, ins);
    COMMIT;
    k := k + tx;
  END LOOP;
END $$;
SQL

bport=$(freeport) rport=$(freeport) hport=$(freeport)
cfg=$tmp/bench.yaml
cat >"$cfg" <<YAML
name: bench
data_dir: $tmp/dovetail-data
source:
  kind: postgres
  dsn: \${BENCH_PG_DSN}
  tables: [public.bench_rows, public.bench_big]
  heartbeat_interval: 0s
kafka:
  listen: 127.0.0.1:$bport
  partitions: 1
  compression: lz4
schema_registry:
  listen: 127.0.0.1:$rport
http:
  listen: 127.0.0.1:$hport
YAML
export BENCH_PG_DSN=$DSN
metrics() { curl -fsS "http://127.0.0.1:$hport/metrics" 2>/dev/null || true; }
# metric NAME: the sum of a metric's samples of the bench pipeline, as an integer.
metric() { metrics | awk -v m="$1" '$1 ~ "^"m"[{ ]" || $1 == m { s += $NF } END { printf "%.0f\n", s }'; }

start_dovetail() {
  "$bin" run -c "$cfg" >>"$tmp/dovetail.log" 2>&1 &
  dv_pid=$!
}
stop_dovetail() {
  kill -TERM "$dv_pid"
  local rc=0
  wait "$dv_pid" || rc=$?
  dv_pid=
  [ $rc -eq 0 ] || { echo "bench: dovetail exited $rc" >&2; exit 1; }
}
# streaming: Dovetail's slot is in use by a walsender. (/readyz is not used: it turns ready
# only after the first acknowledged transaction, so never on an idle database.)
streaming() { [ "$(psql -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dovetail_bench' AND active")" = 1 ]; }
wait_streaming() {
  for _ in $(seq 1 300); do
    streaming && return 0
    kill -0 "$dv_pid" 2>/dev/null || { echo "bench: dovetail died" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: dovetail not streaming after 30s" >&2; exit 1
}

log "starting dovetail once to create its publication and slot"
start_dovetail
wait_streaming
stop_dovetail

# The other slots, at the same point as Dovetail's (nothing was written since).
psql -c "SELECT pg_create_logical_replication_slot('bench_recv', 'pgoutput')" \
     -c "SELECT pg_create_logical_replication_slot('bench_fast', 'pgoutput')" >/dev/null
psql -c "SELECT slot_name, confirmed_flush_lsn FROM pg_replication_slots ORDER BY 1" >"$tmp/slots-start.txt"
# (Creating a slot writes a little WAL, so their confirmed LSNs differ by a few bytes; no
# row change lies between them.)
log "  slots: $(tr '\n' ' ' <"$tmp/slots-start.txt")"

# slot_pid SLOT: the walsender serving SLOT (waits up to 30s for it).
slot_pid() {
  local p
  for _ in $(seq 1 600); do
    p=$(psql -c "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$1' AND active")
    [ -n "$p" ] && { echo "$p"; return 0; }
    nap 0.05
  done
  return 1
}

# recv SLOT ENDPOS OPTS...: drains SLOT to ENDPOS with pg_recvlogical; sets rv_secs, rv_cpu
# (pg_recvlogical's CPU seconds) and rv_wcpu (its walsender's).
recv() {
  local slot=$1 endpos=$2; shift 2
  local opts=() o t0 t1 pid wpid rc=0
  for o in "$@"; do opts+=(-o "$o"); done
  rm -f "$tmp/cpu-recv" "$tmp/cpu-ws"
  t0=$(now)
  "$recvlogical" -d "$DSN" --slot "$slot" --start --no-loop --endpos "$endpos" \
    -f /dev/null "${opts[@]}" &
  pid=$!
  ( timeout 900 tail --pid="$pid" -f /dev/null || kill "$pid" 2>/dev/null ) &  # a watchdog
  cpu_watch "$pid" "$tmp/cpu-recv"
  wpid=$(slot_pid "$slot") && cpu_watch "$wpid" "$tmp/cpu-ws"
  wait "$pid" || rc=$?
  t1=$(now)
  [ $rc -eq 0 ] || { echo "bench: pg_recvlogical exited $rc" >&2; exit 1; }
  nap 0.15
  rv_secs=$(elapsed "$t0" "$t1") rv_cpu=$(secs "$tmp/cpu-recv") rv_wcpu=$(secs "$tmp/cpu-ws")
}
recv_opts=("proto_version=$proto" "publication_names=dovetail_bench" "messages=true")
fast_opts=("proto_version=2" "publication_names=dovetail_bench" "messages=true" "binary=true" "streaming=on")
[ "$proto" = 2 ] || fast_opts=("${recv_opts[@]}")

# dovetail_drain RECORDS: starts dovetail and waits until Kafka acknowledged RECORDS records,
# then stops it. Sets dv_secs (from process start to the last record), dv_start (seconds
# until its slot is active), dv_first (seconds until the first record), dv_got (records),
# dv_changes, dv_hwm (VmHWM, KB: the process's peak), dv_rss_stream (KB: the highest RSS
# sampled every 50 ms from the first record on), dv_cpu and dv_wcpu (CPU seconds of Dovetail
# and of its walsender).
dovetail_drain() {
  local want=$1 t0 tr= tf= t1 got=0 wpid
  rm -f "$tmp/rss.txt" "$tmp/cpu-ws" "$tmp/cpu-dv"
  t0=$(now)
  start_dovetail
  cpu_watch "$dv_pid" "$tmp/cpu-dv" "$tmp/rss.txt"
  rss_pid=$!
  while :; do
    kill -0 "$dv_pid" 2>/dev/null || { echo "bench: dovetail died" >&2; exit 1; }
    if [ -z "$tr" ] && streaming; then
      tr=$(now)
      wpid=$(slot_pid dovetail_bench) && cpu_watch "$wpid" "$tmp/cpu-ws"
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
  [ -n "$tr" ] || tr=$t1
  dv_hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$dv_pid/status")
  nap 0.15
  dv_cpu=$(secs "$tmp/cpu-dv") dv_wcpu=$(secs "$tmp/cpu-ws")
  dv_changes=$(metric dovetail_source_changes_total)
  dv_secs=$(elapsed "$t0" "$t1") dv_start=$(elapsed "$t0" "$tr") dv_first=$(elapsed "$t0" "$tf") dv_got=$got
  kill "$rss_pid" 2>/dev/null || true
  wait "$rss_pid" 2>/dev/null || true
  rss_pid=
  stop_dovetail
  dv_rss_stream=$(awk -v f="$tf" '$1 >= f && $2 > m { m = $2 } END { print m + 0 }' "$tmp/rss.txt")
}

# end_marker: prints the WAL end after the workload, then writes a non-transactional logical
# message after it. pg_recvlogical --endpos stops at the first message past endpos (without
# it, it waits for a keepalive, which can take a minute); Dovetail publishes it as one
# record on its <prefix>.message topic, counted in the records it must deliver.
end_marker() {
  psql -c "SELECT pg_current_wal_lsn()"
  psql -c "SELECT pg_logical_emit_message(false, 'dovetail-bench', 'end')" >/dev/null
}

# drains PHASE ENDPOS CHANGES RECORDS: the three drains of one phase; sets <name><PHASE>.
# BENCH_ORDER=dovetail-first runs Dovetail's drain first (the default runs it last), to see
# whether the order (warm caches, the other drains' load) favours either side.
drains() {
  if [ "${BENCH_ORDER:-}" = dovetail-first ]; then
    drain_dovetail "$@"; drain_recv "$@"; drain_fast "$@"
  else
    drain_recv "$@"; drain_fast "$@"; drain_dovetail "$@"
  fi
}
drain_recv() {
  local ph=$1 endpos=$2 changes=$3
  log "phase $ph: pg_recvlogical (pgoutput proto $proto, text: Dovetail's options) draining its slot"
  recv bench_recv "$endpos" "${recv_opts[@]}"
  eval "recv$ph=$rv_secs recvcpu$ph=$rv_cpu recvws$ph=$rv_wcpu"
  log "  ${rv_secs}s, $(rate "$changes" "$rv_secs") changes/s (CPU: pg_recvlogical ${rv_cpu}s, walsender ${rv_wcpu}s)"
}
drain_fast() {
  local ph=$1 endpos=$2 changes=$3
  log "phase $ph: pg_recvlogical (pgoutput proto 2, binary, streaming) draining its slot"
  recv bench_fast "$endpos" "${fast_opts[@]}"
  eval "fast$ph=$rv_secs fastcpu$ph=$rv_cpu fastws$ph=$rv_wcpu"
  log "  ${rv_secs}s, $(rate "$changes" "$rv_secs") changes/s (CPU: pg_recvlogical ${rv_cpu}s, walsender ${rv_wcpu}s)"
}
drain_dovetail() {
  local ph=$1 changes=$3 records=$4
  log "phase $ph: dovetail draining its slot to Kafka until $records records are acknowledged"
  dovetail_drain "$records"
  eval "dv$ph=$dv_secs dvstart$ph=$dv_start dvfirst$ph=$dv_first got$ph=$dv_got ch$ph=$dv_changes"
  eval "hwm$ph=$dv_hwm rss$ph=$dv_rss_stream dvcpu$ph=$dv_cpu dvws$ph=$dv_wcpu"
  log "  ${dv_secs}s, $(rate "$changes" "$dv_secs") changes/s (slot active after ${dv_start}s, first record after ${dv_first}s);" \
    "$dv_got records, $dv_changes changes; CPU: dovetail ${dv_cpu}s, walsender ${dv_wcpu}s;" \
    "RSS: peak (VmHWM) $((dv_hwm / 1024)) MB, highest after the first record $((dv_rss_stream / 1024)) MB"
  [ "$dv_changes" = "$changes" ] || { echo "bench: dovetail counted $dv_changes changes, expected $changes" >&2; exit 1; }
  [ "$dv_got" = "$records" ] || { echo "bench: dovetail wrote $dv_got records, expected $records" >&2; exit 1; }
}

# ---- phase 1: BENCH_ROWS changes in transactions of BENCH_TX rows ----
log "phase 1: writing $ROWS row changes ($INS inserts, $UPD updates, $DEL deletes) in transactions of $TX rows"
t0=$(now)
psql -c "CALL bench_load($INS, $UPD, $DEL, $TX)"
end1=$(end_marker)
wal1=$(psql -c "SELECT pg_size_pretty(pg_wal_lsn_diff('$end1', confirmed_flush_lsn)) FROM pg_replication_slots WHERE slot_name = 'bench_recv'")
log "  written in $(elapsed "$t0" "$(now)")s; WAL end $end1 ($wal1 of WAL)"
# Records: a change record per row change, and a tombstone after each delete.
drains 1 "$end1" "$ROWS" $((INS + UPD + 2 * DEL + 1))

# ---- phase 2: a single transaction of BENCH_BIG_ROWS inserts ----
log "phase 2: writing one transaction of $BIG inserts"
t0=$(now)
psql -c "INSERT INTO bench_big
         SELECT i, (i % 1000)::int, 'customer name ' || i, (i % 100000) / 100.0 + 0.99,
                '2024-07-01 12:00:00+00'::timestamptz + i * interval '1 second', i % 2 = 0,
                jsonb_build_object('sku', 'A-' || i, 'qty', i % 7, 'tags', jsonb_build_array('x', 'y')),
                md5(i::text)::uuid, i * 1.5, 'C' || (i % 100000)
         FROM generate_series(1, $BIG) i"
end2=$(end_marker)
wal2=$(psql -c "SELECT pg_size_pretty(pg_wal_lsn_diff('$end2', '$end1'))")
log "  written in $(elapsed "$t0" "$(now)")s; WAL end $end2 ($wal2 of WAL)"
drains 2 "$end2" "$BIG" $((BIG + 1))

# ---- results ----
r_recv1=$(rate "$ROWS" "$recv1") r_fast1=$(rate "$ROWS" "$fast1") r_dv1=$(rate "$ROWS" "$dv1")
r_recv2=$(rate "$BIG" "$recv2") r_fast2=$(rate "$BIG" "$fast2") r_dv2=$(rate "$BIG" "$dv2")
ratio1=$(awk -v a="$recv1" -v b="$dv1" 'BEGIN { printf "%.2f", a / b }')
ratio2=$(awk -v a="$recv2" -v b="$dv2" 'BEGIN { printf "%.2f", a / b }')
peak_mb=$((hwm2 / 1024))
aim_speed=no
awk -v a="$ratio1" -v b="$ratio2" 'BEGIN { exit !(a >= 1.0 && b >= 1.0) }' && aim_speed=yes
aim_mem=no; [ "$peak_mb" -lt 200 ] && aim_mem=yes

day=$(date +%F)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GB", $2 / 1024 / 1024 }' /proc/meminfo)
machine="$(nproc) CPUs ($cpu), $mem RAM, $(uname -sr), load average $load0 at the start and $(cut -d' ' -f1-3 /proc/loadavg) at the end"
gover=$(go version 2>/dev/null | awk '{ print $3 }')
dvver=$("$bin" version 2>/dev/null | head -1 || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- cmd configs pipelines sources schema internal go.mod go.sum 2>/dev/null)" ] || commit="$commit+dirty"

section=$(cat <<EOF
## $day — $(hostname)

- Machine: $machine;
  Postgres $pgver (private server from scripts/pg-server.sh: fsync off,
  synchronous_commit off); $gover; dovetail $commit${dvver:+ ($dvver)}.
- Command: \`$cmdline\` (bench/run.sh).
- Phase 1: $ROWS row changes on a 10-column table ($INS inserts, $UPD updates, $DEL deletes) in
  transactions of $TX rows. Phase 2: one transaction of $BIG inserts into the same shape.
- Each drain reads the same backlog from its own slot (created at the same LSN before the
  writes), one after the other, to the LSN after the writes. pg_recvlogical writes to
  /dev/null; Dovetail's time runs from process start until the embedded Kafka broker
  acknowledged every record (\`dovetail_kafka_records_total\` polled every 100 ms: $got1 =
  one record per change + one tombstone per delete + the end-marker message in phase 1,
  $got2 in phase 2; heartbeats off; \`dovetail_source_changes_total\` = $ch1 and $ch2). Rates are row changes per second.
  Phase 2's Dovetail process starts on the broker data of phase 1.

| drain | phase 1: $ROWS changes in $TX-row tx | phase 2: one $BIG-row tx |
| --- | --- | --- |
| pg_recvlogical, pgoutput proto $proto, text (Dovetail's options) | ${recv1}s, **$r_recv1/s** | ${recv2}s, **$r_recv2/s** |
| pg_recvlogical, pgoutput proto 2 + binary + streaming | ${fast1}s, $r_fast1/s | ${fast2}s, $r_fast2/s |
| Dovetail → Kafka (embedded broker, lz4, acks=all) | ${dv1}s, **$r_dv1/s** | ${dv2}s, **$r_dv2/s** |
| **Dovetail / pg_recvlogical** (rate ratio) | **$ratio1** | **$ratio2** |
| Dovetail: slot active / first record acknowledged after | ${dvstart1}s / ${dvfirst1}s | ${dvstart2}s / ${dvfirst2}s |
| CPU seconds, pg_recvlogical run (client / walsender) | ${recvcpu1} / ${recvws1} | ${recvcpu2} / ${recvws2} |
| CPU seconds, Dovetail run (dovetail / walsender) | ${dvcpu1} / ${dvws1} | ${dvcpu2} / ${dvws2} |
| Dovetail RSS: process peak (VmHWM) | $((hwm1 / 1024)) MB | **$peak_mb MB** |
| Dovetail RSS: highest sample after the first record | $((rss1 / 1024)) MB | $((rss2 / 1024)) MB |

Aim "Dovetail at least as fast as pg_recvlogical with pgoutput": **$aim_speed** (ratios $ratio1
and $ratio2).
Aim "resident memory under 200 MB while streaming a single $BIG-row transaction" (judged on
the process peak, VmHWM, embedded broker and registry included): **$aim_mem** ($peak_mb MB).
EOF
)

echo
echo "$section"
echo

if [ "$RECORD" = 1 ]; then
  record_section "$section"
fi
