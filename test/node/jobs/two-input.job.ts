// The two-input jobs of test/support/two-input-job-module.ts as a job module, for worker runs.
import { paramsOf, twoInputJob } from '../../support/two-input-job-module.js';

export default twoInputJob(paramsOf(new URL(import.meta.url)));
