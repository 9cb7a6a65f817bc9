#!/usr/bin/env bash
# A three-node RabbitMQ cluster on this machine, to try govwire against:
#   scripts/cluster.sh start    starts (or restarts) the nodes and prints the
#                               `url = [...]` line for govwire.toml
#   scripts/cluster.sh stop     stops the nodes (their data stays)
#   scripts/cluster.sh status   which nodes run, the cluster's members, and
#                               where each queue's leader and members are
#
# The nodes are govwire-cluster-{1,2,3}@localhost, with AMQP on
# 127.0.0.1:5681-5683, Erlang distribution on 127.0.0.1:25681-25683, one
# Erlang cookie, and their data, logs and configuration under
# target/rabbitmq-cluster/. They are nodes of their own: a RabbitMQ already
# running on 5672 (the system's) is never touched.
#
# The RabbitMQ scripts are taken from $GOVWIRE_RABBITMQ_BIN when set (a
# directory holding rabbitmq-server and rabbitmqctl), else from beside the
# rabbitmq-server on the PATH (Debian's wrapper, which would switch to the
# rabbitmq user and its node, is looked through to the scripts it wraps).
set -euo pipefail

cd "$(dirname "$0")/.."
base="$PWD/target/rabbitmq-cluster"
nodes=(1 2 3)
amqp_port() { echo $((5680 + $1)); }
dist_port() { echo $((25680 + $1)); }
node_name() { echo "govwire-cluster-$1@localhost"; }

find_bin() {
  if [ -n "${GOVWIRE_RABBITMQ_BIN:-}" ]; then
    if [ -x "$GOVWIRE_RABBITMQ_BIN/rabbitmq-server" ] && [ -x "$GOVWIRE_RABBITMQ_BIN/rabbitmqctl" ]; then
      echo "$GOVWIRE_RABBITMQ_BIN"; return 0
    fi
    echo "cluster: GOVWIRE_RABBITMQ_BIN=$GOVWIRE_RABBITMQ_BIN holds no rabbitmq-server and rabbitmqctl." >&2
    return 1
  fi
  local server
  if ! server=$(command -v rabbitmq-server 2>/dev/null); then
    # Debian installs it in /usr/sbin, which a plain user's PATH may lack.
    for dir in /usr/lib/rabbitmq/bin /usr/sbin /usr/local/sbin; do
      [ -x "$dir/rabbitmq-server" ] && server="$dir/rabbitmq-server" && break
    done
  fi
  if [ -z "${server:-}" ]; then
    cat >&2 <<'EOF'
cluster: rabbitmq-server is not installed, and the cluster is made of its nodes.
  Install it (Debian/Ubuntu: sudo apt-get install rabbitmq-server; it brings Erlang),
  or set GOVWIRE_RABBITMQ_BIN to a directory holding rabbitmq-server and rabbitmqctl,
  then run `make cluster` again. The system's service need not run: the cluster's
  nodes are started from these scripts as nodes of their own.
EOF
    return 1
  fi
  local dir
  dir=$(dirname "$(readlink -f "$server")")
  # Debian's rabbitmq-script-wrapper runs the real scripts as the rabbitmq
  # user with the system node's cookie and directories; use the real ones.
  if grep -q "su rabbitmq" "$dir/rabbitmq-server" 2>/dev/null || [ ! -x "$dir/rabbitmqctl" ]; then
    if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] && ! grep -q "su rabbitmq" /usr/lib/rabbitmq/bin/rabbitmq-server; then
      dir=/usr/lib/rabbitmq/bin
    else
      echo "cluster: found $server but not the RabbitMQ scripts it wraps; set GOVWIRE_RABBITMQ_BIN." >&2
      return 1
    fi
  fi
  echo "$dir"
}

# Runs a RabbitMQ script ($2...) in node $1's environment: its name, ports,
# directories and cookie, nothing of the system's node.
in_node() {
  local n=$1; shift
  local dir="$base/$n"
  env -u ERL_FLAGS -u RABBITMQ_USE_LONGNAME \
    HOME="$dir/home" \
    RABBITMQ_NODENAME="$(node_name "$n")" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
    RABBITMQ_DIST_PORT="$(dist_port "$n")" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_PID_FILE="$dir/node.pid" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    ERL_CRASH_DUMP="$dir/log/erl_crash.dump" \
    "$@"
}

ctl() { local n=$1; shift; in_node "$n" "$bin/rabbitmqctl" -n "$(node_name "$n")" "$@"; }

# How a person runs rabbitmqctl against node $1 (its cookie is in its HOME).
ctl_hint() { echo "HOME=$base/$1/home $bin/rabbitmqctl -n $(node_name "$1")"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { ctl "$1" -q ping >/dev/null 2>&1; }

prepare() {
  mkdir -p "$base"
  if [ ! -s "$base/cookie" ]; then
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F > "$base/cookie")
  fi
  for n in "${nodes[@]}"; do
    local dir="$base/$n"
    mkdir -p "$dir/home" "$dir/log"
    install -m 0400 "$base/cookie" "$dir/home/.erlang.cookie.new"
    mv -f "$dir/home/.erlang.cookie.new" "$dir/home/.erlang.cookie"
    echo "[]." > "$dir/enabled_plugins"
    : > "$dir/rabbitmq-env.conf"
    echo "[]." > "$dir/advanced.config"
    printf 'listeners.tcp.1 = 127.0.0.1:%s\n' "$(amqp_port "$n")" > "$dir/rabbitmq.conf"
  done
}

urls_line() {
  local urls=()
  for n in "${nodes[@]}"; do urls+=("\"amqp://guest:guest@127.0.0.1:$(amqp_port "$n")/%2f\""); done
  local IFS=,
  echo "url = [${urls[*]}]" | sed 's/,/, /g'
}

start() {
  bin=$(find_bin)
  prepare
  local started=()
  for n in "${nodes[@]}"; do
    if running "$n"; then
      echo "cluster: $(node_name "$n") is already running (AMQP on 127.0.0.1:$(amqp_port "$n"))"
      continue
    fi
    for port in "$(amqp_port "$n")" "$(dist_port "$n")"; do
      if port_open "$port"; then
        echo "cluster: port $port on 127.0.0.1 is taken by another program; $(node_name "$n") needs it." >&2
        exit 1
      fi
    done
    rm -f "$base/$n/node.pid"
    # Its own session, so the node outlives this script and its terminal.
    in_node "$n" setsid "$bin/rabbitmq-server" </dev/null >>"$base/$n/log/server.out" 2>&1 &
    started+=("$n")
  done
  # Nodes of an existing cluster wait for each other at boot: they were all
  # started above before any is waited for.
  for n in "${started[@]}"; do
    if ! ctl "$n" -q wait "$base/$n/node.pid" --timeout 120 >/dev/null; then
      echo "cluster: $(node_name "$n") did not start; see $base/$n/log/ (server.out and the node's log)." >&2
      tail -n 20 "$base/$n/log/server.out" >&2 || true
      exit 1
    fi
    echo "cluster: started $(node_name "$n") (AMQP on 127.0.0.1:$(amqp_port "$n"))"
  done
  local first
  first=$(node_name 1)
  for n in "${nodes[@]:1}"; do
    if ctl "$n" -q cluster_status --formatter json 2>/dev/null | grep -q "\"$first\""; then
      continue
    fi
    echo "cluster: joining $(node_name "$n") to $first"
    local log="$base/$n/log/join.out"
    if ! { ctl "$n" stop_app && ctl "$n" reset && ctl "$n" join_cluster "$first" && ctl "$n" start_app; } >>"$log" 2>&1; then
      echo "cluster: $(node_name "$n") could not join $first; see $log" >&2
      exit 1
    fi
  done
  for n in "${nodes[@]}"; do ctl "$n" -q await_startup >/dev/null; done
  # The policy of deploy/rabbitmq/definitions.json: spread the quorum
  # queues' leaders over the nodes instead of all on the one govwire
  # connected to first.
  ctl 1 -q set_policy --apply-to queues govwire-queue-leaders '^govwire\.' \
    '{"queue-leader-locator":"balanced"}' >/dev/null
  echo
  echo "A three-node RabbitMQ cluster runs on 127.0.0.1:5681-5683 (user guest, vhost /)."
  echo "Put this in the [amqp] section of config/govwire.toml (or set"
  echo "GOVWIRE__AMQP__URL to the addresses separated by commas):"
  echo
  echo "  $(urls_line)"
  echo
  echo "Stop one node to see govwire move to another:"
  echo "  $(ctl_hint 1) stop_app     (and start_app to bring it back)"
  echo "Where the queues' leaders are: scripts/cluster.sh status"
  echo "Stop the cluster with: make cluster-stop"
}

stop() {
  bin=$(find_bin)
  if [ ! -d "$base" ]; then
    echo "cluster: nothing to stop (no $base)"
    return 0
  fi
  for n in "${nodes[@]}"; do
    if running "$n"; then
      ctl "$n" -q stop >/dev/null && echo "cluster: stopped $(node_name "$n")"
    else
      echo "cluster: $(node_name "$n") is not running"
    fi
  done
  echo "Their data stays in $base; \`make cluster\` starts them again."
}

status() {
  bin=$(find_bin)
  local any=
  for n in "${nodes[@]}"; do
    if [ -d "$base/$n" ] && running "$n"; then
      echo "$(node_name "$n"): running, AMQP on 127.0.0.1:$(amqp_port "$n")"
      any=$n
    else
      echo "$(node_name "$n"): not running"
    fi
  done
  if [ -n "$any" ]; then
    echo
    ctl "$any" cluster_status || true
    echo
    echo "Queues (leader and members):"
    ctl "$any" -q list_queues name type leader members || true
    echo
    echo "$(urls_line)"
    echo
    echo "rabbitmqctl for a node: $(ctl_hint 1) <command>"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
