"""The env files a dev script loads itself before its server reads any, most important first.

A script may wrap its server in a loader that sets variables from files the framework never reads: Node's own
`--env-file` (`node --env-file=.env.local server.js`, passed on by tsx), dotenv-cli (`dotenv -e .env.local -- next
dev`, `dotenv -c development -- vite`), dotenvx (`dotenvx run -f .env.local -- next dev`) and env-cmd (`env-cmd -f
.env.local next dev`). A variable such a loader sets is in the environment before the framework looks at its own
files, and none of them overrides the environment, so the loader's files come first; an outer loader's before an
inner one's. Only the command that runs the dev server counts: `dotenv -e .env.test -- prisma migrate deploy && next
dev` loads `.env.test` for the migration alone.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from prisma_doctor.repair.devserver_kinds import dev_server_tool, program_stem

_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "(", ")"})
# Programs that run the next word as the command (`npx dotenv ...`, `pnpm exec env-cmd ...`).
_RUNNERS = {"npx": (), "bunx": (), "pnpm": ("exec", "dlx"), "yarn": ("exec", "dlx"), "bun": ("x",), "npm": ("exec",)}
_NODE_ENV_FILE = ("--env-file", "--env-file-if-exists")


def script_env_files(script: str) -> tuple[str, ...]:
    """The files (as the script names them, relative to its folder) that the dev server's command loads into its
    environment before the server starts, the first one that sets a variable winning."""
    commands = _commands(script)
    serving = [c for c in commands if dev_server_tool(_unwrapped(c)[1])]
    chosen = serving[-1] if serving else (commands[-1] if commands else [])
    files, command = _unwrapped(chosen)
    return (*files, *_node_env_files(command))


def _commands(script: str) -> list[list[str]]:
    """The script's simple commands, split at the shell's operators."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    try:
        for token in lexer:
            if token in _SEPARATORS:
                commands.append([])
            else:
                commands[-1].append(token)
    except ValueError:  # an unclosed quote: the script does not run as written
        return []
    return [c for c in commands if c]


def _unwrapped(words: Sequence[str]) -> tuple[list[str], list[str]]:
    """The env files the loaders around a command name (outer first), and the command they run."""
    files: list[str] = []
    rest = list(words)
    while rest:
        rest = _after_runner(rest)
        if not rest:
            break
        stem = program_stem(rest[0])
        if stem in ("dotenv", "dotenv-cli"):
            loaded, rest = _dotenv_cli(rest[1:])
        elif stem == "dotenvx" and rest[1:2] == ["run"]:
            loaded, rest = _dotenvx(rest[2:])
        elif stem == "env-cmd":
            loaded, rest = _env_cmd(rest[1:])
        else:
            break
        files += loaded
    return files, rest


def _after_runner(words: list[str]) -> list[str]:
    """The command with its variable assignments (`PORT=3000`) and a package runner (`npx`, `pnpm exec`) removed."""
    while words and "=" in words[0] and not words[0].startswith(("-", "=")):
        words = words[1:]
    if words and program_stem(words[0]) in _RUNNERS:
        subcommands = _RUNNERS[program_stem(words[0])]
        if not subcommands:
            words = words[1:]
        elif words[1:2] and words[1] in subcommands:
            words = words[2:]
        while words and words[0].startswith("-"):  # the runner's own flags (`npx --no-install`, `npm exec --`)
            words = words[1:]
    return words


def _options(args: list[str], valued: frozenset[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """A loader's options up to its command (after `--`, or the first word no option takes), as minimist reads them:
    an option in `valued` takes the next word unless it starts with `-`, or its own `=value`."""
    found: list[tuple[str, str]] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            return found, args[index + 1 :]
        if not word.startswith("-"):
            break
        name, equals, value = word.partition("=")
        if name in valued and not equals and index + 1 < len(args) and not args[index + 1].startswith("-"):
            value, index = args[index + 1], index + 1
        found.append((name, value))
        index += 1
    return found, args[index:]


def _dotenv_cli(args: list[str]) -> tuple[list[str], list[str]]:
    """dotenv-cli: `-e FILE` (repeated; `.env` by default), `-c [ENV]` cascading each to `FILE.ENV.local`,
    `FILE.ENV`, `FILE.local`, `FILE`."""
    options, command = _options(args, frozenset({"-e", "-c", "-v", "-p"}))
    paths = [value for name, value in options if name == "-e" and value] or [".env"]
    cascade = next((value for name, value in options if name == "-c"), None)
    if cascade is None:
        return paths, command
    middle = [f".{cascade}.local", f".{cascade}"] if cascade else []
    return [f"{path}{suffix}" for path in paths for suffix in (*middle, ".local", "")], command


def _dotenvx(args: list[str]) -> tuple[list[str], list[str]]:
    """dotenvx run: `-f FILE` / `--env-file FILE` (repeated; `.env` by default); `--convention nextjs` reads Next's
    files."""
    options, command = _options(args, frozenset({"-f", "--env-file", "--convention", "-e", "--env", "--ops-off"}))
    paths = [value for name, value in options if name in ("-f", "--env-file") and value]
    if ("--convention", "nextjs") in options:
        paths += [".env.development.local", ".env.local", ".env.development", ".env"]
    return paths or [".env"], command


def _env_cmd(args: list[str]) -> tuple[list[str], list[str]]:
    """env-cmd: `-f FILE` / `--file FILE` (`.env` by default). With `-e ENVS` it reads an rc file's JSON, no env
    file."""
    options, command = _options(args, frozenset({"-f", "--file", "-e", "--environments", "-r", "--rc-file"}))
    if any(name in ("-e", "--environments", "-r", "--rc-file") for name, _ in options):
        return [], command
    return [next((value for name, value in options if name in ("-f", "--file") and value), ".env")], command


def _node_env_files(command: Sequence[str]) -> list[str]:
    """Node's `--env-file` flags (tsx passes them on): a later file overrides an earlier one, so the last comes
    first."""
    files: list[str] = []
    words = list(command)
    for index, word in enumerate(words):
        name, equals, value = word.partition("=")
        if name not in _NODE_ENV_FILE:
            continue
        if not equals:
            value = words[index + 1] if index + 1 < len(words) else ""
        if value:
            files.append(value)
    return files[::-1]
