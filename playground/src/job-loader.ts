// Loads the editor's code as a job module by URL — the URL that run() then hands to every worker —
// and turns what can go wrong into a message a user can act on: a syntax error (with its line, found
// by the editor's own JavaScript parser, since the browser's SyntaxError from import() has none), a
// module that throws while it loads, a default export that is not a job.
import { javascriptLanguage } from '@codemirror/lang-javascript';
import type { JobDefinition } from 'weir';
import { lineColumn, rewriteImports } from './module-source.js';

/** What the playground checks in the committed output; a job module may export it as `check`. */
export interface OutputCheck {
  /** An append table: every row must be committed once. */
  readonly table: string;
  /** What identifies a row of `table` (default: the row itself, as JSON). */
  readonly id?: (row: unknown) => unknown;
  /** Rows `table` holds once a bounded input is done: fewer at the end means rows are missing. */
  readonly expectedRows?: number;
  /** Other tables to read for `verify`. */
  readonly tables?: readonly string[];
  /** Returns what is wrong with the committed tables, or null. */
  readonly verify?: (tables: Record<string, unknown[]>, final: boolean) => string | null;
}

export interface LoadedJob {
  readonly url: string;
  readonly definition: JobDefinition;
  readonly check: OutputCheck | undefined;
  /** The module's `page(panel)` export, if any: its part that runs in the page (appends to an input log, draws a table live); returns a stop function. */
  readonly page: ((panel: HTMLElement) => (() => void) | void) | undefined;
}

export class JobCodeError extends Error {
  constructor(readonly kind: 'syntax' | 'module' | 'export' | 'check', message: string, readonly line?: number) {
    super(message);
    this.name = 'JobCodeError';
  }
}

const served = (file: string) => new URL(`./${file}`, import.meta.url).href;

/** The first syntax error the editor's parser finds, or undefined. */
export function findSyntaxError(code: string): { line: number; column: number } | undefined {
  let at: number | undefined;
  javascriptLanguage.parser.parse(code).iterate({
    enter: (node) => {
      if (at !== undefined) return false;
      if (node.type.isError) at = node.from;
      return undefined;
    },
  });
  return at === undefined ? undefined : lineColumn(code, at);
}

export async function loadJobCode(code: string): Promise<LoadedJob> {
  const source = rewriteImports(code, { weir: served('weir.js'), playground: served('playground.js') });
  // A Blob URL module works in Chromium's module workers (a worker of the page's origin may import it);
  // checked by the playground's e2e tests, which run every example this way.
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  let module: { default?: unknown; check?: unknown; page?: unknown };
  try {
    module = (await import(/* @vite-ignore */ url)) as typeof module;
  } catch (error) {
    URL.revokeObjectURL(url);
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof SyntaxError) {
      const where = findSyntaxError(code);
      throw new JobCodeError('syntax', `Syntax error${where ? ` at line ${where.line}, column ${where.column}` : ''}: ${message}`, where?.line);
    }
    throw new JobCodeError('module', `The job module threw while it was loading: ${message}`);
  }
  const definition = module.default as JobDefinition | undefined;
  if (typeof definition !== 'object' || definition === null || definition.kind !== 'weir.job') {
    URL.revokeObjectURL(url);
    throw new JobCodeError('export', "The job module must end with `export default job('name', (env) => { … })` (its default export is not a job).");
  }
  const check = module.check as OutputCheck | undefined;
  if (check !== undefined && (typeof check !== 'object' || check === null || typeof check.table !== 'string')) {
    URL.revokeObjectURL(url);
    throw new JobCodeError('check', "`export const check` must be an object with at least `table: 'name of an append table'`.");
  }
  if (module.page !== undefined && typeof module.page !== 'function') {
    URL.revokeObjectURL(url);
    throw new JobCodeError('export', '`export function page(panel)` must be a function (its part that runs in the page).');
  }
  return { url, definition, check, page: module.page as LoadedJob['page'] };
}
