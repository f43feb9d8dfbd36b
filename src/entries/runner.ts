// `weir/runner` in a browser: the page side of an app that runs its jobs in Web Workers — run(),
// readTable() and the types, without the DataStream API the main entry re-exports. Bundlers place
// code by file, so a page that imports the main entry carries the graph builder a job start loads;
// this entry reaches it (and the in-process runtime) only through run()'s dynamic imports. For
// the same reason it leaves out openLog (a page that appends to input logs imports 'weir'): job
// modules use the log source, and a file both reach lands in the page's first chunk. The Worker
// literal stays in this file, as in browser.ts, for bundlers to find.
import { createReadTable, createRun } from '../api/run.js';
import { browserPlatform, openSharedIndexedDb } from '../platform/browser-platform.js';

export { WeirError, InvalidArgumentError, CorruptDataError } from '../errors/index.js';
export type { ErrorDomain, WeirErrorCode } from '../errors/index.js';
export type { JobDefinition, JobHandle, RunOptions, CheckpointingOptions, NetworkOptions, CheckpointingMode, JobPlanView, VertexView } from '../api/index.js';
export type { ResumeOption } from '../api/run-options.js';
export type { CheckpointStorage } from '../state/checkpoint-storage.js';
export type { CheckpointStats } from '../runtime/coordinator/checkpoint-stats.js';
export type { SubtaskCheckpointStats } from '../runtime/control-messages.js';
export type { JobResult } from '../runtime/coordinator/job-master.js';
export type { JobStatus } from '../runtime/coordinator/job-status.js';
export type { JobEvents, RestartEvent, RestoreEvent, MetricsEvent } from '../runtime/coordinator/job-events.js';
export type { SubtaskMetrics } from '../runtime/execution/task-executor.js';
export type { RestartStrategy } from '../runtime/coordinator/restart-strategy.js';
export type { Clock } from '../runtime/clock.js';

const platform = browserPlatform(() => new Worker(new URL('./weir-worker.js', import.meta.url), { type: 'module' }), openSharedIndexedDb);
export const run = createRun(platform);
export const readTable = createReadTable(platform);
