// The editor's code made into a job module a worker can import by URL, as a user's app would
// ship one. Pure (no DOM), so unit tests can check it.
//
// The code imports 'weir' and 'playground' by bare name, as an app's source would; a Blob URL module
// has no import map or bundler to resolve those, so they become the absolute URLs of the files the
// playground serves (weir.js: the same build of the package as the page's own chunk; playground.js:
// hooks.ts). Everything else is left as written.

export interface ModuleUrls {
  readonly weir: string;
  readonly playground: string;
}

// `from 'x'`, `import 'x'` and `import('x')`, with either quote.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(weir|playground)\2/g;

export function rewriteImports(code: string, urls: ModuleUrls): string {
  return code.replace(SPECIFIER, (_all, lead: string, quote: string, name: 'weir' | 'playground') => `${lead}${quote}${urls[name]}${quote}`);
}

/** Line and column (1-based) of a character offset. */
export function lineColumn(code: string, offset: number): { line: number; column: number } {
  const before = code.slice(0, Math.max(0, Math.min(offset, code.length)));
  const line = before.split('\n').length;
  return { line, column: before.length - before.lastIndexOf('\n') };
}

/** A stable short hash of the code (FNV-1a), to tell runs of different code apart in the log. */
export function codeHash(code: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < code.length; i++) {
    h ^= code.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
