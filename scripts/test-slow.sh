#!/usr/bin/env bash
# The slow reliability suites (issue 6), kept out of the default test command because they would push CI past its
# time: the million-input schema fuzz run (about 50 minutes), the ten-minute language-server soak, and the further
# cases of tables whose first cases the default run keeps (engine downloads per Prisma and generator, log cuts).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --system
status=0
.venv/bin/pytest -m slow --timeout=7200 "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no slow tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
