// The `workerd` export condition (Cloudflare Workers): one isolate, no Worker, so jobs run in-process.
export * from '../index.js';
