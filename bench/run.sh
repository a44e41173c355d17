#!/bin/sh
# Run every benchmark; writes bench/results/latest.json and prints the table. Arguments go to bench/run.py.
set -e
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
[ -x /work/venv/bin/python ] && [ -z "$PYTHON" ] && python=/work/venv/bin/python
exec "$python" "$here/run.py" "$@"
