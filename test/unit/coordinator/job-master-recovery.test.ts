import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildJobGraph, job } from '../../../src/api/job.js';
import { tableLayout } from '../../../src/connectors/sinks/table-layout.js';
import { CorruptDataError, WeirError } from '../../../src/errors/index.js';
import { buildExecutionPlan, type ExecutionPlan } from '../../../src/graph/execution-plan.js';
import { sinks, sources } from '../../../src/index.js';
import { systemClock } from '../../../src/runtime/clock.js';
import { serializeError } from '../../../src/runtime/control-messages.js';
import { decodeAttemptRecord, encodeMetadata } from '../../../src/runtime/coordinator/stored-records.js';
import { JobMaster } from '../../../src/runtime/coordinator/job-master.js';
import { claimEpoch } from '../../../src/runtime/coordinator/runner-epoch.js';
import type { DeployRequest, SubtaskMetrics, TaskExecutor } from '../../../src/runtime/execution/task-executor.js';
import type { TaskCommand } from '../../../src/runtime/control-messages.js';
import type { SubtaskId } from '../../../src/graph/execution-plan.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';
import type { MetadataCondition } from '../../../src/state/checkpoint-storage.js';
import { storageLayout } from '../../../src/state/storage-layout.js';

// The JobMaster carries out its recovery decisions in order: the attempt fence before anything is
// dropped, the sinks rolled back before the tasks start, nothing at all once it is fenced. Its
// tasks are a fake executor; its storage logs every write and delete.

const JOB = 'jm-recovery';

class LoggedStorage extends MemoryCheckpointStorage {
  readonly log: string[] = [];
  private short = (key: string) => key.replace(`jobs/${JOB}/`, '');
  override async putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataCondition): Promise<void> {
    const what = records.map((r) => (r.key.endsWith('/attempt') ? `attempt ${decodeAttemptRecord(r.bytes, r.key).state}` : this.short(r.key)));
    try {
      await super.putMetadata(records, condition);
      this.log.push(`put ${what.join(',')}`);
    } catch (error) {
      this.log.push(`put ${what.join(',')} refused (${(error as WeirError).code})`);
      throw error;
    }
  }
  override async deleteMetadata(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    await super.deleteMetadata(keys, condition);
    if (keys.length > 0) this.log.push(`delete ${keys.map(this.short).join(',')}`);
  }
  override async deleteChunks(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    await super.deleteChunks(keys, condition);
    if (keys.length > 0) this.log.push(`delete chunks ${keys.map(this.short).join(',')}`);
  }
}

class FakeExecutor implements TaskExecutor {
  readonly deploys: DeployRequest[] = [];
  private waiting: ((r: DeployRequest) => void) | undefined;
  async deploy(request: DeployRequest): Promise<void> {
    this.deploys.push(request);
    this.waiting?.(request);
  }
  nextDeploy(): Promise<DeployRequest> {
    return new Promise((resolve) => { this.waiting = resolve; });
  }
  async send(_subtask: SubtaskId, _command: TaskCommand): Promise<void> {}
  async cancelAll(): Promise<void> {}
  kill(): void {}
  metrics(): SubtaskMetrics[] { return []; }
  async dispose(): Promise<void> {}
  fail(cause: unknown, unreadableCheckpoint?: number): void {
    const r = this.deploys[this.deploys.length - 1]!;
    r.report({ kind: 'failed', attempt: r.attempt, subtask: { vertexId: 0, subtaskIndex: 0 }, error: serializeError(cause), cause, ...(unreadableCheckpoint !== undefined ? { unreadableCheckpoint } : {}) });
  }
}

/** Acks every trigger at once, as a task without state would; a task fails while the executor is disposed. */
class FinishingExecutor extends FakeExecutor {
  override async send(subtask: SubtaskId, command: TaskCommand): Promise<void> {
    const r = this.deploys[this.deploys.length - 1]!;
    if (command.kind !== 'trigger') return;
    const stats = { subtask, taskName: 'numbers', ackTimestamp: 0, alignmentStartTimestamp: 0, snapshotTimestamp: 0, alignmentDurationMs: 0, syncDurationMs: 0, asyncDurationMs: 0, stateSize: 0, persistedSize: 0 };
    queueMicrotask(() => r.report({ kind: 'ack', attempt: r.attempt, subtask, checkpointId: command.checkpointId, handles: [], stats }));
  }
  override async dispose(): Promise<void> {
    this.fail(new WeirError('WORKER_LOST', 'a worker went while the executor was disposed', { domain: 'internal', retryable: true }));
  }
}

function plan(): ExecutionPlan {
  return buildExecutionPlan(buildJobGraph(job(JOB, (env) => {
    env.fromSource(sources.fromElements([1, 2, 3]), { uid: 'numbers' }).sinkTo(sinks.table('out'), { uid: 'out' });
  })), 1);
}

/** Checkpoints 2 and 3 completed and committed; the sink staged a transaction 4 that never completed. */
async function stored(storage: MemoryCheckpointStorage, p: ExecutionPlan): Promise<void> {
  for (const id of [2, 3]) {
    await storage.putMetadata([encodeMetadata({ jobName: JOB, checkpointId: id, epoch: 1, triggerTimestamp: 0, completedTimestamp: 0, maxParallelism: p.maxParallelism, final: false, operators: {} })]);
    await storage.putMetadata([{ key: tableLayout.commitKey(JOB, 'out', id, 0), bytes: new Uint8Array([id]) }]);
  }
  for (const id of [2, 3, 4]) await storage.putChunk(tableLayout.dataKey(JOB, 'out', id, 0, '1.1'), new Uint8Array([id]));
}

async function started<E extends FakeExecutor>(executor: E = new FakeExecutor() as E) {
  const storage = new LoggedStorage();
  const p = plan();
  await stored(storage, p);
  storage.log.length = 0;
  const master = new JobMaster({
    plan: p, mode: 'exactly-once', checkpoint: { intervalMs: undefined, timeoutMs: 60_000, minPauseMs: 0, tolerableFailures: 5, retained: 2 },
    restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 }, resume: 'latest', allowNonRestoredState: false, storage, clock: systemClock, random: () => 0.5, executor, metricsIntervalMs: 60_000,
  });
  await master.start();
  return { storage, executor, master };
}

describe('JobMaster: carrying out recovery decisions', () => {
  it('a start fences the old runner before it touches anything, then rolls the sinks back to the restored checkpoint before the tasks start', async () => {
    const { storage, executor, master } = await started();
    try {
      assert.deepEqual(storage.log, ['put epoch', 'put attempt starting', 'put attempt running', 'delete chunks tables/out/data/000000000004-00000-1.1']);
      assert.equal(executor.deploys.length, 1);
      assert.equal(executor.deploys[0]!.restore.get('0.0')?.checkpointId, 3);
      assert.equal(executor.deploys[0]!.epoch, 1);
    } finally {
      await master.cancel();
    }
  });

  it('a restore that proves the latest checkpoint unreadable: fence, drop it, roll the sinks back to the one before, then deploy that one', async () => {
    const { storage, executor, master } = await started();
    try {
      storage.log.length = 0;
      const redeployed = executor.nextDeploy();
      executor.fail(new CorruptDataError('checkpoint 3: state chunk fails its checksum'), 3);
      const request = await redeployed;
      assert.deepEqual(storage.log, [
        'put attempt stopped',
        'delete checkpoints/000000000003',
        'put attempt running',
        'delete tables/out/000000000003-00000',
        'delete chunks tables/out/data/000000000003-00000-1.1',
      ]);
      assert.equal(request.restore.get('0.0')?.checkpointId, 2);
      assert.equal(request.attempt, 2);
    } finally {
      await master.cancel();
    }
  });

  it('an ordinary failure (even a CORRUPT_DATA one) restarts from the latest checkpoint and drops nothing', async () => {
    const { storage, executor, master } = await started();
    try {
      storage.log.length = 0;
      const redeployed = executor.nextDeploy();
      executor.fail(new CorruptDataError('metadata journal: checksum mismatch'));
      const request = await redeployed;
      assert.deepEqual(storage.log, ['put attempt stopped', 'put attempt running']);
      assert.equal(request.restore.get('0.0')?.checkpointId, 3);
    } finally {
      await master.cancel();
    }
  });

  it('a runner fenced by a newer one during its failover stops and deletes nothing', async () => {
    const { storage, executor, master } = await started();
    await claimEpoch(storage, JOB, 'the newer runner');
    storage.log.length = 0;
    executor.fail(new CorruptDataError('checkpoint 3: state chunk is missing'), 3);
    await assert.rejects(master.done, (error: unknown) => error instanceof WeirError && error.code === 'STORAGE_FENCED');
    assert.equal(master.getStatus(), 'failed');
    assert.deepEqual(storage.log, ['put attempt stopped refused (STORAGE_FENCED)']);
    assert.equal(executor.deploys.length, 1);
    assert.ok((await storage.getMetadata(storageLayout.checkpointMetadataKey(JOB, 3))) !== undefined, 'checkpoint 3 is still there');
  });

  it('a finished job ignores a task failure reported while its tasks are disposed: done resolves finished, nothing restarts', async () => {
    const executor = new FinishingExecutor();
    const { master } = await started(executor);
    const r = executor.deploys[0]!;
    r.report({ kind: 'finished', attempt: r.attempt, subtask: { vertexId: 0, subtaskIndex: 0 } });
    const outcome = await Promise.race([master.done.then((result) => result.status), executor.nextDeploy().then(() => 'redeployed')]);
    assert.equal(outcome, 'finished');
    assert.equal(master.getStatus(), 'finished');
    assert.equal(executor.deploys.length, 1);
  });
});
