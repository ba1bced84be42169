import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sanitizeNamePart, snapshotFileName } from '../../src/snapshot/file-name.ts';

test('names follow ttlog-{service}-{pid}-{UTC ms}-{seq}-{reason}.bin', () => {
  const name = snapshotFileName('checkout', 42, new Date(Date.UTC(2026, 10, 25, 15, 6, 47, 123)), 7, 'flush');
  assert.is(name, 'ttlog-checkout-42-20261125T150647123Z-7-flush.bin');
});

test('service and reason cannot carry path separators, dots in front, or odd characters', () => {
  assert.is(sanitizeNamePart('../../etc/passwd'), 'etc_passwd');
  assert.is(sanitizeNamePart('a/b\\c d'), 'a_b_c_d');
  assert.is(sanitizeNamePart('.hidden'), 'hidden');
  assert.is(sanitizeNamePart(''), 'unknown');
  assert.is(sanitizeNamePart('...'), 'unknown');
  assert.is(sanitizeNamePart('x'.repeat(200)).length, 64);
  assert.is(sanitizeNamePart('ümlaut-svc'), 'mlaut_svc');
  const name = snapshotFileName('../evil', 1, new Date(0), 0, '../../x');
  assert.not.ok(name.includes('/'));
  assert.not.ok(name.includes('..'));
});

test.run();
