// Summarises a V8 .cpuprofile: the functions with the most self time, mapped through source maps to
// src/ (dist/ and the bundled bench carry .map files), each with its heaviest caller.
// Usage: node bench/tools/cpu-profile-top.mjs <file.cpuprofile> [count]
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Returns printable lines: "ms  %  function  where  ← caller". */
export function cpuProfileTop(file, count = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const maps = new Map();
  const mapOf = (url) => {
    if (!maps.has(url)) {
      let map = null;
      try {
        const path = url.startsWith('file:') ? fileURLToPath(url) : url;
        if (path !== '' && existsSync(`${path}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
      } catch {
        // no usable source map: keep the generated position
      }
      maps.set(url, map);
    }
    return maps.get(url);
  };
  const label = (node) => {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    let where = `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    const entry = lineNumber >= 0 ? mapOf(url)?.findEntry(lineNumber, columnNumber) : undefined;
    if (entry?.originalSource) where = `${entry.originalSource.replace(/^.*?\/(src|bench)\//, '$1/')}:${entry.originalLine + 1}`;
    return `${functionName || '(anonymous)'}  ${where}`;
  };

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const selfUs = new Map();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    totalUs += dt;
  });
  const byLabel = new Map();
  for (const [id, us] of selfUs) {
    const key = label(byId.get(id));
    const entry = byLabel.get(key) ?? { us: 0, callers: new Map() };
    entry.us += us;
    const parent = parentOf.get(id);
    if (parent !== undefined) {
      const caller = label(byId.get(parent));
      entry.callers.set(caller, (entry.callers.get(caller) ?? 0) + us);
    }
    byLabel.set(key, entry);
  }
  const lines = [...byLabel]
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, count)
    .map(([key, { us, callers }]) => {
      const caller = [...callers].sort((a, b) => b[1] - a[1])[0]?.[0];
      return `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${key}${caller ? `   ← ${caller}` : ''}`;
    });
  lines.push(`total ${(totalUs / 1000).toFixed(0)} ms sampled`);
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, count] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/tools/cpu-profile-top.mjs <file.cpuprofile> [count]');
    process.exit(2);
  }
  for (const line of cpuProfileTop(file, Number(count) || 25)) console.log(line);
}
