#!/usr/bin/env bash
# bench/sink.sh — Dovetail's Postgres sink vs Postgres logical replication catching up on the
# same backlog (`make bench-sink`).
#
# 1. Starts two private Postgres servers under a temp dir (scripts/pg-server.sh, free ports):
#    the source, database bench, and the follower server, databases native (the
#    subscriber), dv_e2e and dv_apply (Dovetail's followers, one per measurement below).
#    In bench and native: the pgbench tables with their keys (`pgbench -i -I dtp`; the
#    history table has none) and bench_mark (id int primary key, note text); Dovetail's
#    sink creates its followers' tables itself (same columns and keys, filler as text).
# 2. Positions both replicators before the workload: CREATE PUBLICATION on the source and
#    CREATE SUBSCRIPTION ... WITH (copy_data = false) in native; dovetail run with two
#    sinks (e2e into dv_e2e, apply into dv_apply), so its slot, change topics, consumer
#    groups and stored offsets exist. One priming row per table is written and waited for
#    in all three followers; then ALTER SUBSCRIPTION ... DISABLE and SIGTERM to Dovetail.
# 3. The workload, with both stopped: `pgbench -i -I g -s BENCH_SCALE` (a TRUNCATE and a
#    COPY of 100,000 x scale accounts in one transaction), BENCH_TX TPC-B transactions
#    (`pgbench -n -c BENCH_CLIENTS -t BENCH_TX/BENCH_CLIENTS`: 3 updates and 1 insert each),
#    then the end marker: bench_mark row 2, the last commit.
# 4. Each catches up alone, one after the other, timed from its start:
#    a. native: ALTER SUBSCRIPTION ... ENABLE until the subscriber has the end marker (one
#       apply worker applies in commit order, so it has everything before it too);
#    b. Dovetail end to end: `dovetail run` (source capture into the embedded Kafka and the
#       sink, concurrently) until dv_e2e has the end marker and the sink's dovetail_offsets
#       reach every change topic's end (kcat -Q; the sink applies partitions in parallel,
#       so the marker alone proves only its own table);
#    c. Dovetail apply only: with `dovetail run --role source` serving Kafka (already holding
#       everything after b) and caught up, `dovetail run --role sinks` is timed the same way
#       into dv_apply.
#    `dovetail verify --wait 10m` then compares source and follower for b and c while the
#    processes still run, and `dovetail verify --wait 0` the native subscriber; the script
#    exits 1 (after recording) when any of them differs.
#    Dovetail's RSS is sampled every 100 ms and its peak (VmHWM) read; CPU seconds are
#    recorded for Dovetail, the walsender, the subscriber's apply worker and Dovetail's
#    backends on the follower.
# 5. Prints the rates and ratios and replaces today's section in BENCHMARKS.md
#    (BENCH_RECORD=0 skips that).
#
# Environment: BENCH_SCALE (pgbench scale, default 2), BENCH_TX (TPC-B transactions, default
# 200000: with scale 2, about 1M row changes), BENCH_CLIENTS (default 4), BENCH_PARALLELISM
# and BENCH_BATCH (the sink's parallelism and batch_size; default: the config's defaults),
# BENCH_PARTITIONS (Kafka partitions per table, default 1, the config's default),
# DOVETAIL_BIN (default: built from this tree into the temp dir), BENCH_KEEP=1 keeps the
# temp dir, BENCH_RECORD=0 leaves BENCHMARKS.md alone, BENCH_PROFILE=1 records the timed
# apply-only sink with `perf record -g` (perf-apply.data in the temp dir, which is then kept).
# Everything it starts is stopped on exit, failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

SCALE=${BENCH_SCALE:-2}
TX=${BENCH_TX:-200000}
CLIENTS=${BENCH_CLIENTS:-4}
PAR=${BENCH_PARALLELISM:-}
BATCH=${BENCH_BATCH:-}
PARTS=${BENCH_PARTITIONS:-1}
RECORD=${BENCH_RECORD:-1}
cmdline="make bench-sink"
knobs=
[ "$SCALE" = 2 ] || knobs+="BENCH_SCALE=$SCALE "
[ "$TX" = 200000 ] || knobs+="BENCH_TX=$TX "
[ "$CLIENTS" = 4 ] || knobs+="BENCH_CLIENTS=$CLIENTS "
[ -z "$PAR" ] || knobs+="BENCH_PARALLELISM=$PAR "
[ -z "$BATCH" ] || knobs+="BENCH_BATCH=$BATCH "
[ "$PARTS" = 1 ] || knobs+="BENCH_PARTITIONS=$PARTS "
cmdline="$knobs$cmdline"
PERCLIENT=$(( (TX + CLIENTS - 1) / CLIENTS ))
TX=$(( PERCLIENT * CLIENTS ))
# Row changes in the backlog: the load's rows, 4 per TPC-B transaction, the end marker.
LOADROWS=$(( SCALE * 100000 + SCALE * 10 + SCALE ))
CHANGES=$(( LOADROWS + 4 * TX + 1 ))

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -1)
pgbench=$pgbin/pgbench
[ -x "$pgbench" ] || { echo "bench: no pgbench under $pgbin (run scripts/install-deps.sh)" >&2; exit 1; }
command -v kcat >/dev/null || { echo "bench: no kcat (apt-get install kcat)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/dovetail-bench-sink.XXXXXX)
chmod 755 "$tmp"
srcdir=$tmp/pg-source dstdir=$tmp/pg-follower
dv_pid= dvsrc_pid= rss_pid= src_started= dst_started= perf_pid=
[ "${BENCH_PROFILE:-0}" = 1 ] && BENCH_KEEP=1
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$rss_pid" ] && kill "$rss_pid" 2>/dev/null || true
  [ -n "$dv_pid" ] && stop_pid "$dv_pid"
  [ -n "$dvsrc_pid" ] && stop_pid "$dvsrc_pid"
  wait 2>/dev/null || true
  [ -n "$src_started" ] && { scripts/pg-server.sh stop "$srcdir" >/dev/null 2>&1 || true; }
  [ -n "$dst_started" ] && { scripts/pg-server.sh stop "$dstdir" >/dev/null 2>&1 || true; }
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

load0=$(cut -d' ' -f1-3 /proc/loadavg)
log "starting the source and the follower Postgres under $tmp (load average $load0)"
SRC=$(scripts/pg-server.sh start "$srcdir")
src_started=1
DST=$(scripts/pg-server.sh start "$dstdir")
dst_started=1
srcport=$(cat "$srcdir/port") dstport=$(cat "$dstdir/port")
# dsn BASE DB: BASE (a postgres://.../postgres DSN) for database DB.
dsn() { echo "${1%%/postgres\?*}/$2?sslmode=disable"; }
SRCDB=$(dsn "$SRC" bench)
# q DSN SQL...: runs SQL quietly, one value per line.
q() { local d=$1; shift; psql "$d" -qAtX -v ON_ERROR_STOP=1 "$@"; }
src() { q "$SRCDB" "$@"; }
dst() { q "$(dsn "$DST" "$1")" "${@:2}"; }
pgver=$(q "$SRC" -c 'SHOW server_version')

q "$SRC" -c 'CREATE DATABASE bench'
for db in native dv_e2e dv_apply; do q "$DST" -c "CREATE DATABASE $db"; done
# Dovetail's followers get their tables from the sink (create_tables): it refuses pgbench's
# own character(n) filler columns, see the notes in BENCHMARKS.md.
for d in "$SRCDB" "$(dsn "$DST" native)"; do
  "$pgbench" -q -i -I dtp -s "$SCALE" "$d" 2>>"$tmp/pgbench.log"
  q "$d" -c 'CREATE TABLE bench_mark (id int PRIMARY KEY, note text NOT NULL)'
done

# ---- positioning: a subscription and Dovetail, both stopped after a priming row per table ----
src -c 'CREATE PUBLICATION bench_pub FOR TABLE pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history, bench_mark'
dst native -c "CREATE SUBSCRIPTION bench_sub CONNECTION 'host=127.0.0.1 port=$srcport dbname=bench user=postgres'
               PUBLICATION bench_pub WITH (copy_data = false)"

bport=$(freeport) rport=$(freeport) hport=$(freeport) hport2=$(freeport)
# config FILE SINK...: a pipeline config with the sinks named (e2e, apply: into dv_<name>;
# native: the subscriber, for verify only).
config() {
  local f=$1 s; shift
  cat >"$f" <<YAML
name: bench
data_dir: $tmp/dovetail-data
source:
  kind: postgres
  dsn: \${BENCH_PG_DSN}
  tables: [public.pgbench_*, public.bench_mark]
  heartbeat_interval: 0s
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
    local db=dv_$s
    [ "$s" = native ] && db=native
    cat >>"$f" <<YAML
  - name: $s
    kind: postgres
    dsn: $(dsn "$DST" "$db")
YAML
    [ -z "$PAR" ] || echo "    parallelism: $PAR" >>"$f"
    [ -z "$BATCH" ] || echo "    batch_size: $BATCH" >>"$f"
  done
}
config "$tmp/prime.yaml" e2e apply
config "$tmp/e2e.yaml" e2e
config "$tmp/apply.yaml" apply
config "$tmp/native.yaml" native
export BENCH_PG_DSN=$SRCDB
# metric PORT NAME: the sum of a metric's samples, as an integer.
metric() { curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v m="$2" '$1 ~ "^"m"[{ ]" || $1 == m { s += $NF } END { printf "%.0f\n", s }'; }

# slot_active: Dovetail's slot is in use by a walsender.
slot_active() { [ "$(src -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dovetail_bench' AND active")" = 1 ]; }
# has_rows DB N: the follower database holds N rows in the five tables together.
has_rows() {
  [ "$(dst "$1" -c 'SELECT (SELECT count(*) FROM pgbench_accounts) + (SELECT count(*) FROM pgbench_branches) +
      (SELECT count(*) FROM pgbench_tellers) + (SELECT count(*) FROM pgbench_history) + (SELECT count(*) FROM bench_mark)' 2>/dev/null)" = "$2" ]
}

log "positioning: the subscription and dovetail (sinks e2e and apply) apply one priming row per table"
start_dovetail "$tmp/prime.yaml"
wait_for "active slot" 30 slot_active
src -c "INSERT INTO pgbench_branches VALUES (0, 0, 'prime')" \
    -c "INSERT INTO pgbench_tellers VALUES (0, 0, 0, 'prime')" \
    -c "INSERT INTO pgbench_accounts VALUES (0, 0, 0, 'prime')" \
    -c "INSERT INTO pgbench_history VALUES (0, 0, 0, 0, now(), 'prime')" \
    -c "INSERT INTO bench_mark VALUES (1, 'primed')"
wait_for "priming rows in native" 60 has_rows native 5
wait_for "priming rows in dv_e2e" 60 has_rows dv_e2e 5
wait_for "priming rows in dv_apply" 60 has_rows dv_apply 5
dst native -c 'ALTER SUBSCRIPTION bench_sub DISABLE'
sub_stopped() { [ "$(src -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'bench_sub' AND NOT active")" = 1 ]; }
wait_for "stopped subscription" 30 sub_stopped
nap 0.5 # for the last commit's position to reach Dovetail's stored offsets
stop dv_pid
src -c "SELECT slot_name, confirmed_flush_lsn FROM pg_replication_slots ORDER BY 1" >"$tmp/slots-start.txt"
log "  slots: $(tr '\n' ' ' <"$tmp/slots-start.txt")"

# ---- the workload ----
log "workload: pgbench -i -I g -s $SCALE, then $TX TPC-B transactions ($CLIENTS clients), then the end marker"
t0=$(now)
"$pgbench" -q -i -I g -s "$SCALE" "$SRCDB" 2>>"$tmp/pgbench.log"
"$pgbench" -n -c "$CLIENTS" -j "$(( CLIENTS < 2 ? CLIENTS : 2 ))" -t "$PERCLIENT" "$SRCDB" >"$tmp/pgbench-run.log" 2>&1 ||
  { cat "$tmp/pgbench-run.log" >&2; exit 1; }
src -c "INSERT INTO bench_mark VALUES (2, 'end')"
endlsn=$(src -c 'SELECT pg_current_wal_lsn()')
wal=$(src -c "SELECT pg_size_pretty(pg_wal_lsn_diff('$endlsn', confirmed_flush_lsn)) FROM pg_replication_slots WHERE slot_name = 'bench_sub'")
tps=$(awk '/^tps/ { printf "%.0f", $3; exit }' "$tmp/pgbench-run.log")
log "  written in $(elapsed "$t0" "$(now)")s ($tps TPC-B tps); $CHANGES row changes; WAL end $endlsn ($wal of WAL)"

# walsender SLOT: the pid of the source's walsender serving SLOT, if any.
walsender() { src -c "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$1' AND active"; }
# backends DB: the pids of the follower's client backends in DB (Dovetail's connections).
backends() { dst "$1" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$1' AND backend_type = 'client backend' AND pid <> pg_backend_pid()"; }
marker() { [ "$(dst "$1" -c 'SELECT count(*) FROM bench_mark WHERE id = 2')" = 1 ]; }

# applied SINK DB: "topic:partition:next offset" of every partition SINK stored in DB, sorted.
applied() { dst "$2" -c "SELECT topic || ':' || partition || ':' || (\"offset\" + 1) FROM dovetail_offsets WHERE sink = 'bench/$1'" | LC_ALL=C sort; }
# caught_up SINK DB: DB has the end marker and SINK applied every change topic to its end.
caught_up() {
  marker "$2" || return 1
  local want
  want=$(change_topic_ends)
  [ -n "$want" ] && [ "$(applied "$1" "$2")" = "$want" ]
}

# ---- a. native logical replication ----
log "a. native: ALTER SUBSCRIPTION bench_sub ENABLE, until the subscriber has the end marker"
t0=$(now)
dst native -c 'ALTER SUBSCRIPTION bench_sub ENABLE'
apid= wpid=
until marker native; do
  [ -n "$apid" ] || apid=$(dst native -c "SELECT pid FROM pg_stat_subscription WHERE subname = 'bench_sub' AND relid IS NULL")
  [ -n "$wpid" ] || wpid=$(walsender bench_sub)
  [ $(( ${EPOCHREALTIME%.*} - ${t0%.*} )) -lt 1800 ] || { echo "bench: native replication not caught up in 1800s" >&2; exit 1; }
  nap 0.1
done
t1=$(now)
nat_secs=$(elapsed "$t0" "$t1")
# The apply worker and walsender start with the subscription: their CPU time is this run's.
nat_acpu=$(tsecs 0 "$(ticks "$apid")") nat_wcpu=$(tsecs 0 "$(ticks "$wpid")")
recv=$(dst native -c "SELECT received_lsn FROM pg_stat_subscription WHERE subname = 'bench_sub' AND relid IS NULL")
dst native -c 'ALTER SUBSCRIPTION bench_sub DISABLE'
log "  ${nat_secs}s, $(rate "$CHANGES" "$nat_secs") changes/s; received up to $recv; CPU: apply worker ${nat_acpu}s, walsender ${nat_wcpu}s"

# dv_wait SINK DB PID PORT: polls until SINK caught up in DB (timed from t0, a global) while
# PID (the timed dovetail) runs; sets dvsecs, dvfirst (seconds until the sink's first
# applied record, from /metrics on PORT), dvrecs (its records), dvhwm (VmHWM, KB), dvcpu,
# dvbcpu (Dovetail's backends on the follower) and dvwcpu (its walsender, when it has one).
dv_wait() {
  local sink=$1 db=$2 pid=$3 port=$4 tf= bp= wp=
  rm -f "$tmp/cpu-dv" "$tmp/rss.txt"
  cpu_watch "$pid" "$tmp/cpu-dv" "$tmp/rss.txt"
  rss_pid=$!
  local t=0
  until caught_up "$sink" "$db"; do
    kill -0 "$pid" 2>/dev/null || { echo "bench: dovetail died" >&2; exit 1; }
    if [ -z "$tf" ] && [ "$(metric "$port" dovetail_sink_records_total)" -gt 0 ]; then tf=$(now); fi
    [ -n "$bp" ] || bp=$(backends "$db" | tr '\n' ' ')
    [ -n "$wp" ] || wp=$(walsender dovetail_bench)
    [ $(( ${EPOCHREALTIME%.*} - ${t0%.*} )) -lt 1800 ] || { echo "bench: sink $sink not caught up in 1800s" >&2; exit 1; }
    nap 0.1
  done
  t1=$(now)
  [ -n "$tf" ] || tf=$t1
  bp=$(backends "$db" | tr '\n' ' ')
  # shellcheck disable=SC2086
  dvbcpu=$(tsecs 0 "$(ticks $bp)")
  dvwcpu=-
  [ -z "$wp" ] || dvwcpu=$(tsecs 0 "$(ticks "$wp")")
  dvhwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
  nap 0.15
  dvcpu=$(secs "$tmp/cpu-dv")
  dvrecs=$(metric "$port" dovetail_sink_records_total)
  dvsecs=$(elapsed "$t0" "$t1") dvfirst=$(elapsed "$t0" "$tf")
  kill "$rss_pid" 2>/dev/null || true
  wait "$rss_pid" 2>/dev/null || true
  rss_pid=
}

# ---- b. Dovetail end to end ----
log "b. dovetail run (capture to Kafka and sink e2e), until dv_e2e has the end marker and every change topic's end"
t0=$(now)
start_dovetail "$tmp/e2e.yaml"
dv_wait e2e dv_e2e "$dv_pid" "$hport"
e2e_secs=$dvsecs e2e_first=$dvfirst e2e_recs=$dvrecs e2e_hwm=$dvhwm e2e_cpu=$dvcpu e2e_bcpu=$dvbcpu e2e_wcpu=$dvwcpu
e2e_changes=$(metric "$hport" dovetail_source_changes_total)
e2e_krecs=$(metric "$hport" dovetail_kafka_records_total)
ends=$(change_topic_ends | tr '\n' ' ')
log "  ${e2e_secs}s, $(rate "$CHANGES" "$e2e_secs") changes/s (first applied after ${e2e_first}s); source: $e2e_changes changes," \
  "$e2e_krecs records; sink: $e2e_recs records; CPU: dovetail ${e2e_cpu}s, walsender ${e2e_wcpu}s, follower backends ${e2e_bcpu}s;" \
  "peak RSS $((e2e_hwm / 1024)) MB; topic ends: $ends"
verify_sink "$tmp/e2e.yaml" 10m
e2e_verify=$vres
stop dv_pid

# ---- c. Dovetail apply only ----
log "c. dovetail run --role source serving Kafka; dovetail run --role sinks (sink apply) timed until dv_apply caught up"
"$bin" run -c "$tmp/apply.yaml" --role source >>"$tmp/dovetail.log" 2>&1 &
dvsrc_pid=$!
dv_pid=$dvsrc_pid
wait_for "active slot" 30 slot_active
dv_pid=
bsrc0=$(ticks "$dvsrc_pid")
t0=$(now)
start_dovetail "$tmp/apply.yaml" --role sinks --http-listen "127.0.0.1:$hport2"
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
  perf record -q -F 999 -g -p "$dv_pid" -o "$tmp/perf-apply.data" >>"$tmp/perf.log" 2>&1 &
  perf_pid=$!
fi
dv_wait apply dv_apply "$dv_pid" "$hport2"
app_secs=$dvsecs app_first=$dvfirst app_recs=$dvrecs app_hwm=$dvhwm app_cpu=$dvcpu app_bcpu=$dvbcpu
app_srccpu=$(tsecs "$bsrc0" "$(ticks "$dvsrc_pid")")
[ -z "$perf_pid" ] || { kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" 2>/dev/null || true; }
apply_sum=$(curl -fsS "http://127.0.0.1:$hport2/metrics" | awk '$1 ~ /^dovetail_sink_apply_seconds_(sum|count)/ { printf "%s ", $NF }')
log "  ${app_secs}s, $(rate "$CHANGES" "$app_secs") changes/s (first applied after ${app_first}s); sink: $app_recs records;" \
  "batches: $apply_sum(seconds, count); CPU: dovetail sinks ${app_cpu}s, dovetail source (serving Kafka) ${app_srccpu}s, follower backends ${app_bcpu}s;" \
  "peak RSS $((app_hwm / 1024)) MB"
verify_sink "$tmp/apply.yaml" 10m
app_verify=$vres
stop dv_pid
stop dvsrc_pid

log "verify of the native subscriber (--wait 0: it keeps no dovetail_offsets)"
verify_sink "$tmp/native.yaml" 0
nat_verify=$vres

# ---- results ----
r_nat=$(rate "$CHANGES" "$nat_secs") r_e2e=$(rate "$CHANGES" "$e2e_secs") r_app=$(rate "$CHANGES" "$app_secs")
ratio_e2e=$(awk -v a="$nat_secs" -v b="$e2e_secs" 'BEGIN { printf "%.2f", a / b }')
ratio_app=$(awk -v a="$nat_secs" -v b="$app_secs" 'BEGIN { printf "%.2f", a / b }')
aim=no
awk -v a="$ratio_app" 'BEGIN { exit !(a >= 1.0) }' && aim=yes

day=$(date +%F)
cpu=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }')
[ -n "$cpu" ] || cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GB", $2 / 1024 / 1024 }' /proc/meminfo)
machine="$(nproc) CPUs ($cpu), $mem RAM, $(uname -sr), load average $load0 at the start and $(cut -d' ' -f1-3 /proc/loadavg) at the end"
gover=$(go version 2>/dev/null | awk '{ print $3 }')
dvver=$("$bin" version 2>/dev/null | head -1 || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- cmd configs pipelines sources sinks schema internal go.mod go.sum 2>/dev/null)" ] || commit="$commit+dirty"
sinkopts="defaults (batch_size 2000, linger 100ms, parallelism 4)"
[ -z "$PAR$BATCH" ] || sinkopts="parallelism ${PAR:-4}, batch_size ${BATCH:-2000}"

section=$(cat <<EOF
## $day — $(hostname) — Postgres sink vs logical replication

- Machine: $machine;
  Postgres $pgver (two private servers from scripts/pg-server.sh, source and follower: fsync
  off, synchronous_commit off); $gover; dovetail $commit${dvver:+ ($dvver)}.
- Command: \`$cmdline\` (bench/sink.sh).
- Backlog: \`pgbench -i -I g -s $SCALE\` (a TRUNCATE and $LOADROWS rows in one transaction),
  $TX TPC-B transactions (pgbench, $CLIENTS clients, $tps tps; 3 updates + 1 history insert
  each), an end-marker row: **$CHANGES row changes**, $wal of WAL. Written while the
  subscription was disabled and Dovetail stopped, both positioned before it.
- Each catches up alone, timed from its start until the follower has everything: native
  until the subscriber has the end marker; Dovetail until its follower has the end marker
  and the sink's \`dovetail_offsets\` reach every change topic's end. Rates are source row
  changes per second. Dovetail's sink: $sinkopts; embedded Kafka, $PARTS partition(s) per table.

| replay | time | rate | CPU seconds | peak RSS |
| --- | --- | --- | --- | --- |
| native: CREATE SUBSCRIPTION (copy_data off, one apply worker) | ${nat_secs}s | **$r_nat/s** | apply worker $nat_acpu, walsender $nat_wcpu | |
| Dovetail end to end: \`dovetail run\` (capture to Kafka + sink) | ${e2e_secs}s | **$r_e2e/s** | dovetail $e2e_cpu, walsender $e2e_wcpu, follower backends $e2e_bcpu | $((e2e_hwm / 1024)) MB |
| Dovetail apply only: \`dovetail run --role sinks\`, Kafka holding the backlog | ${app_secs}s | **$r_app/s** | dovetail (sinks) $app_cpu, dovetail (source, serving Kafka) $app_srccpu, follower backends $app_bcpu | $((app_hwm / 1024)) MB |
| **Dovetail / native** (rate ratio) | end to end **$ratio_e2e**, apply only **$ratio_app** | | | |

- Dovetail's first applied record: ${e2e_first}s (end to end) and ${app_first}s (apply only)
  after process start. Source: $e2e_changes changes, $e2e_krecs Kafka records; sink: $e2e_recs
  and $app_recs records applied.
- \`dovetail verify --wait 10m\`: end to end: $e2e_verify; apply only: $app_verify.
  Native subscriber (\`--wait 0\`): $nat_verify.

Aim "Dovetail's apply at least as fast as native replication" (apply only): **$aim** (ratio
$ratio_app).
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
