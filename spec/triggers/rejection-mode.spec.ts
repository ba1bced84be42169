import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mayListenForRejections, unhandledRejectionsMode } from '../../src/triggers/rejection-mode.ts';

test('the default is throw', () => {
  assert.is(unhandledRejectionsMode([], undefined), 'throw');
  assert.is(unhandledRejectionsMode(['--import', 'tsx'], '--max-old-space-size=100'), 'throw');
});

test('read from the command line in both spellings, the last one winning', () => {
  assert.is(unhandledRejectionsMode(['--unhandled-rejections=warn'], undefined), 'warn');
  assert.is(unhandledRejectionsMode(['--unhandled-rejections', 'none'], undefined), 'none');
  assert.is(unhandledRejectionsMode(['--unhandled-rejections=warn', '--unhandled-rejections=strict'], undefined), 'strict');
});

test('read from NODE_OPTIONS; the command line wins over it', () => {
  assert.is(unhandledRejectionsMode([], '--inspect=0  --unhandled-rejections=warn-with-error-code'), 'warn-with-error-code');
  assert.is(unhandledRejectionsMode(['--unhandled-rejections=none'], '--unhandled-rejections=warn'), 'none');
});

test('an unknown mode (Node would refuse to start) or a dangling flag counts as the default', () => {
  assert.is(unhandledRejectionsMode(['--unhandled-rejections=sometimes'], undefined), 'throw');
  assert.is(unhandledRejectionsMode(['--unhandled-rejections'], undefined), 'throw');
});

test('only warn and none may be listened to without changing what the process does', () => {
  assert.equal((['throw', 'strict', 'warn', 'none', 'warn-with-error-code'] as const).filter(mayListenForRejections), ['warn', 'none']);
});

test.run();
