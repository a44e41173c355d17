"""Every name of the custom protocol between the server and its editors, in one place.

Mirrored by `client-extension/src/protocol.ts`; docs/architecture.md ("Language server protocol") says what each
carries. A name changes in both files or in neither.
"""

from __future__ import annotations

# The settings section (`workspace/configuration`, initialization options, `prismaDoctor.*` in VS Code).
SECTION = "prismaDoctor"

# Notifications, server to client.
SYNC_STATE = "prismaDoctor/syncState"
RESTART_TS_SERVER = "prismaDoctor/restartTsServer"
# Notifications, client to server: a chunk of a VS Code terminal's output.
TERMINAL_OUTPUT = "prismaDoctor/terminalOutput"

# Commands (`workspace/executeCommand`), each taking one optional argument `{"project": "/abs/root"}`.
FULL_RESET = "prismaDoctor.fullReset"
REGENERATE = "prismaDoctor.regenerate"
RESTART_DEV_SERVER = "prismaDoctor.restartDevServer"
CHECK = "prismaDoctor.check"
SHOW_SYNC_REPORT = "prismaDoctor.showSyncReport"
APPLY_FIX = "prismaDoctor.applyFix"  # `{"project", "fix"}`: what a code action runs
# The commands the server offers (registered before `initialize` is answered: they are among its capabilities).
COMMANDS = (FULL_RESET, REGENERATE, RESTART_DEV_SERVER, CHECK, SHOW_SYNC_REPORT, APPLY_FIX)
