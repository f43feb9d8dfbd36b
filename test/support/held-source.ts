import type { PollStatus, Source } from 'weir';

// A source that cannot end before the job has checkpointed: each of its readers emits at most
// `after` records, then holds the rest until `checkpoints` checkpoints completed while it held (its
// notifyCheckpointComplete calls). A fault injected in the 'checkpoint' event of one of the first
// `checkpoints - 1` completed checkpoints so lands mid-stream however fast or loaded the machine,
// without a delay or a rate. A restored reader (a new attempt) holds again after `after` more records.
// `checkpoints: Infinity` stops each reader after `after` records for good (a first run a test cancels).
// Same splits, positions and name as the wrapped source: its checkpoints restore with or without the hold.
// Browser-safe; the held readers live in whatever worker runs them (nothing shared).

export interface Hold {
  /** Records each reader emits before it holds. */
  after: number;
  /** Checkpoints completed while the reader holds that release it (Infinity: never). */
  checkpoints: number;
}

export function holdUntilCheckpoints<T>(source: Source<T>, hold: Hold): Source<T> {
  return {
    ...source,
    createReader: (splits, ctx) => {
      const inner = source.createReader(splits, ctx);
      let emitted = 0;
      let completed = 0; // while holding
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const count = (emit: (value: T) => void) => (value: T) => {
        emitted++;
        emit(value);
      };
      return {
        poll(max, emit): PollStatus {
          if (completed >= hold.checkpoints) return inner.poll(max, emit);
          const allowed = hold.after - emitted;
          if (allowed <= 0) return { kind: 'nothing', available: released };
          return inner.poll(Math.min(max, allowed), count(emit));
        },
        snapshotSplits: (checkpointId) => inner.snapshotSplits(checkpointId),
        notifyCheckpointComplete(checkpointId) {
          if (emitted >= hold.after && ++completed >= hold.checkpoints) release();
          return inner.notifyCheckpointComplete?.(checkpointId);
        },
        close: () => inner.close?.(),
      };
    },
  };
}
