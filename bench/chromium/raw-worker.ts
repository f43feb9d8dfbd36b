// One of the two bare module Web Workers of the raw MessageChannel ceiling in Chromium
// (bench/chromium/app.ts): no runtime, only a port. The first message is
// { role: 'producer' | 'consumer', port, config }; it answers 'ready'; the producer starts on
// 'go'; the consumer posts { done: RawResult } once every record arrived.
import { weirCodecFor } from '../workers-codec.js';
import { packedCodec, rawConsumer, rawProducer, type RawConfig, type RawPort } from '../workers-shared.js';

const scope = self as unknown as { onmessage: ((event: MessageEvent) => void) | null; postMessage(message: unknown): void };

scope.onmessage = (first: MessageEvent) => {
  const { role, port, config } = first.data as { role: 'producer' | 'consumer'; port: MessagePort; config: RawConfig };
  const codec = config.mode === 'clone' ? undefined : config.mode === 'packed' ? packedCodec : weirCodecFor(config.mode);
  const raw = port as unknown as RawPort;
  if (role === 'producer') {
    const producer = rawProducer(raw, config, codec);
    scope.onmessage = (event) => {
      if (event.data === 'go') producer.go();
    };
  } else {
    scope.onmessage = null;
    rawConsumer(raw, config, codec, (result) => {
      scope.postMessage({ done: result });
      port.close();
    });
  }
  scope.postMessage('ready');
};
