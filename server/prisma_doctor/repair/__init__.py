"""The repair pipeline: safe, targeted, previewable, and undone when it fails.

`plan.build_plan(root, kind)` looks at the project, orders the steps (`steps.py`) and lists the reasons it would
refuse; `pipeline.run_plan` runs them with progress and cancellation (its docstring is the API the language server
uses). Beside them, one job each: `roots` (which folders may be a project), `ownership` (whether a folder is
provably a client Prisma generated), `safe_fs` (removal and moves that never follow a link or cross a mount) with
`mounts`, `processes` (this user's processes in the project, and stopping them), `devserver` (finding and
restarting `next dev` with its real command), `locks` (files a process holds), `journal` (one repair at a time,
and a record of each step, in `prisma_doctor.state_folder`), `package_manager` (npm, pnpm, yarn, bun, workspaces
and the project's own Prisma), `targets` (the generated clients), `run_command` (cancellable subprocesses).
"""
