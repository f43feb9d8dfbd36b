import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WatermarkValve } from '../../../src/runtime/task/watermark-valve.js';
import { seededRandom } from '../../support/seeded-random.js';

/**
 * Scripted input for a valve, tokens separated by spaces:
 *   wT@c  watermark T arrives on channel c ('w-inf@c', 'winf@c' for ±Infinity)
 *   i@c   channel c goes idle
 *   a@c   channel c becomes active again
 *   e@c   channel c ends
 * The trace lists what the valve let out, in order: 'W' + a combined watermark, 'idle' and
 * 'active' for the task's own status.
 */
function play(valve: WatermarkValve, script: string): string[] {
  const trace: string[] = [];
  const out = (watermark: number | undefined) => {
    if (watermark !== undefined) trace.push(`W${watermark}`);
  };
  for (const token of script.trim().split(/\s+/)) {
    const match = /^(w(-?inf|-?\d+)|i|a|e)@(\d+)$/.exec(token);
    assert.ok(match, `bad token ${token}`);
    const channel = Number(match[3]);
    if (match[2] !== undefined) {
      const t = match[2] === 'inf' ? Infinity : match[2] === '-inf' ? -Infinity : Number(match[2]);
      out(valve.onWatermark(channel, t));
    } else if (match[1] === 'e') {
      const changed = valve.onEnded(channel);
      out(changed.watermark);
      if (changed.idle !== undefined) trace.push(changed.idle ? 'idle' : 'active');
    } else {
      const changed = valve.onStatus(channel, match[1] === 'i');
      // A task passes the watermark on before it announces its status (Task.processEvent does the same).
      out(changed.watermark);
      if (changed.idle !== undefined) trace.push(changed.idle ? 'idle' : 'active');
    }
  }
  return trace;
}

describe('WatermarkValve', () => {
  it('when the last active channel ends and the others are idle, the task goes idle with the highest watermark', () => {
    const valve = new WatermarkValve(3);
    assert.deepEqual(play(valve, 'w10@0 w20@1 w5@2 i@1 i@2'), ['W5', 'W10']);
    assert.deepEqual(play(valve, 'e@0'), ['W20', 'idle']);
    assert.equal(valve.isIdle, true);
    assert.deepEqual(play(valve, 'a@1 w30@1'), ['active', 'W30']);
  });

  it('lets out the minimum over the channels, and only when it advances', () => {
    const valve = new WatermarkValve(3);
    assert.equal(valve.watermark, -Infinity);
    assert.deepEqual(play(valve, 'w10@0 w5@1'), [], 'channel 2 has said nothing yet: it holds everything back');
    assert.deepEqual(play(valve, 'w7@2'), ['W5']);
    assert.deepEqual(play(valve, 'w12@1'), ['W7']);
    assert.deepEqual(play(valve, 'w8@0'), [], 'a channel going back is ignored');
    assert.deepEqual(play(valve, 'w9@2'), ['W9']);
    assert.deepEqual(play(valve, 'w11@2'), ['W10'], 'channel 0 is now the minimum');
    assert.deepEqual(play(valve, 'w11@0 w11@1'), ['W11']);
    assert.deepEqual(play(valve, 'w11@2'), [], 'the same watermark again is not news');
    assert.equal(valve.watermark, 11);
    assert.equal(valve.isIdle, false);
  });

  it('never goes back: a channel that regresses neither lowers nor re-emits the combined watermark', () => {
    const valve = new WatermarkValve(2);
    assert.deepEqual(play(valve, 'w100@0 w100@1 w50@0 w50@1 w99@0 w101@1 w101@0'), ['W100', 'W101']);
    assert.equal(valve.watermark, 101);
  });

  it('a single channel passes each higher watermark straight through', () => {
    const valve = new WatermarkValve(1);
    assert.deepEqual(play(valve, 'w-5@0 w-5@0 w0@0 w3@0 w2@0 winf@0'), ['W-5', 'W0', 'W3', 'WInfinity']);
  });

  it('an idle channel holds nothing back, and going idle frees the others\' minimum at once', () => {
    const valve = new WatermarkValve(3);
    assert.deepEqual(play(valve, 'w10@0 w20@1 w5@2'), ['W5']);
    assert.deepEqual(play(valve, 'i@2'), ['W10'], 'channel 2 no longer counts; the task itself is not idle');
    assert.equal(valve.isIdle, false);
    assert.deepEqual(play(valve, 'w30@0'), ['W20']);
    assert.deepEqual(play(valve, 'w8@2 w25@2'), [], 'an idle channel\'s watermarks do not count while it is idle');
    assert.deepEqual(play(valve, 'w40@1'), ['W30']);
    assert.deepEqual(play(valve, 'i@2'), [], 'idle twice is no change');
  });

  it('a channel that was idle before it said anything holds nothing back from the start', () => {
    const valve = new WatermarkValve(2);
    assert.deepEqual(play(valve, 'i@1 w10@0 w20@0'), ['W10', 'W20']);
  });

  it('a channel back from idle behind the combined watermark does not pull it back, and rejoins the minimum once caught up', () => {
    const valve = new WatermarkValve(2);
    assert.deepEqual(play(valve, 'w10@0 w10@1 i@1 w50@0'), ['W10', 'W50']);
    // Channel 1 comes back at 10: behind 50, so it must not hold channel 0 back.
    assert.deepEqual(play(valve, 'a@1'), []);
    assert.equal(valve.watermark, 50);
    assert.deepEqual(play(valve, 'w60@0'), ['W60'], 'channel 0 alone decides while channel 1 catches up');
    assert.deepEqual(play(valve, 'w40@1'), [], 'still behind');
    assert.deepEqual(play(valve, 'w65@1'), [], 'caught up (65 >= 60); the minimum is still 60');
    assert.deepEqual(play(valve, 'w70@0'), ['W65'], 'channel 1 counts again: it holds channel 0 back');
    assert.deepEqual(play(valve, 'w80@1'), ['W70']);
  });

  it('a channel back from idle at or ahead of the combined watermark counts at once', () => {
    const valve = new WatermarkValve(2);
    assert.deepEqual(play(valve, 'w10@0 w10@1 i@1 w50@0 w70@1 a@1'), ['W10', 'W50']);
    assert.deepEqual(play(valve, 'w90@0'), ['W70'], 'channel 1, at 70, holds channel 0 back');
  });

  it('all channels idle: the task goes idle and lets out the highest watermark any channel reached; a channel coming back makes it active', () => {
    const valve = new WatermarkValve(3);
    assert.deepEqual(play(valve, 'w10@0 w30@1 w20@2'), ['W10']);
    assert.deepEqual(play(valve, 'i@0'), ['W20']);
    assert.deepEqual(play(valve, 'i@2'), ['W30']);
    assert.deepEqual(play(valve, 'i@1'), ['idle'], 'the max (30) is already out');
    assert.equal(valve.isIdle, true);
    assert.deepEqual(play(valve, 'w35@2'), [], 'an idle channel\'s watermark does not count while idle');
    assert.deepEqual(play(valve, 'a@2'), ['active'], 'channel 2 (at 35, ahead of 30) is active again');
    assert.equal(valve.isIdle, false);
    assert.deepEqual(play(valve, 'w40@2'), ['W40']);
  });

  it('all channels idle, the max is let out even when it was never the minimum', () => {
    const valve = new WatermarkValve(2);
    assert.deepEqual(play(valve, 'w5@0 w50@1 i@0'), ['W5', 'W50']);
    const second = new WatermarkValve(2);
    assert.deepEqual(play(second, 'w5@0 w50@1 i@1'), ['W5']);
    assert.deepEqual(play(second, 'i@0'), ['W50', 'idle']);
    assert.equal(second.watermark, 50);
  });

  it('ended channels hold nothing back and count for nothing afterwards', () => {
    const valve = new WatermarkValve(3);
    assert.deepEqual(play(valve, 'w10@0 w20@1 w5@2'), ['W5']);
    assert.deepEqual(play(valve, 'e@2'), ['W10']);
    assert.deepEqual(play(valve, 'w1000@2 i@2 a@2 e@2'), [], 'an ended channel says nothing');
    assert.deepEqual(play(valve, 'w30@0'), ['W20']);
    assert.deepEqual(play(valve, 'e@1'), ['W30']);
    assert.deepEqual(play(valve, 'winf@0'), ['WInfinity']);
    assert.deepEqual(play(valve, 'e@0'), []);
    assert.equal(valve.watermark, Infinity);
  });

  it('an ended channel\'s high watermark is not the max let out when the rest go idle', () => {
    const valve = new WatermarkValve(3);
    assert.deepEqual(play(valve, 'w10@0 w10@1 w500@2 e@2'), ['W10']);
    assert.deepEqual(play(valve, 'w20@1 i@0 i@1'), ['W20', 'idle']);
    assert.equal(valve.watermark, 20);
  });

  it('the last open channel going idle makes the task idle even when others ended', () => {
    const valve = new WatermarkValve(2);
    assert.deepEqual(play(valve, 'w10@0 w10@1 e@0 i@1'), ['W10', 'idle']);
  });
});

// The reference: the rules in plain words, written apart from the valve's code.
//   A channel counts for the minimum when it is open, active, and not behind the combined
//   watermark since it last came back from idle (once its watermark reaches the combined
//   one it counts again). The combined watermark is the minimum over counting channels
//   when that is higher than before. When every open channel is idle, the combined
//   watermark rises to the highest watermark of any open channel.
class ReferenceValve {
  wm: number[];
  idle: boolean[];
  ended: boolean[];
  behind: boolean[];
  combined = -Infinity;
  taskIdle = false;
  constructor(n: number) {
    this.wm = Array(n).fill(-Infinity);
    this.idle = Array(n).fill(false);
    this.ended = Array(n).fill(false);
    this.behind = Array(n).fill(false);
  }
  private open(): number[] {
    return this.wm.map((_, c) => c).filter((c) => !this.ended[c]);
  }
  private settle(out: string[]): void {
    for (const c of this.open()) if (this.behind[c] && !this.idle[c] && this.wm[c]! >= this.combined) this.behind[c] = false;
    const counting = this.open().filter((c) => !this.idle[c] && !this.behind[c]);
    if (counting.length > 0) {
      const min = Math.min(...counting.map((c) => this.wm[c]!));
      if (min > this.combined) out.push(`W${(this.combined = min)}`);
    }
    const open = this.open();
    const allIdle = open.length > 0 && open.every((c) => this.idle[c]);
    if (allIdle) {
      const max = Math.max(...open.map((c) => this.wm[c]!));
      if (max > this.combined) out.push(`W${(this.combined = max)}`);
    }
  }
  apply(token: string): string[] {
    const out: string[] = [];
    const [what, at] = token.split('@') as [string, string];
    const c = Number(at);
    if (this.ended[c]) return out;
    if (what === 'e') {
      this.ended[c] = true;
      this.settle(out);
      // The open channels left may all be idle: then so is the task.
      const open = this.open();
      const allIdle = open.length > 0 && open.every((ch) => this.idle[ch]);
      if (allIdle !== this.taskIdle) out.push((this.taskIdle = allIdle) ? 'idle' : 'active');
    } else if (what === 'i' || what === 'a') {
      const idle = what === 'i';
      if (this.idle[c] === idle) return out;
      this.idle[c] = idle;
      // Coming back lets nothing out by itself (as in Flink, the next watermark does).
      if (idle) this.settle(out);
      else this.behind[c] = this.wm[c]! < this.combined;
      const open = this.open();
      const allIdle = open.length > 0 && open.every((ch) => this.idle[ch]);
      if (allIdle !== this.taskIdle) out.push((this.taskIdle = allIdle) ? 'idle' : 'active');
    } else {
      const t = what === 'winf' ? Infinity : Number(what.slice(1));
      if (t <= this.wm[c]!) return out;
      this.wm[c] = t;
      // An idle channel's watermark is kept for when it comes back, and counts for nothing meanwhile.
      if (!this.idle[c]) this.settle(out);
    }
    return out;
  }
}

describe('WatermarkValve against a reference model (seeded random scripts)', () => {
  for (let seed = 1; seed <= 200; seed++) {
    it(`seed ${seed}`, () => {
      const random = seededRandom(seed);
      const channels = 1 + Math.floor(random() * 4);
      const valve = new WatermarkValve(channels);
      const reference = new ReferenceValve(channels);
      const clocks = Array<number>(channels).fill(0);
      const tokens: string[] = [];
      let lastOut = -Infinity;
      for (let step = 0; step < 60; step++) {
        const c = Math.floor(random() * channels);
        const r = random();
        let token: string;
        if (r < 0.6) {
          // Mostly forward, sometimes back, some channels far ahead of others.
          clocks[c] = clocks[c]! + Math.floor(random() * 20) - 4;
          token = `w${clocks[c]}@${c}`;
        } else if (r < 0.78) token = `i@${c}`;
        else if (r < 0.96) token = `a@${c}`;
        // A channel ends as the runtime ends it: active again, at +Infinity, then the end.
        else token = `a@${c} winf@${c} e@${c}`;
        tokens.push(token);
        const got = play(valve, token);
        const want = token.split(' ').flatMap((t) => reference.apply(t));
        assert.deepEqual(got, want, `seed ${seed}, after: ${tokens.join(' ')}`);
        for (const item of got) {
          if (!item.startsWith('W')) continue;
          const w = Number(item.slice(1));
          assert.ok(w > lastOut, `seed ${seed}: ${w} after ${lastOut} went back (${tokens.join(' ')})`);
          lastOut = w;
        }
        assert.equal(valve.watermark, reference.combined, `seed ${seed}: ${tokens.join(' ')}`);
        assert.equal(valve.isIdle, reference.taskIdle, `seed ${seed}: ${tokens.join(' ')}`);
      }
    });
  }
});
