// Starts, restarts and stops the language server: `<python> -m prisma_doctor serve` over stdio, with PYTHONPATH
// pointing at the server and libraries shipped inside the extension (bundled/server, bundled/libs).
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Disposable, ExtensionContext, WorkspaceFolder, workspace } from 'vscode';
import {
    ExecuteCommandRequest,
    LanguageClient,
    LanguageClientOptions,
    RevealOutputChannelOn,
    ServerOptions,
    State,
} from 'vscode-languageclient/node';
import { RESTART_TS_SERVER, SECTION, SYNC_STATE, SyncState } from '../protocol';
import { describeError, logError, logInfo, outputChannel } from './log';
import { Interpreter, NoUsableInterpreter, findInterpreter, reportNoInterpreter } from './python';
import { readSettings } from './settings';

export interface ServerEvents {
    onSyncState(state: SyncState): void;
    onRestartTsServer(): void;
    /** The server is not running, and why (shown in the status bar). */
    onUnavailable(reason: string): void;
}

// The extension registers the server's commands itself (they exist even while the server is down, and add the
// project argument and the extension's own steps), so the language client must not register them a second time.
class PrismaDoctorClient extends LanguageClient {
    public override registerFeature(feature: Parameters<LanguageClient['registerFeature']>[0]): void {
        const method = (feature as { registrationType?: { method?: string } }).registrationType?.method;
        if (method !== ExecuteCommandRequest.method) {
            super.registerFeature(feature);
        }
    }
}

/** Where the Python package lives: inside the extension when packaged, else the repository's own server/. */
export function serverPythonPath(extensionPath: string): string[] {
    const bundled = join(extensionPath, 'bundled');
    if (existsSync(join(bundled, 'server', 'prisma_doctor'))) {
        return [join(bundled, 'server'), join(bundled, 'libs')];
    }
    return [join(extensionPath, 'server')];
}

function firstFolder(): WorkspaceFolder | undefined {
    return workspace.workspaceFolders?.[0];
}

export class LanguageServer implements Disposable {
    private client: LanguageClient | undefined;
    private starting: Promise<void> | undefined;

    constructor(
        private readonly context: ExtensionContext,
        private readonly events: ServerEvents,
    ) {}

    get isRunning(): boolean {
        return this.client?.state === State.Running;
    }

    /** Stops the running server (if any) and starts a new one; serialised so that restarts never overlap. */
    restart(): Promise<void> {
        // A failed start must not block the next one.
        const previous = (this.starting ?? Promise.resolve()).catch(() => undefined);
        this.starting = previous.then(() => this.stop()).then(() => this.start());
        return this.starting;
    }

    async stop(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        if (client) {
            try {
                await client.stop();
            } catch (error) {
                logError('Stopping the language server failed', error);
            }
        }
    }

    async executeCommand<T = unknown>(command: string, args: unknown[]): Promise<T> {
        await this.starting;
        if (!this.client || !this.isRunning) {
            throw new Error('The Prisma Doctor language server is not running (see Prisma: Show Prisma Doctor Output).');
        }
        return this.client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }) as Promise<T>;
    }

    sendNotification(method: string, params: unknown): void {
        if (this.client && this.isRunning) {
            void this.client.sendNotification(method, params);
        }
    }

    dispose(): void {
        void this.stop();
    }

    private async start(): Promise<void> {
        let interpreter: Interpreter;
        try {
            interpreter = await findInterpreter(firstFolder());
        } catch (error) {
            if (error instanceof NoUsableInterpreter) {
                this.events.onUnavailable('no Python 3.10+ found');
                void reportNoInterpreter(error);
            } else {
                logError('Looking for Python failed', error);
                this.events.onUnavailable(`looking for Python failed: ${describeError(error)}`);
            }
            return;
        }
        const client = this.createClient(interpreter);
        client.onNotification(SYNC_STATE, (state: SyncState) => this.events.onSyncState(state));
        client.onNotification(RESTART_TS_SERVER, () => this.events.onRestartTsServer());
        client.onDidChangeState((change) => {
            if (change.newState === State.Stopped && this.client === client) {
                this.events.onUnavailable('the language server stopped');
            }
        });
        this.client = client;
        try {
            await client.start();
            logInfo('Language server started.');
        } catch (error) {
            logError('The language server did not start', error);
            this.events.onUnavailable(`the language server did not start: ${describeError(error)}`);
        }
    }

    private createClient(interpreter: Interpreter): LanguageClient {
        const pythonPath = [...serverPythonPath(this.context.extensionPath), process.env.PYTHONPATH]
            .filter((part) => part)
            .join(delimiter);
        const [command, ...interpreterArgs] = interpreter.command;
        const args = [...interpreterArgs, '-m', 'prisma_doctor', 'serve'];
        logInfo(`Server command: ${command} ${args.join(' ')} (PYTHONPATH=${pythonPath})`);
        const serverOptions: ServerOptions = {
            command,
            args,
            options: {
                cwd: firstFolder()?.uri.fsPath ?? this.context.extensionPath,
                env: { ...process.env, PYTHONPATH: pythonPath, PYTHONUTF8: '1', PYTHONUNBUFFERED: '1' },
            },
        };
        const clientOptions: LanguageClientOptions = {
            documentSelector: [
                { scheme: 'file', language: 'prisma' },
                { scheme: 'untitled', language: 'prisma' },
            ],
            synchronize: { configurationSection: SECTION },
            outputChannel: outputChannel(),
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            // The server reads its settings through workspace/configuration; these are the defaults until then.
            initializationOptions: {
                [SECTION]: readSettings(firstFolder()),
                workspaceTrusted: workspace.isTrusted,
            },
        };
        return new PrismaDoctorClient('prismaDoctor', 'Prisma Doctor', serverOptions, clientOptions);
    }
}
