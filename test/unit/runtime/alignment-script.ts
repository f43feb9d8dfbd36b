import assert from 'node:assert/strict';
import type { BarrierAction, CheckpointBarrierHandler } from '../../../src/runtime/task/checkpoint-barrier-handler.js';

/**
 * Scripted input for a barrier handler, tokens separated by spaces:
 *   r@c   a record batch arrives on channel c
 *   bN@c  barrier N arrives on channel c
 *   cN@c  cancel marker N arrives on channel c
 *   e@c   end of input on channel c
 *   aN    the coordinator aborts checkpoint N (not a channel event; never held)
 *
 * `runScript` plays the input gate: an item that arrives on a blocked channel, or behind
 * items still queued there, waits in that channel's queue and is read once the channel is
 * unblocked, as a real gate does. After every step the queues drain, channels in ascending
 * order, until no unblocked channel has a queued item.
 *
 * The trace lists, in order, every item the task read (`'r@0'`, `'b1@0'`, ...; `'(held)'`
 * appended when it had waited in a queue), every coordinator abort (`'a2'`), and every
 * action the handler returned (`'snapshot 1'`, `'abort 2 (overtaken)'`).
 */
export function runScript(handler: CheckpointBarrierHandler, script: string): string[] {
  const trace: string[] = [];
  const queues = new Map<number, string[]>();
  const scriptEnded = new Set<number>();

  const record = (actions: BarrierAction[]): void => {
    for (const action of actions) trace.push(formatAction(action));
  };

  const read = (token: string, held: boolean): void => {
    const event = parseToken(token);
    if (event.kind === 'abort') throw new Error(`coordinator abort ${token} is never queued`);
    assert.equal(handler.isBlocked(event.channel), false, `${token} read from a blocked channel`);
    trace.push(held ? `${token}(held)` : token);
    if (event.kind === 'barrier') record(handler.onBarrier(event.channel, event.checkpointId));
    if (event.kind === 'cancel') record(handler.onCancelBarrier(event.channel, event.checkpointId));
    if (event.kind === 'end') record(handler.onEndOfInput(event.channel));
  };

  const drain = (): void => {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const channel of [...queues.keys()].sort((a, b) => a - b)) {
        const queue = queues.get(channel) ?? [];
        while (queue.length > 0 && !handler.isBlocked(channel)) {
          read(queue.shift() as string, true);
          progressed = true;
        }
      }
    }
  };

  for (const token of script.split(/\s+/).filter((t) => t !== '')) {
    const event = parseToken(token);
    if (event.kind === 'abort') {
      trace.push(token);
      record(handler.onAbort(event.checkpointId));
    } else {
      if (scriptEnded.has(event.channel)) throw new Error(`script: ${token} after e@${event.channel}`);
      if (event.kind === 'end') scriptEnded.add(event.channel);
      const queue = queues.get(event.channel) ?? [];
      queues.set(event.channel, queue);
      if (queue.length > 0 || handler.isBlocked(event.channel)) queue.push(token);
      else read(token, false);
    }
    drain();
  }
  return trace;
}

/**
 * Runs the script and asserts the checkpoints the handler decided, in order:
 * a positive id was snapshotted, a negative id aborted (for any reason).
 */
export function expectCheckpoints(handler: CheckpointBarrierHandler, script: string, expected: number[]): void {
  const decided = runScript(handler, script).flatMap((entry) => {
    const match = /^(snapshot|abort) (\d+)/.exec(entry);
    if (match === null) return [];
    const id = Number(match[2]);
    return [match[1] === 'snapshot' ? id : -id];
  });
  assert.deepEqual(decided, expected, `checkpoints decided by: ${script}`);
}

export function formatAction(action: BarrierAction): string {
  return action.kind === 'snapshot'
    ? `snapshot ${action.checkpointId}`
    : `abort ${action.checkpointId} (${action.reason})`;
}

export type ScriptEvent =
  | { kind: 'record'; channel: number }
  | { kind: 'barrier'; channel: number; checkpointId: number }
  | { kind: 'cancel'; channel: number; checkpointId: number }
  | { kind: 'end'; channel: number }
  | { kind: 'abort'; checkpointId: number };

export function parseToken(token: string): ScriptEvent {
  let m = /^r@(\d+)$/.exec(token);
  if (m !== null) return { kind: 'record', channel: Number(m[1]) };
  m = /^([bc])(\d+)@(\d+)$/.exec(token);
  if (m !== null) {
    const kind = m[1] === 'b' ? 'barrier' : 'cancel';
    return { kind, checkpointId: Number(m[2]), channel: Number(m[3]) };
  }
  m = /^e@(\d+)$/.exec(token);
  if (m !== null) return { kind: 'end', channel: Number(m[1]) };
  m = /^a(\d+)$/.exec(token);
  if (m !== null) return { kind: 'abort', checkpointId: Number(m[1]) };
  throw new Error(`script: cannot read token '${token}'`);
}

/**
 * A well-formed random script for `channelCount` channels, the same for the same seed: each
 * channel delivers records and, for ids 1..`checkpoints` in order, a barrier, a cancel
 * marker or nothing (the upstream skipped that id), then its end of input; the channels are
 * interleaved at random and coordinator aborts of random ids are mixed in.
 */
export function randomScript(seed: number, channelCount: number, checkpoints: number): string {
  const random = mulberry32(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const perChannel: string[][] = [];
  for (let channel = 0; channel < channelCount; channel++) {
    const tokens: string[] = [];
    for (let id = 1; id <= checkpoints; id++) {
      for (let i = pick(3); i > 0; i--) tokens.push(`r@${channel}`);
      const roll = random();
      if (roll < 0.8) tokens.push(`b${id}@${channel}`);
      else if (roll < 0.9) tokens.push(`c${id}@${channel}`);
    }
    for (let i = pick(3); i > 0; i--) tokens.push(`r@${channel}`);
    tokens.push(`e@${channel}`);
    perChannel.push(tokens);
  }
  const script: string[] = [];
  while (perChannel.some((tokens) => tokens.length > 0)) {
    if (random() < 0.05) script.push(`a${1 + pick(checkpoints)}`);
    const open = perChannel.filter((tokens) => tokens.length > 0);
    script.push((open[pick(open.length)] as string[]).shift() as string);
  }
  return script.join(' ');
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
