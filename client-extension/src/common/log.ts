// The "Prisma Doctor" output channel: the extension's own messages and the language client's trace share it.
import { LogOutputChannel, window } from 'vscode';

let channel: LogOutputChannel | undefined;

export function outputChannel(): LogOutputChannel {
    channel ??= window.createOutputChannel('Prisma Doctor', { log: true });
    return channel;
}

export function logInfo(message: string): void {
    outputChannel().info(message);
}

export function logWarning(message: string): void {
    outputChannel().warn(message);
}

export function logError(message: string, error?: unknown): void {
    outputChannel().error(error === undefined ? message : `${message}: ${describeError(error)}`);
}

export function describeError(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
