#!/usr/bin/env bash
# Makes the Python subscriber example runnable for the tests: a virtual
# environment in target/python-consumer-venv with the packages of
# examples/python-consumer/requirements.txt (pika, jsonschema). Says what
# is missing when python3 or its venv module is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/python-consumer-venv
requirements=examples/python-consumer/requirements.txt
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$stamp"; then
  echo "Python example: ready in $venv"; exit 0
fi
command -v python3 >/dev/null 2>&1 || {
  echo "Python example: python3 is missing (Debian/Ubuntu: sudo apt-get install python3 python3-venv)" >&2; exit 1; }
mkdir -p target
python3 -m venv "$venv" || {
  echo "Python example: python3 cannot make a virtual environment (Debian/Ubuntu: sudo apt-get install python3-venv)" >&2; exit 1; }
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
echo "Python example: installed $(tr '\n' ' ' < "$requirements")in $venv"
