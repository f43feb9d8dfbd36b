import { CorruptDataError, WeirError } from '../../errors/index.js';
import { keyGroupRangeOfSubtask, upstreamSubtasksOf, type SubtaskId } from '../../graph/execution-plan.js';
import { inputSideOf } from '../../graph/job-graph.js';
import type { StateKey } from '../../state/keyed-state.js';
import { storageLayout } from '../../state/storage-layout.js';
import { serializeError, type TaskCommand } from '../control-messages.js';
import type { OperatorRestoreState, StreamOperator } from '../operators/stream-operator.js';
import { SourceOperator } from '../operators/source-operator.js';
import { createBarrierHandler, type CheckpointBarrierHandler } from './checkpoint-barrier-handler.js';
import { createOperatorChain, type OperatorChain } from './operator-chain.js';
import { RecordWriter } from './record-writer.js';
import { ElementTimestamp } from '../operators/element-timestamp.js';
import { OutputPressure } from '../operators/output-pressure.js';
import { readSubtaskRestore } from './subtask-state-io.js';
import type { Schedulable } from './task-scheduler.js';
import { MailboxProcessor } from './mailbox-processor.js';
import { SourcePoller } from './source-poller.js';
import { StreamInputProcessor } from './stream-input-processor.js';
import { SubtaskCheckpointCoordinator } from './subtask-checkpoint-coordinator.js';
import { TaskLifecycle, type TaskState } from './task-lifecycle.js';
import { AlternatingBarrierHandler } from './alternating-barrier-handler.js';
import { readRestoredChannelState } from './channel-state.js';
import { EventTimeStops } from './event-time-stops.js';
import { UnalignedCheckpoints } from './unaligned-checkpoints.js';
import type { TaskMetrics, TaskProgress, TaskSetup } from './task-setup.js';

/** Unaligned checkpoints: a step feeds about this much of the clock's time of an input batch, so an announced barrier waits at most that long. */
const BATCH_SLICE_MS = 1;

export type { TaskState } from './task-lifecycle.js';
export type { TaskMetrics, TaskProgress, TaskSetup } from './task-setup.js';

/**
 * One subtask, as Flink's StreamTask: a chain of operators fed by its input channels
 * (StreamInputProcessor) or a source (SourcePoller), with a mailbox of control work
 * (MailboxProcessor) and its part of every checkpoint (SubtaskCheckpointCoordinator). Each
 * step runs one mail, or one slice of a snapshot's encoding, or one batch of input.
 */
export class Task implements Schedulable {
  queued = false;
  readonly id: SubtaskId;
  readonly metrics: TaskMetrics = { recordsIn: 0, recordsOut: 0, backpressured: 0 };
  private readonly lifecycle = new TaskLifecycle(() => this.name);
  private readonly operators: StreamOperator[];
  private readonly chain: OperatorChain;
  /** Restored keyed state is still partly encoded (see decodeRestoredSlice). */
  private decodingRestored = true;
  private readonly writers: RecordWriter[];
  private readonly handler: CheckpointBarrierHandler;
  private readonly elementTimestamp = new ElementTimestamp();
  private readonly pressure = new OutputPressure();
  private readonly mailbox: MailboxProcessor;
  private readonly checkpoints: SubtaskCheckpointCoordinator;
  /** Exactly one of the two: a source task polls its source, any other reads its channels. */
  private readonly input: StreamInputProcessor | undefined;
  private readonly sourcePoller: SourcePoller | undefined;
  private readonly source: SourceOperator | undefined;
  private lastFlushAt = 0;
  private waitingForCredit = false;

  constructor(private readonly setup: TaskSetup) {
    const { plan, vertex, subtaskIndex } = setup;
    this.id = { vertexId: vertex.id, subtaskIndex };
    const attemptId = storageLayout.attemptId(setup.epoch, setup.attempt);
    const keyGroupRange = keyGroupRangeOfSubtask(plan, this.id);
    const carried = plan.eventTime ? this.elementTimestamp : undefined;
    this.mailbox = new MailboxProcessor(setup.clock, () => this.wake());
    this.writers = vertex.outputs.map((edge, i) => new RecordWriter(edge.partitioner, setup.outputs[i]!, subtaskIndex, plan.maxParallelism, setup.batchSize, this.pressure, carried));
    this.chain = createOperatorChain(vertex, this.writers, (op) => ({
      jobName: setup.jobName, operatorUid: op.uid, operatorName: op.name, subtaskIndex, parallelism: vertex.parallelism,
      maxParallelism: plan.maxParallelism, keyGroupRange, clock: setup.clock, storage: setup.storage, commitFence: setup.commitFence,
      attemptId, elementTimestamp: this.elementTimestamp, pressure: this.pressure,
      warn: (warning) => {
        if (!this.lifecycle.stopped) setup.report({ kind: 'warning', attempt: setup.attempt, subtask: this.id, warning: { ...warning, subtask: this.id } });
      },
      autoWatermarkIntervalMs: plan.autoWatermarkIntervalMs,
      emitWatermarkStatus: (idle) => {
        this.chain.flush();
        for (const w of this.writers) w.emitWatermarkStatus(idle);
      },
      // A timer due after the input ended does nothing: the end-of-input event has gone downstream.
      scheduleAt: (timestamp, callback) => this.mailbox.scheduleAt(timestamp, () => this.lifecycle.state === 'running' && callback()),
    }), { batchSize: setup.batchSize, elementTimestamp: this.elementTimestamp, eventTime: plan.eventTime });
    this.operators = this.chain.operators;
    const head = this.operators[0]!;
    this.source = head instanceof SourceOperator ? head : undefined;
    const options = setup.checkpointOptions;
    const inputOfChannel: number[] = [];
    const keySelectors: (((value: unknown) => StateKey) | undefined)[] = [];
    const inputSides: (1 | 2)[] = [];
    vertex.inputs.forEach((input, i) => {
      const selector = input.partitioner.kind === 'hash' ? input.partitioner.keySelector : undefined;
      const side = inputSideOf(vertex.operators[0]!.spec, i) ?? 1;
      for (let u = upstreamSubtasksOf(plan, input, subtaskIndex).length; u > 0; u--) {
        keySelectors.push(selector);
        inputOfChannel.push(i);
        inputSides.push(side);
      }
    });
    let channels: UnalignedCheckpoints | undefined;
    if (options?.unaligned !== undefined && setup.mode === 'exactly-once' && setup.inputs.length > 0) {
      const handler = new AlternatingBarrierHandler(setup.inputs.length, options.unaligned.alignedTimeoutMs);
      this.handler = handler;
      channels = new UnalignedCheckpoints({
        handler, inputs: setup.inputs, inputOf: (c) => inputOfChannel[c] ?? 0, clock: setup.clock, headUid: head.uid,
        mail: (action) => this.mailbox.put(action), onTimeout: (actions) => this.checkpoints.onBarrierActions(actions),
      });
    } else {
      this.handler = createBarrierHandler(setup.mode, Math.max(1, setup.inputs.length)); // a source has no channels; its handler stays idle
    }
    const eventTimeStops = this.source === undefined || options?.eventTimeIntervalMs === undefined ? undefined
      : new EventTimeStops(options.eventTimeIntervalMs, setup.restore?.eventTimePosition, (position) => {
        if (this.lifecycle.state === 'running') setup.report({ kind: 'event-time', attempt: setup.attempt, subtask: this.id, position });
      });
    const flushChain = () => this.chain.flush();
    const flushWriters = () => this.flushWriters();
    const flushIfDue = () => this.flushIfDue();
    const endOfInput = () => this.endOfInput();
    this.checkpoints = new SubtaskCheckpointCoordinator({
      subtask: this.id, identity: { jobName: setup.jobName, attemptId, subtaskIndex, keyGroupRange }, attempt: setup.attempt,
      storage: setup.storage, clock: setup.clock, report: setup.report, operators: this.operators, writers: this.writers,
      handler: this.handler, lifecycle: this.lifecycle, isSource: this.source !== undefined, taskName: () => this.name,
      flushAll: () => {
        this.chain.flush();
        this.flushWriters();
      },
      fail: (error) => this.fail(error),
      ...(options?.unaligned !== undefined ? { unaligned: { channels, finishOutput: () => this.finishOutput(), unprocessed: () => this.input?.unprocessed() ?? [] } } : {}),
      ...(eventTimeStops !== undefined ? { onTriggered: () => eventTimeStops.release() } : {}),
    });
    if (this.source !== undefined) {
      this.sourcePoller = new SourcePoller({
        source: this.source, clock: setup.clock, pressure: this.pressure, batchSize: setup.batchSize,
        flushChain, flushWriters, flushIfDue, endOfInput, wake: () => this.wake(), fail: (error) => this.fail(error), eventTimeStops,
      });
    } else {
      this.input = new StreamInputProcessor({
        inputs: setup.inputs, keySelectors, inputSides, inputOfChannel, now: () => setup.clock.now(), maxParallelism: plan.maxParallelism, handler: this.handler, head,
        ...(channels !== undefined ? { batchSliceMs: BATCH_SLICE_MS } : {}), writers: this.writers, elementTimestamp: this.elementTimestamp,
        pressure: this.pressure, flushChain, flushWriters, flushIfDue, endOfInput,
        onBarrierActions: (actions, timestamp, savepoint) => this.checkpoints.onBarrierActions(actions, timestamp, savepoint),
        countIn: (records) => (this.metrics.recordsIn += records),
      });
    }
    setup.inputs.forEach((channel, c) => channel.setListener(channels === undefined ? () => this.wake() : () => this.onArrival(channels, c)));
  }

  get state(): TaskState {
    return this.lifecycle.state;
  }

  progress(): TaskProgress {
    const pending = this.handler.pendingCheckpointId;
    let queued = 0;
    for (const c of this.setup.inputs) queued += c.queued ?? (c.hasMessage ? 1 : 0);
    return {
      watermark: this.source !== undefined ? this.source.currentWatermark : this.input!.watermark,
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
    this.lifecycle.transition('restoring');
    const { restore, storage, vertex } = this.setup;
    let restored = new Map<string, OperatorRestoreState>();
    try {
      if (restore !== undefined) restored = await readSubtaskRestore(storage, restore, vertex, this.id.subtaskIndex);
      const channelState = restore?.operators[this.operators[0]!.uid]?.channel ?? [];
      if (channelState.length > 0) this.input?.restoreChannelState(await readRestoredChannelState(storage, restore!.checkpointId, channelState));
    } catch (error) {
      // Only an unreadable chunk proves the checkpoint unreadable; a storage that fails to answer does not.
      this.fail(error, error instanceof CorruptDataError ? restore?.checkpointId : undefined);
      return;
    }
    if (this.lifecycle.state !== 'restoring') return; // cancelled meanwhile
    try {
      for (const op of this.operators) {
        await op.initialize(restored.get(op.uid));
        this.checkpoints.restored(op, restore);
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.lifecycle.state !== 'restoring') return; // cancelled meanwhile
    this.lifecycle.transition('running');
    this.lastFlushAt = this.setup.clock.now();
    this.wake();
  }

  /** Control plane entry: every command becomes a mail, handled in order between batches. */
  command(command: TaskCommand): Promise<void> {
    if (command.kind === 'cancel') {
      this.cancel();
      return Promise.resolve();
    }
    if (this.lifecycle.stopped) return Promise.reject(this.stoppedError());
    // An unaligned checkpoint must not wait for credit: its trigger runs even while a source's outputs are full.
    const urgent = command.kind === 'trigger' && this.source !== undefined && this.setup.checkpointOptions?.unaligned !== undefined;
    const done = this.mailbox.request((resolve, reject) => {
      switch (command.kind) {
        case 'trigger':
          this.checkpoints.onTrigger(command.checkpointId, command.timestamp, command.savepoint === true);
          return resolve();
        case 'abort':
          this.checkpoints.onAbort(command.checkpointId);
          return resolve();
        case 'complete':
          this.checkpoints.onComplete(command.checkpointId).then(resolve, reject);
          return;
      }
    }, urgent);
    if (urgent && this.lifecycle.processing) this.setup.scheduler.wakeFirst(this); // before the other tasks of the thread, as a barrier arriving (onArrival)
    return done;
  }

  cancel(): void {
    if (this.lifecycle.stop('cancelled')) this.shutdown();
  }

  /**
   * Stops as a crash would: at once, reporting nothing, waiting for nothing. Operators are closed
   * only so that what they hold goes (a reader's fetch loop; a crashed thread takes that with
   * it). What the task already started (a chunk write, a commit) may still land: fences and
   * unique keys, not this method, keep that harmless.
   */
  kill(): void {
    if (this.lifecycle.stop('failed')) this.shutdown();
  }

  step(): boolean {
    if (!this.lifecycle.processing) return false;
    try {
      // Mails run between input records, never inside one's output: a snapshot must not cut it. An
      // unaligned checkpoint (an urgent trigger, a barrier queued behind records) does not wait: it
      // finishes that output first, and goes before the rest of a batch (cut in slices, see BatchSlicer).
      if (this.inInput()) return this.priorityWork() || (this.outputsAvailable() && this.resumeInput());
      if (this.priorityWork()) return true;
      if (this.mailbox.runOne()) {
        this.chain.flush(); // a timer's output
        return true;
      }
      // A checkpoint's keyed state is encoded a slice per step, between batches; restored state is decoded so too.
      const encoding = (this.checkpoints.encoding && this.checkpoints.encodeSlice()) || this.decodeRestoredSlice();
      if (this.lifecycle.state !== 'running' || !this.outputsAvailable()) return encoding;
      return (this.sourcePoller !== undefined ? this.pollSource(this.sourcePoller) : this.input!.processInput()) || encoding;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /** Unaligned checkpoints: an urgent mail, or barriers announced on the input channels. */
  private priorityWork(): boolean {
    return this.mailbox.runUrgent() || this.checkpoints.onAnnouncements();
  }

  /** Finishes the output of a record (a flatMap's iterable) or a source's poll that stopped for want of credit, as an overdraft. */
  private finishOutput(): void {
    const { pressure } = this;
    for (;;) {
      pressure.blocked = false;
      if (pressure.suspended) pressure.resume();
      else if (this.source?.midPoll === true) this.source.drainBacklog();
      else break;
    }
    this.chain.flush();
    pressure.blocked = this.writers.some((w) => !w.isAvailable());
  }

  private stoppedError(): WeirError {
    return new WeirError('TASK_FAILED', `${this.name} is ${this.lifecycle.state}`, { domain: 'internal', retryable: true });
  }

  private shutdown(): void {
    this.checkpoints.close();
    this.mailbox.close(() => this.stoppedError());
    this.sourcePoller?.close();
    for (const op of this.operators) {
      try {
        op.close?.();
      } catch {
        // closing after a failure or cancel: the task's outcome is already decided
      }
    }
  }

  private fail(error: unknown, unreadableCheckpoint?: number): void {
    if (!this.lifecycle.stop('failed')) return;
    this.shutdown();
    this.setup.report({
      kind: 'failed', attempt: this.setup.attempt, subtask: this.id, error: serializeError(error), cause: error,
      ...(unreadableCheckpoint !== undefined ? { unreadableCheckpoint } : {}),
    });
  }

  private wake(): void {
    if (this.lifecycle.processing) this.setup.scheduler.wake(this);
  }

  /** Unaligned: a barrier arriving (behind records or not) is priority work, done before any other task's next step. */
  private onArrival(channels: UnalignedCheckpoints, channel: number): void {
    if (!this.lifecycle.processing) return;
    if (channels.announced(channel)) this.setup.scheduler.wakeFirst(this);
    else this.setup.scheduler.wake(this);
  }

  private inInput(): boolean {
    return this.pressure.suspended || this.input?.inBatch === true || this.sourcePoller?.midPoll === true;
  }

  /** Goes on with the input whose output stopped for want of credit: that record's output, then the rest of its batch or poll. */
  private resumeInput(): boolean {
    if (!this.pressure.resume()) return true;
    if (this.input?.inBatch === true) return this.input.continueBatch();
    return this.sourcePoller!.resume();
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

  private pollSource(poller: SourcePoller): boolean {
    const more = poller.poll();
    this.metrics.recordsOut = poller.emitted;
    return more;
  }

  /** Decodes one span of restored keyed state still encoded (reads and writes decode theirs first); returns whether more is left. */
  private decodeRestoredSlice(): boolean {
    if (!this.decodingRestored) return false;
    for (const op of this.operators) if (op.keyedBackend?.restoring === true) return op.keyedBackend.loadNext() || true;
    this.decodingRestored = false;
    return false;
  }

  private endOfInput(): void {
    for (const op of this.operators) op.endInput?.();
    this.chain.flush();
    for (const w of this.writers) w.broadcastEvent({ kind: 'end-of-input' });
    this.lifecycle.transition('input-ended');
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
