// Builds the extension: bundles the TypeScript with esbuild into dist/extension.js and puts the Python language
// server with its libraries under bundled/ (bundled/server/prisma_doctor and bundled/libs), so that the .vsix runs
// without any pip install on the user's machine.
//
//   node client-extension/build.mjs [--production] [--skip-python]
//
// PRISMA_DOCTOR_TARGET=<VS Code target> (win32-x64, darwin-arm64, ... as listed in targets.json) bundles the
// libraries of that platform instead of this machine's: scripts/package.sh sets it for each `vsce package --target`
// (vsce runs this script as vscode:prepublish, so an environment variable is how the target reaches it).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const production = process.argv.includes('--production');

async function bundleTypeScript() {
    await esbuild.build({
        entryPoints: [join(here, 'src', 'extension.ts')],
        outfile: join(root, 'dist', 'extension.js'),
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node18',
        external: ['vscode'],
        minify: production,
        sourcemap: !production,
        logLevel: 'warning',
    });
}

function copyServer() {
    const source = join(root, 'server', 'prisma_doctor');
    const target = join(root, 'bundled', 'server', 'prisma_doctor');
    rmSync(target, { recursive: true, force: true });
    cpSync(source, target, {
        recursive: true,
        filter: (path) => !path.includes('__pycache__') && !path.endsWith('.pyc'),
    });
}

// pip install -t is slow, so each target's libraries are installed once into build/python-libs/<target> and
// installed again only when the requirements change; bundled/libs gets a copy. Wheels only: psutil's is abi3, one
// build for every CPython 3.x of its platform, and the others are pure Python.
function installPythonLibraries(target) {
    const requirements = join(here, 'requirements.txt');
    const libs = join(root, 'bundled', 'libs');
    const cache = join(root, 'build', 'python-libs', target ?? 'this-machine');
    const stamp = join(cache, '.requirements.txt');
    const wanted = `${target ?? 'this machine'}\n${readFileSync(requirements, 'utf8')}`;
    if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
        rmSync(cache, { recursive: true, force: true });
        mkdirSync(cache, { recursive: true });
        const python = process.env.PRISMA_DOCTOR_BUILD_PYTHON || 'python3';
        // For another platform pip must be told the oldest Python the server supports (3.10, so that the
        // backports it needs come too) and may only take wheels.
        const platform = target
            ? [...platformTags(target).flatMap((tag) => ['--platform', tag]), '--python-version', '3.10',
                '--implementation', 'cp']
            : [];
        execFileSync(
            python,
            ['-m', 'pip', 'install', '--quiet', '--no-compile', '--disable-pip-version-check', '--no-warn-conflicts',
                '--target', cache,
                '--only-binary', ':all:', ...platform, '--requirement', requirements],
            { stdio: 'inherit' },
        );
        writeFileSync(stamp, wanted);
    }
    rmSync(libs, { recursive: true, force: true });
    cpSync(cache, libs, { recursive: true, filter: (path) => !path.endsWith('.requirements.txt') });
}

function platformTags(target) {
    const { targets } = JSON.parse(readFileSync(join(here, 'targets.json'), 'utf8'));
    if (!(target in targets)) {
        throw new Error(`PRISMA_DOCTOR_TARGET=${target} is not one of ${Object.keys(targets).join(', ')}`);
    }
    return targets[target];
}

await bundleTypeScript();
if (!process.argv.includes('--skip-python')) {
    copyServer();
    installPythonLibraries(process.env.PRISMA_DOCTOR_TARGET || undefined);
}
