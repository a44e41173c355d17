"""Whether the project's own Prisma accepts the schema, asked (`prisma validate`) before a repair that generates
changes anything.

Our validator (`schema/validate.py`) knows a small part of Prisma's rules: a schema it accepts may still be refused
by `generate` (a relation naming fields that do not exist, two models mapped to one table, a native type of another
provider, an unknown preview feature...). A reset would then have stopped the dev server and set the client aside
for a generate that could not succeed. `prisma validate` reads the schema with the same Wasm module `generate` uses
and runs no engine. Prisma's own schema errors refuse; a validate that could not run (a timeout, an engine it could
not download: Prisma 7 generates without one) decides nothing, and `generate` checks again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass

from prisma_doctor.repair.package_manager import PackageManager, local_prisma, subprocess_env

# Node's start and Prisma's Wasm take about a second; a CLI that waits on a network it cannot reach is given up on.
VALIDATE_SECONDS = 60.0


@dataclass(frozen=True)
class PrismaAnswer:
    # Why the repair cannot succeed: Prisma's own words for the schema's errors.
    refusal: str | None = None
    # Why Prisma could not be asked (said in the plan; nothing refused on it).
    note: str | None = None


def ask_prisma(manager: PackageManager, schema_argument: str | None) -> PrismaAnswer:
    """Run the project's own `prisma validate` (with `--schema` when not the default), bounded in time."""
    from prisma_doctor.diagnosis import diagnose_output

    schema = ("--schema", schema_argument) if schema_argument else ()
    # Node straight at the project's own `prisma` (what `npx prisma` runs) spares the package manager's start.
    local = local_prisma(manager.project)
    command = [*local, "validate", *schema] if local else manager.prisma("validate", *schema)
    try:
        child = subprocess.Popen(
            command,
            cwd=manager.project,
            # Prisma's update check runs as a detached child that outlives the command, in the project: the repair's
            # next look at the project's processes would find it.
            env={**subprocess_env(), "CHECKPOINT_DISABLE": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=os.name != "nt",
        )
    except OSError as error:
        return PrismaAnswer(note=f"`prisma validate` could not run ({error}): the schema is checked by generate")
    try:
        output, _ = child.communicate(timeout=VALIDATE_SECONDS)
    except subprocess.TimeoutExpired:
        _end(child)
        return PrismaAnswer(
            note=f"`prisma validate` gave no answer in {VALIDATE_SECONDS:.0f} s: the schema is checked by generate"
        )
    text = output.decode("utf-8", "replace")
    if child.returncode == 0:
        return PrismaAnswer()
    invalid = [f for f in diagnose_output(text, None) if f.code == "schema-invalid"]
    if invalid:
        return PrismaAnswer(
            refusal=f"Prisma's own `prisma validate` rejects the schema: {invalid[0].message.rstrip('.')}; "
            "generate would fail the same way. Fix the schema, then repair"
        )
    # An engine the CLI could not fetch for `validate` decides nothing of `generate`: Prisma 7's `prisma-client`
    # generates offline with no engine at all while its `validate` still fetches the schema engine (seen in a pnpm
    # workspace: the refusal was false). A generate that fails on it fails before writing, and the repair rolls back.
    unavailable = [f for f in diagnose_output(text, None) if f.code == "engine-unavailable"]
    if unavailable:
        return PrismaAnswer(
            note=f"`prisma validate` could not get an engine ({unavailable[0].message.rstrip('.')}): the schema is "
            "checked by generate"
        )
    last = text.strip().splitlines()[-1:] or [f"exit {child.returncode}"]
    return PrismaAnswer(note=f"`prisma validate` could not tell ({last[0].strip()}): the schema is checked by generate")


def _end(child: subprocess.Popen[bytes]) -> None:
    if os.name != "nt":
        with contextlib.suppress(OSError):
            os.killpg(child.pid, signal.SIGKILL)
    child.kill()
    child.wait()
