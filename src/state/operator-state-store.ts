import { describeValue, InvalidArgumentError } from '../errors/index.js';
import type { ListState } from './keyed-state.js';

/**
 * How a named operator list is dealt out when a checkpoint is restored (Flink's
 * OperatorStateHandle.Mode): 'split' — the entries of every subtask, in subtask order, dealt
 * round-robin over the new subtasks (each entry to exactly one); 'union' — every subtask gets
 * every entry.
 */
export type OperatorListDistribution = 'split' | 'union';

/** One named operator list as a snapshot holds it, or as a subtask's share of it is restored. */
export interface OperatorList {
  readonly name: string;
  readonly distribution: OperatorListDistribution;
  readonly entries: unknown[];
}

/**
 * Non-keyed operator state (Flink's OperatorStateStore): named lists of plain data per subtask,
 * for process functions, sources and sinks. A snapshot stores each list as its own chunk, its
 * name and distribution in the handle; a restore gives each subtask its share.
 */
export class OperatorStateStore {
  private readonly lists = new Map<string, { distribution: OperatorListDistribution; entries: unknown[] }>();
  private readonly handles = new Map<string, ListState<unknown>>();

  /** Takes this subtask's share of the restored lists; handles made before see them. Must run before user code reads state. */
  restore(lists: readonly OperatorList[]): void {
    for (const list of lists) this.lists.set(list.name, { distribution: list.distribution, entries: list.entries.slice() });
  }

  /**
   * The list `name` with its distribution. `accessor` names the public call for errors
   * (`getOperatorListState`). The same name must keep its distribution, restored or not.
   */
  listState<T>(accessor: string, name: unknown, distribution: OperatorListDistribution): ListState<T> {
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`${accessor}(name)`, `expected a non-empty string, got ${describeValue(name)}`);
    const held = this.lists.get(name);
    if (held !== undefined && held.distribution !== distribution) {
      throw new InvalidArgumentError(`${accessor}(name)`, `operator state '${name}' is ${held.distribution === 'union' ? 'union list state (getUnionListState)' : 'split list state (getOperatorListState)'}; it cannot also be used as ${distribution} list state`);
    }
    if (held === undefined) this.lists.set(name, { distribution, entries: [] });
    let handle = this.handles.get(name);
    if (handle === undefined) this.handles.set(name, (handle = this.handleOf(name)));
    return handle as ListState<T>;
  }

  private handleOf(name: string): ListState<unknown> {
    const entries = () => this.lists.get(name)!.entries;
    return {
      get: () => entries().slice(),
      add: (value) => void entries().push(value),
      addAll: (values) => void entries().push(...values),
      update: (values) => {
        this.lists.get(name)!.entries = [...values];
      },
      clear: () => {
        this.lists.get(name)!.entries = [];
      },
    };
  }

  /** Every non-empty list, for a snapshot: encoded at once by the caller (the arrays are live). */
  snapshot(): OperatorList[] {
    const out: OperatorList[] = [];
    for (const [name, { distribution, entries }] of this.lists) if (entries.length > 0) out.push({ name, distribution, entries });
    return out;
  }
}

/** What a store's lists offer user code: Flink's getListState and getUnionListState of the operator state store. */
export interface OperatorStateAccess {
  /** A list of this subtask's entries; on a restore at another parallelism the entries of all subtasks are dealt round-robin. */
  getOperatorListState<T>(name: string): ListState<T>;
  /** A list whose restore gives every subtask the entries of all subtasks (Flink's union list state). */
  getUnionListState<T>(name: string): ListState<T>;
}

export function operatorStateAccess(store: OperatorStateStore): OperatorStateAccess {
  return {
    getOperatorListState: <T>(name: string) => store.listState<T>('getOperatorListState', name, 'split'),
    getUnionListState: <T>(name: string) => store.listState<T>('getUnionListState', name, 'union'),
  };
}
