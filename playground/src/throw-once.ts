// The page's side of "Throw once": arms failPoint() in every worker (hooks.ts) and reports which
// user function threw where.
import { THROW_ONCE_CHANNEL, type ThrowOnceMessage } from './throw-once-protocol.js';

export function throwOnce(onThrown: (m: { id: string; where: string; worker: string }) => void): { arm: (worker: number) => string } {
  const channel = new BroadcastChannel(THROW_ONCE_CHANNEL);
  let n = 0;
  channel.addEventListener('message', (e: MessageEvent<ThrowOnceMessage>) => {
    if (e.data?.kind === 'thrown') onThrown({ id: e.data.id, where: e.data.where, worker: e.data.worker });
  });
  return {
    arm: (worker: number) => {
      const id = `throw-${Date.now().toString(36)}-${++n}`;
      channel.postMessage({ kind: 'arm', id, worker } satisfies ThrowOnceMessage);
      return id;
    },
  };
}
