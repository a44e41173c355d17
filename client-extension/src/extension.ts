// Wires the extension together: the output channel, the status bar, the language server, the commands, the
// terminal reader and the restarts the server asks for.
import { ExtensionContext, window, workspace } from 'vscode';
import { logInfo } from './common/log';
import { onDidChangeInterpreter, watchPythonExtension } from './common/python';
import { LanguageServer } from './common/server';
import { changesServerProcess } from './common/settings';
import { Commands, restartTypeScriptServer } from './commands';
import { DevServerTerminals } from './devServer';
import { SyncState, TERMINAL_OUTPUT } from './protocol';
import { SyncStatusBar } from './statusBar';
import { forwardTerminalOutput } from './terminalOutput';

let server: LanguageServer | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
    // vscode types packageJSON as `any`: read the one field this needs as what package.json declares.
    const manifest = context.extension.packageJSON as { version?: string };
    logInfo(`Prisma Doctor ${manifest.version ?? '?'} activating`);
    const statusBar = new SyncStatusBar();
    const devServers = new DevServerTerminals((folder) => statusBar.stateOf(folder)?.devCommand || undefined);
    const offeredDevTerminal = new Set<string>();

    // A stale dev server can be restarted only where the extension can reach it: offer, once per project, to run
    // the dev script in a terminal it reads.
    const offerDevTerminal = (state: SyncState): void => {
        const stale = state.findings.some((finding) => finding.code === 'dev-server-stale');
        if (!stale || devServers.find(state.project) || offeredDevTerminal.has(state.project)) {
            return;
        }
        offeredDevTerminal.add(state.project);
        const run = 'Run Dev Server in a Terminal';
        void window
            .showInformationMessage(
                'The running dev server uses an older Prisma Client. Run it in a VS Code terminal so that ' +
                    'Prisma Doctor can read its errors and restart it for you?',
                run,
            )
            .then((choice) => {
                if (choice === run) {
                    void devServers.start(state.project);
                }
            });
    };

    server = new LanguageServer(context, {
        onSyncState: (state) => {
            statusBar.update(state);
            offerDevTerminal(state);
        },
        onRestartTsServer: restartTypeScriptServer,
        onUnavailable: (reason) => statusBar.setUnavailable(reason),
    });
    const languageServer = server;
    const commands = new Commands(languageServer, statusBar, devServers);

    context.subscriptions.push(
        statusBar,
        devServers,
        languageServer,
        ...commands.register(),
        forwardTerminalOutput(
            (output) => languageServer.sendNotification(TERMINAL_OUTPUT, output),
            (event) => devServers.noticeExecution(event),
        ),
        workspace.onDidChangeConfiguration((event) => {
            if (changesServerProcess(event)) {
                void languageServer.restart();
            }
        }),
        // The server runs nothing in an untrusted workspace; once trusted it may, so it starts afresh.
        workspace.onDidGrantWorkspaceTrust(() => void languageServer.restart()),
        onDidChangeInterpreter(() => void languageServer.restart()),
        await watchPythonExtension(),
    );
    await languageServer.restart();
}

export async function deactivate(): Promise<void> {
    await server?.stop();
}
