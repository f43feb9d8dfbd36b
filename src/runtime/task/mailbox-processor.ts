import type { Clock } from '../clock.js';

/** One piece of control work run by the task's thread between batches of records. */
export type Mail = () => void;

/**
 * The task's mailbox, as Flink's MailboxProcessor: checkpoint triggers, completions, aborts and
 * timers become mails, run one per step between batches of input, never inside one, so a
 * snapshot never races with a user function. The scheduler runs the loop (task-scheduler.ts);
 * `wake` asks it for a step.
 * Must reject, on close, every request whose mail has not run: the control plane awaits them.
 */
export class MailboxProcessor {
  private readonly mails: Mail[] = [];
  /** Rejects the promises of requests still in the mailbox when the task stops. */
  private readonly unanswered = new Set<(error: unknown) => void>();

  constructor(
    private readonly clock: Clock,
    private readonly wake: () => void,
  ) {}

  put(mail: Mail): void {
    this.mails.push(mail);
    this.wake();
  }

  /** A mail whose outcome the caller awaits; `run` settles the promise (it may do so later). */
  request(run: (resolve: () => void, reject: (error: unknown) => void) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.unanswered.add(reject);
      this.put(() => {
        this.unanswered.delete(reject);
        run(resolve, reject);
      });
    });
  }

  /** Runs the oldest mail; false when there was none. */
  runOne(): boolean {
    const mail = this.mails.shift();
    if (mail === undefined) return false;
    mail();
    return true;
  }

  /** Runs `callback` as a mail at the clock's `timestamp`, unless cancelled first. */
  scheduleAt(timestamp: number, callback: Mail): { cancel(): void } {
    const { clock } = this;
    const handle = clock.setTimeout(() => this.put(callback), timestamp - clock.now());
    return { cancel: () => clock.clearTimeout(handle) };
  }

  /** Drops every mail and rejects the requests among them with `error`. */
  close(error: () => unknown): void {
    this.mails.length = 0;
    for (const reject of this.unanswered) reject(error());
    this.unanswered.clear();
  }
}
