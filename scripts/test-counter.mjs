// Counts what a node:test run reports, the same way for every phase of `npm test`, while the
// spec reporter prints it. Leaf tests only: a suite, or a test with subtests, completes after
// its children, so its own result counts only when none of its children failed (e.g. a throwing
// describe body or after hook). Per file, `child[n]` / `childFailed[n]` describe what finished
// at depth n+1 since the last depth-n result.
import { spec } from 'node:test/reporters';

/** Pipes `stream` (from node:test's run()) to stdout through the spec reporter; resolves with the counts. */
export async function countTestRun(stream) {
  let passed = 0;
  let failed = 0;
  const perFile = new Map();
  function record(data, ok) {
    const state = perFile.get(data.file) ?? perFile.set(data.file, { child: [], childFailed: [] }).get(data.file);
    const n = data.nesting;
    const leaf = !state.child[n];
    const belowFailed = !!state.childFailed[n];
    state.child[n] = state.childFailed[n] = false;
    let countedFail = false;
    if (data.name === data.file) {
      // A whole-file result appears only when the file reported no tests of its own, or its process
      // failed outside any test: a load error, a timeout, a leaked handle, a crash.
      if (!ok) countedFail = true;
    } else if (data.skip || data.todo) {
      // neither passed nor failed; Node does not fail the run for a failing todo either
    } else if (ok) {
      if (leaf) passed++;
    } else if (leaf || !belowFailed) {
      countedFail = true;
    }
    if (countedFail) failed++;
    if (n > 0) {
      state.child[n - 1] = true;
      if (countedFail || belowFailed) state.childFailed[n - 1] = true;
    }
  }
  stream.on('test:pass', (data) => record(data, true));
  stream.on('test:fail', (data) => record(data, false));
  for await (const chunk of stream.compose(spec)) process.stdout.write(chunk);
  return { passed, failed };
}
