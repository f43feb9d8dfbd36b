import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, openLog, run, sinks, sources } from 'weir';
import { bad, namesArgument, uniqueJobName } from '../api/api-test-helpers.js';

// A reading job registers with the log (retention keeps what it has not passed); an app lists the
// registrations and releases a job that no longer reads, so retention stops keeping records for it.

describe('input log reader registrations', () => {
  it('lists each reading job per source and partition, and unregisters one job (or one of its sources)', async () => {
    const storage = new MemoryCheckpointStorage();
    const logName = uniqueJobName('readers-log');
    const log = await openLog<number>(logName, { storage, partitions: 2 });
    await log.append([1, 2, 3], { partition: 0 });
    await log.append([4], { partition: 1 });
    await log.end();
    const names = [uniqueJobName('reader-a'), uniqueJobName('reader-b')];
    for (const name of names) {
      const handle = await run(job(name, (env) => {
        env.fromSource(sources.log<number>(logName, { partitions: 2 }), { uid: 'first' }).sinkTo(sinks.table('out'), { uid: 'out' });
        env.fromSource(sources.log<number>(logName, { partitions: 2 }), { uid: 'second' }).sinkTo(sinks.table('out2'), { uid: 'out2' });
      }), { storage, checkpointing: { intervalMs: 3_600_000 } });
      assert.equal((await handle.done).status, 'finished');
    }
    const all = await log.readers();
    assert.deepEqual(all.map((r) => `${r.jobName}/${r.sourceUid}/${r.partition}`).sort(),
      names.flatMap((n) => ['first', 'second'].flatMap((uid) => [0, 1].map((p) => `${n}/${uid}/${p}`))).sort());
    for (const r of all) assert.ok(Number.isSafeInteger(r.next) && r.next >= 0);
    assert.equal(await log.unregisterReader(names[0]!, 'second'), 2);
    assert.equal(await log.unregisterReader(names[1]!), 4);
    assert.equal(await log.unregisterReader(names[1]!), 0, 'unregistering again removes nothing');
    assert.deepEqual((await log.readers()).map((r) => `${r.jobName}/${r.sourceUid}/${r.partition}`).sort(), [`${names[0]}/first/0`, `${names[0]}/first/1`]);
    await assert.rejects(log.unregisterReader(bad(42)), namesArgument('log.unregisterReader(jobName)'));
    await assert.rejects(log.unregisterReader('j', bad('')), namesArgument('log.unregisterReader(jobName, sourceUid)'));
    await log.close();
  });
});
