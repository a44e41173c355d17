"""Events from terminal output + what the project says = findings with a root cause.

The same error text has different causes. ``The column `X` does not exist`` can mean a client generated from another
schema, a database that was never migrated, a dev server that still runs an older client, or a trigger, view or
function inside the database that refers to something missing. Which one is decided by comparing the reported
name with the schema, the generated clients and the dev server's start time (`ProjectFacts`). When the evidence
allows two causes, both are reported, ranked (`data["rank"]`, 1 is the likeliest). A database-side cause never
offers a cache reset or a regeneration: they cannot help.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from prisma_doctor.diagnosis.asked import decided_by_database, not_checked
from prisma_doctor.diagnosis.client import invalid_value, unknown_argument
from prisma_doctor.diagnosis.context import Context, StreamState, db_object
from prisma_doctor.diagnosis.database import broken_view, missing_column, missing_table
from prisma_doctor.diagnosis.enum_value import invalid_enum_value
from prisma_doctor.diagnosis.facts import ClientFacts, ProjectFacts, migrated_columns, project_facts
from prisma_doctor.diagnosis.generated import delegate_missing, module_missing, type_check_error
from prisma_doctor.diagnosis.packages import package_missing, prisma_package
from prisma_doctor.diagnosis.single import single_cause
from prisma_doctor.findings import Finding, Report, Severity
from prisma_doctor.logs import events as ev
from prisma_doctor.logs.routes import same_route
from prisma_doctor.offers import with_offers

__all__ = [
    "ClientFacts",
    "Diagnoser",
    "ProjectFacts",
    "diagnose",
    "diagnose_output",
    "diagnose_report",
    "migrated_columns",
    "project_facts",
]


@dataclass
class Diagnoser:
    """Turns events into findings one at a time, remembering what the stream said before."""

    facts: ProjectFacts | None = None
    state: StreamState = field(default_factory=StreamState)
    # Whether an error the database decides may wait (bounded) for its answer: yes in the CLI and in a worker
    # thread; no on an event loop, which asks ahead and diagnoses once the answer is there.
    wait_for_database: bool = True
    # The database is being asked and its answer is awaited: what it decides is said to be undecided, not guessed.
    database_pending: bool = False

    def findings_for(self, event: ev.Event) -> list[Finding]:
        if isinstance(event, ev.DevServerReady):
            self.state = StreamState(dev_server_ready_line=event.line)
        elif isinstance(event, ev.ClientGenerated) and self.state.dev_server_ready_line is not None:
            self.state.generated_after_ready = True
        found = list(_findings(event, Context(self.facts, self.state, self.wait_for_database, self.database_pending)))
        facts = self.facts
        if facts is not None and facts.unfinished is not None:
            # One rule with the static check's: a client a repair that did not finish set aside is not "never
            # generated".
            found = [facts.unfinished.client_aside(finding) for finding in found]
        if facts is not None and facts.schema is not None:
            # The same rule as `check`'s (offers.py): a dev server runs when the facts saw one (`run`'s command, the
            # editor's terminal, a process of the project); the migrations folder decides between migrate and push.
            # A watcher that reloads the new client by itself (tsx watch, the client outside node_modules) holds
            # nothing a regenerate leaves behind.
            running = facts.dev_server_running or facts.dev_server_started_at is not None
            running = running and not facts.dev_server_reloads_client
            found = with_offers(found, dev_server_running=running, migrations=bool(facts.migrations))
        route = getattr(event, "route", None)
        if route is None:
            return found
        # The request that failed with it: what a repair asks again, and what a person opens to see it work; its
        # method, so that only the same request answering later ends it.
        said = {"route": route, "method": getattr(event, "route_method", None)}
        return [replace(finding, data={**finding.data, **said}) for finding in found]


def diagnose(events: Iterable[ev.Event], facts: ProjectFacts | None = None) -> list[Finding]:
    diagnoser = Diagnoser(facts)
    return [finding for event in events for finding in diagnoser.findings_for(event)]


def diagnose_output(output: str, facts: ProjectFacts | None) -> list[Finding]:
    """The errors and warnings in a finished command's output (a repair's `prisma migrate deploy`), each once."""
    from prisma_doctor.logs.recognize import LogReader

    reader = LogReader()
    events = reader.feed(output.encode()) + reader.close()
    found: dict[tuple[object, ...], Finding] = {}
    for finding in diagnose(events, facts):
        if finding.severity in (Severity.ERROR, Severity.WARNING):
            found.setdefault(finding.key, finding)
    return list(found.values())


def diagnose_report(events: Iterable[ev.Event], facts: ProjectFacts | None, project: str) -> Report:
    """The report of every event, read lazily: repeated findings are merged as they come, so a log of any length
    costs memory for its distinct findings only."""
    diagnoser = Diagnoser(facts)
    known: dict[object, list[Finding]] = {}
    findings = _current_last(events, diagnoser, known)
    return Report.from_findings(project, findings, known=facts is not None and facts.schema is not None)


def _current_last(
    events: Iterable[ev.Event], diagnoser: Diagnoser, known: dict[object, list[Finding]]
) -> Iterator[Finding]:
    """Each event's findings; those printed before a later (re)start of the dev server are history: the process that
    printed them is gone, and they say nothing of the one that runs now (a watcher restarts by itself after a
    generate). Held between restarts merged (`merge_repeated`), so a long log costs its distinct findings only."""
    held: dict[tuple[object, ...], Finding] = {}
    # The findings of the latest event that found something wrong: the failure the log ends in.
    latest: set[tuple[object, ...]] = set()
    # The findings of the latest client error: an `ErrorRequest` right after it names their request.
    last_error: list[tuple[object, ...]] = []
    for event in events:
        if isinstance(event, ev.ErrorRequest):
            for key in last_error:
                if key in held:
                    held[key] = with_request(held[key], event)
            continue
        if isinstance(event, ev.DevServerReady):
            yield from (_history(finding, event) for finding in held.values())
            held = {}
        elif isinstance(event, ev.RequestSucceeded):
            # The request that failed answers now: its failure is over, whatever the server did in between.
            over = {key: f for key, f in held.items() if _answered(f, event)}
            yield from (_history(finding, event) for finding in over.values())
            held = {key: f for key, f in held.items() if key not in over}
        found = _remembered(diagnoser, event, known)
        if isinstance(event, ev.ClientError):
            last_error = [finding.key for finding in found]
        if any(finding.severity in (Severity.ERROR, Severity.WARNING) for finding in found):
            latest = {finding.key for finding in found}
        for finding in found:
            seen = held.get(finding.key)
            held[finding.key] = finding if seen is None else replace(seen, count=seen.count + finding.count)
    # An older failure whose cause only the database decides, and that it could not decide now, is not named as the
    # app's state: something else failed since (the database stopped answering, say) and it may be gone.
    yield from (_unchecked(f) if key not in latest and not_checked(f) else f for key, f in held.items())


def with_request(finding: Finding, request: ev.ErrorRequest) -> Finding:
    """A finding of an error that no request line ended, with the request an `ErrorRequest` says failed with it (a
    route it had already stays)."""
    if finding.data.get("route") is not None:
        return finding
    return replace(finding, data={**finding.data, "route": request.path, "method": request.method})


def _answered(finding: Finding, request: ev.RequestSucceeded) -> bool:
    return same_route(finding.data.get("method"), finding.data.get("route"), request.method, request.path)


def _history(finding: Finding, since: ev.DevServerReady | ev.RequestSucceeded) -> Finding:
    if finding.severity not in (Severity.ERROR, Severity.WARNING):
        return finding
    # What ended it goes in `data`, not the message: the same error before each of many restarts stays one finding.
    what = {"line": since.line, "text": since.text[:200]}
    if isinstance(since, ev.RequestSucceeded):
        said = f"Earlier in the log, resolved since ({since.method} {since.path} answered later): "
        data = {**finding.data, "history": True, "resolved": what}
    else:
        said = "Earlier in the log, before a restart of the dev server: "
        data = {**finding.data, "history": True, "restart": what}
    return replace(finding, severity=Severity.INFO, message=said + finding.message, fixes=(), data=data)


def _unchecked(finding: Finding) -> Finding:
    said = "Earlier in the log, and it could not be checked now (other failures came after it): "
    data = {**finding.data, "history": True}
    return replace(finding, severity=Severity.INFO, message=said + finding.message, fixes=(), data=data)


# Distinct events whose findings a report keeps at hand: a log's repeated errors are a few kinds, each many times.
MAX_REMEMBERED = 10_000


def _remembered(diagnoser: Diagnoser, event: ev.Event, known: dict[object, list[Finding]]) -> list[Finding]:
    """The findings of an event, those of the same event seen earlier in the same state when there was one.

    A finished log is read against facts that do not change, and the same error repeated (a crash loop, a page
    polled) is the same event on another line: diagnosing it again would read the project's files, its source maps
    and processes each time (a 228 MB log of repeated errors took minutes). Events that change the stream's state
    (a restart, a generate) are always diagnosed."""
    if isinstance(event, (ev.DevServerReady, ev.ClientGenerated)):
        return diagnoser.findings_for(event)
    state = diagnoser.state
    key = (replace(event, line=0), state.dev_server_ready_line is not None, state.generated_after_ready)
    try:
        return known[key]
    except KeyError:
        found = diagnoser.findings_for(event)
        if len(known) < MAX_REMEMBERED:
            known[key] = found
        return found


def _findings(event: ev.Event, context: Context) -> Iterator[Finding]:
    if isinstance(event, (ev.MissingColumn, ev.MissingTable, ev.DatabaseObjectError, ev.BrokenView)):
        yield from decided_by_database(event, context, list(_from_project(event, context)))
    else:
        yield from _from_project(event, context)


def _from_project(event: ev.Event, context: Context) -> Iterator[Finding]:
    if isinstance(event, ev.MissingColumn):
        yield from missing_column(event, context)
    elif isinstance(event, ev.MissingTable):
        yield from missing_table(event, context)
    elif isinstance(event, ev.DatabaseObjectError):
        yield db_object(event, context, f"`{event.record}` has no field `{event.field}`")
    elif isinstance(event, ev.BrokenView):
        yield broken_view(event, context)
    elif isinstance(event, (ev.UnknownArgument, ev.UnknownField)):
        yield from unknown_argument(event, context)
    elif isinstance(event, ev.InvalidValue):
        yield from invalid_value(event, context)
    elif isinstance(event, ev.InvalidEnumValue):
        yield from invalid_enum_value(event, context)
    elif isinstance(event, ev.TypeCheckError):
        yield type_check_error(event, context)
    elif isinstance(event, ev.ModelDelegateMissing):
        if (finding := delegate_missing(event, context)) is not None:
            yield finding
    elif isinstance(event, ev.ClientModuleMissing):
        name = prisma_package(event.specifier)
        finding = package_missing(event, name, context) if name is not None else None
        yield finding if finding is not None else module_missing(event, context)
    else:
        finding = single_cause(event, context)
        if finding is not None:
            yield finding
