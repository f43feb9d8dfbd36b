export type { RuntimePlatform } from './runtime-platform.js';
export type { WorkerPlatform, SpawnedWorker } from './worker-platform.js';
export { defaultPlatform, resolveAgainst } from './default-platform.js';
export { browserPlatform, denoPlatform } from './browser-platform.js';
export { nodePlatform } from './node-platform.js';
export { workerdPlatform } from './workerd-platform.js';
export { createMacrotaskScheduler } from './macrotask.js';
export { resolveStorage } from './resolve-storage.js';
export type { StorageOption } from './resolve-storage.js';
