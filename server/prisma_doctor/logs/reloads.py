"""Vite's own record of the server modules it reloaded: `5:18:22 AM [vite] (ssr) page reload src/x.ts`.

Vite's logger puts the time of day before each such line (`Intl.DateTimeFormat` with hours, minutes and seconds in
the server's locale: `5:18:22 AM`, `17:18:22`). A reload of the server's modules is said by its `ssr` environment
(Vite 6 and later, `(ssr)`; another server environment, `(rsc)`, alike) or with no environment at all (Vite 5, whose
one module graph serves both sides); `(client)` is the browser's, which holds no Prisma client. `page reload` names
one file (then perhaps why, in parentheses), `hmr update` one or more (`/src/a.ts, /src/b.ts`), as paths from Vite's
root; a repeated line ends in its count (`(x2)`). `server restarted.` (after its config changed) means every module
it serves is loaded anew.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import time

# Searched (a line may carry a prefix: a workspace task's name), each part bounded or of one kind of character, and
# the files taken to the line's end: no search position backtracks over more than its own line's rest once.
_RELOAD = re.compile(
    r"(?P<hour>\d{1,2}):(?P<minute>\d\d):(?P<second>\d\d)(?: ?(?P<half>[AaPp])\.? ?[Mm]\.?)? {1,4}\[vite\] {1,4}"
    r"(?:\((?P<environment>[\w-]{1,40})\) {1,4})?(?:(?:page reload|hmr update) (?P<files>[^ ].*)"
    r"|(?P<restarted>server restarted\.))"
)
# What Vite writes after the files, each in parentheses: why (`(circular imports)`) and how often (`(x2)`).
_NOTES_AFTER_FILES = 2


@dataclass(frozen=True)
class Reload:
    at: time  # the time of day Vite printed, in the server's local time
    files: tuple[str, ...]  # as Vite printed them: from its root (`src/x.ts`, `/src/x.ts`) or absolute
    text: str
    everything: bool = False  # the server restarted: every module it serves is loaded anew


def server_reloads(lines: Iterable[str]) -> Iterator[Reload]:
    """The reloads of server modules in clean output lines, in order."""
    for line in lines:
        if "[vite]" not in line:
            continue
        match = _RELOAD.search(line)
        if match is None or match.group("environment") == "client":
            continue
        hour = int(match.group("hour"))
        half = (match.group("half") or "").lower()
        if half:
            hour = hour % 12 + (12 if half == "p" else 0)
        if hour > 23 or int(match.group("minute")) > 59 or int(match.group("second")) > 59:
            continue
        at = time(hour, int(match.group("minute")), int(match.group("second")))
        if match.group("restarted"):
            yield Reload(at, (), line.strip(), everything=True)
            continue
        files = _without_notes(match.group("files"))
        yield Reload(at, tuple(f.strip() for f in files.split(", ") if f.strip()), line.strip())


def _without_notes(files: str) -> str:
    """The files of a reload line without what Vite wrote after them (` (circular imports)`, ` (x2)`)."""
    text = files.rstrip()
    for _ in range(_NOTES_AFTER_FILES):
        if not text.endswith(")") or " (" not in text:
            break
        text = text[: text.rindex(" (")].rstrip()
    return text
