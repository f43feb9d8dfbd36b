import { WeirError } from '../../errors/index.js';
import type { SubtaskId } from '../../graph/execution-plan.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import type { Clock } from '../clock.js';
import type { RestoreAssignment, TaskReport } from '../control-messages.js';
import type { StreamOperator } from '../operators/stream-operator.js';
import type { BarrierAction, CheckpointBarrierHandler } from './checkpoint-barrier-handler.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { KeyedChunkReuse } from './keyed-chunk-reuse.js';
import type { RecordWriter } from './record-writer.js';
import type { SubtaskIdentity } from './subtask-snapshot.js';
import type { TaskLifecycle } from './task-lifecycle.js';
import type { HeldInput } from './stream-input-processor.js';
import type { UnalignedCheckpoints } from './unaligned-checkpoints.js';

export interface SubtaskCheckpointSetup {
  readonly subtask: SubtaskId;
  readonly identity: SubtaskIdentity;
  readonly attempt: number;
  readonly storage: CheckpointStorage;
  readonly clock: Clock;
  readonly report: (report: TaskReport) => void;
  readonly operators: readonly StreamOperator[];
  readonly writers: readonly RecordWriter[];
  readonly handler: CheckpointBarrierHandler;
  readonly lifecycle: TaskLifecycle;
  /** A source task: the coordinator's trigger, not a barrier, starts its checkpoints. */
  readonly isSource: boolean;
  readonly taskName: () => string;
  /** Passes on what the chain and the writers hold: nothing may wait behind a barrier. */
  readonly flushAll: () => void;
  /**
   * Unaligned checkpoints (FLIP-76): set in a job with `unaligned: true`. `channels`: the task's
   * announcements, alignment timer and channel state (tasks with input channels only);
   * `finishOutput`: completes, as an overdraft, a record's output or a source's poll that stopped
   * for want of credit (a snapshot must not cut it); `unprocessed`: input taken but not processed.
   */
  readonly unaligned?: {
    readonly channels: UnalignedCheckpoints | undefined;
    readonly finishOutput: () => void;
    readonly unprocessed: () => HeldInput[];
  };
  /** Event-time checkpoints: a trigger releases a source stopped at its event-time position. */
  readonly onTriggered?: () => void;
  readonly fail: (error: unknown) => void;
}

/**
 * A subtask's part of every checkpoint, as Flink's SubtaskCheckpointCoordinator: snapshots on a
 * trigger or an aligned barrier and forwards the barrier, declines and forwards a cancel marker
 * for an aborted one, and on completion lets the operators commit. Snapshots are written, and
 * acked or declined, by the CheckpointWriter.
 */
export class SubtaskCheckpointCoordinator {
  /** Per keyed operator: which chunks of completed checkpoints the next snapshot may reuse. */
  private readonly reuse = new Map<string, KeyedChunkReuse>();
  /** Checkpoints from the barrier to the ack: keyed state is encoded a slice per step. */
  private readonly writer: CheckpointWriter;
  private lastSnapshotId = 0;
  /** Savepoints whose barrier or trigger came and whose snapshot is still to take: those are full. */
  private readonly savepoints = new Set<number>();
  private alignment: { checkpointId: number; startedAt: number } | undefined;
  /** The operators' commits, one completion after another. */
  private commits: Promise<void> = Promise.resolve();

  constructor(private readonly setup: SubtaskCheckpointSetup) {
    for (const op of setup.operators) if (op.keyedBackend !== undefined) this.reuse.set(op.uid, new KeyedChunkReuse());
    const { subtask, attempt, storage, clock, report, taskName, lifecycle } = setup;
    this.writer = new CheckpointWriter({ subtask, attempt, storage, clock, report, reuse: this.reuse, taskName, alive: () => !lifecycle.stopped });
  }

  /** After `op` restored: its next snapshots may build on the chunks the restored checkpoint holds. */
  restored(op: StreamOperator, restore: RestoreAssignment | undefined): void {
    if (op.keyedBackend !== undefined) this.reuse.get(op.uid)!.seed(restore?.operators[op.uid]?.keyed ?? [], op.keyedBackend.spans());
  }

  /** A snapshot's keyed state is still being encoded. */
  get encoding(): boolean {
    return this.writer.encoding;
  }

  /** Encodes one slice of the snapshot in flight; returns whether more is left. */
  encodeSlice(): boolean {
    return this.writer.step();
  }

  /**
   * The coordinator's trigger, sent to sources and to tasks whose input ended: they snapshot
   * without a barrier to wait for. A running source then sends the barrier downstream.
   */
  onTrigger(checkpointId: number, timestamp: number, savepoint = false): void {
    this.setup.onTriggered?.();
    if (checkpointId <= this.lastSnapshotId) return; // already taken through a barrier or an earlier trigger
    if (savepoint) this.savepoints.add(checkpointId);
    const { state } = this.setup.lifecycle;
    if (this.setup.isSource) this.snapshot(checkpointId, timestamp, state === 'running', 0);
    else if (state === 'input-ended') this.snapshot(checkpointId, timestamp, false, 0);
  }

  /** Carries out the barrier handler's decisions, in order; `savepoint`: the barrier was a savepoint's. */
  onBarrierActions(actions: BarrierAction[], timestamp = this.setup.clock.now(), savepoint?: number): void {
    const { clock, handler } = this.setup;
    if (savepoint !== undefined) this.savepoints.add(savepoint);
    const pending = handler.pendingCheckpointId;
    if (pending !== undefined && this.alignment?.checkpointId !== pending) {
      this.alignment = { checkpointId: pending, startedAt: clock.now() };
    }
    for (const action of actions) {
      if (action.kind === 'snapshot') {
        const alignmentMs = this.alignment?.checkpointId === action.checkpointId ? clock.now() - this.alignment.startedAt : 0;
        this.snapshot(action.checkpointId, timestamp, true, alignmentMs, action.unaligned?.spill);
      } else {
        for (const r of this.reuse.values()) r.abort(action.checkpointId);
        for (const w of this.setup.writers) w.broadcastEvent({ kind: 'cancel-barrier', checkpointId: action.checkpointId });
        if (action.reason === 'overtaken') this.decline(action.checkpointId, `overtaken by a newer checkpoint at ${this.setup.taskName()}`);
      }
    }
    this.setup.unaligned?.channels?.armTimer();
  }

  /** Unaligned: barriers queued behind records (announced) start their checkpoint now; returns whether one did. */
  onAnnouncements(): boolean {
    const channels = this.setup.unaligned?.channels;
    if (channels === undefined) return false; // aligned: called every step, so nothing allocated
    const actions = channels.announce();
    if (actions.length === 0) return false;
    this.onBarrierActions(actions);
    return true;
  }

  /** The coordinator aborted the checkpoint: its snapshot goes, and an alignment of it ends. */
  onAbort(checkpointId: number): void {
    this.setup.unaligned?.channels?.abandon(checkpointId);
    this.writer.abandon(checkpointId);
    for (const r of this.reuse.values()) r.abort(checkpointId);
    if (!this.setup.isSource) this.onBarrierActions(this.setup.handler.onAbort(checkpointId));
  }

  /**
   * The checkpoint completed: later snapshots may build on its chunks, and the operators commit.
   * Resolves once they did; a deferred commit (retried with the next checkpoint) rejects without
   * failing the task, any other failure fails it.
   */
  onComplete(checkpointId: number): Promise<void> {
    for (const op of this.setup.operators) {
      const version = this.reuse.get(op.uid)?.complete(checkpointId);
      if (version !== undefined) op.keyedBackend?.releaseChanges(version);
    }
    const committed = this.commits.then(() => this.notifyComplete(checkpointId));
    this.commits = committed.catch(() => {});
    return committed.catch((error: unknown) => {
      if (!(error instanceof WeirError && error.code === 'COMMIT_DEFERRED')) this.setup.fail(error);
      throw error;
    });
  }

  /** The task stops: the snapshot in flight is given up. */
  close(): void {
    this.setup.unaligned?.channels?.abandon();
    this.writer.abandon();
  }

  /** The synchronous part here; the keyed state is encoded later, a slice per step (see CheckpointWriter). */
  private snapshot(checkpointId: number, timestamp: number, emitBarrier: boolean, alignmentMs: number, spill?: readonly number[]): void {
    if (checkpointId <= this.lastSnapshotId) return;
    this.lastSnapshotId = checkpointId;
    const savepoint = this.savepoints.has(checkpointId);
    for (const id of this.savepoints) if (id <= checkpointId) this.savepoints.delete(id);
    const { unaligned, identity } = this.setup;
    unaligned?.finishOutput();
    this.setup.flushAll();
    // The channel state starts at the snapshot: what the task holds unprocessed, then what its channels hold or receive ahead of their barrier.
    const channelState = spill === undefined ? undefined : unaligned?.channels?.begin(checkpointId, spill, unaligned.unprocessed(), identity);
    this.writer.take(checkpointId, this.setup.operators, identity, alignmentMs, channelState, savepoint);
    if (emitBarrier) for (const w of this.setup.writers) w.broadcastEvent({ kind: 'barrier', checkpointId, timestamp, ...(savepoint ? { savepoint } : {}) });
  }

  private decline(checkpointId: number, reason: string): void {
    if (this.setup.lifecycle.stopped) return;
    const { attempt, subtask, report } = this.setup;
    report({ kind: 'decline', attempt, subtask, checkpointId, reason, storageFailure: false });
  }

  /** Every operator's completion, in chain order; a deferred commit does not keep the others from theirs. */
  private async notifyComplete(checkpointId: number): Promise<void> {
    let deferred: unknown;
    for (const op of this.setup.operators) {
      try {
        await op.notifyCheckpointComplete?.(checkpointId);
      } catch (error) {
        if (!(error instanceof WeirError && error.code === 'COMMIT_DEFERRED')) throw error;
        deferred ??= error;
      }
    }
    if (deferred !== undefined) throw deferred;
  }
}
