"""Whether the project's own Prisma accepts the schema, asked (`prisma validate`) before a repair that generates
changes anything.

Our validator (`schema/validate.py`) knows a small part of Prisma's rules: a schema it accepts may still be refused
by `generate` (a relation naming fields that do not exist, two models mapped to one table, a native type of another
provider, an unknown preview feature...). A reset would then have stopped the dev server and set the client aside
for a generate that could not succeed. `prisma validate` reads the schema with the same Wasm module `generate` uses
and runs no engine. Prisma's own schema errors refuse, and so does an engine its CLI could not download (it fetches
the same ones for `generate`); a validate that could not run otherwise (a timeout) decides nothing, and `generate`
checks again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass

from prisma_doctor.repair.package_manager import PackageManager
from prisma_doctor.repair.schema_wasm import wasm_check
from prisma_doctor.schema.locate import SchemaSource

# In the environment of a plan's `prisma validate`, naming the doctor that started it: another repair's plan, reading
# the project's processes meanwhile, knows it (and what it starts: its session) for a repair's own child, not a
# process of the project's to name (attacker's trial 13, C2: "restart it yourself" of the first repair's validate).
PLAN_CHILD = "PRISMA_DOCTOR_PLAN_VALIDATE"
# Node's start and Prisma's Wasm take about a second; a CLI that waits on a network it cannot reach is given up on.
VALIDATE_SECONDS = 60.0
# The Wasm check alone takes a fifth of that; one that has not answered in this time is left for the CLI to answer.
WASM_SECONDS = 20.0


@dataclass(frozen=True)
class PrismaAnswer:
    # Why the repair cannot succeed: Prisma's own words for the schema's errors.
    refusal: str | None = None
    # Why Prisma could not be asked (said in the plan; nothing refused on it).
    note: str | None = None


class PrismaValidation:
    """`prisma validate`, started at once and answered later: the plan's other reads (processes, caches, clients)
    run meanwhile on the other core, so the time it takes is mostly hidden.

    Asked first of Prisma's Wasm module alone (`schema_wasm.py`: a fifth of the CLI's second), when the files the
    check read (`checked`) are surely the CLI's; its "valid" is the answer. Anything else is asked again of the CLI,
    whose refusal, in Prisma's words, is the plan's."""

    def __init__(
        self, manager: PackageManager, schema_argument: str | None, checked: SchemaSource | None = None
    ) -> None:
        self._manager = manager
        self._schema_argument = schema_argument
        self._children: list[subprocess.Popen[bytes]] = []
        self._failed_to_start: OSError | None = None
        self._wasm = wasm_check(manager.project, schema_argument, checked)
        self._child = self._start(self._wasm.command) if self._wasm is not None else None
        if self._child is None:
            self._wasm = None
            self._child = self._start(self._cli_command())

    def _cli_command(self) -> list[str]:
        schema = ("--schema", self._schema_argument) if self._schema_argument else ()
        return self._manager.prisma("validate", *schema)

    def _start(self, command: list[str]) -> subprocess.Popen[bytes] | None:
        try:
            child = subprocess.Popen(
                command,
                cwd=self._manager.project,
                # Prisma's update check runs as a detached child that outlives the command, in the project: the
                # repair's next look at the project's processes would find it.
                env={**self._manager.prisma_environment(), "CHECKPOINT_DISABLE": "1", PLAN_CHILD: str(os.getpid())},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=os.name != "nt",
            )
        except OSError as error:
            self._failed_to_start = error
            return None
        self._children.append(child)
        return child

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def answer(self, timeout: float = VALIDATE_SECONDS) -> PrismaAnswer:
        """Prisma's answer: waits for it, at most `timeout` seconds (for each of the Wasm check and the CLI)."""
        if self._wasm is not None and self._child is not None:
            check, child = self._wasm, self._child
            self._wasm = None
            try:
                output, _ = child.communicate(timeout=min(timeout, WASM_SECONDS))
            except subprocess.TimeoutExpired:
                _end(child)
            else:
                if check.says_valid(output.decode("utf-8", "replace"), child.returncode):
                    return PrismaAnswer()
            # Not surely valid: the CLI says why, in Prisma's words, or that it could not tell.
            self._child = self._start(self._cli_command())
        child = self._child
        if child is None:
            return PrismaAnswer(
                note=f"`prisma validate` could not run ({self._failed_to_start}): the schema is checked by generate"
            )
        try:
            output, _ = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end(child)
            return PrismaAnswer(
                note=f"`prisma validate` gave no answer in {timeout:.0f} s: the schema is checked by generate"
            )
        return _read_answer(output.decode("utf-8", "replace"), child.returncode)

    def abandon(self) -> None:
        """Not needed after all (the plan refuses for another reason): ended, with whatever it started."""
        for child in self._children:
            if child.returncode is None:
                _end(child)


def a_plan_s_validate(pid: int) -> bool:
    """Whether `pid` is the `prisma validate` of a repair's plan (another repair's, planning now) or a process it
    started: it, or its session's leader, carries `PLAN_CHILD` naming a doctor that still runs."""
    import psutil

    try:
        leaders = {pid, os.getsid(pid)} if os.name != "nt" else {pid}
    except OSError:
        return False
    for candidate in leaders:
        try:
            doctor = psutil.Process(candidate).environ().get(PLAN_CHILD, "")
        except (psutil.Error, OSError):
            continue
        if doctor.isdigit() and psutil.pid_exists(int(doctor)):
            return True
    return False


def _read_answer(text: str, returncode: int) -> PrismaAnswer:
    from prisma_doctor.diagnosis import diagnose_output

    if returncode == 0:
        return PrismaAnswer()
    invalid = [f for f in diagnose_output(text, None) if f.code == "schema-invalid"]
    if invalid:
        return PrismaAnswer(
            refusal=f"Prisma's own `prisma validate` rejects the schema: {invalid[0].message.rstrip('.')}; "
            "generate would fail the same way. Fix the schema, then repair"
        )
    # Prisma's CLI makes sure of its engines before `validate` and `generate` alike, the same ones for both (those
    # the schema's generators need, as one list of commands in its entry point, 6.17 and 7.10 both): a download
    # `validate` could not make, `generate` cannot make either. Seen on each of Prisma 6.17 and 7.10 with
    # `prisma-client-js` and `prisma-client`, engineType library and client, offline: both exit 1 on the same
    # URL. So the repair refuses before it stops the dev server for a generate that fails at once.
    downloads = [f for f in diagnose_output(text, None) if f.code == "engine-unavailable" and f.data.get("url")]
    if downloads:
        return PrismaAnswer(refusal=_engine_refusal(text, str(downloads[0].data["url"])))
    unavailable = [f for f in diagnose_output(text, None) if f.code == "engine-unavailable"]
    if unavailable:
        return PrismaAnswer(
            note=f"`prisma validate` could not get an engine ({unavailable[0].message.rstrip('.')}): the schema is "
            "checked by generate"
        )
    last = text.strip().splitlines()[-1:] or [f"exit {returncode}"]
    return PrismaAnswer(note=f"`prisma validate` could not tell ({last[0].strip()}): the schema is checked by generate")


# The variable that names a local file for each engine Prisma's CLI downloads, by a word of the file's name in the URL.
_ENGINE_VARIABLES = (
    ("schema-engine", "PRISMA_SCHEMA_ENGINE_BINARY", "a schema-engine binary"),
    ("query-engine", "PRISMA_QUERY_ENGINE_BINARY", "a query-engine binary"),
    ("query_engine", "PRISMA_QUERY_ENGINE_LIBRARY", "a query-engine library (libquery_engine-*.so.node)"),
)


def _engine_refusal(text: str, url: str) -> str:
    """Prisma's own line for the download that failed, and the variable that names the engine on this machine."""
    said = next((line.strip() for line in text.splitlines() if url in line), url)
    name = url.rsplit("/", 1)[-1]
    variable, engine = next(
        ((variable, engine) for word, variable, engine in _ENGINE_VARIABLES if word in name),
        ("PRISMA_SCHEMA_ENGINE_BINARY or PRISMA_QUERY_ENGINE_LIBRARY", "the engine"),
    )
    return (
        f"Prisma's CLI cannot download the engine it needs here: `prisma validate` said `{said}`. `prisma generate` "
        "fetches the same engine before it does anything, so the repair would fail there, after it had set the "
        "client aside (a reset, after it had stopped the dev server). "
        f"Set {variable} to the path of {engine} on this machine (or give the CLI network access), then repair"
    )


def _end(child: subprocess.Popen[bytes]) -> None:
    if os.name != "nt":
        with contextlib.suppress(OSError):
            os.killpg(child.pid, signal.SIGKILL)
    child.kill()
    child.wait()
