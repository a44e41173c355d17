"""The repair pipeline: safe, targeted, previewable.

`plan.build_plan(root, kind)` looks at the project and orders the steps (`steps.py`); `pipeline.run_plan` runs
them with progress and cancellation (its docstring is the API the language server uses). Beside them, one job
each: `processes` (this project's processes, and stopping them), `devserver` (finding and restarting
`next dev`), `safe_fs` (removal that never leaves the project), `locks` (locked files), `journal` (the
`.prisma-doctor/` folder: one repair at a time, a record of each step), `package_manager` (npm, pnpm, yarn,
bun and the project's own Prisma), `targets` (the generated clients to remove), `run_command` (cancellable
subprocesses with their output kept).
"""
