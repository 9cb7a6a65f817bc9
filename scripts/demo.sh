#!/usr/bin/env bash
# The pipeline against the fixture portal: starts the fixture portal, follows
# the events exchange with `govwire tail`, runs `govwire all`, edits one reply
# on the portal to show an update, and ends with a summary. Everything it
# creates (exchanges, queues, database) is its own and goes away at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${GOVWIRE_BIN:-./target/debug/govwire}
[ -x "$bin" ] || { echo "demo: $bin is missing; run 'make build' first" >&2; exit 1; }

work=$(mktemp -d)
run_id="demo-$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)); local what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then echo "demo: timed out waiting for $what" >&2; return 1; fi
    sleep 0.3
  done
}

portal_port=$(free_port)
archive_port=$(free_port)
analytics_port=$(free_port)
portal="http://127.0.0.1:$portal_port"
archive="http://127.0.0.1:$archive_port"
analytics="http://127.0.0.1:$analytics_port"

export GOVWIRE__AMQP__EVENTS_EXCHANGE="govwire.$run_id.events"
export GOVWIRE__AMQP__PIPELINE_EXCHANGE="govwire.$run_id.pipeline"
export GOVWIRE__AMQP__QUEUE_PREFIX="govwire.$run_id"
export GOVWIRE__AMQP__QUEUE_EXPIRES_SECS=120
export GOVWIRE__STORE__URL="sqlite://$work/govwire.db"
export GOVWIRE__ARCHIVE__LISTEN="127.0.0.1:$archive_port"
export GOVWIRE__ANALYTICS__LISTEN="127.0.0.1:$analytics_port"
export GOVWIRE__CRAWLER__MIN_DELAY_MS=50
export GOVWIRE__CRAWLER__POLL_INTERVAL_SECS=2
export GOVWIRE__CRAWLER__REVISIT_INTERVAL_SECS=2
export GOVWIRE__CRAWLER__REVISIT_MIN_INTERVAL_SECS=1
export GOVWIRE__LOG__LEVEL=warn

echo "== govwire init (the demo's own SQLite store)"
"$bin" init | sed 's/^/   /'

echo "== fixture portal on $portal"
"$bin" --log-format json fixture-portal --port "$portal_port" >"$work/portal.out" 2>"$work/portal.log" &
pids+=($!)
wait_for 20 "the fixture portal" curl -sf "$portal/robots.txt"
replies=$(curl -sf "$portal/_admin/documents" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(1 for x in d if x.get("is_reply", True)))')
echo "   it serves $replies replies (and a few pages that are not replies)"

echo "== following events (govwire tail)"
: >"$work/events.txt"
"$bin" tail >"$work/events.txt" 2>"$work/tail.log" &
pids+=($!)
tail -n +1 -f "$work/events.txt" | sed -u 's/^/   event: /' &
pids+=($!)
wait_for 20 "govwire tail to bind its queue" grep -q "Following" "$work/tail.log"

echo "== govwire all (crawler, parser, notifier, archive, alerts, analytics) against the fixture"
"$bin" all --base-url "shpt=$portal" 2>"$work/pipeline.log" &
pids+=($!)
count() { curl -sf "$archive/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
archived() { [ "$(count replies 2>/dev/null || echo 0)" -ge "$replies" ]; }
wait_for 120 "every reply to reach the archive" archived

first=$(curl -sf "$portal/_admin/documents" | python3 -c 'import json,sys; d=[x for x in json.load(sys.stdin) if x.get("is_reply", True)]; print(d[0]["item_id"])')
echo "== editing item $first on the portal: 办理结果 becomes 部分采纳"
curl -sf -X PATCH -H 'content-type: application/json' -d '{"handling_result":"部分采纳"}' "$portal/_admin/documents/$first" >/dev/null
wait_for 60 "the update event" grep -q "reply.updated" "$work/events.txt"

echo
echo "== summary"
echo "   replies archived:   $(count replies)"
echo "   versions archived:  $(count versions)"
echo "   published events:   $(grep -c 'reply.published' "$work/events.txt" || true)"
echo "   updated events:     $(grep -c 'reply.updated' "$work/events.txt" || true)"
echo "   archive API:        $archive/replies (stopped with the demo)"
analytics_total() { curl -sf "$analytics/analytics" | python3 -c "import json,sys; print(json.load(sys.stdin)['totals']['replies'])"; }
counted() { [ "$(analytics_total 2>/dev/null || echo 0)" -ge "$replies" ]; }
wait_for 60 "analytics to count every reply" counted
curl -sf "$analytics/report" >"$work/report.html"
mkdir -p target && cp "$work/report.html" target/demo-report.html
echo "   analytics:          $(analytics_total) replies counted; report written to target/demo-report.html"
