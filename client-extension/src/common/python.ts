// Finds the Python that runs the language server, the way Microsoft's Python tool extensions do: the
// prismaDoctor.interpreter setting, then the Python extension's active interpreter, then python3 or python on the
// PATH. Each candidate is run once to check that it is Python 3.10 or newer.
import { execFile } from 'node:child_process';
import { Disposable, Event, EventEmitter, Uri, WorkspaceFolder, commands, extensions, window } from 'vscode';
import { logInfo, logWarning } from './log';
import { readSettings } from './settings';

export const MINIMUM_VERSION: [number, number] = [3, 10];

export interface Interpreter {
    /** The executable and its arguments, e.g. ["/usr/bin/python3"] or ["py", "-3.12"]. */
    command: string[];
    /** Where it came from, for the log and for messages. */
    source: string;
    version: string;
}

/** Why no candidate fitted: one line per candidate tried. */
export class NoUsableInterpreter extends Error {
    constructor(readonly tried: string[]) {
        super(`No Python ${MINIMUM_VERSION.join('.')} or newer was found.`);
    }
}

// The small part of the Python extension's API (ms-python.python) used here.
interface PythonExtensionApi {
    environments: {
        getActiveEnvironmentPath(resource?: Uri): { path: string };
        resolveEnvironment(path: string): Promise<{ executable: { uri?: Uri } } | undefined>;
        onDidChangeActiveEnvironmentPath: Event<unknown>;
    };
}

const PYTHON_EXTENSION_ID = 'ms-python.python';
const changed = new EventEmitter<void>();
/** Fires when the Python extension's active interpreter changes. */
export const onDidChangeInterpreter: Event<void> = changed.event;

async function pythonExtensionApi(): Promise<PythonExtensionApi | undefined> {
    const extension = extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
    if (!extension) {
        return undefined;
    }
    try {
        return extension.isActive ? extension.exports : await extension.activate();
    } catch (error) {
        logWarning(`The Python extension did not activate: ${String(error)}`);
        return undefined;
    }
}

export async function watchPythonExtension(): Promise<Disposable> {
    const api = await pythonExtensionApi();
    return api?.environments.onDidChangeActiveEnvironmentPath(() => changed.fire()) ?? new Disposable(() => {});
}

function probe(command: string[]): Promise<string> {
    const script = 'import sys; print("%d.%d.%d" % sys.version_info[:3])';
    return new Promise((resolve, reject) => {
        execFile(command[0], [...command.slice(1), '-c', script], { timeout: 15000 }, (error, stdout) => {
            if (error) {
                reject(new Error(error.message.split('\n')[0]));
            } else {
                resolve(stdout.trim());
            }
        });
    });
}

function isSupported(version: string): boolean {
    const [major, minor] = version.split('.').map(Number);
    return major > MINIMUM_VERSION[0] || (major === MINIMUM_VERSION[0] && minor >= MINIMUM_VERSION[1]);
}

async function fromPythonExtension(folder?: WorkspaceFolder): Promise<string[] | undefined> {
    const api = await pythonExtensionApi();
    if (!api) {
        return undefined;
    }
    try {
        const active = api.environments.getActiveEnvironmentPath(folder?.uri);
        const resolved = await api.environments.resolveEnvironment(active.path);
        const executable = resolved?.executable.uri?.fsPath;
        return executable ? [executable] : undefined;
    } catch (error) {
        logWarning(`The Python extension could not name its interpreter: ${String(error)}`);
        return undefined;
    }
}

/** The first candidate that runs and is new enough; throws NoUsableInterpreter naming what was tried. */
export async function findInterpreter(folder?: WorkspaceFolder): Promise<Interpreter> {
    const candidates: { command: string[] | undefined; source: string }[] = [];
    const configured = readSettings(folder).interpreter;
    if (configured.length > 0) {
        // A configured interpreter is what the user asked for: do not silently run another one instead.
        candidates.push({ command: configured, source: 'the prismaDoctor.interpreter setting' });
    } else {
        candidates.push({ command: await fromPythonExtension(folder), source: "the Python extension's interpreter" });
        candidates.push({ command: ['python3'], source: 'python3 on the PATH' });
        candidates.push({ command: ['python'], source: 'python on the PATH' });
    }
    const tried: string[] = [];
    for (const { command, source } of candidates) {
        if (!command) {
            continue;
        }
        try {
            const version = await probe(command);
            if (isSupported(version)) {
                logInfo(`Python ${version} from ${source}: ${command.join(' ')}`);
                return { command, source, version };
            }
            tried.push(`${command.join(' ')} (${source}) is Python ${version}`);
        } catch (error) {
            tried.push(`${command.join(' ')} (${source}) did not run: ${(error as Error).message}`);
        }
    }
    throw new NoUsableInterpreter(tried);
}

/** Says what is wrong and offers the ways to fix it. */
export async function reportNoInterpreter(problem: NoUsableInterpreter): Promise<void> {
    for (const line of problem.tried) {
        logWarning(line);
    }
    const setInterpreter = 'Set prismaDoctor.interpreter';
    const selectInterpreter = 'Select Python Interpreter';
    const showOutput = 'Show Output';
    const actions = extensions.getExtension(PYTHON_EXTENSION_ID)
        ? [setInterpreter, selectInterpreter, showOutput]
        : [setInterpreter, showOutput];
    const choice = await window.showErrorMessage(
        `Prisma Doctor needs Python ${MINIMUM_VERSION.join('.')} or newer to run its language server. ` +
            `${problem.tried.length ? problem.tried.join('; ') : 'No Python was found'}. ` +
            'Install Python 3.10+, or point the setting prismaDoctor.interpreter at one.',
        ...actions,
    );
    if (choice === setInterpreter) {
        await commands.executeCommand('workbench.action.openSettings', 'prismaDoctor.interpreter');
    } else if (choice === selectInterpreter) {
        await commands.executeCommand('python.setInterpreter');
    } else if (choice === showOutput) {
        await commands.executeCommand('prismaDoctor.showOutput');
    }
}
