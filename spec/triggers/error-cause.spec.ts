import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCause } from '../../src/triggers/error-cause.ts';

test('an error: its type, message, stack and code', () => {
  const error = Object.assign(new RangeError('out of range'), { code: 'ERR_X' });
  const cause = errorCause(error, 'uncaughtException');
  assert.equal({ ...cause, stack: undefined }, { origin: 'uncaughtException', type: 'RangeError', message: 'out of range', code: 'ERR_X', stack: undefined });
  assert.match(String(cause.stack), /RangeError: out of range/);
});

test('a thrown value that is not an error: its type and text', () => {
  assert.equal(errorCause('plain text', 'o'), { origin: 'o', type: 'string', message: 'plain text' });
  assert.equal(errorCause(null, 'o'), { origin: 'o', type: 'null', message: 'null' });
  assert.equal(errorCause(42, 'o'), { origin: 'o', type: 'number', message: '42' });
  assert.equal(errorCause({ toString: () => 'custom' }, 'o'), { origin: 'o', type: 'object', message: 'custom' });
});

test('values that throw when read never make describing a crash throw', () => {
  const hostile = {
    toString: () => {
      throw new Error('no');
    },
  };
  assert.equal(errorCause(hostile, 'o'), { origin: 'o', type: 'object', message: '[object Object]' });
  const error = new Error('x');
  Object.defineProperty(error, 'message', {
    get: () => {
      throw new Error('no');
    },
  });
  assert.equal(errorCause(error, 'o'), { origin: 'o', type: 'unknown', message: '(the thrown value could not be read)' });
});

test('long stacks are cut', () => {
  const error = new Error('x');
  error.stack = 'y'.repeat(100_000);
  assert.is(String(errorCause(error, 'o').stack).length, 16 * 1024 + 1);
});

test.run();
