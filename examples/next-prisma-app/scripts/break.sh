#!/usr/bin/env bash
# Puts the example into the state a developer meets after changing the schema without regenerating:
# a `nickname` field is added to `User` in prisma/schema.prisma and used by app/page.tsx (selected and
# shown) and app/actions.ts (written by the rename form). Prisma Client is NOT regenerated.
#
#   scripts/break.sh        the schema and code change only; dev.db is untouched.
#   scripts/break.sh --db   also writes a migration prisma/migrations/<timestamp>_add_user_nickname and
#                           applies it to dev.db (the column exists), still without generating.
#
# Either way the generated client predates the schema, so the page and the action fail with Prisma's
# "Unknown field" / "Unknown argument" errors until the client is regenerated and the dev server
# restarted. The originals are saved under scripts/.clean/ for scripts/restore.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

apply_db=false
for arg in "$@"; do
  case "$arg" in
    --db) apply_db=true ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "break.sh: unknown option '$arg' (expected --db)" >&2; exit 2 ;;
  esac
done

changed_files=(prisma/schema.prisma app/page.tsx app/actions.ts)

# Replaces one exact, unique snippet in a file; fails loudly when the file no longer looks as expected.
replace_once() {
  node - "$1" "$2" "$3" <<'JS'
const fs = require("node:fs");
const [file, before, after] = process.argv.slice(2);
const text = fs.readFileSync(file, "utf8");
if (text.split(before).length !== 2) {
  console.error(`break.sh: ${file} does not contain exactly one ${JSON.stringify(before)}; run scripts/restore.sh first`);
  process.exit(1);
}
fs.writeFileSync(file, text.replace(before, () => after));
JS
}

if grep -q 'nickname' prisma/schema.prisma; then
  echo "The schema already has User.nickname: the code change was made before."
else
  mkdir -p scripts/.clean
  for file in "${changed_files[@]}"; do
    mkdir -p "scripts/.clean/$(dirname "$file")"
    cp -p "$file" "scripts/.clean/$file"
  done
  replace_once prisma/schema.prisma $'  name  String\n' $'  name  String\n  nickname String?\n'
  npx --no-install prisma format >/dev/null
  replace_once app/page.tsx 'select: { id: true, email: true, name: true }' \
    'select: { id: true, email: true, name: true, nickname: true }'
  replace_once app/page.tsx '<span className="user-name">{user.name}</span>' \
    '<span className="user-name">{user.name}</span> <span className="user-nickname">{user.nickname ?? ""}</span>'
  replace_once app/page.tsx '<button type="submit">Rename</button>' \
    '<input name="nickname" defaultValue={user.nickname ?? ""} aria-label={`Nickname for ${user.email}`} />
              <button type="submit">Rename</button>'
  replace_once app/actions.ts '  if (!Number.isInteger(id) || name === "") return;' \
    '  const nickname = String(formData.get("nickname") ?? "").trim() || null;
  if (!Number.isInteger(id) || name === "") return;'
  replace_once app/actions.ts 'data: { name }' 'data: { name, nickname }'
  echo "Added User.nickname to the schema, the page and the action; Prisma Client was not regenerated."
fi

if $apply_db; then
  if compgen -G "prisma/migrations/*_add_user_nickname" >/dev/null; then
    echo "The migration add_user_nickname exists already."
  else
    # `prisma migrate dev` would be the usual command, but with the libSQL adapter Prisma 6.17's
    # WebAssembly schema engine fails there (see README); diff + deploy writes and applies the same migration.
    if [[ ! -f scripts/.clean/prisma/schema.prisma ]]; then
      echo "break.sh: scripts/.clean/prisma/schema.prisma is missing, cannot write the migration; run scripts/restore.sh first" >&2
      exit 1
    fi
    migration="prisma/migrations/$(date -u +%Y%m%d%H%M%S)_add_user_nickname"
    mkdir -p "$migration"
    npx --no-install prisma migrate diff --from-schema-datamodel scripts/.clean/prisma/schema.prisma \
      --to-schema-datamodel prisma/schema.prisma --script >"$migration/migration.sql"
  fi
  npx --no-install prisma migrate deploy
  echo "Applied the migration to dev.db; Prisma Client was not regenerated."
fi
