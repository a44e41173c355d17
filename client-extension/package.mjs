// Packages the .vsix: builds the bundle (build.mjs --production), then runs `vsce package` in a staging folder that
// holds only what goes into the package. vsce lists every file under its folder before .vscodeignore filters them,
// and the repository's test caches (tests/.cache: toolchains, code-server, Windows) hold gigabytes: walking them
// took minutes per package.
//   node client-extension/package.mjs            the universal package, dist/prisma-doctor.vsix
//   node client-extension/package.mjs <target>   one platform's (targets.json), dist/prisma-doctor-<target>.vsix
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const target = process.argv[2];
const env = target ? { ...process.env, PRISMA_DOCTOR_TARGET: target } : process.env;
execFileSync(process.execPath, [join(root, 'client-extension', 'build.mjs'), '--production'], { env, stdio: 'inherit' });

const stage = join(root, 'build', 'vsix', target ?? 'universal');
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const contents = [
    'dist/extension.js',
    'bundled',
    'LICENSE',
    '.vscodeignore',
    'client-extension/README.md',
    'client-extension/CHANGELOG.md',
    'client-extension/icon.png',
];
for (const path of contents) {
    cpSync(join(root, path), join(stage, path), {
        recursive: true,
        filter: (source) => !source.includes('__pycache__') && !source.endsWith('.pyc'),
    });
}
// The bundle is built already: the staged manifest has no prepublish step for vsce to run again.
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
delete manifest.scripts['vscode:prepublish'];
writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2));

const out = join(root, 'dist', target ? `prisma-doctor-${target}.vsix` : 'prisma-doctor.vsix');
const vsce = join(root, 'node_modules', '.bin', 'vsce');
const targetArguments = target ? ['--target', target] : [];
execFileSync(
    vsce,
    [
        'package',
        '--no-dependencies',
        ...targetArguments,
        '--readme-path',
        'client-extension/README.md',
        '--changelog-path',
        'client-extension/CHANGELOG.md',
        '--out',
        out,
    ],
    { cwd: stage, stdio: 'inherit' },
);
