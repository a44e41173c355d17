#!/bin/sh
# Run every benchmark; writes bench/results/latest.json and prints the table. Arguments go to bench/run.py.
set -e
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
# The project's own environment (scripts/bootstrap.sh makes it): a fresh clone has psutil nowhere else.
[ -x "$here/../.venv/bin/python" ] && [ -z "$PYTHON" ] && python="$here/../.venv/bin/python"
exec "$python" "$here/run.py" "$@"
