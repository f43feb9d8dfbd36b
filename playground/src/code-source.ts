// Which code the page starts with, and keeping it across reloads (localStorage).
//   ?example=<id>        that example (its settings from other parameters, below)
//   ?name=…&records=…    the counting example with these settings (as the first playground took them)
//   any other ?<setting> a setting of the example by its lower-case name (rate=50 sets RATE)
//   nothing              the code last edited in this browser, else the first example
import { DEFAULT_EXAMPLE, exampleById } from './examples.js';
import { applySettings, readSettings } from './settings.js';

const CODE_KEY = 'weir-playground:code';
const EXAMPLE_KEY = 'weir-playground:example';
const PAGE_PARAMS = new Set(['example', 'autorun']);

export interface StartingCode {
  readonly code: string;
  readonly example: string | null;
  /** Where it came from, for the log. */
  readonly from: 'url' | 'saved' | 'default';
}

export function startingCode(search: URLSearchParams, storage: Storage | undefined): StartingCode {
  const settingParams = [...search.keys()].filter((k) => !PAGE_PARAMS.has(k));
  const named = exampleById(search.get('example'));
  if (named || settingParams.length > 0) {
    const example = named ?? DEFAULT_EXAMPLE;
    const names = new Set(readSettings(example.code).map((s) => s.name));
    const values: Record<string, string> = {};
    for (const k of settingParams) {
      if (!names.has(k.toUpperCase())) throw new Error(`the URL parameter '${k}' is not a setting of the example '${example.id}' (its settings: ${[...names].map((n) => n.toLowerCase()).join(', ')})`);
      values[k.toUpperCase()] = search.get(k)!;
    }
    return { code: applySettings(example.code, values), example: example.id, from: 'url' };
  }
  const saved = storage?.getItem(CODE_KEY);
  if (saved) return { code: saved, example: storage?.getItem(EXAMPLE_KEY) || null, from: 'saved' };
  return { code: DEFAULT_EXAMPLE.code, example: DEFAULT_EXAMPLE.id, from: 'default' };
}

export function saveCode(storage: Storage | undefined, code: string, example: string | null): void {
  try {
    storage?.setItem(CODE_KEY, code);
    if (example) storage?.setItem(EXAMPLE_KEY, example);
    else storage?.removeItem(EXAMPLE_KEY);
  } catch {
    // storage full or denied: the code just is not kept
  }
}
