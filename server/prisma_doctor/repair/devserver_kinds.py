"""Which command lines run a dev server: `next dev`, Vite and the frameworks on it, `nest start --watch`, `tsx
watch`, `node --watch` (and `bun --watch`, `bun --hot`), nodemon, ts-node-dev.

Told by the argv of the process, not its name: a runtime (`node`, `bun`, `deno`), its own flags, then the script it
runs, which is a package's bin file (`node_modules/.bin/vite`, `node_modules/vite/bin/vite.js`,
`node_modules/@nestjs/cli/bin/nest.js`). The tool is the package the script belongs to (or the bin's name), and each
tool is a dev server only with the arguments that make it one (`vite` and `vite dev` are, `vite build` is not).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Sequence

_RUNTIMES = ("node", "nodejs", "bun", "deno")
# The entry points of the package managers, as node runs them (`node …/npm-cli.js run dev`), and whose they are.
MANAGER_ENTRIES = {
    "npm-cli.js": "npm",
    "pnpm.cjs": "pnpm",
    "pnpm.js": "pnpm",
    "pnpm.mjs": "pnpm",
    "yarn.js": "yarn",
    "yarn.cjs": "yarn",
}
# A script that is nothing but words: a shell would add nothing to it (no `&&`, `$(...)`, `>`, quotes).
_PLAIN_SCRIPT = re.compile(r"^[\w@%+,./:=-]+(?: +[\w@%+,./:=-]+)*$")
# `node_modules/<package>/...` or `node_modules/@scope/<package>/...`: the package a script file belongs to.
_PACKAGE = re.compile(r"node_modules[/\\]((?:@[^/\\]+[/\\])?[^/\\.][^/\\]*)[/\\]")
# A package's own name for the tool it provides, where the two differ.
_ALIASES = {
    "@nestjs/cli": "nest",
    "@react-router/dev": "react-router",
    "@remix-run/dev": "remix",
    "nuxi": "nuxt",
    "tsnd": "ts-node-dev",
    "next.js": "next",
}


def _first_word(args: Sequence[str]) -> str:
    return next((arg for arg in args if not arg.startswith("-")), "")


def _command(*words: str) -> Callable[[Sequence[str]], bool]:
    """The tool's subcommand (its first word) is one of `words`: `next dev`, not `next build --dev`."""
    return lambda args: _first_word(args) in words


# Each tool, and whether the arguments after its script make it serve in development mode.
_DEV_ARGUMENTS: dict[str, Callable[[Sequence[str]], bool]] = {
    "next": _command("dev"),
    # Bare `vite` serves; so do `vite dev` and `vite serve` (SvelteKit runs `vite dev`).
    "vite": lambda args: _first_word(args) in ("", "dev", "serve"),
    "react-router": _command("dev"),
    "remix": _command("dev", "vite:dev"),
    "nuxt": _command("dev"),
    "astro": _command("dev"),
    "nest": lambda args: "start" in args and ("--watch" in args or "-w" in args),
    "tsx": _command("watch"),
    "nodemon": lambda args: True,
    "ts-node-dev": lambda args: True,
}


# The tools that run the app's code as a child they start again when a watched file changes: the child's start, not
# the watcher's, says which client the app loaded. (`node --watch` and its kin are named `<runtime> --watch`.)
_RERUN_CHILD = frozenset({"tsx", "nodemon", "ts-node-dev", "nest"})
# The frameworks whose dev server is Vite's: their server modules are Vite's SSR modules, reloaded by Vite itself
# when their files change (SvelteKit runs `vite dev`).
_ON_VITE = frozenset({"vite", "react-router", "remix", "astro", "nuxt"})


def reruns_child(tool: str) -> bool:
    """Whether the dev server `tool` (as `dev_server_tool` names it) runs the app as a child it starts again."""
    return tool in _RERUN_CHILD or (tool.endswith(" --watch") and not restarts_in_place(tool))


# The dev servers that run the app again in their own process, which keeps its start: Bun's `--watch` (it executes
# itself anew, the same pid) and `--hot` (it reloads the modules).
_IN_PLACE = frozenset({"bun --watch", "bun --hot"})


def restarts_in_place(tool: str) -> bool:
    """Whether the dev server `tool` runs the app again inside the same process, whose start then says nothing."""
    return tool in _IN_PLACE


def on_vite(tool: str) -> bool:
    """Whether the dev server `tool` is Vite's, whose server modules Vite reloads when their files change."""
    return tool in _ON_VITE


def launchable(cmdline: Sequence[str]) -> tuple[str, ...]:
    """A command line that can be run again: Next rewrites its title (`next-server (v16)`, padded with empty
    arguments), which reads back as a single argument with spaces."""
    args = [arg for arg in cmdline if arg]
    if len(args) == 1 and " " in args[0]:
        try:
            args = shlex.split(args[0])
        except ValueError:
            return tuple(args)
    return tuple(args)


def dev_server_tool(cmdline: Sequence[str]) -> str | None:
    """The dev server this command line runs (`"next"`, `"vite"`, `"tsx"`, `"node --watch"`...), or None."""
    args = launchable(cmdline)
    start = _script_index(args)
    if start is None:
        return None
    script, rest = args[start], args[start + 1 :]
    tool = _tool_of(script, runtime=program_stem(args[0]) if start > 0 else "")
    if tool in _DEV_ARGUMENTS and _DEV_ARGUMENTS[tool](rest):
        return tool
    flags = args[1:start]
    if start > 0 and any(flag == "--watch" or flag.startswith("--watch-path") for flag in flags):
        return f"{program_stem(args[0])} --watch"
    if start > 0 and program_stem(args[0]) == "bun" and "--hot" in flags:
        return "bun --hot"
    return None


def runtime_script(cmdline: Sequence[str]) -> str | None:
    """The script a runtime runs (`node --inspect x.js` -> `x.js`), or None when the program is no runtime."""
    args = launchable(cmdline)
    start = _script_index(args)
    return args[start] if start else None


def script_package(script: str) -> str:
    """The package a script file belongs to (`node_modules/typescript/lib/tsserver.js` -> `typescript`), or ""."""
    found: list[str] = _PACKAGE.findall(script)
    return found[-1].replace("\\", "/") if found else ""


def _script_index(args: Sequence[str]) -> int | None:
    """Where the program's script is in `args`: after a runtime and its own flags, else the program itself (0)."""
    if not args:
        return None
    if program_stem(args[0]) not in _RUNTIMES:
        return 0
    start = 1
    while start < len(args) and args[start].startswith("-"):
        # `--require x`, `--import x`, `-r x`: a flag whose value is the next argument, not the script.
        takes_value = args[start] in ("-r", "--require", "--import", "--loader", "--experimental-loader", "-C")
        start += 2 if takes_value else 1
    return start if start < len(args) else None


def _tool_of(script: str, runtime: str) -> str:
    """The tool a script is (`runtime`: the runtime that runs it, "" when the script is the program itself)."""
    # pnpm's bin shims run `node <app>/node_modules/.bin/../tsx/dist/cli.mjs`: read through the `..`, the script is
    # tsx's own entry (its bare name, `cli`, names no tool).
    script = os.path.normpath(script) if ".." in script else script
    # `node_modules/.bin/vite` names the bin, not a package: its file name is the tool.
    package = script_package(script)
    if not package and runtime and os.path.isabs(script):
        # A global install's bin (`/usr/local/bin/vite`) links to its package's own entry.
        package = script_package(os.path.realpath(script))
        script = os.path.realpath(script) if package else script
    if not package:
        name = program_stem(script)
        if runtime and not _is_bin_shim(script, runtime):
            # A file of the project's own that a runtime runs (`node bin/vite`) is the app, whatever its name: the
            # tool's evidence (Vite's reload lines) would be believed of a server that is not it.
            return ""
        return _ALIASES.get(name, name)
    tool = _ALIASES.get(package, package)
    # A package's command-line entry is named after it or its tool (`vite/bin/vite.js`, `@nestjs/cli/bin/nest.js`)
    # or is its `cli`/`bin` file (`tsx/dist/cli.mjs`): any other of its scripts (Next's telemetry flush, run as
    # `node next/dist/telemetry/detached-flush.js dev ...`) is a helper, not the tool.
    entry = program_stem(script)
    return tool if entry in (package.rsplit("/", 1)[-1], tool, "cli", "bin") else ""


def _is_bin_shim(script: str, runtime: str) -> bool:
    """Whether a script a runtime runs is a package manager's bin shim (`node_modules/.bin/vite`) or, for Bun, a bare
    name it looks up among the package's bins (`bun vite`), rather than a file of the project."""
    folder = os.path.basename(os.path.dirname(script.replace("\\", "/")))
    # Node and Deno never search for a bare name: `node vite.js` runs the file of that name in the working folder.
    bare = "/" not in script and "\\" not in script
    return folder == ".bin" or (bare and runtime == "bun")


# The shells a package manager (or a person) runs a command through: `sh -c "next dev"`.
SHELLS = ("sh", "bash", "dash", "zsh", "ksh")


def runs_shell_command(cmdline: Sequence[str]) -> bool:
    """`sh -c "..."`: a shell given its command on the command line (never another program's `-c`: `python -c`)."""
    return len(cmdline) >= 3 and cmdline[1] == "-c" and program_stem(cmdline[0]) in SHELLS


def program_stem(path: str) -> str:
    """A program's or script's name without its folder and extension: `/usr/bin/node.exe` -> `node`."""
    name = os.path.basename(path).lower()
    for suffix in (".exe", ".cmd", ".js", ".mjs", ".cjs"):
        if name.endswith(suffix) and name != suffix:
            return name[: -len(suffix)]
    return name


def runs_a_dev_server(script: str) -> bool:
    """Whether a package.json script is one command of plain words that runs a dev server (`next dev`, `tsx watch
    src/index.ts`): the script a restart runs again in its folder, and the one the editor's dev command starts."""
    if not is_plain_script(script):
        return False
    try:
        return dev_server_tool(shlex.split(script)) is not None
    except ValueError:
        return False


def is_plain_script(script: str) -> bool:
    """Whether a package.json script is one command of plain words. Only such a script is run again to restart a
    dev server: one that does more (`node seed.js && next dev`, `prisma migrate reset --force && …`) would do it all
    again, so the server's own command is started instead."""
    return _PLAIN_SCRIPT.match(script.strip()) is not None
