/**
 * Whether a task's outputs can take more records now. Its record writers set `blocked` when a
 * batch they sent left a channel without credit; an operator that emits many records for one
 * input (a flatMap returning an iterable) stops between two of them and leaves a continuation,
 * so the task can yield to its mailbox in the middle of one input record's output and go on
 * where it stopped once credit is back. Shared by the operators and writers of one task, as
 * ElementTimestamp is.
 *
 * Output emitted through a Collector in one synchronous call (out.collect in a loop, a window
 * firing) cannot stop in the middle: JavaScript cannot suspend that call. It goes out as an
 * overdraft, and the task takes no further input until the channels have credit again.
 */
export class OutputPressure {
  blocked = false;
  /** Innermost first: the operator nearest the writers stopped first. */
  private readonly continuations: (() => void)[] = [];

  /** An operator stopped inside one record's output; `resume` goes on from there. */
  suspend(resume: () => void): void {
    this.continuations.push(resume);
  }

  get suspended(): boolean {
    return this.continuations.length > 0;
  }

  /**
   * Runs the continuations, innermost first (an outer operator goes on only once the inner one
   * finished its part), until one stops again. True when every one finished.
   */
  resume(): boolean {
    while (this.continuations.length > 0) {
      if (this.blocked) return false;
      const outer = this.continuations.splice(0);
      outer.shift()!(); // may suspend again: it then comes before the outer ones
      this.continuations.push(...outer);
    }
    return true;
  }
}
