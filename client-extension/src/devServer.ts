// Dev servers running in VS Code terminals that the extension can read: which terminal runs one, how to restart it
// there (a regenerated client reaches a running `next dev` only through a restart), and how to start one. The
// command that starts a project's dev server is the server's to say (its package manager, or the devCommand setting
// of the project's folder): it comes with the project's sync state.
import { relative, isAbsolute } from 'node:path';
import {
    Disposable,
    Terminal,
    TerminalOptions,
    TerminalShellExecution,
    TerminalShellExecutionStartEvent,
    window,
} from 'vscode';
import { logInfo, logWarning } from './common/log';

/** The dev command of the project a folder lies in, as the server last said it; undefined before it has. */
export type DevCommandOf = (folder: string) => string | undefined;

interface RunningDevServer {
    terminal: Terminal;
    execution: TerminalShellExecution;
    commandLine: string;
    cwd: string | undefined;
}

const DEV_COMMAND = /\bnext\s+dev\b|\b(npm|pnpm|yarn|bun)\s+(run\s+)?dev\b/;
const SHELL_INTEGRATION_WAIT_MS = 5000;
const STOP_WAIT_MS = 15000;

export function isInside(child: string, parent: string): boolean {
    const path = relative(parent, child);
    return path === '' || (!path.startsWith('..') && !isAbsolute(path));
}

// Shell integration may report the folder only after the command started: fall back to where the terminal opened.
function workingDirectory(event: TerminalShellExecutionStartEvent): string | undefined {
    const opened = (event.terminal.creationOptions as TerminalOptions).cwd;
    return (
        event.execution.cwd?.fsPath ??
        event.terminal.shellIntegration?.cwd?.fsPath ??
        (typeof opened === 'string' ? opened : opened?.fsPath)
    );
}

function waitFor<T>(register: (resolve: (value: T) => void) => Disposable, timeoutMs: number): Promise<T | undefined> {
    return new Promise((resolve) => {
        const timer = setTimeout(() => {
            subscription.dispose();
            resolve(undefined);
        }, timeoutMs);
        const subscription = register((value) => {
            clearTimeout(timer);
            subscription.dispose();
            resolve(value);
        });
    });
}

export class DevServerTerminals implements Disposable {
    private readonly running = new Map<Terminal, RunningDevServer>();
    private readonly subscriptions: Disposable[];

    constructor(private readonly devCommandOf: DevCommandOf) {
        this.subscriptions = [
            window.onDidEndTerminalShellExecution((event) => {
                if (this.running.get(event.terminal)?.execution === event.execution) {
                    this.running.delete(event.terminal);
                }
            }),
            window.onDidCloseTerminal((terminal) => this.running.delete(terminal)),
        ];
    }

    /** Called for every command that starts in a readable terminal. */
    noticeExecution(event: TerminalShellExecutionStartEvent): void {
        const commandLine = event.execution.commandLine.value;
        const cwd = workingDirectory(event);
        const projectCommand = cwd ? this.devCommandOf(cwd) : undefined;
        if (DEV_COMMAND.test(commandLine) || (projectCommand !== undefined && commandLine.trim() === projectCommand)) {
            logInfo(`Dev server seen in terminal "${event.terminal.name}": ${commandLine}`);
            this.running.set(event.terminal, { terminal: event.terminal, execution: event.execution, commandLine, cwd });
        }
    }

    /** The readable dev server of a project; else the only one running, when its folder is unknown. */
    find(project?: string): RunningDevServer | undefined {
        const all = [...this.running.values()];
        const inProject = project
            ? all.find((server) => server.cwd !== undefined && isInside(server.cwd, project))
            : undefined;
        const unplaced = all.filter((server) => server.cwd === undefined);
        return inProject ?? (all.length === 1 && (!project || unplaced.length === 1) ? all[0] : undefined);
    }

    /** Stops the dev server with Ctrl+C and runs the same command line in the same terminal. */
    async restart(server: RunningDevServer): Promise<void> {
        logInfo(`Restarting the dev server in terminal "${server.terminal.name}"`);
        const stopped = waitFor<void>(
            (resolve) =>
                window.onDidEndTerminalShellExecution((event) => {
                    if (event.execution === server.execution) resolve();
                }),
            STOP_WAIT_MS,
        );
        server.terminal.sendText('\u0003', false);
        if ((await stopped) === undefined && this.running.get(server.terminal)?.execution === server.execution) {
            logWarning('The dev server did not stop within 15 s after Ctrl+C; starting it again anyway.');
        }
        this.running.delete(server.terminal);
        this.run(server.terminal, server.commandLine);
    }

    /** Starts the project's dev script in a new terminal whose output the extension reads. */
    async start(project: string): Promise<void> {
        const commandLine = this.devCommandOf(project);
        if (commandLine === undefined) {
            void window.showWarningMessage(
                'Prisma Doctor has not checked a project here yet, so it does not know its dev command. ' +
                    'Try again once the status bar shows the project.',
            );
            return;
        }
        const terminal = window.createTerminal({ name: 'Prisma Doctor: dev', cwd: project });
        terminal.show(true);
        if (!terminal.shellIntegration) {
            await waitFor<void>(
                (resolve) =>
                    window.onDidChangeTerminalShellIntegration((event) => {
                        if (event.terminal === terminal) resolve();
                    }),
                SHELL_INTEGRATION_WAIT_MS,
            );
        }
        this.run(terminal, commandLine);
    }

    dispose(): void {
        for (const subscription of this.subscriptions) {
            subscription.dispose();
        }
    }

    private run(terminal: Terminal, commandLine: string): void {
        if (terminal.shellIntegration) {
            terminal.shellIntegration.executeCommand(commandLine);
        } else {
            logWarning(`No shell integration in "${terminal.name}": its output cannot be read.`);
            terminal.sendText(commandLine, true);
        }
    }
}
