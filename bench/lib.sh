# bench/lib.sh — what bench/run.sh, bench/mysql.sh and bench/sink.sh share. Sourced after
# each sets $tmp (its temp dir) and $root (the repository).

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
now() { echo "$EPOCHREALTIME"; }
# nap SECONDS: sleep without forking (the samplers must not steal CPU from what they
# measure on a 2-core machine).
exec {napfd}<> <(:)
nap() { read -r -t "$1" -u "$napfd" _ || true; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# stop_pid PID: SIGTERM, up to 10s, then SIGKILL.
stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

tick=$(getconf CLK_TCK)
pagekb=$(( $(getconf PAGESIZE) / 1024 ))

# cpu_watch PID FILE [RSSFILE]: until PID exits, every 100 ms and with bash builtins only,
# keeps FILE holding PID's CPU time in clock ticks (user + system) and appends
# "EPOCHREALTIME rss_kb" to RSSFILE when given.
cpu_watch() {
  local pid=$1 f=$2 rf=${3:-}
  ( local st rss
    while read -r st 2>/dev/null <"/proc/$pid/stat"; do
      st=${st##*) }
      set -- $st
      echo "$(( ${12} + ${13} ))" >"$f"
      if [ -n "$rf" ] && read -r _ rss _ 2>/dev/null <"/proc/$pid/statm"; then
        echo "$EPOCHREALTIME $(( rss * pagekb ))" >>"$rf"
      fi
      nap 0.1
    done ) &
}
# secs FILE: the ticks cpu_watch left in FILE, as seconds.
secs() { awk -v t="$tick" '{ printf "%.2f\n", $1 / t }' "$1" 2>/dev/null || echo "?"; }
# ticks PID...: the CPU ticks the processes used so far (gone ones count 0).
ticks() {
  local p st n=0
  for p in "$@"; do
    read -r st 2>/dev/null <"/proc/$p/stat" || continue
    st=${st##*) }
    set -- $st
    n=$(( n + ${12} + ${13} ))
  done
  echo "$n"
}
# ticks_reaped PID: ticks_of PID plus those of its children that exited and were waited
# for (a postmaster's finished backends).
ticks_reaped() {
  local st
  read -r st 2>/dev/null <"/proc/$1/stat" || { echo 0; return; }
  st=${st##*) }
  set -- $st
  echo $(( ${12} + ${13} + ${14} + ${15} ))
}
tsecs() { awk -v a="$1" -v b="$2" -v t="$tick" 'BEGIN { printf "%.2f", (b - a) / t }'; }

# dovetail_bin: $DOVETAIL_BIN, or dovetail built from this tree into $tmp; sets $bin.
dovetail_bin() {
  bin=${DOVETAIL_BIN:-}
  if [ -z "$bin" ]; then
    log "building dovetail"
    go build -o "$tmp/dovetail" ./cmd/dovetail
    bin=$tmp/dovetail
  fi
}

# record_section SECTION: replaces the section of BENCHMARKS.md with SECTION's first line
# (its date, host and title), or inserts it before the other dated sections; text after
# them (notes) stays after them.
record_section() {
  local f=$root/BENCHMARKS.md
  [ -f "$f" ] || printf '# Benchmarks\n\n' >"$f"
  python3 - "$f" "$1" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2].rstrip() + "\n"
text = open(path).read()
head = section.splitlines()[0]
parts = re.split(r"(?m)^(?=## )", text)
intro, sections = parts[0], [p for p in parts[1:] if p.splitlines()[0] != head]
# Keep any text below the results (a notes section) after them.
sections = [s if s.endswith("\n\n") else s.rstrip() + "\n\n" for s in sections]
results = [s for s in sections if re.match(r"## \d{4}-\d\d-\d\d", s)]
other = [s for s in sections if not re.match(r"## \d{4}-\d\d-\d\d", s)]
out = intro.rstrip() + "\n\n" + section + "\n" + "".join(results) + "".join(other)
open(path, "w").write(out.rstrip() + "\n")
PY
  log "recorded in BENCHMARKS.md"
}
