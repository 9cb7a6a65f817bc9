#!/usr/bin/env bash
# Makes sure a RabbitMQ broker answers on $GOVWIRE_AMQP_HOST:$GOVWIRE_AMQP_PORT
# (default 127.0.0.1:5672): uses a running one, else starts an installed one,
# else installs it from the system's packages, else says what is missing.
set -euo pipefail
host=${GOVWIRE_AMQP_HOST:-127.0.0.1}
port=${GOVWIRE_AMQP_PORT:-5672}

up() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }
wait_up() {
  for _ in $(seq 1 90); do up && return 0; sleep 1; done
  return 1
}

if up; then echo "RabbitMQ: answering on $host:$port"; exit 0; fi
if [ "$host" != 127.0.0.1 ] && [ "$host" != localhost ]; then
  echo "RabbitMQ: nothing answers on $host:$port, and it is not this machine: start it there." >&2
  exit 1
fi
if ! command -v rabbitmq-server >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "RabbitMQ: not installed; installing rabbitmq-server from the system's packages..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  else
    echo "RabbitMQ: not running on $host:$port and not installed." >&2
    echo "  Install it (Debian/Ubuntu: sudo apt-get install rabbitmq-server) or point" >&2
    echo "  GOVWIRE__AMQP__URL at a broker, then run this again." >&2
    exit 1
  fi
fi
echo "RabbitMQ: starting the installed server..."
if command -v systemctl >/dev/null 2>&1 && systemctl start rabbitmq-server 2>/dev/null; then :; else
  rabbitmq-server -detached >/dev/null 2>&1 || true
fi
if wait_up; then echo "RabbitMQ: answering on $host:$port"; exit 0; fi
echo "RabbitMQ: started but still not answering on $host:$port after 90 s; see its log (/var/log/rabbitmq/)." >&2
exit 1
