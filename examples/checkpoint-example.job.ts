// The example this project started from, as a Weir job module: strings → parse to integers →
// keyBy → 5-second tumbling event-time window → sum → sink, with checkpointing on.
//
//   lines "<time> <n>" ─ parse ─┬─ keyBy(n % 4) ─ 5 s tumbling window ─ sum ─ sinks.table('window-sums')
//                               └─ dead letters (lines that do not parse) ─── sinks.table('dead-letters')
//
// Lines that do not parse go to a dead-letter side output with their error: never dropped
// silently, never a NaN in a sum. Parameters come from the module URL's query (`lines`, `name`),
// so the runner and every worker build the same graph.
import { job, OutputTag, sinks, sources, WatermarkStrategy, windows, type DeadLetter, type Source, type StreamEnvironment } from 'weir';
import { exampleLines, KEYS, OUT_OF_ORDERNESS_MS, WINDOW_MS, type Reading, type WindowSum } from './checkpoint-example.lines.js';

const params = new URL(import.meta.url).searchParams;
const lines = Number(params.get('lines') ?? 20_000);

const badLines = new OutputTag<DeadLetter<string>>('bad-lines');

function parse(line: string): Reading {
  const [time, text] = line.split(' ');
  if (text === undefined || !/^-?\d+$/.test(text)) throw new SyntaxError(`not an integer: ${JSON.stringify(text)}`);
  const value = Number.parseInt(text, 10);
  return { key: value % KEYS, value, time: Number(time) };
}

export default job(params.get('name') ?? 'checkpoint-example', (env) => {
  env.enableCheckpointing(500);
  buildCheckpointExample(env, sources.fromElements(exampleLines({ lines })));
});

/** The example's graph over any source of lines (tests wrap the same lines in a source of their own). */
export function buildCheckpointExample(env: StreamEnvironment, source: Source<string>): void {
  const input = env.fromSource(source, {
    uid: 'lines',
    name: 'lines',
    watermarks: WatermarkStrategy.forBoundedOutOfOrderness<string>(OUT_OF_ORDERNESS_MS).withTimestampAssigner((line) => Number(line.slice(0, line.indexOf(' ')))),
  });
  const readings = input.map(parse, { deadLetters: badLines }).uid('parse').name('parse');
  readings
    .keyBy((r) => r.key)
    .window(windows.tumbling({ sizeMs: WINDOW_MS }))
    .sum('value')
    .uid('window-sum')
    .name('5 s window sum')
    // sum keeps the window's first record, its value replaced by the sum: its time names the window.
    .map((r): WindowSum => ({ key: r.key, windowStart: Math.floor(r.time / WINDOW_MS) * WINDOW_MS, sum: r.value }))
    .uid('to-row')
    .sinkTo(sinks.table<WindowSum>('window-sums'), { uid: 'window-sums', name: 'window sums' });
  readings.getSideOutput(badLines).sinkTo(sinks.table<DeadLetter<string>>('dead-letters'), { uid: 'dead-letters', name: 'dead letters' });
}
