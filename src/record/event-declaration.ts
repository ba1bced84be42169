/**
 * A typed event's declaration, checked and turned into bytes once: the parts of its slot record
 * that never change (scope, severity text, event name, attribute keys) are interned and encoded
 * here, so that each `emit` (typed-event.ts) only copies them. The bytes are those RecordEncoder
 * writes for the same fields (record-encoder.ts), so the snapshot side cannot tell the two apart.
 */
import type { InstrumentationScopeLike } from '../otel-types.ts';
import type { Interner } from './intern-table.ts';

/** The value types an attribute may be declared with. */
export type EventAttributeType = 'string' | 'int' | 'double' | 'boolean';

/** OpenTelemetry's severity names (`SeverityNumber`): TRACE to FATAL, each with variants 2–4. */
export type SeverityName = `${'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL'}${'' | '2' | '3' | '4'}`;

/** What `TTLogProcessor.event(name, options)` takes. */
export interface TypedEventOptions {
  /**
   * A severity name, which becomes the record's severityNumber and severityText as the SDK's
   * callers usually set them, or a severityNumber (1–24) alone. Default `'INFO'`.
   */
  readonly severity?: SeverityName | number;
  /** The severityText, when it should differ from the severity's name (or a number needs one). */
  readonly severityText?: string;
  /** The instrumentation scope, as `provider.getLogger(name, version, { schemaUrl })` would give it. */
  readonly scope: string | { readonly name: string; readonly version?: string; readonly schemaUrl?: string };
  /** The attributes every record of the event carries, in order, with their value types. */
  readonly attributes?: Readonly<Record<string, EventAttributeType>>;
  /**
   * Record the active span's trace context (`trace.getSpanContext(context.active())`) with each
   * record, as the SDK does for a log emitted inside a span. Default `true`.
   */
  readonly context?: boolean;
}

/** Attribute types as small integers, for the emit loop's switch. */
export const AttributeKind = { String: 0, Int: 1, Double: 2, Boolean: 3 } as const;

const KIND_OF_TYPE: Readonly<Record<EventAttributeType, number>> = {
  string: AttributeKind.String,
  int: AttributeKind.Int,
  double: AttributeKind.Double,
  boolean: AttributeKind.Boolean,
};

const SEVERITY_BASES: Readonly<Record<string, number>> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

/**
 * A record's attribute count is one byte in the slot (record-encoder.ts, patchCount); an event
 * with more attributes than that has outgrown what a typed event is for.
 */
const MAX_EVENT_ATTRIBUTES = 127;

/** A declaration, checked, with the options filled in. */
export interface EventShape {
  readonly name: string;
  readonly severityNumber: number;
  readonly severityText: string | undefined;
  readonly scope: InstrumentationScopeLike;
  readonly keys: readonly string[];
  readonly kinds: readonly number[];
  readonly context: boolean;
}

/**
 * Checks a declaration. Throws a TypeError for a declaration that cannot be recorded as asked:
 * declaring runs once, at start-up, so a mistake there should stop the program, not each record.
 */
export function checkedEventShape(name: unknown, options: TypedEventOptions | undefined): EventShape {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('ttlog: event(name, options) needs a non-empty event name');
  if (typeof options !== 'object' || options === null) throw new TypeError(`ttlog: event('${name}', options) needs options with at least a scope`);
  const { severityNumber, severityText } = checkedSeverity(name, options.severity ?? 'INFO', options.severityText);
  const scope = options.scope;
  const scopeName = typeof scope === 'string' ? scope : scope?.name;
  if (typeof scopeName !== 'string' || scopeName.length === 0)
    throw new TypeError(`ttlog: event('${name}'): scope must be a scope name or { name, version?, schemaUrl? }`);
  const scopeVersion = typeof scope === 'object' ? optionalText(name, 'scope.version', scope.version) : undefined;
  const schemaUrl = typeof scope === 'object' ? optionalText(name, 'scope.schemaUrl', scope.schemaUrl) : undefined;
  const declared = options.attributes ?? {};
  if (typeof declared !== 'object' || declared === null) throw new TypeError(`ttlog: event('${name}'): attributes must map names to value types`);
  const keys = Object.keys(declared);
  if (keys.length > MAX_EVENT_ATTRIBUTES) throw new TypeError(`ttlog: event('${name}') declares ${keys.length} attributes; at most ${MAX_EVENT_ATTRIBUTES}`);
  const kinds = keys.map((key) => {
    const type = declared[key];
    if (key.length === 0) throw new TypeError(`ttlog: event('${name}'): an attribute name is empty`);
    if (typeof type !== 'string' || !Object.hasOwn(KIND_OF_TYPE, type))
      throw new TypeError(`ttlog: event('${name}'): attribute '${key}' has type ${JSON.stringify(type)}; use 'string', 'int', 'double' or 'boolean'`);
    return KIND_OF_TYPE[type as EventAttributeType];
  });
  if (options.context !== undefined && typeof options.context !== 'boolean') throw new TypeError(`ttlog: event('${name}'): context must be true or false`);
  return { name, severityNumber, severityText, scope: { name: scopeName, version: scopeVersion, schemaUrl }, keys, kinds, context: options.context ?? true };
}

function checkedSeverity(name: string, severity: unknown, text: unknown): { severityNumber: number; severityText: string | undefined } {
  const severityText = optionalText(name, 'severityText', text);
  if (typeof severity === 'number') {
    if (!Number.isInteger(severity) || severity < 1 || severity > 24)
      throw new TypeError(`ttlog: event('${name}'): severity must be from 1 to 24, got ${severity}`);
    return { severityNumber: severity, severityText };
  }
  const match = typeof severity === 'string' ? /^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)([234]?)$/.exec(severity) : null;
  if (match === null) throw new TypeError(`ttlog: event('${name}'): severity must be a name (TRACE … FATAL4) or a number, got ${String(severity)}`);
  return { severityNumber: SEVERITY_BASES[match[1]!]! + (match[2] === '' ? 0 : Number(match[2]) - 1), severityText: severityText ?? (severity as string) };
}

function optionalText(name: string, option: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new TypeError(`ttlog: event('${name}'): ${option} must be a string`);
}

/** The fixed bytes of an event's records, in slot order after the trace context. */
export interface EventTemplate {
  /** Scope, severity text and event name, as one run of bytes. */
  readonly prefix: Uint8Array;
  /** Each attribute key as the slot stores it: an intern reference or inline text. */
  readonly keys: readonly Uint8Array[];
}

/**
 * Encodes the parts of a record that never change. `scope` is one object per scope of the
 * processor, so that all its events share one interned scope entry.
 */
export function eventTemplate(shape: EventShape, interner: Interner, encodeScope: (scope: InstrumentationScopeLike) => Uint8Array): EventTemplate {
  const parts: number[] = [];
  const known = interner.knownScope(shape.scope);
  const encoded = known === undefined ? encodeScope(shape.scope) : undefined;
  const scopeId = known ?? interner.addScope(shape.scope, encoded!);
  if (scopeId >= 0) pushVarint(parts, scopeId * 2 + 1);
  else {
    // The intern table is full: the scope travels inline, as RecordEncoder.writeScope does then.
    pushVarint(parts, encoded!.length * 2);
    parts.push(...encoded!);
  }
  if (shape.severityText !== undefined) pushText(parts, shape.severityText, interner.key(shape.severityText));
  pushText(parts, shape.name, interner.key(shape.name));
  const keys = shape.keys.map((key) => {
    const bytes: number[] = [];
    pushText(bytes, key, interner.key(key));
    return Uint8Array.from(bytes);
  });
  return { prefix: Uint8Array.from(parts), keys };
}

/** Text as RecordEncoder.writeKey writes it: an intern reference or inline UTF-8. */
function pushText(parts: number[], text: string, id: number): void {
  if (id >= 0) {
    pushVarint(parts, id * 2 + 1);
    return;
  }
  const utf8 = Buffer.from(text, 'utf8');
  pushVarint(parts, utf8.length * 2);
  parts.push(...utf8);
}

function pushVarint(parts: number[], value: number): void {
  while (value >= 0x80) {
    parts.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  parts.push(value);
}
