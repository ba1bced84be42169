/**
 * Typed events: records declared once and written straight into the ring, without the
 * OpenTelemetry SDK's `LogRecord` in between. The declaration (event-declaration.ts) interns the
 * names and encodes the bytes that never change; `emit` reads the values, claims a slot, copies
 * those bytes and writes the timestamp, the trace context and the values in the slot record
 * format of record-encoder.ts, through the same claim → write → commit as RingProducer.write.
 *
 * This file holds a hot loop and is longer than most for it: `emit` does in one pass what the SDK
 * and RecordEncoder do in several (bench/event-micro.ts). A record that might not fit its slot, or
 * a body that is not a string, number or boolean, goes through RingProducer.write instead, which
 * trims and encodes any value.
 */
import { context, diag, isSpanContextValid, type SpanContext, trace } from '@opentelemetry/api';
import type { LogRecordLike } from '../otel-types.ts';
import type { TypedEventStats } from '../types.ts';
import { AttributeKind, checkedEventShape, type EventShape, eventTemplate, type TypedEventOptions } from './event-declaration.ts';
import type { Interner } from './intern-table.ts';
import { Header, type LaneViews, type RingViews } from './ring-layout.ts';
import type { RingProducer } from './ring-producer.ts';
import { claimSlot, commitSlot } from './slot-claim.ts';
import { ASCII_LOOP_LENGTH, Fixed, NUMBER_BYTES, putAscii, putHex, putNumber, putUtf8Text, putVarint, RecordFlag, ValueTag } from './slot-record.ts';
import { incrementWide } from './wide-counter.ts';

/** A declared event: `emit` records one occurrence. */
export interface TypedEvent {
  /**
   * Records one event with the declared attributes' values (others are ignored; `undefined` and
   * `null` leave an attribute out) and an optional body. Never throws: a value of the wrong type
   * is converted where a primitive converts (counted as coerced) or left out (counted as dropped,
   * and in the record's droppedAttributesCount).
   */
  emit(attributes?: Readonly<Record<string, unknown>> | null, body?: unknown): void;
}

/** Bytes of the trace context in a slot record: trace id, span id, flags. */
const TRACE_BYTES = 25;
/** A string's tag and its longest header, on top of 3 bytes per UTF-16 unit. */
const TEXT_OVERHEAD = 4;

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** An event declared after shutdown: nothing to record. */
const CLOSED_EVENT: TypedEvent = Object.freeze({ emit: () => undefined });

/**
 * The typed events of one producer (one processor in one thread): declares them, shares their
 * scopes, counters and the switch that shutdown turns off.
 */
export class TypedEvents {
  /** Set by {@link close}; every event of this producer checks it first. */
  closed = false;
  /** Values converted to their declared type, over every event of this producer. */
  coerced = 0;
  /** Values left out because they had no form of their declared type. */
  dropped = 0;
  private reportedFailure = false;
  /** One scope object per scope, so events of one scope share its interned entry. */
  private readonly scopes = new Map<string, EventShape['scope']>();

  constructor(
    readonly ring: RingViews,
    readonly producer: RingProducer,
  ) {}

  /**
   * Declares an event (see TypedEventOptions); throws a TypeError for a declaration it cannot
   * record. `onSevere`, when given, is called after each record at or above the severity
   * trigger's threshold with the record's trace id.
   */
  declare(name: string, options: TypedEventOptions, severityThreshold: number, onSevere: (severity: number, traceId: string | undefined) => void): TypedEvent {
    const checked = checkedEventShape(name, options);
    if (this.closed) return CLOSED_EVENT;
    const scopeKey = `${checked.scope.name}\u0000${checked.scope.version ?? ''}\u0000${checked.scope.schemaUrl ?? ''}`;
    const scope = this.scopes.get(scopeKey) ?? checked.scope;
    this.scopes.set(scopeKey, scope);
    const shape: EventShape = { ...checked, scope };
    return new DeclaredEvent(this, shape, checked.severityNumber >= severityThreshold ? onSevere : undefined);
  }

  /** Turns every event of this producer into a no-op. */
  close(): void {
    this.closed = true;
  }

  /** What `stats().typedEvents` reports. */
  counts(): TypedEventStats {
    return { coercedValues: this.coerced, droppedValues: this.dropped };
  }

  /** Counts a record lost after its slot was claimed, as RingProducer.write does. */
  fail(lane: LaneViews, error: unknown): void {
    incrementWide(this.ring.words, lane.base + Header.Dropped);
    if (this.reportedFailure) return;
    this.reportedFailure = true;
    diag.warn('ttlog: a typed event could not be recorded (counted as dropped; further failures are counted silently)', error);
  }
}

class DeclaredEvent implements TypedEvent {
  private readonly ring: RingViews;
  private readonly bytes: Buffer;
  private readonly uint16: Uint16Array;
  private readonly uint32: Uint32Array;
  private readonly float64: Float64Array;
  private readonly data: DataView;
  private readonly interner: Interner;
  private readonly lane: LaneViews;
  /** With a reserve lane the ticket does not order records across lanes: a shared counter does. */
  private readonly sharedOrder: boolean;
  private readonly producerId: number;
  private readonly severityNumber: number;
  private readonly baseFlags: number;
  private readonly prefix: Uint8Array;
  private readonly names: readonly string[];
  private readonly kinds: Uint8Array;
  /** Every attribute key's bytes, one after the other: key i is [keyEnds[i - 1], keyEnds[i]). */
  private readonly keyBytes: Uint8Array;
  private readonly keyEnds: Uint16Array;
  private readonly readsContext: boolean;
  /** The last Date.now() and the record time it makes: records of one millisecond share it. */
  private lastNow = -1;
  private lastSeconds = 0;
  private lastNanos = 0;
  /** Bytes every record may take whatever its values: fixed part, trace, prefix, keys, numbers. */
  private readonly fixedBound: number;
  /** The values of the record being written, converted to their declared types. */
  private values: unknown[];
  private busy = false;
  /** The trace context last written, and its slot bytes: a span's records share one object. */
  private lastSpan: SpanContext | undefined;
  private readonly spanBytes = new Uint8Array(TRACE_BYTES);

  constructor(
    private readonly events: TypedEvents,
    private readonly shape: EventShape,
    private readonly onSevere: ((severity: number, traceId: string | undefined) => void) | undefined,
  ) {
    const { ring, producer } = events;
    const template = eventTemplate(shape, producer.interner, producer.encodeScope);
    this.ring = ring;
    this.bytes = ring.bytes;
    this.uint16 = ring.uint16;
    this.uint32 = ring.uint32;
    this.float64 = ring.float64;
    this.data = ring.data;
    this.interner = producer.interner;
    const reserve = ring.lanes[1];
    // The lane a record of this severity takes in RingProducer.write.
    this.lane = reserve !== undefined && shape.severityNumber >= reserve.minSeverity ? reserve : ring;
    this.sharedOrder = reserve !== undefined;
    this.producerId = producer.producerId;
    this.severityNumber = shape.severityNumber;
    this.baseFlags = RecordFlag.EventName | (shape.severityText === undefined ? 0 : RecordFlag.SeverityText);
    this.prefix = template.prefix;
    this.names = shape.keys;
    this.kinds = Uint8Array.from(shape.kinds);
    this.keyBytes = Uint8Array.from(template.keys.flatMap((key) => [...key]));
    let end = 0;
    this.keyEnds = Uint16Array.from(template.keys, (key) => (end += key.length));
    this.readsContext = shape.context;
    this.values = new Array<unknown>(shape.keys.length).fill(undefined);
    const keyBytes = this.keyBytes.length;
    // The dropped count's varint takes at most 1 byte: an event has at most 127 attributes.
    this.fixedBound = Fixed.Size + 1 + TRACE_BYTES + template.prefix.length + 1 + keyBytes + NUMBER_BYTES * shape.keys.length;
  }

  emit(attributes?: Readonly<Record<string, unknown>> | null, body?: unknown): void {
    const events = this.events;
    if (events.closed) return;
    // A getter among the attributes may emit this same event: that call gets values of its own.
    const outer = !this.busy;
    const values = outer ? this.values : new Array<unknown>(this.names.length);
    this.busy = true;
    try {
      this.record(attributes ?? EMPTY, body, values);
    } catch (error) {
      // Only reading the caller's attributes can throw here (a getter), before any slot is claimed.
      events.producer.drop(error);
    } finally {
      if (outer) this.busy = false;
    }
  }

  private record(attributes: Readonly<Record<string, unknown>>, body: unknown, values: unknown[]): void {
    const names = this.names;
    const kinds = this.kinds;
    let bound = this.fixedBound;
    let dropped = 0;
    for (let i = 0; i < names.length; i++) {
      let value = attributes[names[i]!];
      if (value === undefined || value === null) value = undefined;
      else {
        const kind = kinds[i]!;
        const wrong =
          kind === AttributeKind.String
            ? typeof value !== 'string'
            : kind === AttributeKind.Boolean
              ? typeof value !== 'boolean'
              : typeof value !== 'number' || (kind === AttributeKind.Int && !Number.isInteger(value));
        if (wrong) {
          value = this.converted(value, kind);
          if (value === undefined) dropped++;
        }
        if (typeof value === 'string') bound += TEXT_OVERHEAD + 3 * value.length;
      }
      values[i] = value;
    }
    const bodyKind = typeof body;
    if (bodyKind === 'string') bound += TEXT_OVERHEAD + 3 * (body as string).length;
    else if (body !== undefined && bodyKind !== 'number' && bodyKind !== 'boolean') bound = Number.POSITIVE_INFINITY;

    const span = this.readsContext ? trace.getSpanContext(context.active()) : undefined;
    const now = Date.now();
    const lane = this.lane;
    if (bound > lane.slotBytes) {
      this.events.producer.write(this.logRecord(now, values, dropped, body, span));
    } else {
      const ring = this.ring;
      const ticket = incrementWide(ring.words, lane.base + Header.Head);
      const start = claimSlot(ring, ticket, lane);
      if (start < 0) return;
      ring.uint32[(start + Fixed.Order) >> 2] = this.sharedOrder ? Atomics.add(ring.words, Header.Order, 1) : ticket;
      let length = 0;
      try {
        length = this.write(start, now, values, dropped, body, span);
      } catch (error) {
        this.events.fail(lane, error);
      }
      commitSlot(ring, ticket, length, lane);
    }
    if (this.onSevere !== undefined) this.onSevere(this.severityNumber, span !== undefined && isSpanContextValid(span) ? span.traceId : undefined);
  }

  /**
   * Writes the record into the claimed slot at `start`; returns its length. The caller checked
   * that the record fits, so no write here checks for room.
   */
  private write(start: number, now: number, values: readonly unknown[], dropped: number, body: unknown, span: SpanContext | undefined): number {
    const bytes = this.bytes;
    if (now !== this.lastNow) {
      // Date.now() as the SDK turns it into [seconds, nanoseconds] (timeInputToHrTime); the
      // observed time is the same instant, as the SDK sets both from one Date.now().
      this.lastNow = now;
      this.lastSeconds = Math.trunc(now / 1000);
      this.lastNanos = Math.round((now % 1000) * 1e6);
    }
    const nanos = this.lastNanos;
    const seconds = this.lastSeconds;
    bytes[start + Fixed.Severity] = this.severityNumber;
    this.uint16[(start + Fixed.Producer) >> 1] = this.producerId;
    this.uint32[(start + Fixed.TimeNanos) >> 2] = nanos;
    this.uint32[(start + Fixed.ObservedNanos) >> 2] = nanos;
    this.float64[(start + Fixed.TimeSeconds) >> 3] = seconds;
    this.float64[(start + Fixed.ObservedSeconds) >> 3] = seconds;
    let pos = start + Fixed.Size;
    bytes[pos++] = dropped;
    let flags = this.baseFlags;
    if (span !== undefined && this.traceBytes(span)) {
      flags |= RecordFlag.Trace;
      pos = copyBytes(bytes, pos, this.spanBytes);
    }
    pos = copyBytes(bytes, pos, this.prefix);
    if (body !== undefined) {
      flags |= RecordFlag.Body;
      if (typeof body === 'string') pos = this.writeString(pos, body);
      else if (typeof body === 'number') pos = putNumber(bytes, this.data, pos, body);
      else bytes[pos++] = body ? ValueTag.True : ValueTag.False;
    }
    const countAt = pos++;
    let count = 0;
    const keyBytes = this.keyBytes;
    const keyEnds = this.keyEnds;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === undefined) continue;
      const keyEnd = keyEnds[i]!;
      for (let k = i === 0 ? 0 : keyEnds[i - 1]!; k < keyEnd; k++) bytes[pos++] = keyBytes[k]!;
      if (typeof value === 'string') pos = this.writeString(pos, value);
      else if (typeof value === 'number') pos = putNumber(bytes, this.data, pos, value);
      else bytes[pos++] = value ? ValueTag.True : ValueTag.False;
      count++;
    }
    bytes[countAt] = count;
    bytes[start + Fixed.Flags] = flags;
    return pos - start;
  }

  /** A Text value: an intern reference once the interner takes it, else inline UTF-8 (RecordEncoder.writeString). */
  private writeString(pos: number, text: string): number {
    const bytes = this.bytes;
    const id = this.interner.value(text);
    bytes[pos] = ValueTag.Text;
    if (id >= 0) return putVarint(bytes, pos + 1, id * 2 + 1);
    const length = text.length;
    if (length < ASCII_LOOP_LENGTH && putAscii(bytes, pos + 2, text)) {
      bytes[pos + 1] = length * 2;
      return pos + 2 + length;
    }
    return putUtf8Text(bytes, pos + 1, text);
  }

  /** Fills spanBytes for `span` (cached by identity); false for a span context the SDK would not record. */
  private traceBytes(span: SpanContext): boolean {
    if (span === this.lastSpan) return true;
    if (!isSpanContextValid(span)) return false;
    const out = this.spanBytes;
    // Until the new id is whole, spanBytes holds no span's bytes.
    this.lastSpan = undefined;
    if (!putHex(out, 0, span.traceId, 16) || !putHex(out, 16, span.spanId, 8)) return false;
    out[24] = span.traceFlags & 0xff;
    this.lastSpan = span;
    return true;
  }

  /**
   * Converts a value of the wrong type to the declared one, counted as coerced; undefined,
   * counted as dropped, when it has no such form. Only primitives convert: an object's own
   * conversion (toString, valueOf) would run the caller's code inside the logging call.
   */
  private converted(value: unknown, kind: number): unknown {
    const type = typeof value;
    let result: unknown;
    if (kind === AttributeKind.String) {
      if (type === 'number' || type === 'boolean' || type === 'bigint') result = String(value);
    } else if (kind === AttributeKind.Boolean) {
      if (type === 'number' || type === 'bigint') result = Boolean(value);
      else if (value === 'true' || value === 'false') result = value === 'true';
    } else if (type === 'number' || type === 'bigint' || type === 'boolean' || (type === 'string' && (value as string).trim() !== '')) {
      const number = Number(value);
      // A double takes any number; an int the integer part of a finite one.
      if (kind === AttributeKind.Double ? !Number.isNaN(number) : Number.isFinite(number)) result = kind === AttributeKind.Int ? Math.trunc(number) : number;
    }
    if (result === undefined) this.events.dropped++;
    else this.events.coerced++;
    return result;
  }

  /** The record as a LogRecordLike, for RingProducer.write: trims what does not fit, encodes any body. */
  private logRecord(now: number, values: readonly unknown[], dropped: number, body: unknown, span: SpanContext | undefined): LogRecordLike {
    const attributes: Record<string, unknown> = {};
    for (let i = 0; i < values.length; i++) if (values[i] !== undefined) attributes[this.names[i]!] = values[i];
    const time: [number, number] = [Math.trunc(now / 1000), Math.round((now % 1000) * 1e6)];
    const shape = this.shape;
    return {
      hrTime: time,
      hrTimeObserved: time,
      spanContext: span !== undefined && isSpanContextValid(span) ? span : undefined,
      severityNumber: shape.severityNumber,
      severityText: shape.severityText,
      eventName: shape.name,
      body,
      instrumentationScope: shape.scope,
      attributes,
      droppedAttributesCount: dropped,
    };
  }
}

function copyBytes(bytes: Buffer, pos: number, from: Uint8Array): number {
  for (let i = 0; i < from.length; i++) bytes[pos + i] = from[i]!;
  return pos + from.length;
}
