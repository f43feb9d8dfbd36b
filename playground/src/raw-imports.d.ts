// `import text from './file.js?raw'`: the file's content as a string (an esbuild plugin in
// scripts/serve-playground.mjs).
declare module '*?raw' {
  const text: string;
  export default text;
}
