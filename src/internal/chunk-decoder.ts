/**
 * A chunk payload (docs/format.md, "Chunk payload") → records. Throws on anything malformed;
 * the reader turns that into a damage report for the chunk.
 *
 * This is the reader's hot loop and is longer than our files usually are. The payload is plain
 * CBOR, but decoding it with cbor-x into arrays, then walking those arrays into records, made
 * CBOR decoding two thirds of the viewer's time (bench/viewer.ts). Here the bytes are read once,
 * straight into records: string references resolve as they are met (the string table comes
 * first), maps become objects without an array in between, and trace ids go from bytes to hex.
 */
import { decompress } from 'lz4-wasm-nodejs';
import type { AnyValue } from '../otel-types.ts';
import type { SnapshotRecord, SnapshotScope } from '../types.ts';
import { MAP_TAG, STRING_REF_TAG } from './cbor.ts';
import { MAX_CHUNK_RAW_BYTES } from './file-format.ts';

export function decodeChunk(payload: Buffer, rawLength: number, recordCount: number): SnapshotRecord[] {
  // lz4-wasm prepends the decompressed size; a wasm trap on bad input must not be reachable, so
  // the size is checked against the block header first.
  if (payload.length < 4 || rawLength > MAX_CHUNK_RAW_BYTES || payload.readUInt32LE(0) !== rawLength) {
    throw new Error('chunk size fields disagree');
  }
  const raw = decompress(payload);
  return new ChunkParser(Buffer.from(raw.buffer, raw.byteOffset, raw.length)).chunk(recordCount);
}

type MutableRecord = { -readonly [K in keyof SnapshotRecord]: SnapshotRecord[K] };

/** Deeper nesting than the writer produces (it stops at 8) is damage, not a reason to overflow the stack. */
const MAX_DEPTH = 64;
const MAJOR_ARRAY = 4;

class ChunkParser {
  private pos = 0;
  private strings: readonly string[] = [];
  private depth = 0;

  constructor(private readonly bytes: Buffer) {}

  chunk(recordCount: number): SnapshotRecord[] {
    const length = this.arrayHeader();
    if (length === undefined || length < 5) throw new Error('chunk payload is not [seconds, nanos, strings, scopes, records]');
    const baseSeconds = this.value();
    const baseNanos = this.value();
    if (typeof baseSeconds !== 'number' || typeof baseNanos !== 'number') throw new Error('chunk payload fields have the wrong types');
    const strings = this.value();
    if (!Array.isArray(strings) || !strings.every((item) => typeof item === 'string')) throw new Error('chunk payload fields have the wrong types');
    this.strings = strings as string[];
    const scopes = this.value();
    if (!Array.isArray(scopes)) throw new Error('chunk payload fields have the wrong types');
    const scopeList = scopes.map((scope) => this.toScope(scope));
    const records = this.arrayHeader();
    if (records === undefined) throw new Error('chunk payload fields have the wrong types');
    if (records !== recordCount) throw new Error(`chunk holds ${records} records, its header says ${recordCount}`);
    if (records > this.bytes.length - this.pos) throw new Error('chunk payload ends inside its records');
    const out = new Array<SnapshotRecord>(records);
    let time = BigInt(baseSeconds) * 1_000_000_000n + BigInt(baseNanos);
    for (let i = 0; i < records; i++) {
      const fields = this.arrayHeader();
      if (fields === undefined || fields < 13) throw new Error(`record ${i} is malformed`);
      const seq = Number(this.value());
      const delta = this.value() as number | bigint;
      // A zero step (records in the same nanosecond) shares the previous bigint.
      if (delta !== 0) time += BigInt(delta);
      out[i] = this.record(seq, time, scopeList);
      for (let extra = 13; extra < fields; extra++) this.value();
    }
    for (let extra = 5; extra < length; extra++) this.value();
    return out;
  }

  /** Fields 2–12 of a record. Optional fields are added only when present (no spreads: this runs once per record read). */
  private record(seq: number, timestamp: bigint, scopes: SnapshotScope[]): SnapshotRecord {
    const observedDelta = this.value() as number | bigint;
    const out = {
      seq,
      timestamp,
      observedTimestamp: observedDelta === 0 ? timestamp : timestamp + BigInt(observedDelta),
      severityNumber: Number(this.value()),
    } as MutableRecord;
    const text = this.value();
    if (typeof text === 'string') out.severityText = text;
    const scopeIndex = this.value();
    if (this.peekUndefined()) this.pos++;
    else out.body = this.value() as AnyValue;
    out.attributes = this.entriesItem() ?? {};
    const event = this.value();
    if (typeof event === 'string') out.eventName = event;
    out.scope = (typeof scopeIndex === 'number' ? scopes[scopeIndex] : undefined) ?? { name: '' };
    this.trace(out);
    out.droppedAttributesCount = Number(this.value());
    out.producer = Number(this.value());
    const flags = Number(this.value());
    out.truncated = (flags & 1) === 1;
    if (flags & 2) out.lane = 1;
    return out;
  }

  /** Field 9: [traceId, spanId, flags] with the ids as bytes, or anything else for none. */
  private trace(out: MutableRecord): void {
    const start = this.pos;
    const length = this.arrayHeader();
    if (length === undefined || length < 3) {
      this.pos = start;
      this.value();
      return;
    }
    const traceId = this.hexBytes();
    const spanId = this.hexBytes();
    const flags = this.value();
    for (let extra = 3; extra < length; extra++) this.value();
    if (traceId !== undefined && spanId !== undefined) {
      out.traceId = traceId;
      out.spanId = spanId;
      out.traceFlags = Number(flags);
    }
  }

  /** A byte string as hex, read in place; undefined (and the item skipped) for anything else. */
  private hexBytes(): string | undefined {
    if (this.pos < this.bytes.length && this.bytes[this.pos]! >> 5 === 2 && (this.bytes[this.pos]! & 0x1f) !== 31) {
      const length = this.argument(this.bytes[this.pos++]! & 0x1f);
      const start = this.take(Number(length));
      return this.bytes.toString('hex', start, start + Number(length));
    }
    this.value();
    return undefined;
  }

  private toScope(scope: unknown): SnapshotScope {
    if (!Array.isArray(scope)) return { name: '' };
    const [name, version, schemaUrl, attributes] = scope as unknown[];
    return {
      name: typeof name === 'string' ? name : '',
      ...(typeof version === 'string' ? { version } : {}),
      ...(typeof schemaUrl === 'string' ? { schemaUrl } : {}),
      ...(Array.isArray(attributes) ? { attributes: this.entries(attributes) } : {}),
    };
  }

  /** Flat [key, value, …] with values already decoded → object; a numeric key is a string reference. */
  private entries(flat: readonly unknown[]): Record<string, AnyValue> {
    const out: Record<string, AnyValue> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) this.setEntry(out, flat[i], flat[i + 1] as AnyValue);
    return out;
  }

  /** A flat [key, value, …] array read straight into an object; undefined (item skipped) for anything else. */
  private entriesItem(): Record<string, AnyValue> | undefined {
    const length = this.arrayHeader();
    if (length === undefined) {
      const item = this.value();
      return Array.isArray(item) ? this.entries(item) : undefined;
    }
    if (++this.depth > MAX_DEPTH) throw new Error('CBOR nesting too deep');
    const out: Record<string, AnyValue> = {};
    for (let i = 0; i + 1 < length; i += 2) this.setEntry(out, this.value(), this.value() as AnyValue);
    if (length % 2 === 1) this.value();
    this.depth--;
    return out;
  }

  private setEntry(out: Record<string, AnyValue>, rawKey: unknown, value: AnyValue): void {
    const key = typeof rawKey === 'number' ? (this.strings[rawKey] ?? '') : String(rawKey);
    // A plain assignment of "__proto__" would replace the prototype instead of adding a key.
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }

  private peekUndefined(): boolean {
    return this.bytes[this.pos] === 0xf7;
  }

  /** The length of a definite array at `pos` (consumed), or undefined (nothing consumed) for any other item. */
  private arrayHeader(): number | undefined {
    const initial = this.bytes[this.pos];
    if (initial === undefined || initial >> 5 !== MAJOR_ARRAY || (initial & 0x1f) === 31) return undefined;
    this.pos++;
    return Number(this.argument(initial & 0x1f));
  }

  /** The argument of an item head whose initial byte (already consumed) had `info` in its low bits. */
  private argument(info: number): number | bigint {
    if (info < 24) return info;
    const bytes = this.bytes;
    switch (info) {
      case 24:
        return bytes[this.take(1)]!;
      case 25:
        return bytes.readUInt16BE(this.take(2));
      case 26:
        return bytes.readUInt32BE(this.take(4));
      case 27:
        return bytes.readBigUInt64BE(this.take(8));
      default:
        throw new Error(`CBOR item with reserved length ${info} at ${this.pos - 1}`);
    }
  }

  /** Advances past `count` bytes and returns where they start; throws past the end. */
  private take(count: number): number {
    const start = this.pos;
    if (count > this.bytes.length - start) throw new Error('chunk payload ends inside a CBOR item');
    this.pos = start + count;
    return start;
  }

  /**
   * One CBOR item as an AnyValue the way the file means it (docs/format.md, "Values"): string
   * references resolved, tagged maps as objects, integers with an 8-byte argument as bigint.
   */
  private value(): unknown {
    const initial = this.bytes[this.take(1)]!;
    const info = initial & 0x1f;
    switch (initial >> 5) {
      case 0:
        return this.argument(info);
      case 1: {
        const argument = this.argument(info);
        return typeof argument === 'bigint' ? -1n - argument : -1 - argument;
      }
      case 2:
        return info === 31 ? Buffer.concat(this.indefinite() as Uint8Array[]) : this.byteString(Number(this.argument(info)));
      case 3:
        return info === 31 ? (this.indefinite() as string[]).join('') : this.text(Number(this.argument(info)));
      case 4: {
        // No try/finally around the depth count: a throw abandons the whole parser.
        if (++this.depth > MAX_DEPTH) throw new Error('CBOR nesting too deep');
        const items = info === 31 ? this.indefinite() : this.array(Number(this.argument(info)));
        this.depth--;
        return items;
      }
      case 5: {
        if (++this.depth > MAX_DEPTH) throw new Error('CBOR nesting too deep');
        const map = this.map(info);
        this.depth--;
        return map;
      }
      case 6:
        return this.tagged(Number(this.argument(info)));
      default:
        return this.simple(info);
    }
  }

  private array(length: number): unknown[] {
    // Each item takes at least a byte: a length past the end is damage, not an allocation.
    if (length > this.bytes.length - this.pos) throw new Error('chunk payload ends inside a CBOR array');
    const items = new Array<unknown>(length);
    for (let i = 0; i < length; i++) items[i] = this.value();
    return items;
  }

  /** Items up to a break code (indefinite length). */
  private indefinite(): unknown[] {
    const items: unknown[] = [];
    for (;;) {
      if (this.bytes[this.pos] === 0xff) {
        this.pos++;
        return items;
      }
      items.push(this.value());
    }
  }

  /** A plain CBOR map (the writer uses tagged arrays instead) as an object with string keys. */
  private map(info: number): Record<string, unknown> {
    const flat: unknown[] = [];
    if (info === 31) flat.push(...this.indefinite());
    else for (let i = Number(this.argument(info)) * 2; i > 0; i--) flat.push(this.value());
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) Object.defineProperty(out, String(flat[i]), { value: flat[i + 1], enumerable: true, writable: true, configurable: true });
    return out;
  }

  private tagged(tag: number): unknown {
    if (tag === MAP_TAG) return this.entriesItem();
    const inner = this.value();
    switch (tag) {
      case STRING_REF_TAG:
        return typeof inner === 'number' ? (this.strings[inner] ?? '') : '';
      case 2:
        return inner instanceof Uint8Array ? bignum(inner) : undefined;
      case 3:
        return inner instanceof Uint8Array ? -1n - bignum(inner) : undefined;
      default:
        // A tag this format does not define has no AnyValue meaning.
        return undefined;
    }
  }

  private simple(info: number): unknown {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 25:
        return halfFloat(this.bytes.readUInt16BE(this.take(2)));
      case 26:
        return this.bytes.readFloatBE(this.take(4));
      case 27:
        return this.bytes.readDoubleBE(this.take(8));
      case 31:
        throw new Error('CBOR break outside an indefinite-length item');
      default:
        if (info === 24) this.take(1);
        return undefined;
    }
  }

  private byteString(length: number): Uint8Array {
    const start = this.take(length);
    // A copy: a view would keep the whole decompressed chunk alive as long as the record.
    return new Uint8Array(this.bytes.subarray(start, start + length));
  }

  private text(length: number): string {
    const start = this.take(length);
    const bytes = this.bytes;
    // Short ASCII strings (attribute values such as ids) are built in JS; a native call costs more.
    if (length < 24) {
      let text = '';
      for (let i = start; i < start + length; i++) {
        const byte = bytes[i]!;
        if (byte >= 0x80) return bytes.toString('utf8', start, start + length);
        text += String.fromCharCode(byte);
      }
      return text;
    }
    return bytes.toString('utf8', start, start + length);
  }
}

function bignum(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function halfFloat(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
