import { build } from 'esbuild';
const [entry, out] = process.argv.slice(2);
await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'error' });
