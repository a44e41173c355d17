"""Vite's own record of the server modules it reloaded: `5:18:22 AM [vite] (ssr) page reload src/x.ts`.

Vite's logger puts the time of day before each such line (`Intl.DateTimeFormat` with hours, minutes and seconds in
the server's locale: `5:18:22 AM`, `17:18:22`). A reload of the server's modules is said by its `ssr` environment
(Vite 6 and later, `(ssr)`; another server environment, `(rsc)`, alike) or with no environment at all (Vite 5, whose
one module graph serves both sides); `(client)` is the browser's, which holds no Prisma client. `page reload` names
one file (then perhaps why, in parentheses), `hmr update` one or more (`/src/a.ts, /src/b.ts`), as paths from Vite's
root; a repeated line ends in its count (`(x2)`). `server restarted.` (after its config changed) means every module
it serves is loaded anew. Only a whole line counts, from its start as the logger writes it (its colours stripped):
words that merely contain such a line (a request log naming a URL) are someone else's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import time

# The line up to what Vite says it did; what follows (the files, a reason, a count) is read as text (`_said`): a
# pattern that ran on to the line's end would try every place the files could end. Anchored at the line's start, as
# Vite's logger begins it: the same words inside another line (an app logging what a user asked for) are not Vite's.
_RELOAD = re.compile(
    r" {0,8}(?P<hour>\d{1,2}):(?P<minute>\d{2}):(?P<second>\d{2}) ?(?:(?P<half>[AaPp])\.? ?[Mm]\.?)?"
    r" {1,4}\[vite\] {1,4}"
    r"(?:\((?P<environment>[\w-]{1,40})\) {1,4})?(?P<what>page reload |hmr update |server restarted\.)"
)
# The files a reload names, at most (an `hmr update` lists each): a longer rest is no such line.
_MAX_FILES_TEXT = 4000
# What `page reload` says after its file, why (`(circular imports)`, `(config changed)`), at most.
_MAX_REASON = 200


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
        match = _RELOAD.match(line)
        if match is None or match.group("environment") == "client":
            continue
        hour = int(match.group("hour"))
        half = (match.group("half") or "").lower()
        if half:
            hour = hour % 12 + (12 if half == "p" else 0)
        if hour > 23 or int(match.group("minute")) > 59 or int(match.group("second")) > 59:
            continue
        at = time(hour, int(match.group("minute")), int(match.group("second")))
        said = _said(line[match.end() :])
        if said is None:
            continue
        if match.group("what") == "server restarted.":
            if not said:
                yield Reload(at, (), line.strip(), everything=True)
            continue
        if said:
            yield Reload(at, tuple(f.strip() for f in said.split(", ") if f.strip()), line.strip())


def _said(rest: str) -> str | None:
    """The files after `page reload`/`hmr update` ("" after `server restarted.`), without the count of a repeated
    line (`(x2)`) and the reason a page reload gives (`(circular imports)`); None when the rest is too long to be
    such a line."""
    text = rest.strip()
    if len(text) > _MAX_FILES_TEXT + _MAX_REASON:
        return None
    head, opened, count = text.rpartition(" (x")
    if opened and count.endswith(")") and count[:-1].isdigit():
        text = head.rstrip()
    head, opened, reason = text.rpartition(" (")
    if opened and reason.endswith(")") and 0 < len(reason) - 1 <= _MAX_REASON and not set("()") & set(reason[:-1]):
        text = head.rstrip()
    return text if len(text) <= _MAX_FILES_TEXT + 1 else None
