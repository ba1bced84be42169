import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attributeValueText, attributesText, isoText, secondText, valueText } from '../src/values.ts';
import { isoNanos, jsonValue } from '../src/format-json.ts';
import { severityLabel, severityRange } from '../src/severity.ts';

test('values print compactly on one line', () => {
  assert.is(valueText('two\r\nlines'), 'two\\r\\nlines');
  assert.is(valueText(null), 'null');
  assert.is(valueText(undefined), 'null');
  assert.is(valueText(12345678901234567890n), '12345678901234567890');
  assert.is(valueText(new Uint8Array([0, 255, 16])), '0x00ff10');
  assert.is(valueText({ a: [1, 'b', true, null], 'c d': { e: 1.5 } }), '{"a":[1,"b",true,null],"c d":{"e":1.5}}');
  assert.is(attributeValueText(''), '""');
  assert.is(attributeValueText('a=b'), '"a=b"');
  assert.is(attributeValueText('say "hi"'), '"say \\"hi\\""');
  assert.is(attributeValueText('plain'), 'plain');
  assert.is(attributesText({ a: 1, b: 'x y', c: [1] }), 'a=1 b="x y" c=[1]');
  assert.is(attributesText({}), '');
});

test('an attribute string is bare exactly when it has no white space, quote or =', () => {
  // Every UTF-16 code unit, inside and alone: the bare form is the one the rule allows, nothing more.
  const plain = /^[^\s"=]+$/;
  for (let code = 0; code <= 0xffff; code++) {
    for (const text of [String.fromCharCode(code), `a${String.fromCharCode(code)}b`]) {
      const expected = plain.test(text) ? text : JSON.stringify(text);
      if (attributeValueText(text) !== expected) assert.unreachable(`U+${code.toString(16)} in ${JSON.stringify(text)}`);
    }
  }
  assert.is(attributeValueText('\u00e9t\u00e9\u00a0x'), JSON.stringify('\u00e9t\u00e9\u00a0x'));
  assert.is(attributeValueText('caf\u00e9'), 'caf\u00e9');
});

test('JSON values stay lossless', () => {
  assert.equal(jsonValue({ big: 2n ** 64n, bytes: new Uint8Array([1, 2, 3]), nan: Number.NaN, inf: -Infinity, list: [null, 'x', false] }), {
    big: '18446744073709551616',
    bytes: 'AQID',
    nan: 'NaN',
    inf: '-Infinity',
    list: [null, 'x', false],
  });
  assert.is(isoNanos(1_773_500_966_000_000_001n), '2026-03-14T15:09:26.000000001Z');
  assert.is(isoNanos(1_773_500_967_123_456_789n), '2026-03-14T15:09:27.123456789Z');
  assert.is(isoNanos(1_773_500_967_000_000_000n), '2026-03-14T15:09:27.000000000Z');
  assert.is(isoNanos(999_999_999n), '1970-01-01T00:00:00.999999999Z');
  assert.is(isoNanos(-1n), '1969-12-31T23:59:59.999999999Z');
  // Beyond what Date holds (a damaged or hand-made file): shown as such, where toISOString() throws.
  assert.is(isoNanos(10n ** 30n + 5n), 'invalid-time.000000005Z');
  assert.is(isoText(new Date(Number.NaN)), 'invalid-time');
  assert.is(secondText(10n ** 20n, false), 'invalid-time');
  assert.is(secondText(0n, true), '1970-01-01T00:00:00');
});

test('severity labels follow the OpenTelemetry ranges', () => {
  assert.is(severityLabel(1, undefined), 'TRACE');
  assert.is(severityLabel(12, 'x'), 'INFO4');
  assert.is(severityLabel(24, undefined), 'FATAL4');
  assert.is(severityLabel(0, 'notice'), 'notice');
  assert.is(severityLabel(0, undefined), '-');
  assert.is(severityLabel(99, undefined), '-');
  assert.is(severityRange(0), undefined);
  assert.is(severityRange(17), 'ERROR');
});

test.run();
