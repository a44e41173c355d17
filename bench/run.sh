#!/bin/sh
# Run every benchmark; writes bench/results/latest.json and prints the table. Arguments go to bench/run.py.
set -e
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-}
if [ -z "$python" ]; then
  # The project's own environment, made on a fresh clone: psutil, and pytest for the test helpers green_bench uses.
  [ -x "$here/../.venv/bin/python" ] || bash "$here/../scripts/bootstrap.sh" >&2
  python="$here/../.venv/bin/python"
fi
exec "$python" "$here/run.py" "$@"
