// Builds the extension: bundles the TypeScript with esbuild into dist/extension.js and puts the Python language
// server with its libraries under bundled/ (bundled/server/prisma_doctor and bundled/libs), so that the .vsix runs
// without any pip install on the user's machine.
//
//   node client-extension/build.mjs [--production] [--skip-python]
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

// pip install -t is slow, so it runs again only when the requirements change. Wheels only: psutil's is abi3, one
// build for every CPython 3 on this platform (the .vsix is therefore specific to linux-x64 when built here).
function installPythonLibraries() {
    const requirements = join(here, 'requirements.txt');
    const libs = join(root, 'bundled', 'libs');
    const stamp = join(libs, '.requirements.txt');
    const wanted = readFileSync(requirements, 'utf8');
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
        return;
    }
    rmSync(libs, { recursive: true, force: true });
    mkdirSync(libs, { recursive: true });
    const python = process.env.PRISMA_DOCTOR_BUILD_PYTHON || 'python3';
    execFileSync(
        python,
        ['-m', 'pip', 'install', '--quiet', '--no-compile', '--disable-pip-version-check', '--target', libs,
            '--only-binary', ':all:', '--requirement', requirements],
        { stdio: 'inherit' },
    );
    writeFileSync(stamp, wanted);
}

await bundleTypeScript();
if (!process.argv.includes('--skip-python')) {
    copyServer();
    installPythonLibraries();
}
