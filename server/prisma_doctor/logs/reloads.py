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

_RELOAD = re.compile(
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2}):(?P<second>\d{2})\s?(?:(?P<half>[AaPp])\.?\s?[Mm]\.?)?\s+\[vite\]\s+"
    r"(?:\((?P<environment>[\w-]{1,40})\)\s+)?(?:(?:page reload|hmr update)\s+(?P<files>\S.{0,4000}?)"
    r"|(?P<restarted>server restarted\.))(?:\s+\(x\d+\))?\s*$"
)
# What `page reload` says after its file: why (`(circular imports)`, `(config changed)`).
_REASON = re.compile(r"\s+\([^()]{1,200}\)$")


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
        files = _REASON.sub("", match.group("files").strip())
        yield Reload(at, tuple(f.strip() for f in files.split(", ") if f.strip()), line.strip())
