/**
 * Log content written by someone who wants the reader's terminal: strings that retitle it, clear
 * it or reorder what it shows, and attribute keys every JS object already has. Written through a
 * real SDK `LoggerProvider` and the real processor, as any other snapshot of these tests.
 */
import { at, type ServiceSpec } from './snapshots.ts';

/** OSC 0 (set the window title; tmux sets the pane title), ended by BEL. */
export const RETITLE = '\u001b]0;pwned\u0007';
/** CSI as its C1 character (clear the screen), which some terminals act on in UTF-8 too. */
export const CLEAR_C1 = '\u009b2J';
/** A right-to-left override and its pop: the text between reads backwards. */
export const REVERSED = '\u202eevil\u202c';
/** The escapes the viewer shows for them. */
export const RETITLE_SHOWN = '\\u001b]0;pwned\\u0007';
export const CLEAR_C1_SHOWN = '\\u009b2J';
export const REVERSED_SHOWN = '\\u202eevil\\u202c';

/** A character the viewer must never print raw: C0 (but the line feed that ends a line), DEL, C1, separators, bidirectional controls. */
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

/** The body of the record whose attributes get an own `__proto__` key (see {@link ownProtoKey}). */
export const KEYS_AS_DATA = 'keys as data';

/**
 * A processor ahead of ttlog's that gives one record an own `__proto__` attribute, as copying
 * parsed JSON with defineProperty does: the SDK's own setAttribute cannot make one (a plain
 * assignment of `__proto__` sets the prototype instead).
 */
const ownProtoKey = {
  onEmit(record: { body?: unknown; attributes: Record<string, unknown> }): void {
    if (record.body !== KEYS_AS_DATA) return;
    Object.defineProperty(record.attributes, '__proto__', { value: 'own', enumerable: true, writable: true, configurable: true });
  },
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

/** A service whose name, scopes, severity texts, bodies, keys and values all try it. */
export const HOSTILE: ServiceSpec = {
  service: `svc${RETITLE}`,
  processorsBefore: [ownProtoKey],
  records: [
    {
      at: at(0),
      severityNumber: 0,
      severityText: `notice${RETITLE}`,
      scope: `scope${RETITLE}`,
      body: `body${RETITLE}`,
      attributes: {
        [`key${RETITLE}`]: `value${RETITLE}`,
        bare: RETITLE,
        c1: CLEAR_C1,
        reversed: REVERSED,
        tab: 'a\tb',
        del: 'a\u007fb',
        nested: { [`k${RETITLE}`]: [`v${RETITLE}`, CLEAR_C1] },
      },
    },
    // The same strings again, so that the writer's string table holds them too.
    { at: at(1), severityNumber: 9, scope: `scope${RETITLE}`, body: `body${RETITLE}`, attributes: { [`key${RETITLE}`]: `value${RETITLE}`, bare: RETITLE } },
    { at: at(2), severityNumber: 13, scope: 'app', body: `naïve ${REVERSED} ${CLEAR_C1} line\u2028break\r\n\u0000end`, attributes: { é: `é${RETITLE}` } },
    {
      at: at(3),
      severityNumber: 17,
      scope: 'app',
      body: KEYS_AS_DATA,
      attributes: { constructor: 'c', bytes: new Uint8Array([1, 2]) },
    },
    { at: at(4), severityNumber: 9, scope: 'app', body: JSON.parse('{"__proto__":"own","toString":"t"}') as unknown },
  ],
};
