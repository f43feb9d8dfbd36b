export { job, buildJobGraph, isJobDefinition } from './job.js';
export type { JobDefinition } from './job.js';
export { StreamEnvironment } from './stream-environment.js';
export type { SourceOptions, CheckpointingMode } from './stream-environment.js';
export { DataStream, DataStreamSink, KeyedStream } from './data-stream.js';
export { createRun, createReadTable } from './run.js';
export { loadJob, loadPlan } from './load-job.js';
export type { JobHandle } from './job-handle.js';
export type { RunOptions, CheckpointingOptions, NetworkOptions } from './run-options.js';
