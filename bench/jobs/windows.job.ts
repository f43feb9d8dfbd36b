// The windowed-sum job as a job module, for runs in workers (bench/windows.bench.ts):
// sequence → events with event time → keyBy(key) → tumbling or sliding window → sum('value') → tally.
// Parameters come from the module URL's query, which every worker imports alike: name, records,
// kind (see bench/windows-shared.ts).
import { buildWindowJob, windowJobParams } from '../windows-shared.js';

export default buildWindowJob(windowJobParams(new URL(import.meta.url).searchParams));
