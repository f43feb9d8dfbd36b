// The job of the checkpoint-to-IndexedDB benchmark (bench/checkpoint-idb.bench.ts): keyed state of
// a known size, built through the public API only. A command-driven source → keyBy(k) → a keyed
// process function holding one string per key in ValueState → a print sink that prints nothing.
//
// The source (one split, so run it at parallelism 1) emits a 'hello' marker on key k0 as soon as its
// reader exists, then, on a fresh start, one pass over every key; later passes come from the page
// over a BroadcastChannel (PassCommand) and each ends with an 'end' marker. Between passes it idles,
// so the job runs until cancelled and checkpoints happen only when the page triggers them.
// The keyed function posts a Report on the report channel for the first record it processes after
// it started (or restored: then k0's value is there) and for each pass's end marker.
// Parameters come from the module URL's query (bench/idb/shared.ts), which every worker imports alike.
import { job, sinks, type KeyedProcessFunctionObject, type Source, type SourceReader, type SourceSplit, type ValueState } from 'weir';
import { commandChannel, keyName, keysOf, makeValue, reportChannel, stateParams, type PassCommand, type Rec, type Report, type StateParams } from './shared.js';

const params = stateParams(new URL(import.meta.url).searchParams);

/** The split: how many passes ran (a restored reader does not rerun them). */
interface PassSplit extends SourceSplit {
  readonly passes: number;
}

class CommandReader implements SourceReader<Rec> {
  private readonly queue: { pass: number; keys: number[] }[] = [];
  private current: { pass: number; keys: number[]; next: number } | undefined;
  private hello = true;
  private passes: number;
  private readonly channel: BroadcastChannel;

  constructor(private readonly p: StateParams, split: PassSplit | undefined, private readonly now: () => number) {
    this.passes = split?.passes ?? 0;
    this.channel = new BroadcastChannel(commandChannel(p.name));
    this.channel.onmessage = (event: MessageEvent) => {
      const c = event.data as PassCommand;
      if (c.cmd === 'pass') this.queue.push({ pass: c.pass, keys: keysOf(c.which, p.keys) });
    };
    if (this.passes === 0) this.queue.push({ pass: 0, keys: keysOf('all', p.keys) });
  }

  poll(max: number, emit: (value: Rec) => void): ReturnType<SourceReader<Rec>['poll']> {
    if (this.hello) {
      this.hello = false;
      emit({ k: keyName(0), m: 'hello', pass: -1 });
      return { kind: 'more' };
    }
    if (this.current === undefined) {
      const next = this.queue.shift();
      if (next === undefined) return { kind: 'wait', untilMs: this.now() + 2 };
      this.current = { ...next, next: 0 };
    }
    const c = this.current;
    const end = Math.min(c.keys.length, c.next + max);
    for (let j = c.next; j < end; j++) {
      const i = c.keys[j]!;
      emit({ k: keyName(i), v: makeValue(i, c.pass, this.p.valueChars), pass: c.pass });
    }
    c.next = end;
    if (c.next === c.keys.length) {
      emit({ k: '~end', m: 'end', pass: c.pass });
      this.passes++;
      this.current = undefined;
    }
    return { kind: 'more' };
  }

  snapshotSplits(): SourceSplit[] {
    return [{ passes: this.passes }];
  }
}

function commandSource(p: StateParams): Source<Rec> {
  return {
    kind: 'weir.source',
    name: 'bench-commands',
    bounded: false,
    createSplits: () => [{ passes: 0 }],
    createReader: (splits, ctx) => new CommandReader(p, splits[0] as PassSplit | undefined, () => ctx.now()),
  };
}

class Holder implements KeyedProcessFunctionObject<string, Rec, never> {
  private value!: ValueState<string>;
  private channel!: BroadcastChannel;
  private first = true;
  private updated = 0;

  open(ctx: Parameters<NonNullable<KeyedProcessFunctionObject<string, Rec, never>['open']>>[0]): void {
    this.value = ctx.getState<string>('v');
    this.channel = new BroadcastChannel(reportChannel(params.name));
  }

  processElement(r: Rec): void {
    if (this.first) {
      this.first = false;
      // k0 is the hello marker's key: after a restore its value is already there.
      const restored = r.m === 'hello' && this.value.value() !== undefined;
      this.post({ kind: 'first', at: Date.now(), restored });
    }
    if (r.m === undefined) {
      this.value.update(r.v!);
      this.updated++;
    } else if (r.m === 'end') {
      this.post({ kind: 'pass-done', pass: r.pass, at: Date.now(), updated: this.updated });
      this.updated = 0;
    }
  }

  private post(report: Report): void {
    this.channel.postMessage(report);
  }
}

export default job(params.name, (env) => {
  env
    .fromSource(commandSource(params), { uid: 'commands' })
    .keyBy((r) => r.k)
    .process(new Holder())
    .uid('holder')
    .sinkTo(sinks.print<never>({ log: () => undefined }), { uid: 'nothing' });
});
