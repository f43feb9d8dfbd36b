import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, run, WeirError } from 'weir';
import { keyValueSink, type KeyValueStore } from '../../../examples/key-value-sink.js';
import { gatedSequence, type Gate } from '../../support/gated-source.js';

// The README's custom sink (examples/key-value-sink.ts), run as a user would: its store fails
// some writes (retryably) and the job is killed after awaited checkpoints; every record once.

class FlakyStore implements KeyValueStore<number[]> {
  readonly data = new Map<string, number[]>();
  failures = 0;
  private writes = 0;
  async put(key: string, value: number[]): Promise<void> {
    if (++this.writes % 7 === 0) {
      this.failures++;
      throw new WeirError('CHECKPOINT_STORAGE_FAILED', 'the store is busy', { domain: 'external', retryable: true });
    }
    this.data.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
  async keys(prefix: string): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix));
  }
}

describe('the README custom sink example', () => {
  it('writes every record once into its store across failed writes and kills', async () => {
    const TOTAL = 3000;
    const store = new FlakyStore();
    const gate: Gate = { allowed: 0 };
    const handle = await run(job('key-value-example', (env) => {
      env.fromSource(gatedSequence(TOTAL, gate), { uid: 'numbers' }).sinkTo(keyValueSink(store, 'out'), { uid: 'out' });
    }), { storage: new MemoryCheckpointStorage(), parallelism: 2, checkpointing: { intervalMs: 3_600_000 }, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 } });
    let kills = 0;
    try {
      for (let round = 1; round <= 12; round++) {
        gate.allowed = round * 200;
        for (let i = 0; i < 3; i++) await handle.triggerCheckpoint().catch((e: { code?: string }) => assert.equal(e.code, 'COMMIT_DEFERRED'));
        if (round % 4 === 0) {
          const running = new Promise<void>((resolve) => {
            const off = handle.on('status', (s) => s === 'running' && (off(), resolve()));
          });
          handle.injectFailure();
          kills++;
          await running;
        }
      }
      gate.allowed = TOTAL;
      assert.equal((await handle.done).status, 'finished');
    } finally {
      await handle.cancel();
    }
    assert.equal(kills, 3);
    assert.ok(store.failures > 0, 'some writes failed');
    const all = [...store.data.values()].flat().sort((a, b) => a - b);
    assert.equal(all.length, TOTAL);
    all.forEach((n, i) => assert.equal(n, i));
  });
});
