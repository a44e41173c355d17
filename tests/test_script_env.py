"""The env files a dev script's own loaders read (database/script_env.py), as the loaders themselves read them."""

from __future__ import annotations

import pytest

from prisma_doctor.database.script_env import script_env_files


@pytest.mark.parametrize(
    ("script", "files"),
    [
        ("next dev", ()),
        ("node --env-file=.env.local --watch server.js", (".env.local",)),
        # Node: a later --env-file overrides an earlier one.
        ("node --env-file .env --env-file .env.local server.js", (".env.local", ".env")),
        ("tsx watch --env-file=.env.local src/index.ts", (".env.local",)),
        # dotenv-cli: `.env` by default; repeated -e, the first wins; -c cascades each file.
        ("dotenv -- next dev", (".env",)),
        ("dotenv -e .env.local -e .env -- next dev", (".env.local", ".env")),
        ("npx dotenv -c development -- vite", (".env.development.local", ".env.development", ".env.local", ".env")),
        ("dotenv -c -- next dev", (".env.local", ".env")),
        ("PORT=3001 dotenv -e .env.dev -- next dev", (".env.dev",)),
        # dotenvx run: -f repeated, the first wins; Next's convention.
        ("dotenvx run -f .env.local -f .env -- next dev", (".env.local", ".env")),
        (
            "dotenvx run --convention nextjs -- next dev",
            (".env.development.local", ".env.local", ".env.development", ".env"),
        ),
        # env-cmd: -f/--file, `.env` by default; with an rc file's environments no env file is read.
        ("env-cmd -f .env.local next dev", (".env.local",)),
        ("pnpm exec env-cmd --file=.env.dev tsx watch src/index.ts", (".env.dev",)),
        ("env-cmd next dev", (".env",)),
        ("env-cmd -e development next dev", ()),
        # Loaders nest: the outer one's variables are set first, and none overrides them.
        ("dotenv -e .env.a -- env-cmd -f .env.b node --env-file=.env.c --watch s.js", (".env.a", ".env.b", ".env.c")),
        # Only the command that runs the server: a migration's own loader is not the app's.
        ("dotenv -e .env.test -- prisma migrate deploy && next dev", ()),
        ("prisma generate && dotenv -e .env.local -- next dev", (".env.local",)),
        # A script the shell cannot read runs nothing.
        ('dotenv -e "unclosed -- next dev', ()),
    ],
)
def test_a_dev_scripts_loaders_name_their_files_most_important_first(script: str, files: tuple[str, ...]) -> None:
    assert script_env_files(script) == files
