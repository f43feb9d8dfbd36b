import type { Metafile } from 'esbuild';

/** The entry's output and every chunk it imports statically, transitively: what a page downloads before anything it imports with import(). */
export function staticClosure(metafile: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (o: string) => {
    if (seen.has(o)) return;
    seen.add(o);
    for (const i of metafile.outputs[o]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entry);
  return [...seen];
}
