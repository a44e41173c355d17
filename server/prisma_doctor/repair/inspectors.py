"""Node's inspector among a dev server's listeners. `node --inspect` (also `--inspect-brk`, `--inspect-wait`, on the
command line or in `NODE_OPTIONS`, as `tsx watch --inspect` and `nest start --debug` hand it on to their child) opens
a second HTTP listener in the server's own tree, which answers every path with 400 ("WebSocket request was
expected"): it is never the app, however its port compares with the app's.

Its port is read from the flag (`--inspect=9230`, `--inspect=127.0.0.1:9230`, `--inspect-port=9230`; 9229 without
one). Only a flag whose port cannot be known so (`--inspect=0`: any free port) makes the listeners of that process be
asked what they are: `GET /json/version`, which the inspector answers with its protocol's version.
"""

from __future__ import annotations

import re

import psutil

from prisma_doctor.repair.listeners import Listener
from prisma_doctor.repair.processes import process_environment

DEFAULT_PORT = 9229
_INSPECT = re.compile(r"^--inspect(?:-brk|-wait)?(?:=(.*))?$")
_INSPECT_PORT = re.compile(r"^--inspect-port=(.*)$")
# What the inspector's `/json/version` holds (`{"Browser": "node.js/v20.20.2", "Protocol-Version": "1.1"}`).
_VERSION_KEY = b'"Protocol-Version"'
PROBE_SECONDS = 2.0


def apps(listening: dict[int, Listener]) -> dict[int, Listener]:
    """`listening` (a dev server tree's listeners by port) without the inspector's."""
    ports_of: dict[int, list[int]] = {}
    for port, listener in listening.items():
        ports_of.setdefault(listener.pid, []).append(port)
    inspector: set[int] = set()
    for pid, ports in ports_of.items():
        flagged = _inspector_ports(pid)
        if flagged is None:
            continue
        known, unknown = flagged
        inspector.update(port for port in ports if port in known)
        if unknown:
            inspector.update(port for port in ports if port not in known and _speaks_inspector(listening[port]))
    return {port: listener for port, listener in listening.items() if port not in inspector}


def _inspector_ports(pid: int) -> tuple[set[int], bool] | None:
    """The inspector ports process `pid` was told to open, and whether one was told in a way that names none
    (`--inspect=0`); None when it was told of no inspector."""
    try:
        process = psutil.Process(pid)
        words = process.cmdline()
    except (psutil.Error, OSError):
        return None
    options = (process_environment(process) or {}).get("NODE_OPTIONS", "")
    words = [*words, *options.split()]
    values = [match.group(1) for word in words if (match := _INSPECT.match(word))]
    if not values:
        return None
    chosen = [match.group(1) for word in words if (match := _INSPECT_PORT.match(word))]
    known: set[int] = set()
    unknown = False
    for value in values:
        port = _port_of(chosen[-1] if chosen else value)
        if port is None:
            unknown = True
        else:
            known.add(port)
    return known, unknown


def _port_of(value: str | None) -> int | None:
    """The port of a flag's `[host:]port` (9229 when it names none); None when no fixed port can be read from it."""
    if value is None:
        return DEFAULT_PORT
    tail = value.rsplit(":", 1)[-1]
    if not tail.isdigit():
        return DEFAULT_PORT if ":" not in value else None  # `--inspect=localhost`: a host, on the default port
    port = int(tail)
    return port if 0 < port < 65536 else None


# What each listener was found to be, by process, its start and port: a check runs on every edit, and the app's own
# listener is asked `/json/version` once in its life, not on each.
_KNOWN: dict[tuple[int, float, int], bool] = {}
_MOST_KNOWN = 256


def _speaks_inspector(listener: Listener) -> bool:
    # A start read twice differs by microseconds (`process_start.started_at`): a tenth of a second tells processes.
    key = (listener.pid, round(listener.started, 1), listener.port)
    if key not in _KNOWN:
        if len(_KNOWN) >= _MOST_KNOWN:
            _KNOWN.clear()
        _KNOWN[key] = _asked_inspector(listener)
    return _KNOWN[key]


def _asked_inspector(listener: Listener) -> bool:
    # Imported here: finding dev servers runs on every check, and asks an inspector only in a debugging session.
    from prisma_doctor.repair import http_get

    reply = http_get.get(
        listener.host, listener.port, "/json/version", timeout=PROBE_SECONDS, body_seconds=1.0, keep=4096
    )
    return reply.status == 200 and _VERSION_KEY in reply.body
