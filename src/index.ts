// The public API: exactly what this file exports (STYLE.md habit 6).
import { fromElements } from './connectors/sources/elements-source.js';
import { sequence } from './connectors/sources/sequence-source.js';
import { print } from './connectors/sinks/print-sink.js';
import { table } from './connectors/sinks/table-sink.js';
import { http } from './connectors/sinks/http-sink.js';

import { log } from './connectors/log/log-source.js';
import { createLines } from './connectors/lines/lines-source.js';
import { sse } from './connectors/sse/sse-source.js';
import { webSocket } from './connectors/websocket/websocket-source.js';
import { createOpenLog, createReadTable, createRun, createWatchTable } from './api/index.js';
import { defaultPlatform } from './platform/default-platform.js';

export { job, StreamEnvironment, DataStream, DataStreamSink, KeyedStream, WindowedStream, windows, WatermarkStrategy, OutputTag } from './api/index.js';
export type {
  JobDefinition, JobHandle, RunOptions, CheckpointingOptions, NetworkOptions, SourceOptions, CheckpointingMode, WindowAssigner, TimeOption,
  TimestampAssigner, ErrorPolicy, JobPlanView, VertexView, OpenLogOptions, WatchTableOptions, TableUpdate,
} from './api/index.js';
export {
  ConnectedStreams, KeyedConnectedStreams, IntervalJoin, IntervalJoined, JoinedStreams, JoinWhere, JoinEqualTo, WindowJoin,
  BroadcastStream, BroadcastConnectedStream, MapStateDescriptor,
} from './api/index.js';
export type {
  CoProcessFunction, KeyedCoProcessFunction, ProcessJoinFunction, ProcessJoinContext, BroadcastProcessFunction, KeyedBroadcastProcessFunction,
  BroadcastState, ReadOnlyBroadcastState, BroadcastStateDescriptor, BroadcastContext, ReadOnlyBroadcastContext,
} from './graph/two-input-functions.js';
export type { WatermarkGenerator, WatermarkOutput } from './graph/watermarks.js';
export type { TimeWindow, AggregateFunction, WindowProcessContext, WindowProcessFunction } from './graph/windowing.js';

// The runtime-neutral run(): in-process, memory storage. Each entry in src/entries exports its
// own run and readTable bound to its runtime (a local export shadows this one in `export *`).
// Marked pure: an app whose entry shadows them (every bundled app) must not keep what they pull in.
const platform = /* @__PURE__ */ defaultPlatform();
export const run = /* @__PURE__ */ createRun(platform);
export const readTable = /* @__PURE__ */ createReadTable(platform);
export const openLog = /* @__PURE__ */ createOpenLog(platform);
export const watchTable = /* @__PURE__ */ createWatchTable(platform);

export const sources = { sequence, fromElements, log, lines: createLines(undefined), sse, webSocket } as const;
export const sinks = { table, print, http } as const;

export type { Source, SourceReader, SourceSplit, PollStatus, SourceReaderContext } from './connectors/source.js';
export type { Sink, SinkWriter, SinkContext, Committer, SinkRecoveryContext } from './connectors/sink.js';
export type { SequenceOptions } from './connectors/sources/sequence-source.js';
export type { InputLog, LogOffsets, AppendOptions, LogReaderRegistration } from './connectors/log/input-log.js';
export type { LogSourceOptions } from './connectors/log/log-source.js';
export type { LinesOptions } from './connectors/lines/lines-source.js';
export type { SseOptions } from './connectors/sse/sse-source.js';
export type { ServerSentEvent } from './connectors/sse/sse-parser.js';
export type { WebSocketSourceOptions, WebSocketLike } from './connectors/websocket/websocket-source.js';
export type { TableSinkOptions } from './connectors/sinks/table-sink.js';
export type { PrintSinkOptions } from './connectors/sinks/print-sink.js';
export type { HttpSinkOptions, HttpDelivery } from './connectors/sinks/http-sink.js';

export { WeirError, InvalidArgumentError, CorruptDataError } from './errors/index.js';
export type { ErrorDomain, WeirErrorCode } from './errors/index.js';

export type {
  Collector, MapFunction, FilterFunction, FlatMapFunction, ReduceFunction, KeySelector, ProcessFunction, ProcessFunctionObject,
  KeyedProcessFunction, KeyedProcessFunctionObject, ProcessContext, KeyedProcessContext, OnTimerContext, RuntimeContext, TimerService,
  NonKeyedProcessContext, ProcessOpenContext,
  DeadLetter,
} from './graph/user-functions.js';
export type { ValueState, ListState, MapState, ReducingState, AggregatingState, StateAggregateFunction, StateTtlOptions, StateKey } from './state/keyed-state.js';
export type { OperatorStateAccess } from './state/operator-state-store.js';
export type { CheckpointStorage, ChunkBatch, MetadataCondition, MetadataConditions } from './state/checkpoint-storage.js';
export { MemoryCheckpointStorage } from './state/backends/memory-storage.js';

export type { CheckpointStats } from './runtime/coordinator/checkpoint-stats.js';
export { readSavepoint } from './api/read-savepoint.js';
export type { SavepointContents, SavepointOperator, SavepointTimer } from './api/read-savepoint.js';
export type { ResumeOption } from './api/run-options.js';
export type { SubtaskCheckpointStats } from './runtime/control-messages.js';
export type { JobResult } from './runtime/coordinator/job-master.js';
export type { JobStatus } from './runtime/coordinator/job-status.js';
export type { JobEvents, RestartEvent, RestoreEvent, MetricsEvent } from './runtime/coordinator/job-events.js';
export type { JobWarning } from './runtime/control-messages.js';
export type { SubtaskMetrics } from './runtime/execution/task-executor.js';
export { createWorkerPool } from './runtime/execution/worker-pool.js';
export type { WorkerPool } from './runtime/execution/worker-pool.js';
export type { RestartStrategy } from './runtime/coordinator/restart-strategy.js';
export { ManualClock } from './runtime/clock.js';
export type { Clock } from './runtime/clock.js';
