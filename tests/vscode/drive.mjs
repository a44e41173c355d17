// Drives a real VS Code (code-server) with Playwright and Debian's Chromium, the way a person would: install the
// packaged extension, open a Prisma project, open its schema, look at the squiggle, the status bar and the quick
// fixes, run "Prisma: Full Reset" from the command palette, and watch the status bar turn to "in sync".
//
//   node tests/vscode/drive.mjs --code-server BIN --vsix FILE --folder DIR --python EXE --work DIR
//                               --screenshots DIR [--schema prisma/schema.prisma]
//
// Prints one JSON object (what the page showed at each step) on stdout; progress goes to stderr. Exits 1 with a
// message and a last screenshot when a step times out.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: options } = parseArgs({
    options: {
        'code-server': { type: 'string' },
        vsix: { type: 'string' },
        folder: { type: 'string' },
        python: { type: 'string' },
        work: { type: 'string' },
        screenshots: { type: 'string' },
        schema: { type: 'string', default: 'prisma/schema.prisma' },
        chromium: { type: 'string', default: '/usr/bin/chromium' },
        // full-reset: squiggle, status bar, quick fixes, report, Full Reset. runtime-error: the dev server in a
        // VS Code terminal prints a Prisma error, which must become a diagnostic on the source line. no-python:
        // --python names no usable interpreter, and the extension must say what to do.
        scenario: { type: 'string', default: 'full-reset' },
        'dev-port': { type: 'string' },
        'source-file': { type: 'string', default: 'app/page.tsx' },
    },
});
for (const required of ['code-server', 'vsix', 'folder', 'python', 'work', 'screenshots']) {
    if (!options[required]) {
        console.error(`drive.mjs: --${required} is required`);
        process.exit(2);
    }
}

const SHORT = 30_000;
const LONG = 180_000;
const folder = resolve(options.folder);
const shots = resolve(options.screenshots);
const work = resolve(options.work);
const userData = join(work, 'user-data');
const extensionsDir = join(work, 'extensions');
const result = { steps: [], screenshots: [] };

function step(name) {
    console.error(`drive: ${name}`);
    result.steps.push(name);
}

function freePort() {
    return new Promise((resolvePort, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolvePort(port));
        });
    });
}

function writeUserSettings() {
    mkdirSync(join(userData, 'User'), { recursive: true });
    const settings = {
        'chat.disableAIFeatures': true,
        'prismaDoctor.interpreter': [options.python],
        'security.workspace.trust.enabled': false,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'extensions.ignoreRecommendations': true,
        'git.enabled': false,
        ...(options['dev-port']
            ? { 'prismaDoctor.devCommand': `npx --no-install next dev --port ${options['dev-port']}` }
            : {}),
        'typescript.disableAutomaticTypeAcquisition': true,
        // TypeScript's own errors would land on the same files: only Prisma Doctor's diagnostics are under test.
        'typescript.validate.enable': false,
        'javascript.validate.enable': false,
    };
    writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

function codeServerArgs(extra) {
    return [
        '--auth', 'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--config', join(work, 'config.yaml'),
        '--user-data-dir', userData,
        '--extensions-dir', extensionsDir,
        ...extra,
    ];
}

function installExtension() {
    const run = spawnSync(options['code-server'], codeServerArgs(['--install-extension', resolve(options.vsix)]), {
        encoding: 'utf8',
        timeout: 120_000,
    });
    if (run.status !== 0) {
        throw new Error(`code-server --install-extension failed:\n${run.stdout}\n${run.stderr}`);
    }
    result.installOutput = run.stdout.trim();
}

async function startCodeServer(port) {
    // Its own process group, so that stopping it also stops the file watcher and extension host it spawns.
    const child = spawn(options['code-server'], codeServerArgs(['--bind-addr', `127.0.0.1:${port}`, folder]), {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PRISMA_DOCTOR_TEST: '1' },
    });
    const log = [];
    child.stdout.on('data', (chunk) => log.push(chunk.toString()));
    child.stderr.on('data', (chunk) => log.push(chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) {
            throw new Error(`code-server exited with ${child.exitCode}:\n${log.join('')}`);
        }
        try {
            const response = await fetch(`http://127.0.0.1:${port}/healthz`);
            if (response.ok) {
                return { child, log };
            }
        } catch {
            // not listening yet
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`code-server did not answer on port ${port} within 60 s:\n${log.join('')}`);
}

// The extension's output channel ("Prisma Doctor") as code-server wrote it to its log folder.
function extensionLog() {
    const found = [];
    const visit = (dir) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            const path = join(dir, entry.name);
            if (entry.isDirectory()) visit(path);
            else if (/Prisma Doctor/.test(entry.name)) found.push(readFileSync(path, 'utf8'));
        }
    };
    try {
        visit(join(userData, 'logs'));
    } catch {
        // no logs yet
    }
    return found.join('\n');
}

function stopCodeServer(child) {
    if (child && child.exitCode === null) {
        try {
            process.kill(-child.pid, 'SIGTERM');
        } catch {
            // already gone
        }
    }
}

async function screenshot(page, name) {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path });
    result.screenshots.push(path);
}

function statusItem(page) {
    return page.locator('.statusbar-item').filter({ hasText: /Prisma/ }).first();
}

async function statusText(page) {
    return (await statusItem(page).innerText()).trim();
}

// Waits until the status bar item matches, and fails early when Prisma Doctor shows an error notification instead.
async function waitForStatus(page, pattern, timeout) {
    const outcome = await page.waitForFunction(
        (source) => {
            const items = [...document.querySelectorAll('.statusbar-item')];
            if (items.some((item) => /Prisma/.test(item.textContent) && new RegExp(source).test(item.textContent))) {
                return { ok: true };
            }
            const errors = [...document.querySelectorAll('.notification-toast')]
                .filter((toast) => toast.querySelector('.codicon-error'))
                .map((toast) => toast.textContent);
            const failure = errors.find((text) => /Prisma Doctor/.test(text));
            return failure ? { ok: false, failure } : false;
        },
        pattern.source,
        { timeout, polling: 250 },
    );
    const { ok, failure } = await outcome.jsonValue();
    if (!ok) {
        throw new Error(`Prisma Doctor reported an error instead of ${pattern}: ${failure}`);
    }
    return statusText(page);
}

async function runCommand(page, title) {
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: SHORT });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: title }).first();
    await row.waitFor({ state: 'visible', timeout: SHORT });
    await page.keyboard.press('Enter');
}

async function openFile(page, relativePath) {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: SHORT });
    await input.fill(relativePath);
    const name = relativePath.split('/').pop();
    await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: name }).first()
        .waitFor({ state: 'visible', timeout: SHORT });
    await page.keyboard.press('Enter');
    await page.locator('.tab.active').filter({ hasText: name }).waitFor({ state: 'visible', timeout: SHORT });
}

async function showProblems(page) {
    // Ctrl+Shift+M toggles: press it only when the panel is not showing.
    if (!(await page.locator('.markers-panel').isVisible())) {
        await page.keyboard.press('Control+Shift+M');
    }
    await page.locator('.markers-panel').waitFor({ state: 'visible', timeout: SHORT });
}

async function problemsPanel(page) {
    await showProblems(page);
    const markers = page.locator('.markers-panel .monaco-list-row');
    await markers.first().waitFor({ state: 'visible', timeout: SHORT }).catch(() => {});
    return (await markers.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
}

async function quickFixMenu(page) {
    // Put the cursor on the first squiggle and ask for its code actions, as a person does with Ctrl+.
    const squiggle = page.locator('.squiggly-error, .squiggly-warning').first();
    const box = await squiggle.boundingBox();
    await page.mouse.click(box.x + Math.min(4, box.width / 2), box.y + box.height / 2);
    await page.mouse.move(700, 700);
    await page.keyboard.press('Escape');
    const rows = page.locator('.action-widget .monaco-list-row');
    // The first request can race the editor's own code-action request (VS Code cancels one): ask again.
    for (let attempt = 1; ; attempt++) {
        await page.keyboard.press('Control+.');
        try {
            await rows.first().waitFor({ state: 'visible', timeout: 10_000 });
            break;
        } catch (error) {
            if (attempt === 3) throw error;
            await page.keyboard.press('Escape');
        }
    }
    const entries = (await rows.allInnerTexts()).map((text) => text.trim());
    await screenshot(page, '03-quick-fix-menu');
    await page.keyboard.press('Escape');
    return entries.filter((entry) => entry !== '');
}

async function fullResetScenario(page) {
    step(`open ${options.schema}`);
    await openFile(page, options.schema);

    step('wait for the squiggle');
    await page.locator('.squiggly-error, .squiggly-warning').first().waitFor({ state: 'visible', timeout: LONG });
    result.squigglesBefore = await page.locator('.squiggly-error, .squiggly-warning').count();
    result.statusBefore = await waitForStatus(page, /out of sync|database behind|dev server stale/, LONG);
    await screenshot(page, '01-schema-out-of-sync');

    step('hover the status bar item');
    await statusItem(page).hover();
    const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'Prisma Doctor' }).first();
    await hover.waitFor({ state: 'visible', timeout: SHORT });
    result.tooltip = (await hover.innerText()).trim();
    await screenshot(page, '02-status-bar-tooltip');
    await page.mouse.move(700, 400);

    step('open the quick-fix menu on the squiggle');
    result.quickFixes = await quickFixMenu(page);

    step('read the Problems panel');
    result.problemsBefore = await problemsPanel(page);
    await screenshot(page, '04-problems-panel');

    step('click the status bar item: the fixes of the current findings');
    await statusItem(page).click();
    const pickRows = page.locator('.quick-input-list .monaco-list-row');
    await pickRows.first().waitFor({ state: 'visible', timeout: SHORT });
    result.statusBarPick = (await pickRows.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
    await screenshot(page, '05-status-bar-fixes');
    await page.keyboard.press('Escape');

    step('run "Prisma: Show Sync Report"');
    await runCommand(page, 'Prisma: Show Sync Report');
    const report = page.locator('.editor-group-container.active .view-lines');
    await report.filter({ hasText: 'sync report' }).waitFor({ state: 'visible', timeout: SHORT });
    result.syncReport = (await report.innerText()).replace(/\u00a0/g, ' ');
    await screenshot(page, '06-sync-report');
    const schemaName = options.schema.split('/').pop();
    await page.locator('.tab').filter({ hasText: schemaName }).first().click();
    await page.locator('.tab.active').filter({ hasText: schemaName }).waitFor({ state: 'visible', timeout: SHORT });

    step('run "Prisma: Full Reset" from the command palette');
    await runCommand(page, 'Prisma: Full Reset');
    // The repair may be over before a screenshot could catch it; the picture is a bonus, not a check.
    if (await waitForStatus(page, /repairing/, 5_000).catch(() => null)) {
        await screenshot(page, '07-repairing');
    }
    step('wait for the status bar to say in sync');
    result.statusAfter = await waitForStatus(page, /in sync/, LONG);
    await page.locator('.squiggly-error, .squiggly-warning').first()
        .waitFor({ state: 'detached', timeout: SHORT }).catch(() => {});
    result.squigglesAfter = await page.locator('.squiggly-error, .squiggly-warning').count();
    // The Problems list redraws on a timer of its own: under load it has shown the cleared row for a while after
    // the marker counts in the status bar went to 0. Give it that while; a row that stays is still reported.
    await showProblems(page);
    await page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'client-out-of-sync' }).first()
        .waitFor({ state: 'detached', timeout: SHORT }).catch(() => {});
    result.problemsAfter = await problemsPanel(page);
    await screenshot(page, '08-after-full-reset-in-sync');
}

// The dev server runs in a VS Code terminal started by the extension (shell integration lets it read the
// output); a request to the page makes Prisma throw, and the error must land on the source line.
async function runtimeErrorScenario(page) {
    const port = options['dev-port'];
    if (!port) throw new Error('--dev-port is required for the runtime-error scenario');
    step(`open ${options.schema}`);
    await openFile(page, options.schema);
    result.statusBefore = await waitForStatus(page, /out of sync|in sync|database behind|dev server stale/, LONG);

    step('run "Prisma: Run the Dev Server in a Terminal"');
    await runCommand(page, 'Prisma: Run the Dev Server in a Terminal');
    step(`request the page on port ${port} until the dev server answers`);
    result.pageStatus = await pageStatusOnceUp(port);
    if (result.pageStatus === undefined) throw new Error(`the dev server never answered on port ${port}`);
    await screenshot(page, '09-dev-server-terminal');

    step('wait for the runtime error in the Problems panel');
    const sourceName = options['source-file'].split('/').pop();
    await showProblems(page);
    // The page has answered, so the error is in the terminal already: the server needs only to read it.
    await page
        .locator('.markers-panel .monaco-list-row')
        .filter({ hasText: sourceName })
        .first()
        .waitFor({ state: 'visible', timeout: 2 * SHORT });
    await page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'prisma-doctor' }).first()
        .waitFor({ state: 'visible', timeout: SHORT });
    result.problemsRuntime = await problemsPanel(page);

    step(`open ${options['source-file']} and see the squiggle on the call`);
    await openFile(page, options['source-file']);
    await page.locator('.squiggly-error, .squiggly-warning').first().waitFor({ state: 'visible', timeout: SHORT });
    result.sourceSquiggles = await page.locator('.squiggly-error, .squiggly-warning').count();
    result.statusRuntime = await statusText(page);
    await screenshot(page, '10-runtime-error-on-source-line');

    step('run "Prisma: Regenerate Client"');
    await runCommand(page, 'Prisma: Regenerate Client');
    await waitForStatus(page, /repairing/, 10_000).catch(() => null);
    result.statusAfterRegenerate = await waitForStatus(page, /dev server stale|in sync|out of sync/, LONG);
    result.problemsAfterRegenerate = await problemsPanel(page);
    await screenshot(page, '11-after-regenerate');
    step('run "Prisma: Restart Dev Server": the dev server restarts in its terminal');
    await runCommand(page, 'Prisma: Restart Dev Server');
    result.pageStatusAfterRestart = await pageStatusOnceUp(port, 200);
    await page.locator('.squiggly-error, .squiggly-warning').first()
        .waitFor({ state: 'detached', timeout: 2 * SHORT }).catch(() => {});
    result.sourceSquigglesAfterRestart = await page.locator('.squiggly-error, .squiggly-warning').count();
    result.statusAfterRestart = await waitForStatus(page, /in sync/, LONG).catch(() => statusText(page));
    await screenshot(page, '12-dev-server-restarted');
}

// Requests the page until the dev server answers (with `wanted` when given); returns the status.
async function pageStatusOnceUp(port, wanted) {
    const deadline = Date.now() + LONG;
    let last;
    for (;;) {
        try {
            last = (await fetch(`http://127.0.0.1:${port}/`)).status;
            if (wanted === undefined || last === wanted) return last;
        } catch {
            // not listening (yet, or again)
        }
        if (Date.now() > deadline) return last;
        await new Promise((r) => setTimeout(r, 1000));
    }
}

// No usable Python: the extension must say so, and what to do, instead of failing silently.
async function noPythonScenario(page) {
    step(`open ${options.schema}`);
    await openFile(page, options.schema);
    step('wait for the message about Python');
    const toast = page.locator('.notification-toast').filter({ hasText: 'needs Python' }).first();
    await toast.waitFor({ state: 'visible', timeout: LONG });
    result.message = (await toast.innerText()).replace(/\s+/g, ' ').trim();
    result.messageActions = (await toast.locator('.monaco-button').allInnerTexts()).map((text) => text.trim());
    result.statusNoPython = await waitForStatusText(page, /error/);
    await screenshot(page, '13-no-python');
}

async function waitForStatusText(page, pattern) {
    await statusItem(page).filter({ hasText: pattern }).waitFor({ state: 'visible', timeout: SHORT });
    return statusText(page);
}

const SCENARIOS = { 'full-reset': fullResetScenario, 'runtime-error': runtimeErrorScenario, 'no-python': noPythonScenario };

async function main() {
    mkdirSync(shots, { recursive: true });
    mkdirSync(work, { recursive: true });
    writeUserSettings();
    step('install the extension from the .vsix');
    installExtension();
    const port = await freePort();
    step(`start code-server on port ${port}`);
    const { child, log } = await startCodeServer(port);
    let browser;
    let page;
    try {
        browser = await chromium.launch({
            executablePath: options.chromium,
            args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                '--no-first-run', '--disable-sync', '--disable-dev-shm-usage'],
        });
        page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
        step('open the project folder');
        await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`);
        await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: LONG });
        await page.locator('.statusbar').waitFor({ state: 'visible', timeout: SHORT });

        const scenario = SCENARIOS[options.scenario];
        if (!scenario) throw new Error(`unknown --scenario ${options.scenario}`);
        await scenario(page);
        result.ok = true;
        // The extension's own lines, without the protocol traffic the server logs.
        result.extensionLog = extensionLog().split('\n').filter((line) => !/pygls|json_rpc/.test(line)).join('\n');
    } catch (error) {
        result.ok = false;
        result.error = String(error?.stack ?? error);
        result.codeServerLog = log.join('').slice(-4000);
        result.extensionLog = extensionLog().slice(-6000);
        if (page) {
            result.statusAtFailure = await statusText(page).catch(() => null);
            await screenshot(page, 'failure').catch(() => {});
        }
    } finally {
        await browser?.close().catch(() => {});
        stopCodeServer(child);
    }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.exit(result.ok ? 0 : 1);
}

main().catch((error) => {
    console.error(`drive.mjs: ${error?.stack ?? error}`);
    process.stdout.write(`${JSON.stringify({ ...result, ok: false, error: String(error?.stack ?? error) })}\n`);
    process.exit(1);
});
