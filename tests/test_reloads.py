"""Vite's record of the server modules it reloaded (`logs/reloads.py`), as its logger prints it."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from prisma_doctor.logs.reloads import Reload, server_reloads
from prisma_doctor.logs.stream import read_lines
from prisma_doctor.repair.devserver import restart_marker
from prisma_doctor.staleness import last_reload, printed_since

# As Vite 6.4 prints them after `prisma generate` (in a terminal, with its colours).
VITE_6_OUTPUT = (
    "\x1b[2m5:18:22 AM\x1b[22m \x1b[36m\x1b[1m[vite]\x1b[22m\x1b[39m \x1b[2m(ssr)\x1b[22m "
    "\x1b[32mpage reload \x1b[39m\x1b[2msrc/generated/prisma/client.ts\x1b[22m\n"
    "5:18:22 AM [vite] (ssr) page reload src/generated/prisma/internal/class.ts\n"
    "GET /users 200\n"
)


def test_the_reloads_of_a_generate_with_their_time_of_day() -> None:
    found = list(server_reloads(read_lines([VITE_6_OUTPUT])))
    assert [(r.at, r.files) for r in found] == [
        (time(5, 18, 22), ("src/generated/prisma/client.ts",)),
        (time(5, 18, 22), ("src/generated/prisma/internal/class.ts",)),
    ]


@pytest.mark.parametrize(
    ("line", "at", "files"),
    [
        # The server's locale decides the clock: 24 hours, or the afternoon said.
        ("17:18:22 [vite] (ssr) page reload src/lib/db.ts", time(17, 18, 22), ("src/lib/db.ts",)),
        ("5:18:22 PM [vite] (ssr) page reload src/lib/db.ts", time(17, 18, 22), ("src/lib/db.ts",)),
        ("12:00:01 AM [vite] (ssr) page reload src/lib/db.ts", time(0, 0, 1), ("src/lib/db.ts",)),
        ("5:18:22 p. m. [vite] (ssr) page reload src/lib/db.ts", time(17, 18, 22), ("src/lib/db.ts",)),
        # Why, and how often, are not part of the file.
        ("9:01:02 AM [vite] (ssr) page reload src/a.ts (circular imports)", time(9, 1, 2), ("src/a.ts",)),
        ("9:01:02 AM [vite] (ssr) page reload src/a.ts (x3)", time(9, 1, 2), ("src/a.ts",)),
        # An update of several modules; Vite 5's one graph names no environment.
        ("9:01:02 AM [vite] (ssr) hmr update /src/a.ts, /src/b.ts", time(9, 1, 2), ("/src/a.ts", "/src/b.ts")),
        ("9:01:02 AM [vite] page reload src/a.ts", time(9, 1, 2), ("src/a.ts",)),
        ("9:01:02 AM [vite] (rsc) hmr update /src/a.ts", time(9, 1, 2), ("/src/a.ts",)),
    ],
)
def test_each_way_vite_says_it(line: str, at: time, files: tuple[str, ...]) -> None:
    (reload,) = server_reloads([line])
    assert (reload.at, reload.files, reload.everything) == (at, files, False)


def test_a_restarted_server_loads_everything_anew() -> None:
    (reload,) = server_reloads(["5:22:21 AM [vite] server restarted."])
    assert (reload.at, reload.files, reload.everything) == (time(5, 22, 21), (), True)


@pytest.mark.parametrize(
    "line",
    [
        # The browser's modules hold no Prisma client.
        "9:01:02 AM [vite] (client) hmr update /src/App.tsx",
        # Not a reload, or not Vite's, or no time to place it by.
        "9:01:02 AM [vite] vite.config.mjs changed, restarting server...",
        "[vite] (ssr) page reload src/a.ts",
        "9:01:02 AM [tsx] change in ./src/a.ts Restarting...",
        "25:01:02 [vite] (ssr) page reload src/a.ts",
        # Vite's words inside another line (an app logging what it was asked) are not Vite's line.
        "user asked for 9:01:02 AM [vite] page reload src/generated/prisma/index.js",
        "GET /users?q=9:01:02 AM [vite] (ssr) page reload src/a.ts 200 in 3ms",
    ],
)
def test_what_is_not_a_server_reload(line: str) -> None:
    assert list(server_reloads([line])) == []


def test_the_recognizer_says_a_reload_so_that_the_editor_judges_the_server_again() -> None:
    from prisma_doctor.logs import events as ev
    from prisma_doctor.logs.recognize import recognize

    events = list(recognize(read_lines([VITE_6_OUTPUT])))
    assert [type(e) for e in events] == [ev.ServerModulesReloaded, ev.ServerModulesReloaded]
    assert events[1].text == "5:18:22 AM [vite] (ssr) page reload src/generated/prisma/internal/class.ts"


# When a server printed a reload, from the time of day it printed (`staleness.printed_since`): its process ran from
# `started` until its output was last written, and every day of that span is a day it may have printed that time on.
TODAY = datetime(2026, 12, 7).astimezone().tzinfo


def _at(day: int, hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, micro, tzinfo=TODAY)


@pytest.mark.parametrize(
    ("printed", "started", "generated", "since"),
    [
        (time(10, 30), _at(7, 9), _at(7, 10), True),
        (time(9, 30), _at(7, 9), _at(7, 10), False),
        # Whole seconds: the generation's own second counts.
        (time(10, 0, 0), _at(7, 9), _at(7, 10, 0, 0, 400000), True),
        # A server started yesterday at noon printed 10:30 today only; 13:00 yesterday only.
        (time(10, 30), _at(6, 12), _at(7, 10), True),
        (time(13, 0), _at(6, 12), _at(7, 10), False),
        # Started two days ago: 10:30 may be any of three days, two of them before the generation.
        (time(10, 30), _at(5, 9), _at(7, 10), False),
    ],
)
def test_a_printed_time_counts_only_when_every_day_it_may_be_from_is_after_the_generation(
    printed: time, started: datetime, generated: datetime, since: bool
) -> None:
    written = _at(7, 11).timestamp()
    assert printed_since(printed, generated, started.timestamp(), written) is since


def test_only_the_reloads_of_the_process_that_runs_now_are_read() -> None:
    reload = "10:30:00 [vite] (ssr) page reload src/generated/prisma/client.ts"
    marker = restart_marker("npm run dev", "/app").decode()
    lines = list(read_lines([f"{reload}\n{marker}GET /users 200\n"]))
    assert last_reload(lines, lambda r: True) is None
    lines = list(read_lines([f"{marker}{reload}\n"]))
    assert last_reload(lines, lambda r: True) == Reload(time(10, 30), ("src/generated/prisma/client.ts",), reload)
    assert last_reload(lines, lambda r: False) is None
