import { encodeValue, decodeValue } from '/work/wt/perf/src/state/value-codec.ts';
const N = 88000;
const m = new Map<string, string>();
for (let i = 0; i < N; i++) m.set(`k${i}`, 'x'.repeat(95) + String(i % 100000).padStart(6, '0'));
const payload = { keyGroupRange: { start: 0, end: 127 }, kinds: { v: 'value' }, groups: [[0, { v: m }]] };
const bytes = encodeValue(payload);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
for (let r = 0; r < 5; r++) { const a = cpu(); const d = decodeValue(bytes) as any; const b = cpu(); console.log('decode', (b - a).toFixed(0), 'ms', ((b - a) * 1e6 / N).toFixed(0), 'ns/entry', bytes.length, d.groups.length); }
