/**
The one value codec of every snapshot and every backend: a snapshot written in a browser
restores in Node. Self-describing: each value starts with a tag byte; numbers are
little-endian. Values: undefined, null, booleans, numbers (-0, NaN and ±Infinity kept),
bigint, strings, dense arrays, plain objects (own enumerable string keys; a null
prototype is not kept), Map, Set, Date, Uint8Array (a Node Buffer decodes as a plain
Uint8Array) and ArrayBuffer. Identity is not kept: an object referenced twice is written
twice, a cycle is refused. Strings keep lone surrogates (written as raw UTF-16 then), so
every string round-trips exactly, as with structuredClone.

*/
export { appendWith, encodeValue, encodeWith, type AppendTarget, type ValueWriter } from './value-encoder.js';
export { decodeValue } from './value-decoder.js';
export { MAX_VALUE_DEPTH } from './value-tags.js';
