/** A lifecycle's transition table: for each state, the states it may move to (none: terminal). */
export type Transitions<S extends string> = Record<S, readonly S[]>;
