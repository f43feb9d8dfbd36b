// A sink of your own (README "Writing a sink"): exactly once into any async key-value store
// (a Cloudflare KV namespace, localStorage behind a promise, a Map), in Flink's Sink V2 shape.
import type { Sink } from 'weir';

export interface KeyValueStore<V> {
  put(key: string, value: V): Promise<void>;
  delete(key: string): Promise<void>;
  keys(prefix: string): Promise<string[]>;
}

/** One subtask's records of one checkpoint: stored in the checkpoint until committed. */
interface Batch<T> {
  readonly checkpointId: number;
  readonly subtask: number;
  readonly rows: T[];
}

/** Each checkpoint's records of each subtask under one key `<prefix>/<checkpoint>/<subtask>`: writing it again changes nothing. */
export function keyValueSink<T>(store: KeyValueStore<T[]>, prefix: string): Sink<T, Batch<T>> {
  const keyOf = (b: { checkpointId: number; subtask: number }) => `${prefix}/${String(b.checkpointId).padStart(12, '0')}/${b.subtask}`;
  return {
    kind: 'weir.sink',
    name: `key-value(${prefix})`,
    guarantee: 'exactly-once',
    // The writer collects what arrives, and closes it into a committable at each checkpoint barrier.
    createWriter: (ctx) => {
      let rows: T[] = [];
      return {
        write: (value) => void rows.push(value),
        prepareCommit: (checkpointId) => {
          if (rows.length === 0) return undefined;
          const batch = { checkpointId, subtask: ctx.subtaskIndex, rows };
          rows = [];
          return batch;
        },
      };
    },
    // Once the checkpoint completed: commit, idempotently (a restore commits its batches again).
    createCommitter: () => ({
      commit: async (batches) => {
        for (const b of batches) await store.put(keyOf(b), b.rows);
      },
    }),
    // Before a restore from checkpoint n: take back what came after n (a fallback replays it).
    rollBack: async (_ctx, checkpointId) => {
      for (const key of await store.keys(`${prefix}/`)) {
        if (Number(key.slice(prefix.length + 1).split('/')[0]) > checkpointId) await store.delete(key);
      }
    },
  };
}
