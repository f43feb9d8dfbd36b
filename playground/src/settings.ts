// Settings of a job module: top-level constants marked `// @setting <label>`, e.g.
//   const RATE = 500; // @setting records per second
// The page shows one input per setting and rewrites the constant in the code when it changes, so
// that the code in the editor is always exactly what runs (a live feed's rate changes this way).
// A job's checkpoints and tables are kept under its name, and the graph's fingerprint leaves out
// source parameters: a new rate resumes the same job from its latest checkpoint.

export interface Setting {
  readonly name: string;
  readonly label: string;
  readonly value: string | number;
}

const LINE = /^const ([A-Z][A-Z0-9_]*) = ('(?:[^'\\\n]|\\.)*'|-?[0-9][0-9_]*(?:\.[0-9]+)?);[ \t]*\/\/ @setting ?(.*)$/gm;

function literal(raw: string): string | number {
  return raw.startsWith("'") ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : Number(raw.replaceAll('_', ''));
}

/** The settings the code declares, in order. */
export function readSettings(code: string): Setting[] {
  return [...code.matchAll(LINE)].map((m) => ({ name: m[1]!, label: m[3]!.trim() || m[1]!, value: literal(m[2]!) }));
}

/** The code with each named setting set to its new value (unknown names are ignored; a number stays a number). */
export function applySettings(code: string, values: Readonly<Record<string, string | number>>): string {
  return code.replace(LINE, (line, name: string, raw: string, label: string) => {
    if (!(name in values)) return line;
    const wasNumber = !raw.startsWith("'");
    const v = values[name]!;
    const text = wasNumber ? String(Number(v)) : `'${String(v).replace(/['\\]/g, '\\$&')}'`;
    if (wasNumber && !Number.isFinite(Number(v))) throw new Error(`setting ${name} must be a number, got '${v}'`);
    return `const ${name} = ${text}; // @setting${label ? ` ${label}` : ''}`;
  });
}
