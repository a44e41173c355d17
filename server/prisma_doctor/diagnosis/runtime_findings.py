"""What runtime findings a project still has: kept while their cause stands, retired when a check shows it gone.

Rules of the core over findings and times, so that an adapter only has to call them (the language server does;
`prisma-doctor run` prints each finding once as it appears and retracts none). A runtime finding lives until
- the dev server restarted after it was seen (a `✓ Ready`, a new Next lock): the error may not happen again; or
- the request that failed with it (`data.route`) answered 2xx/3xx later in the same output: it is over; or
- its cause was the generated client and a client was generated after it was seen (for `client-out-of-sync`, the
  client on disk lacking a field: whenever it was seen), with the static check now clean: if the static check finds
  a running dev server still on an older client (`staleness.py`: one that started before that generation and shows
  no reload of it), it becomes `dev-server-stale` at its own place (a regenerate alone does not reach a running
  server, unless it reloads the client itself: a watcher's new child, Vite); or
- it reported an invalid schema and the static check now finds the schema valid.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from prisma_doctor.check import ProjectState
from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.logs import events as ev
from prisma_doctor.logs.routes import same_route

# Findings whose cause is the generated client: a fresh generation removes it.
CLIENT_CAUSED = frozenset(
    {
        "client-out-of-sync",
        "unknown-argument",
        "code-ahead-of-schema",
        "client-not-generated",
        "client-set-aside",
        "client-unresolvable",
        "client-version-mismatch",
        "engine-locked",
        "engine-unavailable",
    }
)
# Static findings that mean the client is still wrong, whatever was generated.
STATIC_CLIENT_PROBLEMS = frozenset(
    {"client-out-of-sync", "client-not-generated", "client-set-aside", "client-version-mismatch"}
)
MAX_RECORDS = 200


@dataclass(frozen=True)
class RuntimeRecord:
    finding: Finding
    seen_at: datetime


class RuntimeFindings:
    """The runtime findings of one project, newest last, at most `MAX_RECORDS` distinct ones."""

    def __init__(self) -> None:
        self._records: OrderedDict[tuple[Any, ...], RuntimeRecord] = OrderedDict()

    def add(self, finding: Finding, seen_at: datetime) -> None:
        previous = self._records.pop(finding.key, None)
        count = finding.count + (previous.finding.count if previous else 0)
        self._records[finding.key] = RuntimeRecord(replace(finding, count=count), seen_at)
        while len(self._records) > MAX_RECORDS:
            self._records.popitem(last=False)

    def findings(self) -> list[Finding]:
        return [record.finding for record in self._records.values()]

    def withdraw(self, findings: Iterable[Finding]) -> None:
        """Take back what was added for a while (a cause shown undecided until the database answers)."""
        for finding in findings:
            record = self._records.get(finding.key)
            if record is None:
                continue
            left = record.finding.count - finding.count
            if left > 0:
                self._records[finding.key] = replace(record, finding=replace(record.finding, count=left))
            else:
                del self._records[finding.key]

    def dev_server_restarted(self, at: datetime) -> bool:
        """Forget everything seen before a dev server (re)start; True when something was forgotten."""
        kept = OrderedDict((k, r) for k, r in self._records.items() if r.seen_at >= at)
        changed = len(kept) != len(self._records)
        self._records = kept
        return changed

    def request_found(self, keys: list[tuple[Any, ...]], request: ev.ErrorRequest) -> None:
        """The findings of `keys` (the latest client error's) failed with `request` (`ErrorRequest`)."""
        from prisma_doctor.diagnosis import with_request

        for key in keys:
            record = self._records.get(key)
            if record is not None:
                self._records[key] = replace(record, finding=with_request(record.finding, request))

    def request_answered(self, method: str, path: str) -> bool:
        """Forget the failures of a request that answered since (`RequestSucceeded`: the same method and path, the
        query aside); True when one was forgotten."""
        kept = OrderedDict(
            (k, r)
            for k, r in self._records.items()
            if not same_route(r.finding.data.get("method"), r.finding.data.get("route"), method, path)
        )
        changed = len(kept) != len(self._records)
        self._records = kept
        return changed

    def reconsider(self, state: ProjectState) -> None:
        """Apply the static check's verdict to every record (see the module's rules)."""
        static_codes = {f.code for f in state.report.findings}
        # Which running dev servers still serve an older client is the static check's verdict (`staleness.judge`).
        judged = [f for f in state.report.findings if f.code == "dev-server-stale"]
        generated = newest_generation(state)
        client_still_wrong = bool(static_codes & STATIC_CLIENT_PROBLEMS)
        records: OrderedDict[tuple[Any, ...], RuntimeRecord] = OrderedDict()
        for record in self._records.values():
            finding = record.finding
            if finding.code == "schema-invalid" and "schema-invalid" not in static_codes:
                continue
            # A `client-out-of-sync` says the client on disk lacks something: a clean static check says it has it,
            # whenever the error was seen (an error printed while a repair asked the app was diagnosed against the
            # client as it was before the generate, and the server that printed it is what is still behind).
            regenerated = (
                generated is not None
                and not client_still_wrong
                and (generated > record.seen_at or finding.code == "client-out-of-sync")
            )
            if finding.code in CLIENT_CAUSED and regenerated:
                if judged:
                    decided = any(f.data.get("decided", True) for f in judged)
                    stale = stale_dev_server(finding.location, finding.related, decided=decided)
                    records[stale.key] = RuntimeRecord(stale, record.seen_at)
                continue
            records[finding.key] = record
        self._records = records


def newest_generation(state: ProjectState) -> datetime | None:
    times = [c.client.generated_at for c in state.clients if c.client is not None]
    return max(times) if times else None


def stale_dev_server(
    location: Location | None,
    related: tuple[Location, ...] = (),
    which: str = "",
    why: str = "",
    decided: bool = True,
) -> Finding:
    """`which`: the server, where it is known (in a workspace several run: `in apps/web (pid 12238, next dev)`);
    `why`: what says it is stale; `decided` False: nothing shows whether it reloaded the new client
    (`staleness.py`)."""
    server = f"the dev server {which}" if which else "the running dev server"
    because = f" ({why})" if why else ""
    if decided:
        message = (
            f"The client on disk was regenerated, but {server} still uses the one it loaded at start{because}: "
            "restart the dev server."
        )
    else:
        message = (
            f"The client on disk was regenerated after {server} started, and nothing shows whether it loaded the "
            f"new one{because}: it may be stale; what decides: request a route that uses the new field (restarting "
            "the dev server settles it)."
        )
    return Finding(
        "dev-server-stale",
        Severity.WARNING,
        message,
        location,
        ("restart-dev-server",),
        related,
        data={"decided": decided},
    )


def generation_location(state: ProjectState) -> Location | None:
    """Where a finding about the whole client is shown: the first generator's name in the schema."""
    for client_state in state.clients:
        generator = client_state.generator
        return Location(generator.schema_file, generator.block.name_span)
    return None
