import assert from 'node:assert/strict';
import { createMemoryChannel, type ChannelPair, type ChannelMessage } from '../../../src/channel/index.js';
import { AlternatingBarrierHandler } from '../../../src/runtime/task/alternating-barrier-handler.js';
import type { BarrierAction } from '../../../src/runtime/task/checkpoint-barrier-handler.js';
import { ChannelStateCapture, readChannelState } from '../../../src/runtime/task/channel-state.js';
import { decodeValue, encodeValue } from '../../../src/state/value-codec.js';

/**
 * Plays a task with real in-memory channels in front of an AlternatingBarrierHandler. Tokens:
 *   r@c     a record batch arrives on channel c (named c.k, k counting from 1 per channel)
 *   bN@c    barrier N (triggered at the current time) arrives on channel c
 *   cN@c    cancel marker N arrives on channel c;  e@c  channel c ends
 *   p@c     the task reads the next message of channel c (it must not be blocked)
 *   p       the task reads every channel round-robin until nothing readable is left
 *   tMS     the clock moves MS milliseconds on (an alignment deadline may pass)
 *   aN      the coordinator aborts checkpoint N
 * Arrivals do not wait for the task: records queue up, as behind a slow operator. After every token
 * the task looks for barriers queued behind records (announcements) and for a passed deadline.
 *
 * The trace has every message read ('0.1', 'b1@0'), every action ('snapshot 1', 'snapshot 1 unaligned',
 * 'abort 1 (overtaken)'), and, once an unaligned checkpoint's channel state is complete,
 * 'state 1: 0=[0.1,0.2] 1=[]' — per spilled channel, the records stored, read back from the encoded chunk.
 */
export class UnalignedScript {
  readonly trace: string[] = [];
  readonly channels: ChannelPair[];
  private readonly counts: number[];
  private now = 0;
  private readonly captures = new Map<number, ChannelStateCapture>();

  constructor(readonly handler: AlternatingBarrierHandler) {
    this.channels = Array.from({ length: handler.channelCount }, () => createMemoryChannel({ credits: 1000 }));
    this.counts = this.channels.map(() => 0);
  }

  run(script: string): string[] {
    const start = this.trace.length;
    for (const token of script.split(/\s+/).filter((t) => t !== '')) {
      this.token(token);
      this.announce();
      this.act(this.handler.onAlignmentTimeout(this.now));
      this.showCompleted();
    }
    return this.trace.slice(start);
  }

  private token(token: string): void {
    let m: RegExpExecArray | null;
    if ((m = /^r@(\d+)$/.exec(token))) {
      const c = Number(m[1]);
      this.send(c, { kind: 'records', records: [`${c}.${++this.counts[c]!}`] });
    } else if ((m = /^b(\d+)@(\d+)$/.exec(token))) this.send(Number(m[2]), { kind: 'barrier', checkpointId: Number(m[1]), timestamp: this.now });
    else if ((m = /^c(\d+)@(\d+)$/.exec(token))) this.send(Number(m[2]), { kind: 'cancel-barrier', checkpointId: Number(m[1]) });
    else if ((m = /^e@(\d+)$/.exec(token))) this.send(Number(m[1]), { kind: 'end-of-input' });
    else if ((m = /^p@(\d+)$/.exec(token))) this.read(Number(m[1]));
    else if (token === 'p') this.drain();
    else if ((m = /^t(\d+)$/.exec(token))) this.now += Number(m[1]);
    else if ((m = /^a(\d+)$/.exec(token))) {
      this.trace.push(token);
      // As the task does: the abort command gives up the checkpoint's writes (and spills) whatever the handler says.
      this.captures.get(Number(m[1]))?.cancel();
      this.captures.delete(Number(m[1]));
      this.act(this.handler.onAbort(Number(m[1])));
    } else throw new Error(`script: cannot read token '${token}'`);
  }

  private send(channel: number, message: ChannelMessage): void {
    this.channels[channel]!.sender.send(message);
  }

  private read(channel: number): boolean {
    const receiver = this.channels[channel]!.receiver;
    assert.equal(this.handler.isBlocked(channel), false, `read from blocked channel ${channel}`);
    const message = receiver.poll();
    if (message === undefined) return false;
    switch (message.kind) {
      case 'records':
        this.trace.push(String(message.records[0]));
        receiver.release();
        break;
      case 'barrier':
        this.trace.push(`b${message.checkpointId}@${channel}`);
        this.act(this.handler.onBarrier(channel, message.checkpointId, message.timestamp, this.now));
        break;
      case 'cancel-barrier':
        this.trace.push(`c${message.checkpointId}@${channel}`);
        this.act(this.handler.onCancelBarrier(channel, message.checkpointId));
        break;
      case 'end-of-input':
        this.trace.push(`e@${channel}`);
        this.act(this.handler.onEndOfInput(channel));
        break;
      default:
        break;
    }
    return true;
  }

  private drain(): void {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (let c = 0; c < this.channels.length; c++) {
        if (this.handler.isBlocked(c) || !this.channels[c]!.receiver.hasMessage) continue;
        progressed = this.read(c) || progressed;
        this.announce();
      }
    }
  }

  private announce(): void {
    for (let c = 0; c < this.channels.length; c++) {
      const barrier = this.channels[c]!.receiver.queuedBarrier!(Math.max(this.handler.latestHandledId, this.handler.pendingCheckpointId ?? 0));
      if (barrier === undefined) continue;
      this.act(this.handler.onBarrierAnnounced(c, barrier.checkpointId, barrier.timestamp, this.now));
    }
  }

  private act(actions: BarrierAction[]): void {
    for (const action of actions) {
      if (action.kind === 'abort') {
        this.trace.push(`abort ${action.checkpointId} (${action.reason})`);
        this.captures.get(action.checkpointId)?.cancel();
        this.captures.delete(action.checkpointId);
        continue;
      }
      if (action.unaligned === undefined) {
        this.trace.push(`snapshot ${action.checkpointId}`);
        continue;
      }
      this.trace.push(`snapshot ${action.checkpointId} unaligned`);
      const capture = new ChannelStateCapture(action.checkpointId, () => 0);
      this.captures.set(action.checkpointId, capture);
      for (const c of action.unaligned.spill) capture.spill(c, (sink) => this.channels[c]!.receiver.spill!(action.checkpointId, sink));
      capture.seal();
      this.spilled.set(action.checkpointId, action.unaligned.spill);
    }
  }

  private readonly spilled = new Map<number, readonly number[]>();

  private showCompleted(): void {
    for (const [id, capture] of this.captures) {
      if (!capture.done) continue;
      this.captures.delete(id);
      // Through the codec, as a restore reads it: what was stored, not what was captured.
      const stored = readChannelState(decodeValue(encodeValue(capture.payload())), 'test');
      const shown = this.spilled.get(id)!.map((c) => `${c}=[${stored.find((s) => s.channel === c)?.batches.flatMap((b) => b.records).join(',') ?? ''}]`);
      this.trace.push(`state ${id}: ${shown.join(' ')}`);
    }
  }
}
