import type { FilterFunction, FlatMapFunction, MapFunction } from '../../graph/user-functions.js';
import { WeirError } from '../../errors/index.js';
import { deadLetterOf } from './dead-letter.js';
import type { ElementTimestamp } from './element-timestamp.js';
import type { OutputPressure } from './output-pressure.js';
import type { Output, StreamOperator } from './stream-operator.js';
import { userFunctionFailed } from './user-function-error.js';

/** Operators without state: one small class each, sharing the no-op state methods. */
abstract class StatelessOperator implements StreamOperator {
  /**
   * @param deadLetters a side output's tag id: a record the user function throws on goes there
   *   (with the error) instead of failing the job.
   */
  constructor(readonly uid: string, protected readonly output: Output, protected readonly deadLetters: string | undefined) {}
  abstract collect(value: unknown): void;
  initialize(): void {}
  snapshotState() {
    return {};
  }
  processWatermark(timestamp: number): void {
    this.output.emitWatermark(timestamp);
  }
  protected failed(what: string, value: unknown, error: unknown): void {
    // A WeirError comes from an operator further down the chain (it wraps what its function threw): not this record's fault.
    if (this.deadLetters === undefined || error instanceof WeirError) throw userFunctionFailed(this.uid, what, error);
    this.output.collectSide(this.deadLetters, deadLetterOf(this.uid, value, error));
  }
}

export class MapOperator extends StatelessOperator {
  private out: unknown[] = [];

  constructor(uid: string, output: Output, private readonly fn: MapFunction<unknown, unknown>, deadLetters?: string) {
    super(uid, output, deadLetters);
  }

  /** One loop; the timestamps go on as they came (one output per input), except around a record that failed. */
  collectBatch(records: readonly unknown[], n: number, timestamps: readonly number[] | undefined): void {
    const out = this.out.length >= n ? this.out : (this.out = new Array(n));
    const fn = this.fn;
    let start = 0;
    let m = 0;
    for (let i = 0; i < n; i++) {
      let result: unknown;
      try {
        result = fn(records[i]);
      } catch (error) {
        if (m > 0) this.output.collectBatch(out, m, timestamps?.slice(start, start + m));
        this.failed('map', records[i], error);
        start = i + 1;
        m = 0;
        continue;
      }
      out[m++] = result;
    }
    if (m > 0) this.output.collectBatch(out, m, start === 0 || timestamps === undefined ? timestamps : timestamps.slice(start, start + m));
  }
  collect(value: unknown): void {
    let result: unknown;
    try {
      result = this.fn(value);
    } catch (error) {
      return this.failed('map', value, error);
    }
    this.output.collect(result);
  }
}

export class FilterOperator extends StatelessOperator {
  private out: unknown[] = [];
  private outTimestamps: number[] = [];

  constructor(uid: string, output: Output, private readonly fn: FilterFunction<unknown>, deadLetters?: string) {
    super(uid, output, deadLetters);
  }

  /** One loop, keeping the records (and their timestamps) that pass. */
  collectBatch(records: readonly unknown[], n: number, timestamps: readonly number[] | undefined): void {
    const out = this.out.length >= n ? this.out : (this.out = new Array(n));
    const outTs = timestamps === undefined ? undefined : this.outTimestamps.length >= n ? this.outTimestamps : (this.outTimestamps = new Array(n));
    const fn = this.fn;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const value = records[i];
      let keep: boolean;
      try {
        keep = fn(value);
      } catch (error) {
        if (m > 0) this.output.collectBatch(out, m, outTs);
        m = 0;
        this.failed('filter', value, error);
        continue;
      }
      if (keep) {
        out[m] = value;
        if (outTs !== undefined) outTs[m] = timestamps![i]!;
        m++;
      }
    }
    if (m > 0) this.output.collectBatch(out, m, outTs);
  }
  collect(value: unknown): void {
    let keep: boolean;
    try {
      keep = this.fn(value);
    } catch (error) {
      return this.failed('filter', value, error);
    }
    if (keep) this.output.collect(value);
  }
}

export class FlatMapOperator extends StatelessOperator {
  constructor(
    uid: string, output: Output, private readonly fn: FlatMapFunction<unknown, unknown>, deadLetters: string | undefined,
    private readonly pressure: OutputPressure,
    private readonly elementTimestamp: ElementTimestamp,
  ) {
    super(uid, output, deadLetters);
  }
  collect(value: unknown): void {
    // Records handed on while the outputs have no credit (a batch from the chain) wait, in order,
    // with their timestamps: the function runs once there is room for what it returns.
    if (this.pressure.blocked || this.pressure.suspended) return this.later(() => this.collect(value));
    try {
      const results = this.fn(value, this.output);
      if (results != null) this.drain(value, results[Symbol.iterator]());
    } catch (error) {
      this.failed('flatMap', value, error);
    }
  }
  /**
   * Must stop between two records when an output is out of credit: the rest of this input's
   * output waits in the iterator. An iterable is consumed inside the try: a generator that
   * throws halfway is the function failing, now or when the task resumes it.
   */
  private drain(value: unknown, results: Iterator<unknown>): void {
    while (!this.pressure.blocked) {
      const next = results.next();
      if (next.done === true) return;
      this.output.collect(next.value);
    }
    this.later(() => {
      try {
        this.drain(value, results);
      } catch (error) {
        this.failed('flatMap', value, error);
      }
    });
  }
  /** Suspends the task's input until `resume` ran, with the timestamp of the record being processed now. */
  private later(resume: () => void): void {
    const timestamp = this.elementTimestamp.value;
    this.pressure.suspend(() => {
      this.elementTimestamp.value = timestamp;
      resume();
    });
  }
}
