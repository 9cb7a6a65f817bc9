#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the test suite:
# uses a running one, else starts an installed cluster, else installs it from
# the system's packages, else says what is missing. GOVWIRE_TEST_POSTGRES_URL
# points the tests elsewhere (then this script only checks).
set -euo pipefail
host=127.0.0.1
port=5432
if [ -n "${GOVWIRE_TEST_POSTGRES_URL:-}" ]; then
  echo "PostgreSQL: tests use GOVWIRE_TEST_POSTGRES_URL"; exit 0
fi
up() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }
wait_up() {
  for _ in $(seq 1 60); do up && return 0; sleep 1; done
  return 1
}
if up; then echo "PostgreSQL: answering on $host:$port"; exit 0; fi
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "PostgreSQL: not installed; installing postgresql from the system's packages..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL: not running on $host:$port and not installed." >&2
    echo "  Install it (Debian/Ubuntu: sudo apt-get install postgresql) or set" >&2
    echo "  GOVWIRE_TEST_POSTGRES_URL=postgres://user@host:port/postgres, then run this again." >&2
    exit 1
  fi
fi
echo "PostgreSQL: starting the installed cluster..."
if command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ] && command -v pg_createcluster >/dev/null 2>&1; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    pg_createcluster "$version" main >/dev/null
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster "$version" main start || true
fi
if wait_up; then
  echo "PostgreSQL: answering on $host:$port"
  echo "  (the tests connect as postgres@127.0.0.1 with trust or peer-free auth; set GOVWIRE_TEST_POSTGRES_URL otherwise)"
  exit 0
fi
echo "PostgreSQL: started but not answering on $host:$port after 60 s." >&2
exit 1
