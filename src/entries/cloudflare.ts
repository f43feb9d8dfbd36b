// `weir/cloudflare`: a job that lives in a Durable Object (workerd only: it imports 'cloudflare:workers').
import { DurableObject } from 'cloudflare:workers';
import { createJobObject } from '../api/job-object/job-object.js';
import { readTable, run } from './workerd.js';

export const jobObject = createJobObject({ runtime: { run, readTable }, DurableObject });
export { hasBearerToken } from '../api/job-object/bearer-token.js';
export type { JobObjectClass, JobObjectInstance } from '../api/job-object/job-object.js';
export type { JobObjectOptions } from '../api/job-object/job-object-options.js';
export type { JobObjectStatus, DurableObjectStateLike } from '../api/job-object/job-object-host.js';
