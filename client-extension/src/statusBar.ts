// The status bar item: one glance says whether schema, client, database and dev server agree. Its tooltip lists the
// findings; a click opens the quick pick of their fixes (prismaDoctor.pickFix).
import { basename } from 'node:path';
import { Disposable, MarkdownString, StatusBarAlignment, StatusBarItem, ThemeColor, window } from 'vscode';
import { isInside } from './devServer';
import { Display, Finding, SyncState } from './protocol';

/** What the status bar shows: a project's display as the server decided it, or that the server is starting. */
export type Shown = Display | 'starting';

// From best to worst news; the three kinds of drift rank alike (several projects that differ in kind are "out of
// sync"). A database not compared is better news than a project not checked, and never "in sync".
const DISPLAY_RANK: Record<Display, number> = {
    'in-sync': 0,
    'not-compared': 1,
    unknown: 2,
    'out-of-sync': 3,
    'database-behind': 3,
    'dev-server-stale': 3,
    'database-object': 3,
    error: 4,
    repairing: 5,
};
const MAX_TOOLTIP_FINDINGS = 12;
// The displays of a project with problems, and their icons (as `statusText` shows them).
const DRIFT_ICON: Partial<Record<Display, string>> = {
    'out-of-sync': '$(warning)',
    'database-behind': '$(database)',
    'dev-server-stale': '$(debug-restart)',
    'database-object': '$(database)',
};

export interface ProjectFinding {
    project: string;
    finding: Finding;
}

function worstOf(states: SyncState[]): SyncState {
    return states.reduce((a, b) => (DISPLAY_RANK[b.display] > DISPLAY_RANK[a.display] ? b : a));
}

/** The worst news of several projects; projects out of sync in different ways are "out of sync". */
export function worstDisplay(states: SyncState[]): Display {
    const worst = worstOf(states).display;
    const alike = states.filter((state) => DISPLAY_RANK[state.display] === DISPLAY_RANK[worst]);
    return alike.every((state) => state.display === worst) ? worst : 'out-of-sync';
}

function counted(problems: number): string {
    return `${problems} ${problems === 1 ? 'problem' : 'problems'}`;
}

export function statusText(display: Shown, problems: number): string {
    switch (display) {
        case 'starting':
            return '$(loading~spin) Prisma Doctor';
        case 'in-sync':
            return '$(check) Prisma: in sync';
        case 'not-compared':
            // Why (no answer, not trusted, ...) is in the tooltip: the server's summary and the finding.
            return '$(debug-disconnect) Prisma: not compared with the database';
        case 'unknown':
            return '$(question) Prisma: not checked';
        // The worst kind of problem (the server decides it, status.py), with how many problems there are in all.
        case 'out-of-sync':
            return `$(warning) Prisma: out of sync (${counted(problems)})`;
        case 'database-behind':
            return `$(database) Prisma: database behind (${counted(problems)})`;
        case 'dev-server-stale':
            return `$(debug-restart) Prisma: dev server stale (${counted(problems)})`;
        // A trigger, view or function of the database fails: the schema and the client are not the cause.
        case 'database-object':
            return `$(database) Prisma: a database object fails (${counted(problems)})`;
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

    /** The latest state the server sent for the project that `folder` lies in (the deepest such project), else for
     * the only project inside `folder` (a terminal at a monorepo's root). */
    stateOf(folder: string): SyncState | undefined {
        const containing = this.projects().filter((project) => isInside(folder, project));
        const inside = this.projects().filter((project) => isInside(project, folder));
        const project = containing.sort((a, b) => b.length - a.length)[0] ?? (inside.length === 1 ? inside[0] : undefined);
        return project === undefined ? undefined : this.states.get(project);
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
        let display: Shown = 'starting';
        let summary: string | undefined;
        if (this.unavailable) {
            display = 'error';
            summary = this.unavailable;
        } else if (states.length > 0) {
            display = worstDisplay(states);
            const worst = worstOf(states);
            summary = states.length === 1 ? worst.summary : `${states.length} projects; worst: ${basename(worst.project)}`;
        }
        const problems = states.reduce((total, state) => total + state.problems, 0);
        // One project's problems: the server's own words for them (`dev server may be stale`, `a repair did not
        // finish`), which name the same kind with the same count.
        const icon = display === 'starting' ? undefined : DRIFT_ICON[display];
        const words = states.length === 1 ? states[0].summary : undefined;
        this.item.text = icon !== undefined && words ? `${icon} ${words}` : statusText(display, problems);
        this.item.backgroundColor =
            display === 'error'
                ? new ThemeColor('statusBarItem.errorBackground')
                : ['out-of-sync', 'database-behind', 'dev-server-stale', 'database-object'].includes(display)
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
