export { job, buildJobGraph, isJobDefinition } from './job.js';
export type { JobDefinition } from './job.js';
export { StreamEnvironment } from './stream-environment.js';
export type { SourceOptions, CheckpointingMode } from './stream-environment.js';
export { DataStream, DataStreamSink } from './data-stream.js';
export { KeyedStream } from './data-stream.js';
export { run, readTable } from './run.js';
export type { JobHandle } from './job-handle.js';
export type { RunOptions, CheckpointingOptions, NetworkOptions } from './run-options.js';
