import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const SCRIPT = resolve('scripts/check-architecture.mjs');

/** A small tree that keeps every rule: each test breaks one in its own copy. */
const CLEAN: Record<string, string> = {
  'package.json': JSON.stringify({
    name: 'fixture', type: 'module',
    exports: { '.': { types: './dist/index.d.ts', node: './dist/node.js', default: './dist/node.js' }, './extra': './dist/extra.js' },
  }),
  'src/index.ts': "export { run } from './api/run.js';\nexport type { Handle } from './api/run.js';\n",
  'src/api/run.ts': [
    "import { Master } from '../runtime/master.js';",
    'export interface Handle { readonly name: string }',
    'export function run(): Handle { return { name: new Master().name } }',
    // A method named like a global, a comment and a string that name one: none is a platform global.
    'export class Stream {',
    '  process(fn: () => void): void { fn(); } // reads process.env? no',
    '}',
    "export const note = 'a Worker in navigator';",
    '',
  ].join('\n'),
  'src/runtime/master.ts': [
    "import type { Plan } from '../graph/plan.js';",
    "import { fail } from '../errors/weir-error.js';",
    "import { store } from '../state/store.js';",
    'export class Master { readonly name = store(); plan: Plan | undefined; stop(): never { return fail(); } }',
    '',
  ].join('\n'),
  'src/graph/plan.ts': "import type { Sink } from '../connectors/sink.js';\nexport interface Plan { readonly sinks: Sink[] }\nexport interface DeadLetter { readonly reason: string }\n",
  'src/graph/user-functions.ts': 'export interface DeadLetter { readonly reason: string }\n',
  // The one documented exception: connectors may import user-function types from the graph.
  'src/connectors/sink.ts': "import type { DeadLetter } from '../graph/user-functions.js';\nexport interface Sink { write(d: DeadLetter): void }\n",
  'src/state/store.ts': "import { fail } from '../errors/weir-error.js';\nexport const store = (): string => (Math.PI > 4 ? fail() : 'memory');\n",
  'src/state/backends/indexeddb-storage.ts': 'export const factory = (): unknown => (globalThis as { indexedDB?: unknown }).indexedDB ?? indexedDB;\n',
  'src/errors/weir-error.ts': "export function fail(): never { throw new Error('x'); }\n",
  'src/platform/node.ts': 'export const env = (): unknown => process.env;\n',
  'src/entries/node.ts': "export * from '../index.js';\nexport { env } from '../platform/node.js';\n",
  'src/entries/extra.ts': "export const extra = typeof Worker === 'function';\n",
  'docs/public-exports.txt': [
    'src/entries/extra.ts  extra  value',
    'src/entries/node.ts  Handle  type',
    'src/entries/node.ts  env  value',
    'src/entries/node.ts  run  value',
    'src/index.ts  Handle  type',
    'src/index.ts  run  value',
    '',
  ].join('\n'),
};

function fixture(changes: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'weir-architecture-'));
  for (const [file, text] of Object.entries({ ...CLEAN, ...changes })) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

/** Runs the script on a fixture with `changes`: its exit code and the violation lines it printed. */
function check(changes: Record<string, string> = {}, only?: string): Promise<{ code: number; violations: string[] }> {
  const root = fixture(changes);
  return new Promise((done) => {
    execFile(process.execPath, [SCRIPT, '--root', root, ...(only === undefined ? [] : ['--only', only])], (error, stdout) => {
      rmSync(root, { recursive: true, force: true });
      done({ code: error === null ? 0 : (error.code as number), violations: stdout.split('\n').filter((l) => /^src\/\S+:\d+: \[/.test(l)) });
    });
  });
}

const append = (file: string, text: string) => ({ [file]: CLEAN[file] + text });

describe('scripts/check-architecture.mjs', () => {
  it('passes a tree that keeps every rule, and fails with file and line on each rule broken on purpose', async () => {
    // Every rule on the clean tree; each broken one alone (the public-api rule loads TypeScript: the slow one).
    const [clean, upward, valueException, global, viaGlobalThis, tooLong, justFits, leaked, removed] = await Promise.all([
      check(),
      check(append('src/state/store.ts', "import { Master } from '../runtime/master.js';\nexport const m = Master;\n"), 'layers'),
      check(append('src/connectors/sink.ts', "import { DeadLetter } from '../graph/user-functions.js';\n"), 'layers'),
      check(append('src/runtime/master.ts', "export const hasIdb = typeof indexedDB !== 'undefined';\n"), 'platform-globals'),
      check(append('src/state/store.ts', 'export const deno = (globalThis as { Deno?: unknown }).Deno;\n'), 'platform-globals'),
      check({ 'src/graph/long.ts': 'export const x = 1;\n'.repeat(401) }, 'file-size'),
      check({ 'src/graph/long.ts': 'export const x = 1;\n'.repeat(400) }, 'file-size'),
      check(append('src/index.ts', "export { Master } from './runtime/master.js';\n"), 'public-api'),
      check({ 'src/entries/extra.ts': 'export {};\n' }, 'public-api'),
    ]);
    assert.deepEqual(clean, { code: 0, violations: [] });
    assert.equal(upward.code, 1);
    assert.deepEqual(upward.violations.map((v) => v.slice(0, v.indexOf(' ('))), ['src/state/store.ts:3: [layers] state imports runtime']);
    assert.equal(valueException.code, 1, 'the exception is for type-only imports');
    assert.match(valueException.violations.join('\n'), /^src\/connectors\/sink\.ts:3: \[layers\] connectors imports graph/m);
    assert.equal(global.code, 1);
    assert.deepEqual(global.violations.map((v) => v.split(' names')[0]), ['src/runtime/master.ts:5: [platform-globals]']);
    assert.match(global.violations[0]!, /'indexedDB'/);
    assert.equal(viaGlobalThis.code, 1);
    assert.deepEqual(viaGlobalThis.violations.map((v) => v.split(' names')[0]), ['src/state/store.ts:3: [platform-globals]']);
    assert.equal(tooLong.code, 1);
    assert.deepEqual(tooLong.violations, ['src/graph/long.ts:401: [file-size] 401 lines; a file in src/ has at most 400: split it along its nouns']);
    assert.deepEqual(justFits, { code: 0, violations: [] });
    assert.equal(leaked.code, 1);
    assert.deepEqual(leaked.violations.map((v) => v.split(', which')[0]), [
      "src/entries/node.ts:1: [public-api] exports value 'Master'",
      "src/index.ts:1: [public-api] exports value 'Master'",
    ]);
    assert.equal(removed.code, 1);
    assert.match(removed.violations.join('\n'), /^src\/entries\/extra\.ts:1: \[public-api\] no longer exports value 'extra'/m);
  });

  it('the committed export snapshot lists every public entry of package.json', () => {
    const snapshot = readFileSync('docs/public-exports.txt', 'utf8');
    for (const entry of ['src/index.ts', 'src/entries/runner.ts', 'src/entries/cloudflare.ts', 'src/entries/weir-worker.ts', 'src/entries/node.ts']) {
      assert.match(snapshot, new RegExp(`^${entry.replaceAll('.', '\\.')}  `, 'm'), entry);
    }
  });
});
