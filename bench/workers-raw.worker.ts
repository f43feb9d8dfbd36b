// One of the two bare worker_threads of the raw MessageChannel ceiling (bench/workers.bench.ts):
// no runtime, only a port. workerData: { role: 'producer' | 'consumer', port, config }.
// Posts 'ready' to its parent once set up; the producer starts on 'go'; the consumer posts
// { done: RawResult } once every record arrived.
import { parentPort, workerData } from 'node:worker_threads';
import { weirCodecFor } from './workers-codec.js';
import { packedCodec, rawConsumer, rawProducer, type RawConfig, type RawPort } from './workers-shared.js';

const { role, port, config } = workerData as { role: 'producer' | 'consumer'; port: RawPort; config: RawConfig };
const codec = config.mode === 'clone' ? undefined : config.mode === 'packed' ? packedCodec : weirCodecFor(config.mode);
const parent = parentPort!;

if (role === 'producer') {
  const producer = rawProducer(port, config, codec);
  parent.on('message', (message) => {
    if (message === 'go') producer.go();
  });
} else {
  rawConsumer(port, config, codec, (result) => {
    parent.postMessage({ done: result });
    port.close();
  });
}
parent.postMessage('ready');
