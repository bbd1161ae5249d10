# bench/sinklib.sh — what bench/sink.sh and bench/mysql-sink.sh share: starting, stopping
# and waiting for Dovetail workers, and running `dovetail verify`. Sourced after
# bench/lib.sh; uses $bin, $tmp, log and nap from there and the caller's metric.

# change_topic_ends: "topic:partition:end" of every non-empty partition of every change
# topic (bench.<schema or database>.<table>), sorted.
change_topic_ends() {
  local t p
  for t in $(kcat -b "127.0.0.1:$bport" -L 2>/dev/null | sed -n 's/^ *topic "\(bench\.[^.]*\.[^.]*\)" with.*/\1/p'); do
    for p in $(seq 0 $((PARTS - 1))); do
      kcat -b "127.0.0.1:$bport" -Q -t "$t:$p:-1" 2>/dev/null | awk '{ gsub(/[][]/, "", $2); if ($4 > 0) print $1 ":" $2 ":" $4 }'
    done
  done | LC_ALL=C sort
}
# start_dovetail CONFIG [ARGS...]: starts dovetail in the background; sets dv_pid.
start_dovetail() {
  local cfg=$1; shift
  "$bin" run -c "$cfg" "$@" >>"$tmp/dovetail.log" 2>&1 &
  dv_pid=$!
}
# stop PIDVAR: SIGTERM to the dovetail in $PIDVAR, which must exit 0.
stop() {
  local pid=${!1} rc=0
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  eval "$1="
  [ $rc -eq 0 ] || { echo "bench: dovetail exited $rc" >&2; exit 1; }
}
# verify_sink CONFIG WAIT: runs dovetail verify; sets vres ("0 differences" or what differs)
# and keeps its output in verify-<config>.txt.
verify_sink() {
  local out=$tmp/verify-$(basename "$1" .yaml).txt rc=0
  "$bin" verify -c "$1" --wait "$2" >"$out" 2>>"$tmp/dovetail.log" || rc=$?
  if [ $rc -eq 0 ]; then
    vres="0 differences ($(grep -c '^ *OK' "$out" || true) tables equal)"
  else
    vres="DIFFERENCES (exit $rc): $( (grep -v '^ *OK' "$out" || true) | tr -s ' \n' ' ' | cut -c1-300)"
    verify_failed=1
  fi
  log "  verify: $vres"
}
# wait_for WHAT SECONDS CMD...: polls CMD every 100 ms.
wait_for() {
  local what=$1 secs=$2; shift 2
  local t0=${EPOCHREALTIME%.*}
  until "$@"; do
    [ -z "$dv_pid" ] || kill -0 "$dv_pid" 2>/dev/null || { echo "bench: dovetail died waiting for $what" >&2; exit 1; }
    [ $(( ${EPOCHREALTIME%.*} - t0 )) -lt "$secs" ] || { echo "bench: no $what after ${secs}s" >&2; exit 1; }
    nap 0.1
  done
}
