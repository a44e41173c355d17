// The extension's settings, read per workspace folder. The server reads the same section itself, for each workspace
// folder (workspace/configuration with the folder as scope), and applies to each project its own folder's settings;
// these are only its defaults until it has. The extension itself needs the interpreter, to start the server.
import { ConfigurationChangeEvent, WorkspaceFolder, workspace } from 'vscode';
import { SECTION } from '../protocol';

export type PackageManager = 'auto' | 'npm' | 'pnpm' | 'yarn' | 'bun';

export interface Settings {
    interpreter: string[];
    packageManager: PackageManager;
    devCommand: string;
    regenerateOnSave: boolean;
    deepClean: boolean;
    hiddenFindings: string[];
}

export function readSettings(folder?: WorkspaceFolder): Settings {
    const config = workspace.getConfiguration(SECTION, folder?.uri);
    return {
        interpreter: config.get<string[]>('interpreter', []).filter((part) => part.trim() !== ''),
        packageManager: config.get<PackageManager>('packageManager', 'auto'),
        devCommand: config.get<string>('devCommand', '').trim(),
        regenerateOnSave: config.get<boolean>('regenerateOnSave', false),
        deepClean: config.get<boolean>('deepClean', false),
        hiddenFindings: config.get<string[]>('hiddenFindings', []),
    };
}


/** A change that needs a new server process (the server reads the other settings on its own). */
export function changesServerProcess(event: ConfigurationChangeEvent): boolean {
    return event.affectsConfiguration(`${SECTION}.interpreter`);
}
