// The custom part of the protocol between this extension and `prisma-doctor serve` (docs/architecture.md). Every
// name here mirrors server/prisma_doctor/lsp/protocol.py: a name changes in both files or in neither.

/** The settings section (`workspace/configuration`, initialization options). */
export const SECTION = 'prismaDoctor';

export const SERVER_COMMANDS = {
    fullReset: 'prismaDoctor.fullReset',
    regenerate: 'prismaDoctor.regenerate',
    restartDevServer: 'prismaDoctor.restartDevServer',
    check: 'prismaDoctor.check',
    showSyncReport: 'prismaDoctor.showSyncReport',
    applyFix: 'prismaDoctor.applyFix',
} as const;

export const SYNC_STATE = 'prismaDoctor/syncState';
export const RESTART_TS_SERVER = 'prismaDoctor/restartTsServer';
export const TERMINAL_OUTPUT = 'prismaDoctor/terminalOutput';

export type State = 'in-sync' | 'out-of-sync' | 'unknown' | 'repairing' | 'error';

/** What the status bar shows for a project, decided by the server (prisma_doctor/status.py). */
export type Display =
    | 'in-sync'
    | 'not-compared'
    | 'out-of-sync'
    | 'database-behind'
    | 'dev-server-stale'
    | 'database-object'
    | 'unknown'
    | 'repairing'
    | 'error';

export interface JsonLocation {
    file: string;
    line: number;
    column: number;
    endLine?: number;
    endColumn?: number;
}

export interface Fix {
    id: string;
    title: string;
}

export interface Finding {
    code: string;
    severity: 'error' | 'warning' | 'info' | 'hint';
    message: string;
    location: JsonLocation | null;
    fixes: Fix[];
    related?: JsonLocation[];
    count?: number;
}

export interface SyncState {
    project: string;
    state: State;
    display: Display;
    /** How many problems (errors and warnings, each as often as it was seen) the display counts. */
    problems: number;
    summary?: string;
    findings: Finding[];
    /** The command that starts the project's dev server in a terminal (the devCommand setting of its folder, else
     * its package manager's `run dev`); empty until the server's first check of the project. */
    devCommand: string;
}

/** The report `prismaDoctor.showSyncReport` returns. */
export interface Report {
    project?: string;
    state: State;
    findings: Finding[];
}

export interface TerminalOutput {
    data: string;
    terminal: string;
    cwd: string | null;
}
