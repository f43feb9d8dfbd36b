// A program, not a job module: appends the numbers from..to-1 to a { dir } log in appends of
// `per`, printing each acknowledged append's first number and offsets, so a test can run several
// at once and SIGKILL them mid-stream.
import { openLog } from 'weir';

const [dir, name, from, to, per] = process.argv.slice(2) as [string, string, string, string, string];
const log = await openLog<number>(name, { storage: { dir } });
for (let n = Number(from); n < Number(to); n += Number(per)) {
  const records = Array.from({ length: Math.min(Number(per), Number(to) - n) }, (_, i) => n + i);
  const offsets = await log.append(records);
  process.stdout.write(`${JSON.stringify({ first: n, count: records.length, partition: offsets.partition, offsets: [...offsets] })}\n`);
}
process.stdout.write('done\n');
