/**
 * AnyValue → the value encoding of file format v1 (docs/format.md, "Values"), for values that do
 * not come from a ring slot: resource, scope and crash-cause attributes. Maps are a tag around a
 * flat [key, value, …] array so key order and "__proto__" keys survive. Files are read back by
 * cbor-cursor.ts, which follows the same rules.
 */
import { cutBigIntText, fitsBignumLimit } from './bigint-limit.ts';
import { fileNumber, Tag } from './cbor.ts';
import { MAP_TAG } from './file-tags.ts';

const MAX_DEPTH = 8;

/**
 * JS value → file value. Values with no place in AnyValue (functions, symbols) become undefined;
 * a bigint beyond the bignum limit becomes text (bigint-limit.ts).
 */
function toFileValue(value: unknown, depth = 0): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return value;
    case 'number':
      return fileNumber(value);
    case 'bigint':
      return fitsBignumLimit(value) ? value : cutBigIntText(value);
    case 'object':
      if (value === null || value instanceof Uint8Array) return value;
      if (depth >= MAX_DEPTH) return undefined;
      if (Array.isArray(value)) return value.map((item) => toFileValue(item, depth + 1));
      return new Tag(toFileEntries(value as Record<string, unknown>, depth + 1), MAP_TAG);
    default:
      return undefined;
  }
}

/**
 * A file value as cbor-x decoded it → the same value, ready to be encoded again: cbor-x decodes
 * the float64 −0 as −0 but would encode it as the integer 0, so each −0 is marked again.
 */
export function reencodable(value: unknown): unknown {
  if (typeof value === 'number') return fileNumber(value);
  if (Array.isArray(value)) return value.map(reencodable);
  if (value instanceof Tag) return new Tag(reencodable(value.value), value.tag);
  return value;
}

/** Attributes object → flat [key, value, …] array with inline keys. */
export function toFileEntries(entries: Readonly<Record<string, unknown>>, depth = 0): unknown[] {
  const flat: unknown[] = [];
  for (const key in entries) if (Object.hasOwn(entries, key)) flat.push(key, toFileValue(entries[key], depth));
  return flat;
}
