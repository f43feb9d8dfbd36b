// The existence form of a metadata condition (`{ key, exists }`), part of the CheckpointStorage
// contract (storage-contract.ts runs these on every backend): it holds on presence alone, whatever
// the bytes (empty ones too), checked in the same atomic step as the write or delete it guards,
// across handles; the input log's claim (its predecessor exists, its own key is free) is its use.
import type { CheckpointStorage, MetadataCondition } from '../../src/state/checkpoint-storage.js';

type Failure = { code?: unknown; details?: Record<string, unknown> };
type Check = (title: string, body: (storage: CheckpointStorage, again: () => Promise<CheckpointStorage>) => Promise<void>) => void;

export interface ContractHelpers {
  assertBytes(actual: Uint8Array | undefined, expected: Uint8Array | undefined, what: string): void;
  assertKeys(actual: readonly string[], expected: readonly string[], what: string): void;
  assertRejects(call: () => Promise<unknown>, check: (error: Failure) => boolean, what: string): Promise<Failure>;
  fail(message: string): never;
}

const bytes = (...values: number[]) => new Uint8Array(values);
const isFenced = (key: string) => (error: Failure) => error?.code === 'STORAGE_FENCED' && error.details?.key === key;
const isInvalid = (error: Failure) => error?.code === 'INVALID_ARGUMENT';

export function defineExistenceConditionChecks(check: Check, { assertBytes, assertKeys, assertRejects, fail }: ContractHelpers): void {
  check('writes on an existence condition: exists true holds for any bytes (empty too), false only where the record is missing; a failing one writes nothing', async (s) => {
    await s.putMetadata([{ key: 'e/full', bytes: bytes(1, 2, 3) }, { key: 'e/empty', bytes: new Uint8Array(0) }]);
    await s.putMetadata([{ key: 'e/a', bytes: bytes(1) }], { key: 'e/full', exists: true });
    await s.putMetadata([{ key: 'e/b', bytes: bytes(2) }], { key: 'e/empty', exists: true });
    await s.putMetadata([{ key: 'e/c', bytes: bytes(3) }], { key: 'e/missing', exists: false });
    await s.putMetadata([{ key: 'e/d', bytes: bytes(4) }], [{ key: 'e/full', exists: true }, { key: 'e/empty', exists: true }, { key: 'e/d', exists: false }]);
    for (const [what, condition] of [
      ['exists expected, missing', { key: 'e/missing', exists: true }],
      ['missing expected, present', { key: 'e/full', exists: false }],
      ['missing expected, present with empty bytes', { key: 'e/empty', exists: false }],
    ] as [string, MetadataCondition][]) {
      await assertRejects(() => s.putMetadata([{ key: 'e/full', bytes: bytes(9) }, { key: 'e/new', bytes: bytes(9) }], condition), isFenced(condition.key), `condition: ${what}`);
    }
    assertKeys(await s.listMetadata('e/'), ['e/a', 'e/b', 'e/c', 'e/d', 'e/empty', 'e/full'], 'records (none of a fenced batch)');
    assertBytes(await s.getMetadata('e/full'), bytes(1, 2, 3), 'the record a fenced batch tried to replace');
  });

  check("claims a key as an input log does (its predecessor exists, its own key is free): a failing claim writes none of its records", async (s) => {
    await s.putMetadata([{ key: 'l/b/0', bytes: bytes(1) }]);
    const claim = (key: string, after: string) => s.putMetadata([{ key, bytes: bytes(2) }, { key: 'l/head', bytes: bytes(key.length, 2) }], [{ key: after, exists: true }, { key, equals: undefined }]);
    await claim('l/b/1', 'l/b/0');
    assertBytes(await s.getMetadata('l/head'), bytes(5, 2), 'the head written with a claim that held');
    await s.putMetadata([{ key: 'l/head', bytes: bytes(0) }]);
    await assertRejects(() => claim('l/b/1', 'l/b/0'), isFenced('l/b/1'), 'the key is taken');
    await assertRejects(() => claim('l/b/2', 'l/b/9'), isFenced('l/b/9'), 'the predecessor is missing');
    await s.deleteMetadata(['l/b/0']);
    await assertRejects(() => claim('l/b/0x', 'l/b/0'), isFenced('l/b/0'), 'the predecessor was deleted');
    assertKeys(await s.listMetadata('l/'), ['l/b/1', 'l/head'], 'no record of a failed claim');
    assertBytes(await s.getMetadata('l/head'), bytes(0), 'the head a failed claim also wrote is as it was');
  });

  for (const space of ['chunks', 'metadata'] as const) {
    check(`deletes ${space} on an existence condition: all when it holds, none when it does not`, async (s) => {
      const put = (key: string) => (space === 'chunks' ? s.putChunk(key, bytes(1)) : s.putMetadata([{ key, bytes: bytes(1) }]));
      const del = (keys: string[], condition: MetadataCondition) => (space === 'chunks' ? s.deleteChunks(keys, condition) : s.deleteMetadata(keys, condition));
      const list = () => (space === 'chunks' ? s.listChunks('d/') : s.listMetadata('d/'));
      await s.putMetadata([{ key: 'j/epoch', bytes: bytes(3) }]);
      for (const key of ['d/1', 'd/2', 'd/3']) await put(key);
      await del(['d/1'], { key: 'j/epoch', exists: true });
      await del(['d/2'], { key: 'j/none', exists: false });
      await assertRejects(() => del(['d/3'], { key: 'j/none', exists: true }), isFenced('j/none'), 'exists expected, missing');
      await assertRejects(() => del(['d/3'], { key: 'j/epoch', exists: false }), isFenced('j/epoch'), 'missing expected, present');
      await assertRejects(() => del([], { key: 'j/none', exists: true }), isFenced('j/none'), 'an empty delete still checks it');
      assertKeys(await list(), ['d/3'], 'left after the deletes');
    });
  }

  check('lets exactly one of two handles claim the next key after the same predecessor, round after round; a stale claim is fenced', async (s, again) => {
    const other = await again();
    await s.putMetadata([{ key: 'r/b/00', bytes: bytes(0) }]);
    for (let round = 1; round <= 8; round++) {
      const key = `r/b/${String(round).padStart(2, '0')}`;
      const after = `r/b/${String(round - 1).padStart(2, '0')}`;
      const claim = (handle: CheckpointStorage, who: number) => handle.putMetadata([{ key, bytes: bytes(who, round) }], [{ key: after, exists: true }, { key, equals: undefined }]);
      const pending = round % 2 === 0 ? [claim(s, 0), claim(other, 1)] : [claim(other, 1), claim(s, 0)].reverse();
      const results = await Promise.allSettled(pending);
      const won = results.flatMap((r, who) => (r.status === 'fulfilled' ? [who] : []));
      if (won.length !== 1) fail(`round ${round}: ${won.length} handles claimed ${key}, expected exactly one`);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      if (!isFenced(key)(lost.reason as Failure)) fail(`round ${round}: the loser rejected with ${String(lost.reason)}, expected STORAGE_FENCED on ${key}`);
      assertBytes(await other.getMetadata(key), bytes(won[0]!, round), `round ${round}: the winner's record`);
    }
    await other.deleteMetadata(['r/b/00', 'r/b/01']);
    await assertRejects(() => s.putMetadata([{ key: 'r/b/01', bytes: bytes(9) }], [{ key: 'r/b/00', exists: true }, { key: 'r/b/01', equals: undefined }]), isFenced('r/b/00'),
      'a stale claim of a key another handle deleted with its predecessor');
    assertBytes(await s.getMetadata('r/b/01'), undefined, 'the deleted key stays deleted');
  });

  check('rejects a malformed existence condition, never throwing synchronously, and writes nothing', async (s) => {
    await assertRejects(() => s.putMetadata([{ key: 'x', bytes: bytes(1) }], { key: 'k', exists: 'yes' } as unknown as MetadataCondition), isInvalid, 'exists that is not a boolean');
    await assertRejects(() => s.putMetadata([{ key: 'x', bytes: bytes(1) }], { key: 'k', exists: true, equals: bytes(1) } as unknown as MetadataCondition), isInvalid, 'both exists and equals');
    await assertRejects(() => s.deleteMetadata(['x'], { key: '', exists: true }), isInvalid, 'an empty key');
    assertKeys(await s.listMetadata(''), [], 'metadata after the refused calls');
  });
}
