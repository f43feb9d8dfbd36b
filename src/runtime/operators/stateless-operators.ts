import type { FilterFunction, FlatMapFunction, MapFunction } from '../../graph/user-functions.js';
import { WeirError } from '../../errors/index.js';
import { deadLetterOf } from './dead-letter.js';
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
  constructor(uid: string, output: Output, private readonly fn: MapFunction<unknown, unknown>, deadLetters?: string) {
    super(uid, output, deadLetters);
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
  constructor(uid: string, output: Output, private readonly fn: FilterFunction<unknown>, deadLetters?: string) {
    super(uid, output, deadLetters);
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
  ) {
    super(uid, output, deadLetters);
  }
  collect(value: unknown): void {
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
    this.pressure.suspend(() => {
      try {
        this.drain(value, results);
      } catch (error) {
        this.failed('flatMap', value, error);
      }
    });
  }
}
