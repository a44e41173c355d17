// The status bar item: one glance says whether schema, client, database and dev server agree. Its tooltip lists the
// findings; a click opens the quick pick of their fixes (prismaDoctor.pickFix).
import { basename } from 'node:path';
import { Disposable, MarkdownString, StatusBarAlignment, StatusBarItem, ThemeColor, window } from 'vscode';
import { Finding, State, SyncState } from './protocol';

/** What the status bar shows, from best to worst news. */
export type Display =
    | 'starting'
    | 'in-sync'
    | 'unknown'
    | 'out-of-sync'
    | 'database-behind'
    | 'dev-server-stale'
    | 'repairing'
    | 'error';

const DATABASE_CODES = new Set(['db-missing-column', 'db-missing-table', 'migrations-pending', 'migration-failed', 'db-drift']);
const STATE_RANK: Record<State, number> = { 'in-sync': 0, unknown: 1, 'out-of-sync': 2, error: 3, repairing: 4 };
const MAX_TOOLTIP_FINDINGS = 12;

export interface ProjectFinding {
    project: string;
    finding: Finding;
}

function problemCount(findings: Finding[]): number {
    return findings.reduce((total, finding) => total + (finding.count ?? 1), 0);
}

/** Names an out-of-sync state more precisely when every finding has one cause. */
export function classify(state: State, findings: Finding[]): Display {
    if (state !== 'out-of-sync') {
        return state;
    }
    const codes = findings.filter((finding) => finding.severity !== 'hint').map((finding) => finding.code);
    if (codes.length > 0 && codes.every((code) => DATABASE_CODES.has(code))) {
        return 'database-behind';
    }
    if (codes.length > 0 && codes.every((code) => code === 'dev-server-stale')) {
        return 'dev-server-stale';
    }
    return 'out-of-sync';
}

export function statusText(display: Display, problems: number): string {
    switch (display) {
        case 'starting':
            return '$(loading~spin) Prisma Doctor';
        case 'in-sync':
            return '$(check) Prisma: in sync';
        case 'unknown':
            return '$(question) Prisma: not checked';
        case 'out-of-sync':
            return `$(warning) Prisma: out of sync (${problems} ${problems === 1 ? 'problem' : 'problems'})`;
        case 'database-behind':
            return '$(database) Prisma: database behind';
        case 'dev-server-stale':
            return '$(debug-restart) Prisma: dev server stale';
        case 'repairing':
            return '$(sync~spin) Prisma: repairing…';
        case 'error':
            return '$(error) Prisma: error';
    }
}

const SEVERITY_ICON: Record<Finding['severity'], string> = {
    error: '$(error)',
    warning: '$(warning)',
    info: '$(info)',
    hint: '$(lightbulb)',
};

function where(finding: Finding): string {
    const location = finding.location;
    return location ? ` (${basename(location.file)}:${location.line})` : '';
}

export class SyncStatusBar implements Disposable {
    private readonly item: StatusBarItem;
    private readonly states = new Map<string, SyncState>();
    private unavailable: string | undefined;

    constructor() {
        this.item = window.createStatusBarItem('prismaDoctor.status', StatusBarAlignment.Left, 50);
        this.item.name = 'Prisma Doctor';
        this.item.command = 'prismaDoctor.pickFix';
        this.render();
        this.item.show();
    }

    update(state: SyncState): void {
        this.unavailable = undefined;
        this.states.set(state.project, state);
        this.render();
    }

    setUnavailable(reason: string): void {
        this.unavailable = reason;
        this.render();
    }

    /** The projects the server has reported on, in the order they appeared. */
    projects(): string[] {
        return [...this.states.keys()];
    }

    findings(): ProjectFinding[] {
        return [...this.states.values()].flatMap((state) =>
            state.findings.map((finding) => ({ project: state.project, finding })),
        );
    }

    dispose(): void {
        this.item.dispose();
    }

    private render(): void {
        const states = [...this.states.values()];
        const findings = states.flatMap((state) => state.findings);
        let display: Display = 'starting';
        let summary: string | undefined;
        if (this.unavailable) {
            display = 'error';
            summary = this.unavailable;
        } else if (states.length > 0) {
            const worst = states.reduce((a, b) => (STATE_RANK[b.state] > STATE_RANK[a.state] ? b : a));
            display = classify(worst.state, findings);
            summary = states.length === 1 ? worst.summary : `${states.length} projects; worst: ${basename(worst.project)}`;
        }
        this.item.text = statusText(display, problemCount(findings));
        this.item.backgroundColor =
            display === 'error'
                ? new ThemeColor('statusBarItem.errorBackground')
                : ['out-of-sync', 'database-behind', 'dev-server-stale'].includes(display)
                  ? new ThemeColor('statusBarItem.warningBackground')
                  : undefined;
        this.item.tooltip = this.tooltip(summary, findings);
    }

    private tooltip(summary: string | undefined, findings: Finding[]): MarkdownString {
        const lines = [`**Prisma Doctor**${summary ? `: ${summary}` : ''}`, ''];
        for (const finding of findings.slice(0, MAX_TOOLTIP_FINDINGS)) {
            lines.push(`- ${SEVERITY_ICON[finding.severity]} ${finding.message}${where(finding)}`);
        }
        if (findings.length > MAX_TOOLTIP_FINDINGS) {
            lines.push(`- … and ${findings.length - MAX_TOOLTIP_FINDINGS} more (Prisma: Show Sync Report)`);
        }
        if (findings.length === 0 && !this.unavailable && this.states.size > 0) {
            lines.push('Schema, generated client, database and dev server agree.');
        }
        lines.push('', 'Click for fixes.');
        const markdown = new MarkdownString(lines.join('\n'), true);
        markdown.isTrusted = false;
        return markdown;
    }
}
