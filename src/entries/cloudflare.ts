// `weir/cloudflare`: a job that lives in Durable Objects (workerd only: it imports 'cloudflare:workers').
import { DurableObject } from 'cloudflare:workers';
import { createReadTable, createRun } from '../api/index.js';
import { createJobObject } from '../api/job-object/job-object.js';
import { workerdPlatform } from '../platform/index.js';
import { durableObjectStorageFor } from '../state/backends/durable-object-storage.js';

const platform = workerdPlatform(durableObjectStorageFor);

export const jobObject = createJobObject({ runtime: { platform, run: createRun(platform), readTable: createReadTable(platform) }, DurableObject });
export { hasBearerToken } from '../api/job-object/bearer-token.js';
export type { JobObjectClass, JobObjectInstance } from '../api/job-object/job-object.js';
export type { JobObjectOptions } from '../api/job-object/job-object-options.js';
export type { JobObjectStatus, DurableObjectStateLike } from '../api/job-object/job-object-host.js';
