// Runs before `npm start` and `npm test`, so that on a fresh clone each is the only command needed:
// installs the locked dependencies when node_modules is missing or older than the lockfile.
// No imports beyond node: builtins, since nothing else is installed yet.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const marker = `${root}node_modules/.package-lock.json`;
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(`${root}package-lock.json`).mtimeMs;
if (stale) {
  console.log('setup: installing the locked dependencies (npm ci)…');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
