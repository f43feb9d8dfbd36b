// The held seed example (test/support/held-seed-example.job.ts) for Deno: the Deno phase compiles
// the job modules under test/deno/ and examples/ only.
export { default } from '../../support/held-seed-example.job.js';
