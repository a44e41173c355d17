"""A repair plan: the ordered steps of one repair, built by looking at the project, previewable before it runs.

Kinds: "reset" (stop, remove, reinstall when packages are missing, prune on --deep, generate, restart the dev
server, TypeScript hint, verify), "regenerate" (remove the generated clients, reinstall when needed, generate,
hint, verify) and "restart-dev" (stop the dev server's process chain, start it again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prisma_doctor.findings import Report
from prisma_doctor.repair import journal
from prisma_doctor.repair.devserver import DevServer, find_dev_servers
from prisma_doctor.repair.package_manager import detect
from prisma_doctor.repair.processes import find_project_processes
from prisma_doctor.repair.safe_fs import checked_root
from prisma_doctor.repair.steps import (
    DATABASE_COMMANDS,
    DatabaseCommand,
    Generate,
    PruneStore,
    Reinstall,
    RemovePaths,
    RestartDevServers,
    RestartTypeScriptServer,
    Step,
    StopProcesses,
    Verify,
    missing_packages,
)
from prisma_doctor.repair.targets import find_targets

KINDS = ("reset", "regenerate", "restart-dev", *DATABASE_COMMANDS)
NEXT_CACHE = ".next"
DEEP_CACHES = (".turbo", "node_modules/.cache")


@dataclass
class RepairPlan:
    root: Path
    kind: str
    steps: list[Step]
    before: Report | None
    dev_servers: list[DevServer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        lines = [f"{self.kind} of {self.root}:"]
        lines += [f"note: {note}" for note in self.notes]
        for number, step in enumerate(self.steps, 1):
            lines.append(f"{number}. {step.title} [{step.name}]")
            lines += [f"     {line}" for line in step.preview()]
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "project": str(self.root),
            "kind": self.kind,
            "notes": self.notes,
            "steps": [{"name": s.name, "title": s.title, "preview": s.preview()} for s in self.steps],
        }


def build_plan(root: Path | str, kind: str, *, deep: bool = False, package_manager: str | None = None) -> RepairPlan:
    """Look at the project and decide the steps. Raises `safe_fs.RefusedRoot` for a root that is too broad."""
    if kind not in KINDS:
        raise ValueError(f"unknown repair kind {kind!r}; expected one of {', '.join(KINDS)}")
    project = checked_root(root)
    notes: list[str] = []
    previous = journal.Journal.previous(project)
    carried: list[DevServer] = []
    if journal.interrupted(previous):
        assert previous is not None
        notes.append(journal.describe_interruption(previous) + "; this run completes it")
        carried = _servers_left_stopped(previous)
    running = find_dev_servers(project)
    servers = running + [s for s in carried if not _same_server(s, running)]
    if kind == "restart-dev":
        chain = {pid for server in running for pid in server.launcher_pids}
        processes = [p for p in find_project_processes(project) if p.pid in chain or p.ppid in chain]
        steps: list[Step] = [StopProcesses(processes), RestartDevServers(servers, required=True)]
        return RepairPlan(project, kind, steps, None, servers, notes)

    targets = find_targets(project)
    if kind in DATABASE_COMMANDS:
        # Prisma's own exit status is the verification: the client check would judge the client, not the database.
        database = DatabaseCommand(detect(project, package_manager), targets.schema_argument, kind)
        steps = [database, RestartTypeScriptServer()]
        return RepairPlan(project, kind, steps, targets.state.report, [], notes)
    clients = [c.path for c in targets.inside]
    notes += [
        f"generator `{c.generator}` writes to {c.path}, outside the project: not deleted" for c in targets.outside
    ]
    manager = detect(project, package_manager)
    missing = missing_packages(project)
    steps = []
    if kind == "reset":
        steps.append(StopProcesses(find_project_processes(project, clients)))
        caches = [project / NEXT_CACHE] + ([project / p for p in DEEP_CACHES] if deep else [])
        steps.append(RemovePaths(clients + caches, targets.outside))
    else:
        steps.append(RemovePaths(clients, targets.outside))
    if missing:
        # Packages are gone (the incident's script deletes node_modules/@prisma): generate cannot run without them.
        steps.append(Reinstall(manager, missing))
    if kind == "reset" and deep:
        # After the reinstall, never before it: a pruned store cannot serve an offline reinstall.
        steps.append(PruneStore(manager))
    steps.append(Generate(manager, targets.schema_argument))
    if kind == "reset":
        steps.append(RestartDevServers(servers))
    steps += [RestartTypeScriptServer(), Verify()]
    return RepairPlan(project, kind, steps, targets.state.report, servers if kind == "reset" else [], notes)


def _servers_left_stopped(previous: dict[str, Any]) -> list[DevServer]:
    restarted = any(s.get("name") == "restart-dev" and s.get("status") == "done" for s in previous.get("steps", []))
    if restarted:
        return []
    servers: list[DevServer] = []
    for data in previous.get("dev_servers", []):
        try:
            servers.append(DevServer.from_json(data))
        except (KeyError, TypeError, ValueError):
            continue
    return servers


def _same_server(server: DevServer, running: list[DevServer]) -> bool:
    return any(r.cwd == server.cwd and r.command == server.command for r in running)
