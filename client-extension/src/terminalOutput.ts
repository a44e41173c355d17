// Reads what commands print in VS Code's terminals (the shell integration API, VS Code 1.93+) and forwards every
// chunk to the server as prismaDoctor/terminalOutput, where runtime errors (P2022, Unknown argument, ...) become
// findings. Terminals without shell integration cannot be read; the dev server can be started in one that can.
import { Disposable, TerminalShellExecutionStartEvent, window } from 'vscode';
import { TerminalOutput } from './protocol';
import { logError } from './common/log';

export type OutputSink = (output: TerminalOutput) => void;

async function forward(event: TerminalShellExecutionStartEvent, send: OutputSink): Promise<void> {
    const { terminal, execution } = event;
    const cwd = execution.cwd?.fsPath ?? terminal.shellIntegration?.cwd?.fsPath ?? null;
    try {
        // read() must be called right away: output printed before the call is not replayed.
        for await (const data of execution.read()) {
            send({ data, terminal: terminal.name, cwd });
        }
    } catch (error) {
        logError(`Reading the terminal "${terminal.name}" failed`, error);
    }
}

export function forwardTerminalOutput(
    send: OutputSink,
    onStart: (event: TerminalShellExecutionStartEvent) => void,
): Disposable {
    return window.onDidStartTerminalShellExecution((event) => {
        onStart(event);
        void forward(event, send);
    });
}
