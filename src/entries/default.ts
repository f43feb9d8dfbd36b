// The `default` export condition: any other runtime; jobs run in-process.
export * from '../index.js';
