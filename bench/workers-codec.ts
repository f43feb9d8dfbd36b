// Weir's binary batch codec (src/channel/batch-codec.ts, bundled from source: it is not public API)
// as RawCodecs, so the raw ceiling can also be measured with exactly the packing Weir's channels use.
import { decodeBatch, encodeBatch } from '../src/channel/batch-codec.js';
import type { RawCodec, RawMode, Rec } from './workers-shared.js';

function weirCodecWith(keyed: boolean, recycle: boolean): RawCodec {
  return {
    recycle,
    encode(records, spare) {
      // A keyed edge ships each record's key and key group beside it (record-writer.ts); any small ints do for the groups.
      const batch = keyed ? { kind: 'records' as const, records, keys: records.map((r) => r.k), keyGroups: records.map((r) => r.t & 127) } : { kind: 'records' as const, records };
      const packed = encodeBatch(batch, recycle ? spare : undefined);
      if (packed === undefined) throw new Error('batch-codec refused the benchmark records');
      return packed.buffer;
    },
    decode: (buffer) => decodeBatch(buffer).records as Rec[],
  };
}

/** Records only, buffers handed back with the credit (the codec's best case). */
export const weirCodec: RawCodec = weirCodecWith(false, true);

/** The codec for a raw mode other than 'clone' and 'packed'. */
export function weirCodecFor(mode: RawMode): RawCodec {
  return weirCodecWith(mode.includes('keyed'), !mode.endsWith('fresh'));
}
