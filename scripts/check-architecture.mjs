// Keeps the rules of DESIGN.md and STYLE.md that reading alone does not keep:
// - layers: a relative import in src/ points down the layer table (LAYERS), to the same layer,
//   or is one of the few documented exceptions (UPWARD_EXCEPTIONS; docs/decisions.md says why);
// - platform globals (indexedDB, navigator, Deno, process, Worker, caches) are named only in
//   src/platform/, src/entries/ and the storage backend named after them;
// - no file in src/ is over MAX_LINES lines;
// - the public API: the exports of src/index.ts and of every entry in package.json's exports map
//   equal the committed snapshot (docs/public-exports.txt), so an accidental export fails.
// Prints each violation as `file:line: [rule] message`; exits 1 if there is any.
// Usage: node scripts/check-architecture.mjs [--root DIR] [--only RULE,…] [--update-exports]
// RULE: layers, platform-globals, file-size, public-api (the last loads TypeScript: the slow one).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const RULES = ['layers', 'platform-globals', 'file-size', 'public-api'];
export const MAX_LINES = 400;
export const EXPORTS_SNAPSHOT = 'docs/public-exports.txt';

/** Rank in the layer table: an import may go to a layer of the same or a higher rank number. */
export const LAYERS = {
  entries: 0, // thin entries, one per export condition, and src/index.ts
  api: 1,
  runtime: 2,
  graph: 3,
  channel: 4,
  connectors: 4,
  platform: 4,
  state: 5,
  errors: 6,
};

/** Imports against the layer order that the code keeps on purpose (docs/decisions.md, "Layers"). Type-only. */
export const UPWARD_EXCEPTIONS = [
  { from: 'src/connectors/', to: 'src/graph/user-functions.ts', why: 'sources send malformed input to a dead-letter side output: they speak the user-function vocabulary (DeadLetter, OutputTagLike)' },
];

/** Each platform global, and the files outside src/platform/ and src/entries/ that may name it. */
export const PLATFORM_GLOBALS = {
  indexedDB: ['src/state/backends/indexeddb-storage.ts'],
  navigator: ['src/state/backends/indexeddb-storage.ts'], // navigator.storage.persist(): IndexedDB's durability
  Deno: ['src/state/backends/deno-kv-storage.ts'],
  process: [],
  Worker: [],
  caches: [],
};

const PLATFORM_FREE = ['src/platform/', 'src/entries/'];

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const posix = (path) => path.split(sep).join('/');

/** The layer of a file under src/, or undefined for one outside the table. */
export function layerOf(file) {
  const parts = file.split('/');
  if (parts[0] !== 'src') return undefined;
  if (parts.length === 2) return 'entries'; // src/index.ts
  return parts[1] in LAYERS ? parts[1] : undefined;
}

/**
 * Replaces comments and the text of string and template literals with spaces (line breaks kept),
 * so that what is left is code. `${…}` inside a template stays code.
 */
export function codeOnly(text) {
  let out = '';
  let i = 0;
  const templates = []; // brace depth at which each open template's `${` began
  let depth = 0;
  const blank = (s) => s.replace(/[^\n]/g, ' ');
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += c + blank(text.slice(i + 1, j)) + c;
      i = j + 1;
    } else if (c === '`' || (c === '}' && templates.length > 0 && templates[templates.length - 1] === depth)) {
      // The text of a template, up to its end or the next `${`.
      if (c === '}') templates.pop();
      let j = i + 1;
      while (j < text.length && text[j] !== '`' && !(text[j] === '$' && text[j + 1] === '{')) j += text[j] === '\\' ? 2 : 1;
      out += c + blank(text.slice(i + 1, j));
      if (text[j] === '$') {
        templates.push(depth);
        out += '${';
        i = j + 2;
      } else {
        out += '`';
        i = j + 1;
      }
    } else {
      if (c === '{') depth++;
      else if (c === '}') depth--;
      out += c;
      i++;
    }
  }
  return out;
}

const lineAt = (text, index) => text.slice(0, index).split('\n').length;

/**
 * Every relative import and re-export of a file: its specifier, line, and whether it is type-only.
 * `code` is codeOnly(text): an import in a comment or a string does not count.
 */
export function importsOf(text, code = codeOnly(text)) {
  const found = [];
  const statement = /(?:^|[\n;])\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s*)?(['"])([^'"]+)\3/g;
  for (let m; (m = statement.exec(text)) !== null; ) {
    if (code[m.index + m[0].indexOf(m[1])] !== m[1][0]) continue;
    found.push({ specifier: m[4], line: lineAt(text, m.index + m[0].indexOf(m[3] + m[4])), typeOnly: m[2] !== undefined });
  }
  const dynamic = /\bimport\(\s*(['"])([^'"]+)\1\s*\)/g;
  for (let m; (m = dynamic.exec(text)) !== null; ) if (code[m.index] === 'i') found.push({ specifier: m[2], line: lineAt(text, m.index), typeOnly: false });
  return found.filter((i) => i.specifier.startsWith('.'));
}

function checkLayers(root, file, text, code, violations) {
  const from = layerOf(file);
  if (from === undefined) {
    violations.push({ file, line: 1, rule: 'layers', message: `${file.split('/').slice(0, 2).join('/')}/ is not a layer of DESIGN.md (${Object.keys(LAYERS).join(', ')})` });
    return;
  }
  for (const imp of importsOf(text, code)) {
    const target = posix(relative(root, resolve(root, dirname(file), imp.specifier))).replace(/\.js$/, '.ts');
    const to = layerOf(target);
    if (to === undefined) {
      violations.push({ file, line: imp.line, rule: 'layers', message: `imports ${imp.specifier}, outside the layers of src/` });
    } else if (LAYERS[to] < LAYERS[from]) {
      const allowed = imp.typeOnly && UPWARD_EXCEPTIONS.some((e) => file.startsWith(e.from) && target === e.to);
      if (!allowed) violations.push({ file, line: imp.line, rule: 'layers', message: `${from} imports ${to} (${target}): imports point down api → runtime → graph → channel / connectors / platform → state → errors` });
    }
  }
}

function checkPlatformGlobals(file, code, violations) {
  if (PLATFORM_FREE.some((p) => file.startsWith(p))) return;
  const names = Object.keys(PLATFORM_GLOBALS).filter((n) => !PLATFORM_GLOBALS[n].includes(file));
  if (names.length === 0) return;
  const alt = names.join('|');
  // A bare name (not a property, not an object key or a parameter's name) or a property of the global object.
  const bare = new RegExp(`(?<![.\\w$])(${alt})(?![\\w$])(?!\\s*\\??:)`, 'g');
  const viaGlobal = new RegExp(`\\b(?:globalThis|self|window)\\b(?:\\s*as\\s*[^)]*\\))?[^;\\n]*?\\.\\s*(${alt})(?![\\w$])`, 'g');
  const seen = new Set();
  for (const pattern of [bare, viaGlobal]) {
    for (let m; (m = pattern.exec(code)) !== null; ) {
      const name = m[1];
      const at = m.index + m[0].lastIndexOf(name);
      const before = code.slice(code.lastIndexOf('\n', at - 1) + 1, at);
      if (/^\s*((public|private|protected|override|static|async|readonly|get|set)\s+)*$/.test(before) && /^\s*[<(]/.test(code.slice(at + name.length))) continue; // a method named so
      const line = lineAt(code, at);
      if (seen.has(`${line}:${name}`)) continue;
      seen.add(`${line}:${name}`);
      violations.push({ file, line, rule: 'platform-globals', message: `names the platform global '${name}': only src/platform/, src/entries/ and the storage backend named after it may` });
    }
  }
}

function checkSize(file, text, violations) {
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_LINES) violations.push({ file, line: MAX_LINES + 1, rule: 'file-size', message: `${lines} lines; a file in src/ has at most ${MAX_LINES}: split it along its nouns` });
}

/** The source file behind each target of package.json's exports map, and the subpath it is exported under. */
export function publicEntries(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entries = new Map([['src/index.ts', '.']]);
  const targets = (value) => (typeof value === 'string' ? [value] : Object.values(value ?? {}).flatMap(targets));
  const exportsMap = typeof pkg.exports === 'string' ? { '.': pkg.exports } : pkg.exports ?? {};
  for (const [subpath, value] of Object.entries(exportsMap)) {
    for (const target of targets(value)) {
      const path = target.replace(/^\.\//, '');
      // dist/<path>.d.ts is built from src/<path>.ts; dist/<name>.js from src/entries/<name>.ts.
      const source = path.endsWith('.d.ts') ? `src/${path.slice('dist/'.length, -'.d.ts'.length)}.ts` : `src/entries/${path.slice('dist/'.length, -'.js'.length)}.ts`;
      if (!entries.has(source)) entries.set(source, subpath);
    }
  }
  return entries;
}

/** `file  name  value|type`, one line per export of every public entry, sorted. */
export async function exportList(root, entries) {
  const ts = (await import('typescript')).default;
  const files = [...entries.keys()].filter((f) => existsSync(join(root, f)));
  const program = ts.createProgram(files.map((f) => join(root, f)), {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    noLib: true, types: [], skipLibCheck: true, noEmit: true, allowJs: false, // listing exports needs no library types
  });
  const checker = program.getTypeChecker();
  const lines = [];
  for (const file of files) {
    const source = program.getSourceFile(join(root, file));
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    const symbols = module === undefined ? [] : checker.getExportsOfModule(module);
    for (const symbol of symbols) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const kind = target.flags & ts.SymbolFlags.Value ? 'value' : 'type';
      lines.push(`${file}  ${symbol.getName()}  ${kind}`);
    }
    if (symbols.length === 0) lines.push(`${file}  (no exports)  -`);
  }
  for (const f of entries.keys()) if (!files.includes(f)) lines.push(`${f}  (missing file)  -`);
  return lines.sort();
}

async function checkExports(root, violations, update) {
  const entries = publicEntries(root);
  const actual = await exportList(root, entries);
  const snapshotPath = join(root, EXPORTS_SNAPSHOT);
  if (update) {
    writeFileSync(snapshotPath, `${actual.join('\n')}\n`);
    return;
  }
  const expected = existsSync(snapshotPath) ? readFileSync(snapshotPath, 'utf8').split('\n').filter((l) => l.trim() !== '') : [];
  const want = new Set(expected);
  const have = new Set(actual);
  for (const line of actual) {
    if (!want.has(line)) {
      const [file, name, kind] = line.split(/\s{2,}/);
      violations.push({ file, line: 1, rule: 'public-api', message: `exports ${kind} '${name}', which ${EXPORTS_SNAPSHOT} does not list: an accidental export? (if meant: list it in API.md or docs/api-additions.md, then run with --update-exports)` });
    }
  }
  for (const line of expected) {
    if (!have.has(line)) {
      const [file, name, kind] = line.split(/\s{2,}/);
      violations.push({ file, line: 1, rule: 'public-api', message: `no longer exports ${kind} '${name}' that ${EXPORTS_SNAPSHOT} lists (a public name is a contract: never rename)` });
    }
  }
}

/** Checks every rule on the tree at `root`; resolves with the violations. */
export async function checkArchitecture(root, { updateExports = false, only = RULES } = {}) {
  const violations = [];
  const files = walk(join(root, 'src')).map((f) => posix(relative(root, f))).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort();
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const code = codeOnly(text);
    if (only.includes('file-size')) checkSize(file, text, violations);
    if (only.includes('layers')) checkLayers(root, file, text, code, violations);
    if (only.includes('platform-globals')) checkPlatformGlobals(file, code, violations);
  }
  if (only.includes('public-api') || updateExports) await checkExports(root, violations, updateExports);
  return { files: files.length, violations };
}

// Run as a script (not when a test imports it, bundled into the test's own file).
if (process.argv[1] !== undefined && basename(process.argv[1]) === 'check-architecture.mjs' && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--root');
  const root = at >= 0 ? resolve(args[at + 1]) : fileURLToPath(new URL('..', import.meta.url));
  const o = args.indexOf('--only');
  const only = o >= 0 ? args[o + 1].split(',') : RULES;
  const unknown = only.filter((r) => !RULES.includes(r));
  if (unknown.length > 0) {
    console.error(`--only: unknown rule(s) ${unknown.join(', ')}; the rules are ${RULES.join(', ')}`);
    process.exit(2);
  }
  const { files, violations } = await checkArchitecture(root, { updateExports: args.includes('--update-exports'), only });
  for (const v of violations) console.log(`${v.file}:${v.line}: [${v.rule}] ${v.message}`);
  console.log(violations.length === 0 ? `architecture: ${files} files in src/ keep the rules (${only.join(', ')})` : `architecture: ${violations.length} violation(s)`);
  process.exit(violations.length === 0 ? 0 : 1);
}
