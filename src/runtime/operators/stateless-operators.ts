import type { FilterFunction, FlatMapFunction, MapFunction } from '../../graph/user-functions.js';
import type { Output, StreamOperator } from './stream-operator.js';
import { userFunctionFailed } from './user-function-error.js';

/** Operators without state: one small class each, sharing the no-op state methods. */
abstract class StatelessOperator implements StreamOperator {
  constructor(readonly uid: string, protected readonly output: Output) {}
  abstract collect(value: unknown): void;
  initialize(): void {}
  snapshotState() {
    return {};
  }
}

export class MapOperator extends StatelessOperator {
  constructor(uid: string, output: Output, private readonly fn: MapFunction<unknown, unknown>) {
    super(uid, output);
  }
  collect(value: unknown): void {
    let result: unknown;
    try {
      result = this.fn(value);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'map', error);
    }
    this.output.collect(result);
  }
}

export class FilterOperator extends StatelessOperator {
  constructor(uid: string, output: Output, private readonly fn: FilterFunction<unknown>) {
    super(uid, output);
  }
  collect(value: unknown): void {
    let keep: boolean;
    try {
      keep = this.fn(value);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'filter', error);
    }
    if (keep) this.output.collect(value);
  }
}

export class FlatMapOperator extends StatelessOperator {
  constructor(uid: string, output: Output, private readonly fn: FlatMapFunction<unknown, unknown>) {
    super(uid, output);
  }
  collect(value: unknown): void {
    let results: Iterable<unknown> | void;
    try {
      results = this.fn(value, this.output);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'flatMap', error);
    }
    if (results != null) for (const r of results) this.output.collect(r);
  }
}
