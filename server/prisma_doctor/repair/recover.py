"""The first step of a repair that follows an unfinished one (`interruption.py`): take over the folders it left set
aside, and name the dev servers it stopped, which this repair's `restart-dev` step starts again.

A repair that sets aside and generates (reset, regenerate) takes every copy over as if it had set it aside itself:
removed once its new client is in place, put back if it fails. Any other repair puts a copy back where nothing
replaced it, and leaves one whose place holds newer files (a client generated since) for a reset to remove.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from prisma_doctor.repair.context import SetAsidePath, StepContext
from prisma_doctor.repair.interruption import AsideCopy, Interruption
from prisma_doctor.repair.journal import JOURNAL
from prisma_doctor.repair.ownership import not_a_generated_client
from prisma_doctor.repair.safe_fs import CrossesMount, NotPermitted, OutsideProject, move_aside
from prisma_doctor.repair.steps import Step, StepOutcome
from prisma_doctor.state_folder import STATE_DIR

JOURNAL_SHOWN = str(Path(STATE_DIR) / JOURNAL)


@dataclass
class Recover(Step):
    interruption: Interruption
    # This repair sets aside and discards: it takes every copy over.
    takes_over: bool
    # The places a repair sets aside (each generator's client folder, the caches): the only ones a copy goes back to.
    places: set[Path] = field(default_factory=set)
    name = "recover"
    title = "Take over what the unfinished repair left"

    def preview(self) -> list[str]:
        lines = [self.interruption.describe()]
        lines += [self._plan_for(copy) for copy in self.interruption.aside]
        for server in self.interruption.stopped:
            where = f"{server.cwd}" + (f", port {server.port}" if server.port else "")
            if server.script is not None:
                # Said plainly: this starts a server that does not run now, on the word of a record.
                lines.append(
                    f"`{server.label}` (in {where}) does not run now; the restart-dev step starts it, because the "
                    f"unfinished {self.interruption.kind}'s journal ({JOURNAL_SHOWN}) says it stopped it: if you did "
                    "not run it there, answer no and remove that journal"
                )
            else:
                lines.append(
                    f"`{server.recorded}` (in {where}) is not started again from its record (not one of the "
                    "project's dev scripts): start it yourself"
                )
        return lines

    def identity(self) -> list[str]:
        return [str(copy.aside) for copy in self.interruption.aside] + [s.recorded for s in self.interruption.stopped]

    def _plan_for(self, copy: AsideCopy) -> str:
        if self.takes_over:
            return f"{copy.aside} (was {copy.original}): removed once the new client is in place, put back if it fails"
        if copy.replaced or copy.original not in self.places:
            return f"{copy.aside} stays: {copy.original} holds newer files (a reset removes the old copy)"
        return f"{copy.aside}: put back at {copy.original}"

    def run(self, ctx: StepContext) -> StepOutcome:
        details: list[str] = []
        for copy in self.interruption.aside:
            ctx.token.raise_if_cancelled()
            if not os.path.lexists(copy.aside):
                continue
            item = SetAsidePath(copy.original, copy.provider, copy.file_extension)
            if self.takes_over:
                ctx.set_aside.append((item, copy.aside))
                details.append(f"took over {copy.aside} (was {copy.original})")
                continue
            problem = self._cannot_put_back(copy)
            if problem is not None:
                details.append(f"left {copy.aside}: {problem}")
                continue
            try:
                move_aside(copy.aside, ctx.root, copy.original)
            except (OutsideProject, CrossesMount, NotPermitted, OSError) as error:
                return StepOutcome("failed", f"could not put back {copy.original} (it is at {copy.aside}): {error}")
            details.append(f"put back {copy.original}")
        servers = [s for s in self.interruption.stopped if s.script is not None]
        details += [f"`{s.label}` is started again by the restart-dev step" for s in servers]
        return StepOutcome("done", f"took over what the {self.interruption.kind} left", tuple(details))

    def _cannot_put_back(self, copy: AsideCopy) -> str | None:
        if copy.original not in self.places:
            return f"{copy.original} is no folder a repair sets aside"
        if os.path.lexists(copy.original):
            return f"{copy.original} holds newer files (a reset removes the old copy)"
        if copy.provider is not None:
            # Only a folder of Prisma's own files goes into a client's place: the record may have been planted.
            return not_a_generated_client(Path(copy.aside), copy.provider, file_extension=copy.file_extension)
        return None
