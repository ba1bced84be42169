/**
 * AnyValue ⇄ the value encoding of file format v1 (docs/format.md, "Values"), for values that do
 * not come from a ring slot: resource and scope attributes on the way in, everything on the way
 * out. Maps are a tag around a flat [key, value, …] array so key order, "__proto__" keys and
 * interned keys all survive; text may be a reference into the chunk's string table. Chunk
 * payloads are decoded in one pass by chunk-decoder.ts, which follows the same rules; this module
 * reads the header's values (resource, crash cause).
 */
import { MAP_TAG, STRING_REF_TAG, Tag } from './cbor.ts';
import type { AnyValue } from '../otel-types.ts';

const MAX_DEPTH = 8;

/** JS value → file value. Values with no place in AnyValue (functions, symbols) become undefined. */
export function toFileValue(value: unknown, depth = 0): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return value;
    case 'object':
      if (value === null || value instanceof Uint8Array) return value;
      if (depth >= MAX_DEPTH) return undefined;
      if (Array.isArray(value)) return value.map((item) => toFileValue(item, depth + 1));
      return new Tag(toFileEntries(value as Record<string, unknown>, depth + 1), MAP_TAG);
    default:
      return undefined;
  }
}

/** Attributes object → flat [key, value, …] array with inline keys. */
export function toFileEntries(entries: Readonly<Record<string, unknown>>, depth = 0): unknown[] {
  const flat: unknown[] = [];
  for (const key in entries) if (Object.hasOwn(entries, key)) flat.push(key, toFileValue(entries[key], depth));
  return flat;
}

/** File value → AnyValue, resolving string references against the chunk's `strings`. */
export function fromFileValue(value: unknown, strings: readonly string[]): AnyValue {
  if (value instanceof Tag) {
    if (value.tag === STRING_REF_TAG) return lookupString(value.value, strings);
    if (value.tag === MAP_TAG && Array.isArray(value.value)) return fromFileEntries(value.value, strings);
    return undefined;
  }
  if (Array.isArray(value)) return value.map((item) => fromFileValue(item, strings));
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.length);
  return value as AnyValue;
}

/** Flat [key, value, …] array → attributes object; a numeric key is a string reference. */
export function fromFileEntries(flat: readonly unknown[], strings: readonly string[]): Record<string, AnyValue> {
  const entries: Record<string, AnyValue> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const rawKey = flat[i];
    const key = typeof rawKey === 'number' ? lookupString(rawKey, strings) : String(rawKey);
    const value = fromFileValue(flat[i + 1], strings);
    // A plain assignment of "__proto__" would replace the prototype instead of adding a key.
    if (key === '__proto__') Object.defineProperty(entries, key, { value, enumerable: true, writable: true, configurable: true });
    else entries[key] = value;
  }
  return entries;
}

function lookupString(index: unknown, strings: readonly string[]): string {
  return typeof index === 'number' ? (strings[index] ?? '') : '';
}
