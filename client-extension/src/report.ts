// Renders the sync report (prismaDoctor.showSyncReport's answer) as a Markdown document a person can read.
import { isAbsolute, relative } from 'node:path';
import { Finding, JsonLocation, Report } from './protocol';

const STATE_WORDS: Record<string, string> = {
    'in-sync': 'in sync',
    'out-of-sync': 'out of sync',
    unknown: 'not checked',
    repairing: 'repairing',
    error: 'error',
};

/** file:line:column, the file relative to the project when it lies inside it. */
function place(location: JsonLocation, project?: string): string {
    const inside = project ? relative(project, location.file) : '';
    const file = inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : location.file;
    return `${file}:${location.line}:${location.column}`;
}

function renderFinding(finding: Finding, index: number, project?: string): string[] {
    const count = finding.count && finding.count > 1 ? ` (×${finding.count})` : '';
    const lines = [`${index + 1}. **${finding.severity}** \`${finding.code}\`${count}: ${finding.message}`];
    if (finding.location) {
        lines.push(`   - at \`${place(finding.location, project)}\``);
    }
    for (const related of finding.related ?? []) {
        lines.push(`   - see also \`${place(related, project)}\``);
    }
    if (finding.fixes.length > 0) {
        lines.push(`   - fixes: ${finding.fixes.map((fix) => `${fix.title} (\`${fix.id}\`)`).join(', ')}`);
    }
    return lines;
}

export function renderReports(reports: Report[], generatedAt: Date): string {
    const lines = ['# Prisma Doctor: sync report', '', `Generated ${generatedAt.toISOString()}.`, ''];
    if (reports.length === 0) {
        lines.push('No Prisma project was found in this workspace.');
    }
    for (const report of reports) {
        lines.push(`## ${report.project ?? 'Project'}: ${STATE_WORDS[report.state] ?? report.state}`, '');
        if (report.findings.length === 0) {
            lines.push('Schema, generated client, database and dev server agree.', '');
            continue;
        }
        report.findings.forEach((finding, index) => lines.push(...renderFinding(finding, index, report.project)));
        lines.push('');
    }
    return lines.join('\n');
}
