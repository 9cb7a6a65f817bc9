#!/usr/bin/env bash
# The whole pipeline's cost per reply: the fixture portal serving N distinct
# replies (`govwire fixture-portal --scale N`), `govwire all` on a fresh
# SQLite store with politeness off (no delay between requests) until every
# reply is archived. Prints the wall time, replies/s, the CPU time of govwire
# and of the RabbitMQ node over the run (from /proc) per reply, and govwire's
# peak RSS. Everything it creates (exchanges, queues, database) is its own.
# Usage: scripts/bench-pipeline.sh [N] [RUNS] [CONCURRENCY] [all|split]
#        (defaults 3000, 3, 1 (requests to the portal in flight at once) and
#        all; `split` runs each daemon as its own process, and the figures
#        for govwire are then the sum over the six processes)
#        GOVWIRE_BIN=PATH times another build (default target/release/govwire),
#        to compare two builds the same hour.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3000}
runs=${2:-3}
concurrency=${3:-1}
mode=${4:-all}
case "$mode" in all|split) ;; *) echo "bench-pipeline: mode is all or split, not $mode" >&2; exit 2;; esac
bin=${GOVWIRE_BIN:-./target/release/govwire}
[ -x "$bin" ] || { echo "bench-pipeline: $bin is missing; run 'make release' first" >&2; exit 1; }
hz=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# CPU seconds (user + system) a process has used, children reaped included.
cpu_of() { awk -v hz="$hz" '{ printf "%.3f", ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat"; }
broker_pid() { pgrep -f 'beam.smp.*rabbit' | head -1; }

broker=$(broker_pid)
[ -n "$broker" ] || { echo "bench-pipeline: no RabbitMQ node is running (make rabbitmq)" >&2; exit 1; }

echo "pipeline benchmark: $n replies, $runs runs, politeness off, concurrency $concurrency, govwire $mode on SQLite"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "| run | wall s | replies/s | CPU ms/reply (govwire) | CPU ms/reply (RabbitMQ) | CPU ms/reply (both) | fetch→archived p50 ms | p99 ms | peak RSS MB |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for run in $(seq 1 "$runs"); do
  work=$(mktemp -d)
  id="bench-$$-$run"
  portal_port=$(free_port)
  archive_port=$(free_port)
  analytics_port=$(free_port)
  "$bin" --log-format json fixture-portal --port "$portal_port" --scale "$n" >"$work/portal.out" 2>"$work/portal.log" &
  portal_pid=$!
  until curl -sf "http://127.0.0.1:$portal_port/robots.txt" >/dev/null; do sleep 0.2; done

  export GOVWIRE__AMQP__EVENTS_EXCHANGE="govwire.$id.events"
  export GOVWIRE__AMQP__PIPELINE_EXCHANGE="govwire.$id.pipeline"
  export GOVWIRE__AMQP__QUEUE_PREFIX="govwire.$id"
  export GOVWIRE__AMQP__QUEUE_EXPIRES_SECS=120
  export GOVWIRE__STORE__URL="sqlite://$work/govwire.db"
  export GOVWIRE__ARCHIVE__LISTEN="127.0.0.1:$archive_port"
  export GOVWIRE__ANALYTICS__LISTEN="127.0.0.1:$analytics_port"
  export GOVWIRE__CRAWLER__MIN_DELAY_MS=0
  export GOVWIRE__CRAWLER__CONCURRENCY="$concurrency"
  # The shipped profile walks at most 20 list pages a poll; the first poll
  # here walks the whole list, as a backfill does.
  mkdir "$work/portals"
  sed 's/^max_pages = .*/max_pages = 1000000/' config/portals/shpt.toml >"$work/portals/shpt.toml"
  export GOVWIRE__CRAWLER__PORTALS_DIR="$work/portals"
  export GOVWIRE__LOG__LEVEL=warn
  # Any free port for each process's health and metrics listener.
  export GOVWIRE__TELEMETRY__LISTEN=127.0.0.1:0
  "$bin" init >/dev/null

  broker_before=$(cpu_of "$broker")
  start=$(date +%s.%N)
  pids=()
  if [ "$mode" = all ]; then
    "$bin" --log-format json all --base-url "shpt=http://127.0.0.1:$portal_port" 2>"$work/pipeline.log" &
    pids+=($!)
  else
    for daemon in parser notifier archive alerts analytics crawler; do
      "$bin" --log-format json "$daemon" --base-url "shpt=http://127.0.0.1:$portal_port" 2>"$work/$daemon.log" &
      pids+=($!)
    done
  fi
  archived=0
  while [ "$archived" -lt "$n" ]; do
    sleep 0.5
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "bench-pipeline: a govwire process stopped; see the logs in $work" >&2; exit 1; }
    done
    archived=$(curl -sf "http://127.0.0.1:$archive_port/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["replies"])' 2>/dev/null || echo 0)
  done
  end=$(date +%s.%N)
  govwire_cpu=0
  rss_kb=0
  shares=()
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    cpu=$(cpu_of "$pid")
    shares+=("$(python3 -c "print(f'{$cpu * 1000 / $n:.2f}')")")
    govwire_cpu=$(python3 -c "print($govwire_cpu + $cpu)")
    rss_kb=$((rss_kb + $(awk '/VmHWM/ {print $2}' "/proc/$pid/status")))
  done
  broker_after=$(cpu_of "$broker")
  if [ "$mode" = split ]; then
    # Each daemon's own CPU ms per reply, on stderr beside the table.
    echo "run $run, CPU ms/reply by daemon: parser ${shares[0]}, notifier ${shares[1]}, archive ${shares[2]}, alerts ${shares[3]}, analytics ${shares[4]}, crawler ${shares[5]}" >&2
  fi
  kill -TERM "${pids[@]}" "$portal_pid"; wait "${pids[@]}" "$portal_pid" 2>/dev/null || true
  python3 - "$n" "$start" "$end" "$govwire_cpu" "$broker_before" "$broker_after" "$rss_kb" "$run" "$work/govwire.db" <<'PY'
import sqlite3, sys
from datetime import datetime
n, start, end, g, b0, b1, rss, run, db = sys.argv[1:]
n = int(n); wall = float(end) - float(start)
g = float(g) * 1000 / n; b = (float(b1) - float(b0)) * 1000 / n
def instant(text):
    # RFC 3339 with up to nine fractional digits; microseconds suffice.
    text = text.replace("Z", "+00:00")
    if "." in text:
        head, tail = text.split(".", 1)
        digits = tail[:tail.index("+")] if "+" in tail else tail
        text = f"{head}.{(digits + '000000')[:6]}+00:00"
    return datetime.fromisoformat(text)
rows = sqlite3.connect(db).execute(
    "SELECT received_at, json_extract(record, '$.fetched_at') FROM archive_versions").fetchall()
lat = sorted((instant(r) - instant(f)).total_seconds() * 1000 for r, f in rows if f)
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
print(f"| {run} | {wall:.1f} | {n / wall:.1f} | {g:.2f} | {b:.2f} | {g + b:.2f} | {pick(0.5):.0f} | {pick(0.99):.0f} | {int(rss) / 1024:.0f} |")
PY
  rm -rf "$work"
done
