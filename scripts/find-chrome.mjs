// Finds a Chrome or Chromium for the browser tests (Web Test Runner drives it through puppeteer-core,
// which never downloads a browser here). Order: $CHROME_PATH, then the usual install paths, then the
// PATH. On a Debian machine without one, running as root, it installs Debian's `chromium` with apt-get;
// otherwise it stops with the exact command to run.
// Usage: `node scripts/find-chrome.mjs [--no-install]` prints the path; or `import { findChrome }`.
// No imports beyond node: builtins (it runs before or without node_modules).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROME_INSTALL_COMMAND = 'apt-get update && apt-get install -y chromium';

const KNOWN_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/usr/local/bin/chromium',
  '/usr/local/bin/google-chrome',
  '/snap/bin/chromium',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];
const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

/** Thrown when no browser is found and none could be installed; its message says what to run. */
export class ChromeNotFoundError extends Error {}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The browser already on this machine, or undefined. A CHROME_PATH that is set must be valid. */
export function locateChrome() {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) {
    if (executable(fromEnv)) return fromEnv;
    throw new ChromeNotFoundError(`CHROME_PATH is set to '${fromEnv}', which is not an executable file; fix or unset it`);
  }
  return KNOWN_PATHS.find(executable) ?? PATH_NAMES.map(onPath).find(Boolean);
}

/**
 * The path of Chrome/Chromium; installs Debian's chromium first when allowed and possible.
 * @param {{ install?: boolean, log?: (line: string) => void }} [options]
 */
export function findChrome({ install = true, log = (line) => console.error(line) } = {}) {
  const found = locateChrome();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = onPath('apt-get') !== undefined;
  if (install && isRoot && hasApt) {
    log(`find-chrome: no Chrome or Chromium found; installing Debian's chromium (${CHROME_INSTALL_COMMAND})…`);
    const result = spawnSync('sh', ['-c', CHROME_INSTALL_COMMAND], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    const installed = locateChrome();
    if (result.status === 0 && installed) return installed;
    const outcome = result.status === 0 ? 'succeeded, but no browser is at the usual paths after it' : `failed (exit ${result.status ?? result.signal})`;
    throw new ChromeNotFoundError(`find-chrome: '${CHROME_INSTALL_COMMAND}' ${outcome}; ` +
      'install Chrome or Chromium, or set CHROME_PATH to its executable');
  }
  const why = !install ? 'installing was not allowed' : !hasApt ? 'apt-get is not available' : 'not running as root';
  const command = hasApt && !isRoot ? `sudo sh -c '${CHROME_INSTALL_COMMAND}'` : CHROME_INSTALL_COMMAND;
  throw new ChromeNotFoundError(
    `find-chrome: the browser tests need Chrome or Chromium, and none was found (CHROME_PATH, ${KNOWN_PATHS.slice(0, 4).join(', ')}, …, PATH); ` +
    `${why}. On Debian/Ubuntu run:\n  ${command}\nor set CHROME_PATH to a Chrome/Chromium executable.`);
}

if (process.argv[1] && existsSync(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(findChrome({ install: !process.argv.includes('--no-install') }));
  } catch (error) {
    console.error(error instanceof ChromeNotFoundError ? error.message : error);
    process.exit(1);
  }
}
