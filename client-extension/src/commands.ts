// The commands a person runs (palette, status bar, quick fixes). Most forward to the server with the project they
// concern; restarting the dev server first tries the VS Code terminal it runs in.
import { commands, Disposable, QuickPickItem, window, workspace } from 'vscode';
import { describeError, logError, logInfo, outputChannel } from './common/log';
import { LanguageServer } from './common/server';
import { DevServerTerminals, isInside } from './devServer';
import { Report, SERVER_COMMANDS } from './protocol';
import { renderReports } from './report';
import { SyncStatusBar } from './statusBar';

interface ProjectArgument {
    project: string;
}

interface FixArgument {
    project?: string;
    fix: string;
}

// Fix ids that have a command of their own; every other fix goes through prismaDoctor.applyFix.
const FIX_COMMANDS: Record<string, string> = {
    'full-reset': SERVER_COMMANDS.fullReset,
    regenerate: SERVER_COMMANDS.regenerate,
    'restart-dev-server': SERVER_COMMANDS.restartDevServer,
    'restart-ts-server': 'typescript.restartTsServer',
};

export class Commands {
    constructor(
        private readonly server: LanguageServer,
        private readonly statusBar: SyncStatusBar,
        private readonly devServers: DevServerTerminals,
    ) {}

    register(): Disposable[] {
        const forward = (command: string) => (argument?: ProjectArgument) => this.forward(command, argument);
        return [
            commands.registerCommand(SERVER_COMMANDS.fullReset, forward(SERVER_COMMANDS.fullReset)),
            commands.registerCommand(SERVER_COMMANDS.regenerate, forward(SERVER_COMMANDS.regenerate)),
            commands.registerCommand(SERVER_COMMANDS.check, forward(SERVER_COMMANDS.check)),
            commands.registerCommand(SERVER_COMMANDS.applyFix, (argument: FixArgument) => this.applyFix(argument)),
            commands.registerCommand(SERVER_COMMANDS.restartDevServer, (argument?: ProjectArgument) =>
                this.restartDevServer(argument),
            ),
            commands.registerCommand(SERVER_COMMANDS.showSyncReport, (argument?: ProjectArgument) =>
                this.showSyncReport(argument),
            ),
            commands.registerCommand('prismaDoctor.showOutput', () => outputChannel().show(true)),
            commands.registerCommand('prismaDoctor.pickFix', () => this.pickFix()),
            commands.registerCommand('prismaDoctor.runDevInTerminal', (argument?: ProjectArgument) =>
                this.runDevInTerminal(argument),
            ),
            commands.registerCommand('prismaDoctor.restartServer', () => this.server.restart()),
        ];
    }

    /** The project a command concerns: the one given, the only one known, or the one of the active editor. */
    private async projectOf(argument?: { project?: string }): Promise<string | undefined> {
        if (argument?.project) {
            return argument.project;
        }
        const known = this.statusBar.projects();
        if (known.length <= 1) {
            return known[0];
        }
        const active = window.activeTextEditor?.document.uri.fsPath;
        const containing = known.filter((project) => active !== undefined && isInside(active, project));
        if (containing.length > 0) {
            return containing.sort((a, b) => b.length - a.length)[0];
        }
        return window.showQuickPick(known, { placeHolder: 'Which Prisma project?' });
    }

    private async forward(command: string, argument?: ProjectArgument, extra: object = {}): Promise<unknown> {
        const project = await this.projectOf(argument);
        return this.send(command, { ...(project ? { project } : {}), ...extra });
    }

    private async send(command: string, payload: object): Promise<unknown> {
        try {
            return await this.server.executeCommand(command, [payload]);
        } catch (error) {
            logError(`${command} failed`, error);
            const choice = await window.showErrorMessage(`Prisma Doctor: ${describeError(error)}`, 'Show Output');
            if (choice) {
                outputChannel().show(true);
            }
            return undefined;
        }
    }

    private async applyFix(argument: FixArgument): Promise<unknown> {
        const command = FIX_COMMANDS[argument.fix];
        if (command === 'typescript.restartTsServer') {
            return commands.executeCommand(command);
        }
        if (command === SERVER_COMMANDS.restartDevServer) {
            return this.restartDevServer(argument.project ? { project: argument.project } : undefined);
        }
        if (command) {
            return this.forward(command, argument.project ? { project: argument.project } : undefined);
        }
        return this.forward(SERVER_COMMANDS.applyFix, argument.project ? { project: argument.project } : undefined, {
            fix: argument.fix,
        });
    }

    private async restartDevServer(argument?: ProjectArgument): Promise<unknown> {
        const project = await this.projectOf(argument);
        const inTerminal = this.devServers.find(project);
        if (inTerminal) {
            await this.devServers.restart(inTerminal);
            return undefined;
        }
        return this.forward(SERVER_COMMANDS.restartDevServer, project ? { project } : undefined);
    }

    private async runDevInTerminal(argument?: ProjectArgument): Promise<void> {
        const project =
            (await this.projectOf(argument)) ?? workspace.workspaceFolders?.[0]?.uri.fsPath ?? undefined;
        if (!project) {
            void window.showWarningMessage('Prisma Doctor: open a folder with a Prisma project first.');
            return;
        }
        await this.devServers.start(project);
    }

    private async showSyncReport(argument?: ProjectArgument): Promise<void> {
        // Without a project the server answers for every project it knows.
        const answer = (await this.send(SERVER_COMMANDS.showSyncReport, argument?.project ? argument : {})) as
            | { reports?: Report[] }
            | undefined;
        const document = await workspace.openTextDocument({
            language: 'markdown',
            content: renderReports(answer?.reports ?? [], new Date()),
        });
        await window.showTextDocument(document, { preview: true });
    }

    /** The status bar's click: every fix of every current finding, plus the commands that always apply. */
    private async pickFix(): Promise<void> {
        interface FixItem extends QuickPickItem {
            run: () => Thenable<unknown>;
        }
        const items: FixItem[] = [];
        const seen = new Set<string>();
        const fixIds = new Set<string>();
        for (const { project, finding } of this.statusBar.findings()) {
            for (const fix of finding.fixes) {
                const key = `${project}\u0000${fix.id}`;
                if (seen.has(key)) continue;
                seen.add(key);
                fixIds.add(fix.id);
                items.push({
                    label: fix.title,
                    description: finding.code,
                    detail: finding.message,
                    run: () => this.applyFix({ project, fix: fix.id }),
                });
            }
        }
        items.push(
            { label: '$(output) Show Sync Report', run: () => this.showSyncReport() },
            { label: '$(refresh) Check Again', run: () => this.forward(SERVER_COMMANDS.check) },
        );
        if (!fixIds.has('full-reset')) {
            items.push({ label: '$(wrench) Full Reset', run: () => this.forward(SERVER_COMMANDS.fullReset) });
        }
        const picked = await window.showQuickPick(items, {
            placeHolder: items.length > 3 ? 'Fix the Prisma problems' : 'Prisma Doctor',
            matchOnDetail: true,
        });
        await picked?.run();
    }
}

export function restartTypeScriptServer(): void {
    // The TypeScript server caches the generated client's types: after a regeneration it must read them again.
    commands.executeCommand('typescript.restartTsServer').then(
        () => logInfo('Restarted the TypeScript server after a regeneration.'),
        (error: unknown) => logError('typescript.restartTsServer failed (is the TypeScript extension enabled?)', error),
    );
}
