// What run() loads on demand, once it has a job to start: the graph builder (the whole DataStream
// API). Bundlers split it into a chunk of its own, so a page whose bundle reaches it only through
// run() (the `weir/runner` entry) does not download it before a job starts.
export { loadJob } from './load-job.js';
export { buildJobGraph } from './job.js';
export { buildExecutionPlan } from '../graph/execution-plan.js';
