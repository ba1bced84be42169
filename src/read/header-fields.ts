/**
 * The file header's fields as the types docs/format.md gives them ("Header map"). The header is
 * a CBOR map from the file, so a field may hold anything: a tagged map whose `toString` or
 * `valueOf` key is not a function makes `String()` and `Number()` throw a `TypeError`. A field of
 * the wrong type is a corrupt header instead, a `SnapshotFormatError` with code `HEADER_CORRUPT`;
 * an absent one (or null) reads as empty, as from a writer that did not know the field.
 */
import { FILE_PREFIX_BYTES } from '../format/file-format.ts';
import { SnapshotFormatError } from './errors.ts';

/** A text field: numbers and booleans as their text (a lenient writer's), anything else is damage. */
export function headerText(value: unknown, name: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  throw wrongType(name, 'text');
}

/** An integer field: a CBOR integer of any width or a float (docs/format.md, "Conventions"), as a number. */
export function headerInteger(value: unknown, name: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw wrongType(name, 'an integer');
}

/** A map field as an object; anything else reads as an empty map. */
export function headerMap(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) ? (value as Record<string, unknown>) : {};
}

/** A byte string field of exactly `length` bytes, or undefined for anything else. */
export function headerBytes(value: unknown, length: number): Buffer | undefined {
  return value instanceof Uint8Array && value.length === length ? Buffer.from(value.buffer, value.byteOffset, value.length) : undefined;
}

function wrongType(name: string, expected: string): SnapshotFormatError {
  return new SnapshotFormatError('HEADER_CORRUPT', `header field ${name} is not ${expected}`, FILE_PREFIX_BYTES);
}
