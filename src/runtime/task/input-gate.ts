import type { ChannelReceiver } from '../../channel/index.js';
import type { CheckpointBarrierHandler } from './checkpoint-barrier-handler.js';

/**
 * The input channels of a task, read round-robin, skipping channels the barrier handler
 * blocks and channels that ended.
 */
export class InputGate {
  private readonly ended: boolean[];
  private endedCount = 0;
  private cursor = 0;

  constructor(readonly channels: readonly ChannelReceiver[], private readonly handler: CheckpointBarrierHandler) {
    this.ended = channels.map(() => false);
  }

  /** The next channel with a message that may be read now, or -1. */
  nextReadable(): number {
    const n = this.channels.length;
    for (let i = 0; i < n; i++) {
      const c = (this.cursor + i) % n;
      if (!this.ended[c] && this.channels[c]!.hasMessage && !this.handler.isBlocked(c)) {
        this.cursor = c + 1 === n ? 0 : c + 1;
        return c;
      }
    }
    return -1;
  }

  markEnded(channel: number): void {
    if (!this.ended[channel]) {
      this.ended[channel] = true;
      this.endedCount++;
    }
  }

  get allEnded(): boolean {
    return this.endedCount === this.channels.length;
  }
}
