import type { ChannelReceiver, ChannelSender } from '../../channel/index.js';
import { CorruptDataError, WeirError } from '../../errors/index.js';
import { keyGroupRangeOfSubtask, upstreamSubtasksOf, type ExecutionPlan, type ExecutionVertex, type SubtaskId } from '../../graph/execution-plan.js';
import type { StateKey } from '../../state/keyed-state.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { Clock } from '../clock.js';
import { serializeError, type RestoreAssignment, type TaskCommand, type TaskReport } from '../control-messages.js';
import type { OperatorRestoreState, StreamOperator } from '../operators/stream-operator.js';
import { SourceOperator } from '../operators/source-operator.js';
import { userFunctionFailed } from '../operators/user-function-error.js';
import { createBarrierHandler, type BarrierAction, type CheckpointBarrierHandler } from './checkpoint-barrier-handler.js';
import { InputGate } from './input-gate.js';
import { createOperatorChain, type OperatorChain } from './operator-chain.js';
import { RecordWriter } from './record-writer.js';
import { KeyedChunkReuse } from './keyed-chunk-reuse.js';
import { ElementTimestamp } from '../operators/element-timestamp.js';
import { OutputPressure } from '../operators/output-pressure.js';
import type { PollStatus } from '../../connectors/source.js';
import type { RecordBatch } from '../../channel/channel-message.js';
import { WatermarkValve } from './watermark-valve.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { readSubtaskRestore } from './subtask-state-io.js';
import type { Schedulable, TaskScheduler } from './task-scheduler.js';

/** An input batch being fed to the chain, with its keys (recomputed if it came without). */
interface BatchInProgress {
  readonly channel: number;
  readonly batch: RecordBatch;
  readonly keys: readonly StateKey[] | undefined;
  next: number;
}

export type TaskState = 'created' | 'restoring' | 'running' | 'input-ended' | 'failed' | 'cancelled';

export interface TaskSetup {
  readonly jobName: string;
  /** The runner's epoch and its attempt: together they name this attempt's chunks (storageLayout.attemptId). */
  readonly epoch: number;
  readonly attempt: number;
  readonly plan: ExecutionPlan;
  readonly vertex: ExecutionVertex;
  readonly subtaskIndex: number;
  /** In gate order: for each vertex input, one channel per upstream subtask. */
  readonly inputs: readonly ChannelReceiver[];
  /** Per vertex output edge, one sender per downstream subtask. */
  readonly outputs: readonly (readonly ChannelSender[])[];
  readonly restore: RestoreAssignment | undefined;
  readonly storage: CheckpointStorage;
  /** Commits into the job's storage are conditional on it (see JobMaster.fenceAttempt). */
  readonly commitFence: MetadataCondition | undefined;
  readonly clock: Clock;
  readonly scheduler: TaskScheduler;
  readonly report: (report: TaskReport) => void;
  readonly mode: 'exactly-once' | 'at-least-once';
  readonly batchSize: number;
  readonly flushIntervalMs: number;
}

export interface TaskMetrics {
  /** Records taken from the input channels. */
  recordsIn: number;
  /** Sources only: records read from the source. */
  recordsOut: number;
  /** Times the task found its outputs without credit (backpressured). */
  backpressured: number;
}

/** What a task is doing now, for the metrics: its event time, and the checkpoint it is aligning. */
export interface TaskProgress {
  /** The task's event time (its input watermark; a source's own). -Infinity before the first watermark. */
  readonly watermark: number;
  /** Set while barriers of a checkpoint arrived on some input channels but not all. */
  readonly aligning: { readonly checkpointId: number; readonly blockedChannels: number; readonly channels: number } | undefined;
  /** Messages waiting in the input channels. */
  readonly queued: number;
  /** Late records its windows dropped (no late-data side output), this attempt. */
  readonly lateRecordsDropped: number;
}

/**
 * One subtask: a chain of operators fed by an input gate (or a source), run as a mailbox
 * loop. Mails (checkpoint triggers, completions, timers) run between batches, never inside
 * one, so a snapshot never races with a user function.
 */
export class Task implements Schedulable {
  queued = false;
  state: TaskState = 'created';
  readonly id: SubtaskId;
  readonly metrics: TaskMetrics = { recordsIn: 0, recordsOut: 0, backpressured: 0 };
  private readonly operators: StreamOperator[];
  private readonly chain: OperatorChain;
  /** Per input channel (gate order): the key selector of a keyed edge, to recompute the keys a batch came without. */
  private readonly keySelectors: (((value: unknown) => StateKey) | undefined)[] = [];
  private keyScratch: StateKey[] = [];
  /** Restored keyed state is still partly encoded (see decodeRestoredSlice). */
  private decodingRestored = true;
  private readonly writers: RecordWriter[];
  private readonly handler: CheckpointBarrierHandler;
  private readonly gate: InputGate;
  private readonly valve: WatermarkValve;
  private readonly elementTimestamp = new ElementTimestamp();
  private readonly pressure = new OutputPressure();
  /** An input batch whose records are not all processed: the outputs ran out of credit in it. */
  private batchInProgress: BatchInProgress | undefined;
  /** A source's poll status, acted on once what that poll read has all gone out. */
  private pollStatus: PollStatus | undefined;
  private readonly source: SourceOperator | undefined;
  private readonly mailbox: (() => void)[] = [];
  private lastSnapshotId = 0;
  /** Savepoints whose barrier or trigger came and whose snapshot is still to take: those are full. */
  private readonly savepoints = new Set<number>();
  private lastFlushAt = 0;
  private alignment: { checkpointId: number; startedAt: number } | undefined;
  private sourceWait: unknown;
  /** The promise of a reader that had nothing: the task polls it again when it settles. */
  private sourceAvailable: PromiseLike<unknown> | undefined;
  private waitingForCredit = false;
  private commits: Promise<void> = Promise.resolve();
  /** Per keyed operator: which chunks of completed checkpoints the next snapshot may reuse. */
  private readonly reuse = new Map<string, KeyedChunkReuse>();
  /** Checkpoints from the barrier to the ack: keyed state is encoded a slice per step. */
  private readonly checkpoints: CheckpointWriter;
  /** Rejects the promises of commands still in the mailbox when the task stops. */
  private readonly unanswered = new Set<(error: unknown) => void>();
  private readonly attemptId: string;

  constructor(private readonly setup: TaskSetup) {
    const { plan, vertex, subtaskIndex } = setup;
    this.id = { vertexId: vertex.id, subtaskIndex };
    this.attemptId = storageLayout.attemptId(setup.epoch, setup.attempt);
    const keyGroupRange = keyGroupRangeOfSubtask(plan, this.id);
    const carried = plan.eventTime ? this.elementTimestamp : undefined;
    this.writers = vertex.outputs.map((edge, i) => new RecordWriter(edge.partitioner, setup.outputs[i]!, subtaskIndex, plan.maxParallelism, setup.batchSize, this.pressure, carried));
    this.chain = createOperatorChain(vertex, this.writers, (op) => ({
      jobName: setup.jobName, operatorUid: op.uid, operatorName: op.name, subtaskIndex, parallelism: vertex.parallelism,
      maxParallelism: plan.maxParallelism, keyGroupRange, clock: setup.clock, storage: setup.storage, commitFence: setup.commitFence,
      attemptId: this.attemptId, elementTimestamp: this.elementTimestamp, pressure: this.pressure,
      warn: (warning) => {
        if (this.state !== 'failed' && this.state !== 'cancelled') setup.report({ kind: 'warning', attempt: setup.attempt, subtask: this.id, warning: { ...warning, subtask: this.id } });
      },
      autoWatermarkIntervalMs: plan.autoWatermarkIntervalMs,
      emitWatermarkStatus: (idle) => {
        this.chain.flush();
        for (const w of this.writers) w.emitWatermarkStatus(idle);
      },
      scheduleAt: (timestamp, callback) => this.scheduleAt(timestamp, callback),
    }), { batchSize: setup.batchSize, elementTimestamp: this.elementTimestamp, eventTime: plan.eventTime });
    this.operators = this.chain.operators;
    for (const input of vertex.inputs) {
      const selector = input.partitioner.kind === 'hash' ? input.partitioner.keySelector : undefined;
      for (let u = upstreamSubtasksOf(plan, input, subtaskIndex).length; u > 0; u--) this.keySelectors.push(selector);
    }
    const head = this.operators[0];
    this.source = head instanceof SourceOperator ? head : undefined;
    for (const op of this.operators) if (op.keyedBackend !== undefined) this.reuse.set(op.uid, new KeyedChunkReuse());
    this.handler = createBarrierHandler(setup.mode, Math.max(1, setup.inputs.length)); // a source has no channels; its handler stays idle
    this.gate = new InputGate(setup.inputs, this.handler);
    this.valve = new WatermarkValve(setup.inputs.length);
    for (const channel of setup.inputs) channel.setListener(() => this.wake());
    this.checkpoints = new CheckpointWriter({
      subtask: this.id, attempt: setup.attempt, storage: setup.storage, clock: setup.clock, report: setup.report, reuse: this.reuse,
      taskName: () => this.name, alive: () => this.state !== 'cancelled' && this.state !== 'failed',
    });
  }

  progress(): TaskProgress {
    const pending = this.handler.pendingCheckpointId;
    let queued = 0;
    for (const c of this.setup.inputs) queued += c.queued ?? (c.hasMessage ? 1 : 0);
    return {
      watermark: this.source !== undefined ? this.source.currentWatermark : this.valve.watermark,
      aligning: pending === undefined || this.source !== undefined ? undefined : {
        checkpointId: pending, blockedChannels: this.setup.inputs.filter((_, c) => this.handler.isBlocked(c)).length, channels: this.setup.inputs.length,
      },
      queued,
      lateRecordsDropped: this.operators.reduce((n, op) => n + (op.lateRecordsDropped ?? 0), 0),
    };
  }

  get name(): string {
    return `${this.setup.vertex.name} (${this.id.subtaskIndex + 1}/${this.setup.vertex.parallelism})`;
  }

  /** Reads the restored state, initialises the operators, and starts the loop. */
  async start(): Promise<void> {
    this.state = 'restoring';
    const { restore, storage, vertex } = this.setup;
    let restored = new Map<string, OperatorRestoreState>();
    try {
      if (restore !== undefined) restored = await readSubtaskRestore(storage, restore, vertex, this.id.subtaskIndex);
    } catch (error) {
      // Only an unreadable chunk proves the checkpoint unreadable; a storage that fails to answer does not.
      this.fail(error, error instanceof CorruptDataError ? restore?.checkpointId : undefined);
      return;
    }
    if (this.state !== 'restoring') return; // cancelled meanwhile
    try {
      for (const op of this.operators) {
        await op.initialize(restored.get(op.uid));
        if (op.keyedBackend !== undefined) this.reuse.get(op.uid)!.seed(restore?.operators[op.uid]?.keyed ?? [], op.keyedBackend.spans());
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.state !== 'restoring') return; // cancelled meanwhile
    this.state = 'running';
    this.lastFlushAt = this.setup.clock.now();
    this.wake();
  }

  /** Control plane entry: every command becomes a mail, handled in order between batches. */
  command(command: TaskCommand): Promise<void> {
    if (command.kind === 'cancel') {
      this.cancel();
      return Promise.resolve();
    }
    if (this.state === 'failed' || this.state === 'cancelled') return Promise.reject(this.stoppedError());
    return new Promise<void>((resolve, reject) => {
      this.unanswered.add(reject);
      this.mail(() => {
        this.unanswered.delete(reject);
        switch (command.kind) {
          case 'trigger':
            if (command.savepoint === true) this.savepoints.add(command.checkpointId);
            this.onTrigger(command.checkpointId, command.timestamp, command.direct);
            return resolve();
          case 'abort':
            this.checkpoints.abandon(command.checkpointId);
            for (const r of this.reuse.values()) r.abort(command.checkpointId);
            if (!this.source) this.act(this.handler.onAbort(command.checkpointId));
            return resolve();
          case 'complete':
            for (const op of this.operators) {
              const version = this.reuse.get(op.uid)?.complete(command.checkpointId);
              if (version !== undefined) op.keyedBackend?.releaseChanges(version);
            }
            this.commits = this.commits.then(() => this.notifyComplete(command.checkpointId)).then(resolve, (error: unknown) => {
              // A deferred commit is retried with the next checkpoint: the command fails, the task goes on.
              if (!(error instanceof WeirError && error.code === 'COMMIT_DEFERRED')) this.fail(error);
              reject(error);
            });
            return;
        }
      });
    });
  }

  cancel(): void {
    if (this.state === 'cancelled' || this.state === 'failed') return;
    this.state = 'cancelled';
    this.shutdown();
  }

  /**
   * Stops as a crash would: at once, reporting nothing, waiting for nothing. Operators are closed
   * only so that what they hold goes (a reader's fetch loop; a crashed thread takes that with
   * it). What the task already started (a chunk write, a commit) may still land: fences and
   * unique keys, not this method, keep that harmless.
   */
  kill(): void {
    if (this.state === 'cancelled' || this.state === 'failed') return;
    this.state = 'failed';
    this.shutdown();
  }

  /** Every operator's completion, in chain order; a deferred commit does not keep the others from theirs. */
  private async notifyComplete(checkpointId: number): Promise<void> {
    let deferred: unknown;
    for (const op of this.operators) {
      try {
        await op.notifyCheckpointComplete?.(checkpointId);
      } catch (error) {
        if (!(error instanceof WeirError && error.code === 'COMMIT_DEFERRED')) throw error;
        deferred ??= error;
      }
    }
    if (deferred !== undefined) throw deferred;
  }

  private stoppedError(): WeirError {
    return new WeirError('TASK_FAILED', `${this.name} is ${this.state}`, { domain: 'internal', retryable: true });
  }

  private shutdown(): void {
    this.checkpoints.abandon();
    this.mailbox.length = 0;
    for (const reject of this.unanswered) reject(this.stoppedError());
    this.unanswered.clear();
    if (this.sourceWait !== undefined) this.setup.clock.clearTimeout(this.sourceWait);
    for (const op of this.operators) {
      try {
        op.close?.();
      } catch {
        // closing after a failure or cancel: the task's outcome is already decided
      }
    }
  }

  private fail(error: unknown, unreadableCheckpoint?: number): void {
    if (this.state === 'failed' || this.state === 'cancelled') return;
    this.state = 'failed';
    this.shutdown();
    this.setup.report({
      kind: 'failed', attempt: this.setup.attempt, subtask: this.id, error: serializeError(error), cause: error,
      ...(unreadableCheckpoint !== undefined ? { unreadableCheckpoint } : {}),
    });
  }

  private wake(): void {
    if (this.state === 'running' || this.state === 'input-ended') this.setup.scheduler.wake(this);
  }

  private mail(action: () => void): void {
    this.mailbox.push(action);
    this.wake();
  }

  private scheduleAt(timestamp: number, callback: () => void): { cancel(): void } {
    const { clock } = this.setup;
    // A timer due after the input ended does nothing: the end-of-input event has gone downstream.
    const handle = clock.setTimeout(() => this.mail(() => this.state === 'running' && callback()), timestamp - clock.now());
    return { cancel: () => clock.clearTimeout(handle) };
  }

  step(): boolean {
    if (this.state !== 'running' && this.state !== 'input-ended') return false;
    try {
      // Mails run between input records, never inside one's output: a snapshot must not cut it.
      if (this.inInput()) return this.outputsAvailable() && this.resumeInput();
      const mail = this.mailbox.shift();
      if (mail !== undefined) {
        mail();
        this.chain.flush(); // a timer's output
        return true;
      }
      // A checkpoint's keyed state is encoded a slice per step, between batches; restored state is decoded so too.
      const encoding = (this.checkpoints.encoding && this.checkpoints.step()) || this.decodeRestoredSlice();
      if (this.state !== 'running' || !this.outputsAvailable()) return encoding;
      return (this.source !== undefined ? this.pollSource(this.source) : this.processInput()) || encoding;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  private inInput(): boolean {
    return this.pressure.suspended || this.batchInProgress !== undefined || this.pollStatus !== undefined;
  }

  /** Goes on with the input whose output stopped for want of credit: that record's output, then the rest of its batch or poll. */
  private resumeInput(): boolean {
    if (!this.pressure.resume()) return true;
    if (this.batchInProgress !== undefined) return this.continueBatch();
    const source = this.source!;
    source.drainBacklog();
    this.chain.flush();
    if (this.pressure.suspended || source.midPoll) return true;
    const status = this.pollStatus!;
    this.pollStatus = undefined;
    return this.afterPoll(status);
  }

  /** True when every output has credit (then nothing blocks the task's output); else waits for it. */
  private outputsAvailable(): boolean {
    for (const w of this.writers) {
      if (!w.isAvailable()) {
        this.metrics.backpressured++;
        if (!this.waitingForCredit) {
          this.waitingForCredit = true;
          w.onAvailable(() => {
            this.waitingForCredit = false;
            this.wake();
          });
        }
        return false;
      }
    }
    this.pressure.blocked = false;
    return true;
  }

  private pollSource(source: SourceOperator): boolean {
    const status = source.poll(this.setup.batchSize);
    this.chain.flush();
    this.metrics.recordsOut = source.emitted;
    if (this.pressure.suspended || source.midPoll) {
      this.pollStatus = status; // acted on once what this poll read has gone out
      return true;
    }
    return this.afterPoll(status);
  }

  private afterPoll(status: PollStatus): boolean {
    const source = this.source!;
    switch (status.kind) {
      case 'more':
        this.flushIfDue();
        return true;
      case 'wait':
        this.flushWriters();
        // The reader may wait long (a slow feed); watermarks and idleness must not.
        this.pollSourceAt(Math.min(status.untilMs, source.nextDeadline()));
        return false;
      case 'nothing':
        this.flushWriters();
        this.pollSourceWhen(status.available);
        this.pollSourceAt(source.nextDeadline());
        return false;
      case 'end':
        this.endOfInput();
        return false;
    }
  }

  private pollSourceAt(until: number): void {
    const { clock } = this.setup;
    if (this.sourceWait !== undefined) clock.clearTimeout(this.sourceWait);
    this.sourceWait = undefined;
    if (until === Infinity) return;
    this.sourceWait = clock.setTimeout(() => {
      this.sourceWait = undefined;
      this.wake();
    }, until - clock.now());
  }

  /** Wakes the task once the reader's availability settles; one listener per promise, however often the task polls meanwhile. */
  private pollSourceWhen(available: PromiseLike<unknown>): void {
    if (this.sourceAvailable === available) return;
    this.sourceAvailable = available;
    available.then(
      () => {
        if (this.sourceAvailable === available) this.sourceAvailable = undefined;
        this.wake();
      },
      (error: unknown) => this.fail(userFunctionFailed(this.source!.uid, 'source', error)),
    );
  }

  private processInput(): boolean {
    const channel = this.gate.nextReadable();
    if (channel < 0) {
      this.flushWriters(); // idle: nothing should wait in a half-full batch
      return false;
    }
    const receiver = this.setup.inputs[channel]!;
    const message = receiver.poll()!;
    switch (message.kind) {
      case 'records': {
        // Across workers a keyed batch comes without its keys: the records carry them.
        const keys = message.keys ?? (message.keyGroups === undefined ? undefined : this.keysOf(channel, message.records));
        this.batchInProgress = { channel, batch: message, keys, next: 0 };
        return this.continueBatch();
      }
      case 'barrier':
        if (message.savepoint === true) this.savepoints.add(message.checkpointId);
        this.act(this.handler.onBarrier(channel, message.checkpointId), message.timestamp);
        return true;
      case 'cancel-barrier':
        this.act(this.handler.onCancelBarrier(channel, message.checkpointId));
        return true;
      case 'watermark':
        this.advanceWatermark(this.valve.onWatermark(channel, message.timestamp));
        return true;
      case 'watermark-status':
        this.onWatermarkChange(this.valve.onStatus(channel, message.idle));
        return true;
      case 'end-of-input':
        this.gate.markEnded(channel);
        this.onWatermarkChange(this.valve.onEnded(channel));
        this.act(this.handler.onEndOfInput(channel));
        if (this.gate.allEnded) this.endOfInput();
        return true;
    }
  }

  /** Decodes one span of restored keyed state still encoded (reads and writes decode theirs first); returns whether more is left. */
  private decodeRestoredSlice(): boolean {
    if (!this.decodingRestored) return false;
    for (const op of this.operators) if (op.keyedBackend?.restoring === true) return op.keyedBackend.loadNext() || true;
    this.decodingRestored = false;
    return false;
  }

  /** The keys of a keyed batch that came without them, by its channel's key selector (a scratch array, reused). */
  private keysOf(channel: number, records: readonly unknown[]): StateKey[] | undefined {
    const selector = this.keySelectors[channel];
    if (selector === undefined) return undefined;
    const keys = this.keyScratch.length >= records.length ? this.keyScratch : (this.keyScratch = new Array(records.length));
    try {
      for (let i = 0; i < records.length; i++) keys[i] = selector(records[i]);
    } catch (error) {
      throw new WeirError('USER_FUNCTION_FAILED', `keyBy(keySelector) threw: ${error instanceof Error ? error.message : String(error)}`, { domain: 'user', retryable: true, cause: error });
    }
    return keys;
  }

  /**
   * Feeds the batch in progress to the chain: whole, where the head has a loop for it (its output
   * then overdraws by at most one batch per channel, and a flatMap in the chain still stops inside
   * a record's output), else record by record, stopping before the next record when an output ran
   * out of credit (or inside one, when an operator's output stopped halfway).
   * The channel's credit goes back only once every record of the batch was processed.
   */
  private continueBatch(): boolean {
    const progress = this.batchInProgress!;
    const { records, keyGroups, timestamps } = progress.batch;
    const keys = progress.keys;
    const head = this.operators[0]!;
    const backend = head.keyedBackend;
    const keyed = backend !== undefined && keys !== undefined && keyGroups !== undefined;
    const n = records.length;
    if (progress.next === 0 && keyed && head.collectKeyed !== undefined) {
      if (timestamps === undefined) this.elementTimestamp.value = Number.NaN;
      head.collectKeyed(records, keys, keyGroups, n, timestamps);
      return this.batchProcessed(progress, n);
    }
    if (progress.next === 0 && backend === undefined && head.collectBatch !== undefined) {
      if (timestamps === undefined) this.elementTimestamp.value = Number.NaN;
      head.collectBatch(records, n, timestamps);
      return this.batchProcessed(progress, n);
    }
    const ts = this.elementTimestamp;
    const pressure = this.pressure;
    let i = progress.next;
    if (timestamps === undefined) ts.value = Number.NaN;
    for (; i < n && !pressure.blocked; i++) {
      if (keyed) backend.setCurrentKey(keys[i]!, keyGroups[i]!);
      if (timestamps !== undefined) ts.value = timestamps[i]!;
      head.collect(records[i]);
    }
    return this.batchProcessed(progress, i);
  }

  /** Records up to `processed` of the batch in progress went in: releases the batch once all did and their output went on. */
  private batchProcessed(progress: BatchInProgress, processed: number): boolean {
    this.metrics.recordsIn += processed - progress.next;
    progress.next = processed;
    this.chain.flush();
    if (processed < progress.batch.records.length || this.pressure.suspended) return true;
    this.batchInProgress = undefined;
    this.setup.inputs[progress.channel]!.release();
    this.flushIfDue();
    return true;
  }

  /** The watermark first, then the task's own idleness, as Flink's valve output does. */
  private onWatermarkChange(changed: { idle?: boolean; watermark?: number }): void {
    this.advanceWatermark(changed.watermark);
    if (changed.idle !== undefined) for (const w of this.writers) w.emitWatermarkStatus(changed.idle);
  }

  /** The input's event time advanced: the chain fires what it completes and passes the watermark on. */
  private advanceWatermark(watermark: number | undefined): void {
    if (watermark === undefined) return;
    this.operators[0]!.processWatermark(watermark);
    this.elementTimestamp.value = Number.NaN;
  }

  /** Carries out the barrier handler's decisions, in order. */
  private act(actions: BarrierAction[], timestamp = this.setup.clock.now()): void {
    const pending = this.handler.pendingCheckpointId;
    if (pending !== undefined && this.alignment?.checkpointId !== pending) {
      this.alignment = { checkpointId: pending, startedAt: this.setup.clock.now() };
    }
    for (const action of actions) {
      if (action.kind === 'snapshot') {
        const alignmentMs = this.alignment?.checkpointId === action.checkpointId ? this.setup.clock.now() - this.alignment.startedAt : 0;
        this.performCheckpoint(action.checkpointId, timestamp, true, alignmentMs);
      } else {
        for (const r of this.reuse.values()) r.abort(action.checkpointId);
        for (const w of this.writers) w.broadcastEvent({ kind: 'cancel-barrier', checkpointId: action.checkpointId });
        if (action.reason === 'overtaken') this.decline(action.checkpointId, `overtaken by a newer checkpoint at ${this.name}`, false);
      }
    }
  }

  private onTrigger(checkpointId: number, timestamp: number, direct: boolean): void {
    if (checkpointId <= this.lastSnapshotId) return; // already taken through a barrier or an earlier trigger
    if (this.source !== undefined) this.performCheckpoint(checkpointId, timestamp, this.state === 'running', 0);
    else if (direct && this.state === 'input-ended') this.performCheckpoint(checkpointId, timestamp, false, 0);
  }

  /** The synchronous part here; the keyed state is encoded later, a slice per step (see CheckpointWriter). */
  private performCheckpoint(checkpointId: number, timestamp: number, emitBarrier: boolean, alignmentMs: number): void {
    if (checkpointId <= this.lastSnapshotId) return;
    this.lastSnapshotId = checkpointId;
    const savepoint = this.savepoints.has(checkpointId);
    for (const id of this.savepoints) if (id <= checkpointId) this.savepoints.delete(id);
    this.chain.flush();
    this.flushWriters();
    this.checkpoints.take(checkpointId, this.operators, {
      jobName: this.setup.jobName, attemptId: this.attemptId, subtaskIndex: this.id.subtaskIndex, keyGroupRange: keyGroupRangeOfSubtask(this.setup.plan, this.id),
    }, alignmentMs, savepoint);
    if (emitBarrier) for (const w of this.writers) w.broadcastEvent({ kind: 'barrier', checkpointId, timestamp, ...(savepoint ? { savepoint } : {}) });
  }

  private decline(checkpointId: number, reason: string, storageFailure: boolean): void {
    if (this.state === 'cancelled' || this.state === 'failed') return;
    this.setup.report({ kind: 'decline', attempt: this.setup.attempt, subtask: this.id, checkpointId, reason, storageFailure });
  }

  private endOfInput(): void {
    for (const op of this.operators) op.endInput?.();
    this.chain.flush();
    for (const w of this.writers) w.broadcastEvent({ kind: 'end-of-input' });
    this.state = 'input-ended';
    this.setup.report({ kind: 'finished', attempt: this.setup.attempt, subtask: this.id });
  }

  private flushWriters(): void {
    for (const w of this.writers) w.flush();
    this.lastFlushAt = this.setup.clock.now();
  }

  private flushIfDue(): void {
    if (this.setup.clock.now() - this.lastFlushAt >= this.setup.flushIntervalMs) this.flushWriters();
  }
}
