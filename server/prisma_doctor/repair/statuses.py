"""The words a repair's steps end in, and the words around them: each set written once, for the checker to hold.

A step's outcome, the pipeline's record of it, the journal's mark and the progress reported all speak of the same
step; these aliases say which words each may use, so that a misspelt status is a type error, not a silent "not done".
"""

from __future__ import annotations

from typing import Literal

# How a step ended (`StepOutcome.status`).
StepStatus = Literal["done", "failed", "skipped", "cancelled"]
# The pipeline's record of each step of the plan: how it ended, or that it never ran (after a failure, a cancel).
RecordStatus = Literal[StepStatus, "not run"]
# The journal's mark: also before a step runs, and while it runs (what a crash leaves behind).
JournalStatus = Literal[StepStatus, "pending", "running"]
# What progress reporters are told: also when a step starts, and as it goes.
ProgressStatus = Literal[StepStatus, "started", "progress"]
