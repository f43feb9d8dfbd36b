import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/errors/index.js';

describe('InvalidArgumentError', () => {
  it('carries the INVALID_ARGUMENT code and names the argument', () => {
    const error = new InvalidArgumentError('parallelism', 'must be a positive integer');
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.equal(error.argument, 'parallelism');
    assert.match(error.message, /parallelism/);
  });
});
