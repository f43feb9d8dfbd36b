import { requireFunction, requireOptions, requireString } from '../../errors/index.js';
import type { Sink } from '../sink.js';

export interface PrintSinkOptions {
  /** Printed before each record, e.g. 'counts> '. */
  prefix?: string;
  /** Where lines go; the console by default. */
  log?: (line: string) => void;
}

/** At-least-once: prints each record as it arrives, so a restart may print some again. */
export function print<T>(options?: PrintSinkOptions): Sink<T> {
  const o = requireOptions<PrintSinkOptions>('sinks.print(options)', options, ['prefix', 'log']);
  const prefix = o.prefix === undefined ? '' : requireString('sinks.print(options).prefix', o.prefix, { allowEmpty: true });
  const log = o.log === undefined ? (line: string) => console.log(line) : requireFunction<(line: string) => void>('sinks.print(options).log', o.log);
  return {
    kind: 'weir.sink',
    name: 'print',
    guarantee: 'at-least-once',
    createWriter: (ctx) => {
      const tag = ctx.parallelism > 1 ? `${ctx.subtaskIndex + 1}> ` : '';
      return {
        write: (value) => log(`${prefix}${tag}${typeof value === 'string' ? value : safeStringify(value)}`),
        prepareCommit: () => undefined,
      };
    },
  };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
