// The page's side of "Throw once": arms failPoint() in every worker (hooks.ts) and reports which
// user function threw where.
import { THROW_ONCE_CHANNEL, type ThrowOnceMessage } from './throw-once-protocol.js';

export function throwOnce(onThrown: (m: { id: string; where: string; worker: string }) => void): { arm: () => string } {
  const channel = new BroadcastChannel(THROW_ONCE_CHANNEL);
  let n = 0;
  channel.addEventListener('message', (e: MessageEvent<ThrowOnceMessage>) => {
    if (e.data?.kind === 'thrown') onThrown(e.data);
  });
  return {
    arm: () => {
      const id = `throw-${Date.now().toString(36)}-${++n}`;
      channel.postMessage({ kind: 'arm', id } satisfies ThrowOnceMessage);
      return id;
    },
  };
}
