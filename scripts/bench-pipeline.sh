#!/usr/bin/env bash
# The whole pipeline's cost per reply: the fixture portal serving N distinct
# replies (`govwire fixture-portal --scale N`), `govwire all` on a fresh
# SQLite store with politeness off (no delay between requests) until every
# reply is archived. Prints the wall time, replies/s, the CPU time of govwire
# and of the RabbitMQ node over the run (from /proc) per reply, and govwire's
# peak RSS. Everything it creates (exchanges, queues, database) is its own.
# Usage: scripts/bench-pipeline.sh [N] [RUNS] [CONCURRENCY]
#        (defaults 3000, 3 and 1: requests to the portal in flight at once)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3000}
runs=${2:-3}
concurrency=${3:-1}
bin=./target/release/govwire
[ -x "$bin" ] || { echo "bench-pipeline: $bin is missing; run 'make release' first" >&2; exit 1; }
hz=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# CPU seconds (user + system) a process has used, children reaped included.
cpu_of() { awk -v hz="$hz" '{ printf "%.3f", ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat"; }
broker_pid() { pgrep -f 'beam.smp.*rabbit' | head -1; }

broker=$(broker_pid)
[ -n "$broker" ] || { echo "bench-pipeline: no RabbitMQ node is running (make rabbitmq)" >&2; exit 1; }

echo "pipeline benchmark: $n replies, $runs runs, politeness off, concurrency $concurrency, govwire all on SQLite"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "| run | wall s | replies/s | CPU ms/reply (govwire) | CPU ms/reply (RabbitMQ) | CPU ms/reply (both) | peak RSS MB |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
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
  "$bin" init >/dev/null

  broker_before=$(cpu_of "$broker")
  start=$(date +%s.%N)
  "$bin" --log-format json all --base-url "shpt=http://127.0.0.1:$portal_port" 2>"$work/pipeline.log" &
  pid=$!
  archived=0
  while [ "$archived" -lt "$n" ]; do
    sleep 0.5
    kill -0 "$pid" 2>/dev/null || { echo "bench-pipeline: govwire stopped; see $work/pipeline.log" >&2; exit 1; }
    archived=$(curl -sf "http://127.0.0.1:$archive_port/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["replies"])' 2>/dev/null || echo 0)
  done
  end=$(date +%s.%N)
  govwire_cpu=$(cpu_of "$pid")
  broker_after=$(cpu_of "$broker")
  rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid" "$portal_pid"; wait "$pid" "$portal_pid" 2>/dev/null || true
  python3 - "$n" "$start" "$end" "$govwire_cpu" "$broker_before" "$broker_after" "$rss_kb" "$run" <<'PY'
import sys
n, start, end, g, b0, b1, rss, run = sys.argv[1:]
n = int(n); wall = float(end) - float(start)
g = float(g) * 1000 / n; b = (float(b1) - float(b0)) * 1000 / n
print(f"| {run} | {wall:.1f} | {n / wall:.1f} | {g:.2f} | {b:.2f} | {g + b:.2f} | {int(rss) / 1024:.0f} |")
PY
  rm -rf "$work"
done
