#!/usr/bin/env bash
# The main job on the bundled example: set it up, break it the way a user meets it, and let the doctor say what
# is wrong. Works on a copy under .demo/, so the repository stays clean. Run it again to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
demo=.demo/next-prisma-app
rm -rf "$demo"
mkdir -p .demo
cp -r examples/next-prisma-app "$demo"
rm -rf "$demo/node_modules" "$demo/.next"
# `--db`: the migration that adds the column is written and applied, as a user who ran `prisma migrate` has it; only
# the client is behind, which is what the doctor repairs. Without it, the database would lack the column after any
# client repair and the page would still fail.
(cd "$demo" && bash scripts/setup.sh && bash scripts/break.sh --db)
printf '\n\033[1m==> prisma-doctor check %s\033[0m\n' "$demo"
status=0
.venv/bin/prisma-doctor check "$demo" || status=$?
cat <<MSG

The doctor exited with $status (0 in sync, 1 something is wrong, 2 unreadable project).
The database already has the new column \`nickname\` (break.sh --db applied its migration to dev.db); the generated
client and a running dev server do not. Next steps on the same copy:
  (cd $demo && ../../.venv/bin/prisma-doctor run -- npm run dev)   # in another terminal: the page at / fails with 500
  .venv/bin/prisma-doctor reset --project $demo --dry-run   # the repair plan, touching nothing
  .venv/bin/prisma-doctor reset --project $demo --yes       # run it: verified only once the page answers again
  .venv/bin/prisma-doctor check $demo                       # in sync again: schema, client and database agree
Under \`prisma-doctor run\` the doctor reads what the terminal shows, \`GET / 500\` included, so it knows the page that
failed and asks it again; a plain \`npm run dev\` works too, but Next's own log names no route after a hot update,
so the reset then ends \`repair done\` (the app answers at /) rather than \`repair verified\`.
In VS Code: install the extension (npm ci && npm run package at the root builds dist/prisma-doctor.vsix;
code --install-extension dist/prisma-doctor.vsix), open $demo, and watch the status bar.
MSG
