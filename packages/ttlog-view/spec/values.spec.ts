import type { AnyValue } from 'ttlog';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isoNanos, jsonAttributes, jsonValue } from '../src/format-json.ts';
import { severityLabel, severityRange } from '../src/severity.ts';
import { attributesText, attributeValueText, isoText, secondText, terminalLines, terminalSafeJson, terminalText, valueText } from '../src/values.ts';
import { RAW_CONTROL } from './support/hostile.ts';

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

test('an attribute string is bare exactly when it has no white space, quote, = or terminal-active character', () => {
  // Every UTF-16 code unit, inside and alone: the bare form is the one the rule allows, nothing more,
  // and the quoted form is JSON that parses back to the string, with no terminal-active character in it.
  const plain = /^[^\s"=]+$/;
  for (let code = 0; code <= 0xffff; code++) {
    for (const text of [String.fromCharCode(code), `a${String.fromCharCode(code)}b`]) {
      const shown = attributeValueText(text);
      const bare = plain.test(text) && !RAW_CONTROL.test(text);
      if (bare ? shown !== text : JSON.parse(shown) !== text || RAW_CONTROL.test(shown) || !shown.startsWith('"')) {
        assert.unreachable(`U+${code.toString(16)} in ${JSON.stringify(text)}: ${shown}`);
      }
    }
  }
  assert.is(attributeValueText('\u00e9t\u00e9\u00a0x'), JSON.stringify('\u00e9t\u00e9\u00a0x'));
  assert.is(attributeValueText('caf\u00e9'), 'caf\u00e9');
});

test('terminal-active characters show as JSON escapes, everywhere a value is shown', () => {
  assert.is(valueText('title\u001b]0;x\u0007 tab\there'), 'title\\u001b]0;x\\u0007 tab\\there');
  assert.is(
    valueText('c1\u009b2J del\u007f rlo\u202eabc\u202c sep\u2028 lri\u2066x\u2069 alm\u061c lrm\u200e'),
    'c1\\u009b2J del\\u007f rlo\\u202eabc\\u202c sep\\u2028 lri\\u2066x\\u2069 alm\\u061c lrm\\u200e',
  );
  assert.is(valueText('\b\f\v\u0000'), '\\b\\f\\u000b\\u0000');
  assert.is(attributeValueText('\u001b[31m'), '"\\u001b[31m"');
  assert.is(attributeValueText('x\u009by'), '"x\\u009by"');
  assert.is(valueText({ 'k\u001b': ['\u009b', 'ok'] }), '{"k\\u001b":["\\u009b","ok"]}');
  assert.is(attributesText({ 'k\u001bey': 'v' }), 'k\\u001bey=v');
  // Text without them comes back as it is.
  const plainText = 'naïve text, "quoted" = 1 \u00a0 \u200b';
  assert.is(terminalText(plainText), plainText);
  // JSON text keeps its line breaks between items and every value: only the characters JSON.stringify leaves are escaped.
  const value = { a: '\u009b\u2028\u202e', b: '\u001b', c: 'é' };
  const json = terminalSafeJson(JSON.stringify(value, null, 2));
  assert.not.match(json, RAW_CONTROL);
  assert.equal(JSON.parse(json), value);
});

test('a multi-line value as lines: its LF and CR LF breaks are lines, every other terminal-active character stays escaped', () => {
  const stack = 'Error: boom\n    at charge (pay.js:42)\r\n    at \u001b]0;x\u0007 (a.js:1)\n\n\tdone\rcr\u2028sep';
  assert.equal(terminalLines(stack), ['Error: boom', '    at charge (pay.js:42)', '    at \\u001b]0;x\\u0007 (a.js:1)', '', '\\tdone\\rcr\\u2028sep']);
  for (const line of terminalLines(stack)) assert.not.match(line, RAW_CONTROL);
  assert.equal(terminalLines('one line'), ['one line']);
  assert.equal(terminalLines(''), ['']);
});

test('attribute keys are data: __proto__ and the names every object has stay keys', () => {
  const attributes = JSON.parse('{"__proto__":"p","constructor":1,"big":"x"}') as Record<string, AnyValue>;
  attributes.big = 2n;
  assert.equal(Object.entries(jsonAttributes(attributes)), [
    ['__proto__', 'p'],
    ['constructor', 1],
    ['big', '2'],
  ]);
  assert.is(JSON.stringify(jsonValue(attributes)), '{"__proto__":"p","constructor":1,"big":"2"}');
  assert.is(attributesText(attributes), '__proto__=p constructor=1 big=2');
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
