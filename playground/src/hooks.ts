// The 'playground' module a job module may import beside 'weir' (served as playground.js). It runs
// in the job's workers, inside user functions.
//
// failPoint(where): throws once when the page's "Throw once" button armed it. The page posts on a
// BroadcastChannel, which every worker of the page's origin hears, naming one worker slot (the page
// names its workers "attempt a, worker i"); that worker throws at its next call, then never again. The job restarts into fresh workers, whose module instances
// were never armed: so the failure happens once, as a real bug hit by one record would, and the
// restart shows the recovery. Nothing needs to survive into the next attempt.
import { THROW_ONCE_CHANNEL, type ThrowOnceMessage } from './throw-once-protocol.js';

let armed: string | undefined;
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(THROW_ONCE_CHANNEL) : undefined;
channel?.addEventListener('message', (e: MessageEvent<ThrowOnceMessage>) => {
  if (e.data?.kind !== 'arm') return;
  const slot = /worker (\d+)$/.exec(workerName())?.[1];
  // A worker the page did not name (another app's createWorker) takes any arming.
  if (slot === undefined || Number(slot) === e.data.worker) armed = e.data.id;
});

function workerName(): string {
  return typeof self !== 'undefined' && 'name' in self ? String((self as { name?: string }).name ?? '') : '';
}

export function failPoint(where = 'a user function'): void {
  if (armed === undefined) return;
  const id = armed;
  armed = undefined;
  channel?.postMessage({ kind: 'thrown', id, where, worker: workerName() } satisfies ThrowOnceMessage);
  throw new Error(`${where} threw on purpose ("Throw once", ${id})`);
}
